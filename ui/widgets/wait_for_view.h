#pragma once

// Who waits for whom, now: the processes on the left, the objects on the right; an arrow from a process to the
// object it is blocked on ("waits on", red) and one from an object to the process holding it ("held by"). A
// deadlock's processes are outlined in red. Drawn from a snapshot (its objects' holders and waiters), so it costs
// nothing to keep: no IPC, no /proc.
//
// An object joins the right-hand column the first time someone holds or waits on it and keeps its place until the
// run is cleared (drawn faint while nobody does), so that a box does not jump to another row every refresh. With
// many processes the view grows taller than its tab rather than squeezing the boxes below a line of text: the main
// window shows it in a scroll area.

#include "ipccore/runner.h"

#include <QStringList>
#include <QWidget>

namespace ipcui {

class WaitForView : public QWidget {
    Q_OBJECT
public:
    explicit WaitForView(QWidget* parent = nullptr);

    void setSnapshot(const ipccore::Snapshot& snapshot);
    void clear();

    // The edges drawn, as sentences ("producer waits on empty", "mutex is held by producer"), for tests and the
    // tooltip.
    QStringList edgeTexts() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    // The objects in the right-hand column, top to bottom (tests).
    QStringList objectNames() const;

    // The edges of the box at a point (a process or an object), as its tooltip shows them; empty off the boxes.
    QStringList edgeTextsAt(QPoint at) const;

protected:
    bool event(QEvent* event) override; // a box's tooltip: its own edges
    void paintEvent(QPaintEvent* event) override;

private:
    struct Layout {
        int top = 0, step = 0, nodeH = 0, nodeW = 0, leftX = 0, rightX = 0;
    };
    Layout boxes() const; // where the rows and the two columns of boxes are, at the view's size
    int hintRows() const; // the rows the size hints ask room for
    int rowStep() const; // the least height of a row: a line of text and its gap
    int rowsTop() const;

    struct Node {
        QString name;
        bool alive = true;
        bool inCycle = false;
    };
    struct Edge {
        int process = 0;
        int object = 0;
        enum class Kind { Waits, HeldBy, CanPost } kind = Kind::Waits;
        bool deadHolder = false;
        double seconds = 0;
    };
    std::vector<Node> m_processes;
    std::vector<Node> m_objects;
    std::vector<bool> m_objectInvolved; // per m_objects: someone holds or waits on it now
    std::vector<Edge> m_edges;
    int m_hintRows = 0; // hintRows() when the geometry was last announced
};

} // namespace ipcui

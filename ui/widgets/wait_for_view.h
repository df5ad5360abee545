#pragma once

// Who waits for whom, now: the processes on the left, the objects on the right; an arrow from a process to the
// object it is blocked on ("waits on", red) and one from an object to the process holding it ("held by"). A
// deadlock's processes are outlined in red. Drawn from a snapshot (its objects' holders and waiters), so it costs
// nothing to keep: no IPC, no /proc.

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

protected:
    void paintEvent(QPaintEvent* event) override;

private:
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
    std::vector<Edge> m_edges;
};

} // namespace ipcui

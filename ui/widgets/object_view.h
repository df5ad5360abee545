#pragma once

// Draws every IPC object as a row of slots (capacity) with the filled ones coloured (live depth), and every
// semaphore as a tile with its value. Programs' objects are drawn in their own terms: a shared array (shm-array)
// as its cells' values ("counter[0] = 12105") and its lock, a named semaphore as "1 of 2 permits free" with one
// token per permit. Built for a projector: big type, solid colours, and the two states students
// must spot (a full queue, a semaphore at zero) in red with a word on them. Two or more objects get lower cards.

#include "ipccore/runner.h"

#include <QWidget>

#include <vector>

namespace ipcui {

class ObjectView : public QWidget {
    Q_OBJECT
public:
    explicit ObjectView(QWidget* parent = nullptr);

    // `live` false draws the objects greyed as configured (before a run).
    void setObjects(const std::vector<ipccore::ObjectStatus>& objects, bool live);
    const std::vector<ipccore::ObjectStatus>& objects() const { return m_objects; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Metrics {
        int margin; // above and below the header and the slots
        int gap; // between cards
        int header;
        int slotArea; // the height of the slots (cells, permits)
    };
    Metrics metrics() const;
    static bool hasSemaphoreTiles(const ipccore::ObjectStatus& object);
    int cardHeight(const ipccore::ObjectStatus& object) const;
    QFont bigFont(double scale) const;
    // The card's frame and header (name, kind, the figure at the right); returns the header's rectangle.
    QRect paintCard(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object, const QString& figure,
        bool alarm) const;
    void paintSemaphoreTiles(QPainter& painter, const QRect& row, const ipccore::ObjectStatus& object) const;
    void paintObject(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    void paintQueue(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    void paintArray(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    void paintSemaphore(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    QString tooltipAt(const QPoint& pos) const;

    std::vector<ipccore::ObjectStatus> m_objects;
    bool m_live = false;
};

} // namespace ipcui

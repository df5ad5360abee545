#pragma once

// Draws every IPC object as a row of slots (capacity) with the filled ones coloured (live depth), and every
// semaphore as a tile with its value. Built for a projector: big type, solid colours, and the two states students
// must spot (a full queue, a semaphore at zero) in red with a word on them.

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
    int cardHeight(const ipccore::ObjectStatus& object) const;
    void paintObject(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const;
    QString tooltipAt(const QPoint& pos) const;

    std::vector<ipccore::ObjectStatus> m_objects;
    bool m_live = false;
};

} // namespace ipcui

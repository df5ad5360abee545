#pragma once

// Each process's life over time, from its exact events (ipccore/timeline.h): one lane per process, its states as
// spans in the colours of the process table, split at its program steps; below, one lane per lock with who held it
// when (Tracy's lock lanes). It follows the present; the wheel zooms, dragging pans, "Follow now" comes back.
// Hovering a span names what it was, its step, how long it lasted and, for a wait, the process whose post ended it,
// drawn as an arrow from that post. Clicking a lane highlights that process. It paints from the session's timeline,
// on the GUI thread: no IPC, no /proc.

#include "ipccore/timeline.h"

#include <QPoint>
#include <QWidget>

#include <optional>

class QCheckBox;
class QLabel;
class QScrollArea;

namespace ipcui {

class TimelineCanvas : public QWidget {
    Q_OBJECT
public:
    explicit TimelineCanvas(QWidget* parent = nullptr);

    void setTimeline(const ipccore::Timeline* timeline);
    void timelineChanged(); // new spans: relayout and repaint
    bool following() const { return m_following; }
    void setFollowing(bool on);
    double visibleSeconds() const { return double(m_spanNs) / 1e9; }
    void zoomBy(double factor); // > 1 shows more time
    // What hovering at `pos` would tell (empty where there is no span), and the selected lane (-1: none).
    QString textAt(QPoint pos) const;
    // Where the lane of worker `lane` is drawn at time `ns` (for tests; outside the view when it is not shown).
    QPoint pointOf(std::size_t lane, std::uint64_t ns) const;
    int selectedLane() const { return m_selected; }
    void selectLane(int lane);
    int labelWidth() const { return m_labelWidth; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void followingChanged(bool on);
    void zoomChanged(double seconds);
    void hoverTextChanged(const QString& text); // rich text; empty when the pointer is over nothing

protected:
    void paintEvent(QPaintEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;
    int axisHeight() const;
    int headerHeight() const;

private:
    struct Row {
        enum class Kind { Header, Worker, Lock } kind = Kind::Header;
        std::size_t index = 0; // a worker lane or a lock lane
        int top = 0;
        QString label;
    };
    // What is under a point: a worker span (with its lane) or a hold.
    struct Hit {
        const Row* row = nullptr;
        std::optional<ipccore::TimelineSpan> span;
        std::optional<ipccore::HoldSpan> hold;
        std::optional<ipccore::TimelineMarker> marker;
    };
    void layoutRows();
    void fitRows(); // rows as tall as the room allows, within limits
    std::uint64_t viewEndNs() const;
    std::uint64_t viewStartNs() const;
    std::uint64_t maxSpanNs() const;
    double xOf(std::uint64_t ns) const;
    std::uint64_t nsAt(double x) const;
    const Row* rowAt(int y) const;
    Hit hitAt(QPoint pos) const;
    QString hitText(const Hit& hit) const;
    QString timeText(std::uint64_t ns) const;
    // "from 1.2 s to 1.5 s: 300 ms", or "at 6.685 s, for 0.20 µs" where both ends read the same.
    QString spanTimes(std::uint64_t fromNs, std::uint64_t toNs, bool ongoing) const;
    QString nowText() const; // " (now)", or " (the stop)" once the run has stopped
    void paintAxis(QPainter& p, std::uint64_t from, std::uint64_t to);
    void paintWorker(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to);
    void paintLock(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to);
    void paintWaker(QPainter& p);
    void paintMarkers(QPainter& p, std::uint64_t from, std::uint64_t to);
    void paintGaps(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to);
    static QColor markerColour(ipccore::RunEvent::Kind kind);
    void tellHover();
    int rowCentre(const Row& row) const;

    const ipccore::Timeline* m_timeline = nullptr;
    std::vector<Row> m_rows;
    int m_labelWidth = 120;
    int m_rowHeight = 24;
    int m_commonPrefix = 0; // characters all workers' names share
    std::uint64_t m_runStartNs = 0; // of the run shown
    bool m_following = true;
    std::uint64_t m_spanNs = 10'000'000'000; // the time the view shows
    std::uint64_t m_endNs = 0; // its right edge when not following
    int m_selected = -1;
    QPoint m_hover { -1, -1 };
    QString m_hoverText;
    bool m_dragging = false;
    bool m_dragged = false;
    QPoint m_dragFrom;
    std::uint64_t m_dragEndNs = 0;
};

// The canvas with its controls, its legend and a line about what was kept and lost.
class TimelineView : public QWidget {
    Q_OBJECT
public:
    explicit TimelineView(QWidget* parent = nullptr);

    void setTimeline(const ipccore::Timeline* timeline);
    void timelineChanged();
    TimelineCanvas* canvas() const { return m_canvas; }

signals:
    void errorOccurred(const QString& message);

private:
    void updateInfo();

    TimelineCanvas* m_canvas = nullptr;
    QScrollArea* m_scroll = nullptr;
    QCheckBox* m_follow = nullptr;
    QLabel* m_zoomLabel = nullptr;
    QLabel* m_info = nullptr;
    QLabel* m_details = nullptr;
    const ipccore::Timeline* m_timeline = nullptr;
};

} // namespace ipcui

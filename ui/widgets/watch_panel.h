#pragma once

// The part of the Live view that shows other programs' objects, chosen with "Watch" in the System tab: each queue's
// slots (the object view's cards), each semaphore's value and each segment's size, and a chart of depth and value over
// the last minute. The processes using them are kept in processModel(), which WatchedProcessPanel shows beside the
// run's own processes. The data come from WatchMonitor's thread; this widget only draws (the chart at most 5 times a
// second).

#include "ipccore/system_ipc.h"

#include <QTimer>
#include <QWidget>

#include <vector>

class QChart;
class QChartView;
class QHBoxLayout;
class QLabel;
class QLineSeries;
class QPushButton;
class QValueAxis;

namespace ipcui {

class ObjectView;
class WatchMonitor;
class WatchedProcessModel;

class WatchPanel : public QWidget {
    Q_OBJECT
public:
    explicit WatchPanel(QWidget* parent = nullptr);
    ~WatchPanel() override;

    // Watches the object (nothing when it is watched already).
    void watch(ipccore::SystemObjectKind kind, const std::string& name);
    void stopWatching();

    WatchMonitor* monitor() const { return m_monitor; }
    WatchedProcessModel* processModel() const { return m_processModel; }
    ObjectView* queueCards() const { return m_cards; }
    // The lines of the semaphores and segments ("semaphore /done: value 3"), as shown.
    QString otherObjectsText() const;
    // The queues' depth chart (0) and the semaphores' value chart (1), each shown while it has a line.
    enum ChartId { DepthChart, ValueChart, ChartCount };
    // Points shown now in a chart, summed over its lines; for tests.
    int chartPointCount(ChartId chart) const;
    QChartView* chartView(ChartId chart) const { return m_charts[chart].view; }

signals:
    // The set of watched objects changed (empty: nothing watched; the window hides the panel).
    void watchingChanged(bool any);
    void notice(const QString& message);
    void errorOccurred(const QString& message);

private:
    void rebuild();
    void onFrame();
    void refreshChart();
    void peekSegment();

    WatchMonitor* m_monitor;
    WatchedProcessModel* m_processModel;
    QLabel* m_title = nullptr;
    QHBoxLayout* m_chips = nullptr;
    ObjectView* m_cards = nullptr;
    QLabel* m_others = nullptr;
    QPushButton* m_peek = nullptr;
    struct ChartBox {
        QChart* chart = nullptr;
        QChartView* view = nullptr;
        QValueAxis* x = nullptr;
        QValueAxis* y = nullptr;
    };
    ChartBox m_charts[ChartCount];
    std::vector<QLineSeries*> m_series; // per target; null for segments
    QTimer m_chartTimer;
    bool m_chartDirty = false;
};

} // namespace ipcui

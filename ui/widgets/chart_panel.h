#pragma once

// Live charts over a run's history: throughput (total and per worker), depth per message object, semaphore values,
// % time blocked per worker, and for shared arrays the increments made against the counter's value (the gap is
// the lost updates). Only the charts the run has something for are shown: a counter race has no depth, a run
// without shared arrays no counter chart. The owner calls refresh() from its coalescing chart timer (<= 10 Hz); each
// refresh replaces the visible points of every series (QXYSeries::replace, no clear+append, no animation) and does
// nothing when the history has not changed and the view has not moved.

#include "model/run_history.h"

#include <QHash>
#include <QWidget>

#include <utility>
#include <vector>

class QAbstractSeries;
class QChart;
class QChartView;
class QComboBox;
class QGridLayout;
class QLineSeries;
class QPushButton;
class QScrollBar;
class QValueAxis;

namespace ipcui {

class ChartPanel : public QWidget {
    Q_OBJECT
public:
    enum ChartId { ThroughputChart, DepthChart, SemaphoreChart, BlockedChart, CounterChart, ChartCount };

    explicit ChartPanel(QWidget* parent = nullptr);

    // Forget every series (a new run starts).
    void reset();
    // Brings the charts up to date with the history. `capacity` is the largest capacity in messages, for the depth
    // axis; `permits` the largest initial value of a semaphore object, so its axis shows where the value starts.
    void refresh(const RunHistory& history, double capacity, double permits = 1);
    // How long until the next refresh is worth it: the time one pixel of the narrowest chart shown stands for (a 30 s
    // window on a 230-pixel plot: 130 ms), from 100 ms to 1 s. Sooner, a redraw moves the lines by less than a pixel.
    int refreshIntervalMs() const;

    double windowSeconds() const { return m_windowS; }
    void setWindowSeconds(double seconds);
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);

    // Points shown now in a chart, summed over its series; for tests.
    int visiblePointCount(ChartId chart) const;
    QChartView* chartView(ChartId chart) const { return m_views[chart].view; }

    bool saveChartPng(ChartId chart, const QString& path) const;
    bool isChartShown(ChartId chart) const;
    // Saves every chart shown as <base>-<chart>.png; returns the files written.
    QStringList saveAllPng(const QString& basePath) const;
    static QString chartFileTag(ChartId chart);

signals:
    void exportCsvRequested();
    void exportTraceRequested();
    void errorOccurred(const QString& message);

protected:
    void changeEvent(QEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override; // a chart resized: its legend fitted again

private:
    static constexpr int ChartHeight = 140; // a chart's least height (two rows fit a 720-line screen)
    static constexpr int ThreeRowChartHeight = 140; // below the first row, when there are three

    struct ChartBox {
        QChart* chart = nullptr;
        QChartView* view = nullptr;
        QValueAxis* x = nullptr;
        QValueAxis* y = nullptr;
        bool thin = false; // 1-pixel lines without antialiasing (MaxWideObjectLines)
        // What fitLegends last fitted the legend's font to (-1: fit again).
        int legendEntries = -1;
        int legendHeight = -1;
    };
    ChartBox makeChart(const QString& title, const QString& yTitle);
    void applyFonts(ChartBox& box);
    void restyle(); // the charts and the series' pens in the current theme
    ChartId chartFor(SeriesKind kind) const;
    void syncSeries(const RunHistory& history);
    void thinCrowdedCharts(); // MaxWideObjectLines: 1-pixel lines on a crowded depth or semaphore chart
    void fitLegends(); // a legend's font smaller where its entries would not fit beside the plot
    void exportPng();
    void showChartMenu(ChartId chart, const QPoint& pos);
    void updateScrollBar(const RunHistory& history);
    void showCharts(const RunHistory& history);

    ChartBox m_views[ChartCount];
    QGridLayout* m_grid = nullptr;
    bool m_shown[ChartCount] = {}; // as last arranged in m_grid
    QHash<int, QLineSeries*> m_series; // history series index -> chart series
    QHash<int, std::pair<SeriesInfo, int>> m_penOf; // what its pen is made from: the series and its object slot
    // Whether a line's legend entry is shown (absent: shown); false for depth and semaphore lines without points and
    // for worker lines past MaxLegendWorkers. fitLegends counts the entries from it.
    QHash<const QAbstractSeries*, bool> m_legendShown;
    QComboBox* m_windowBox = nullptr;
    QPushButton* m_pauseButton = nullptr;
    QScrollBar* m_scroll = nullptr;
    double m_windowS = 60;
    bool m_paused = false;
    bool m_perRole = false; // one line per role on the throughput and blocked charts, not one per worker
    double m_pausedEnd = 0; // right edge of the view while paused
    quint64 m_drawnRevision = ~quint64(0);
    double m_drawnEnd = -1, m_drawnWindow = -1;
    double m_lastKnownEnd = 0, m_firstKnown = 0;
    bool m_scrollUpdating = false;
};

// The y axis of a chart of small whole numbers (depths, semaphore values) whose lines reach `top`: the axis's top
// and its tick step, with at most `intervals` steps. A capacity (`exact`: a queue's depth that never went beyond it)
// stays the top line when a whole step divides it into 2..intervals, so "full" is drawn on the top line; otherwise
// the top is rounded up to a step of 1, 2 or 5 times a power of ten, so the top line always has its label.
struct IntegerTicks {
    double top = 1;
    double step = 1;
};
IntegerTicks integerTicks(double top, int intervals, bool exact);

// The throughput axis counts in millions from a million a second, in thousands from 10 000 (below, its labels are at
// most four digits): what its lines' values are divided by, for an axis whose top is `top`.
constexpr double ThroughputThousands = 1e3;
constexpr double ThroughputMillions = 1e6;
double throughputScale(double top);
// How many decimals a value axis's labels need for ticks `interval` apart (0 for 500, 1 for 2.5, 2 for 0.25; 3 at
// most): each label then reads its tick's value, not a rounding of it.
int tickDecimals(double interval);

} // namespace ipcui

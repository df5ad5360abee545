#include "widgets/chart_panel.h"

#include "widgets/png_export.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include <QAction>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontMetrics>
#include <QGraphicsLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMenu>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace ipcui {

namespace {
// Per-worker legend entries stop helping beyond this; the lines stay, the legend keeps the total.
constexpr int MaxLegendWorkers = 12;
// Beyond this many workers, one line each cannot be told apart on a chart, and every line is stroked again at each
// redraw (64 workers drew 129 lines and took half a core): the throughput and blocked charts then draw one line per
// role instead, and the process table keeps each worker's figures.
constexpr int MaxWorkerLines = 16;

// A depth or semaphore chart drawing more lines than this draws them 1 pixel wide (dashes kept) and without
// antialiasing. A busy object's depth and semaphores swing from empty to full several times a pixel, so each line is
// a band of vertical strokes; with a dozen of them (64 workers on 8 buffers) stroking wide antialiased lines took a
// quarter of a core, and what reads there is each band. Five keeps every bundled lesson's lines wide for a
// projector (the dining philosophers' five forks are the most). Lines without a point (a socket's depth) do not
// count.
constexpr int MaxWideObjectLines = 5;

bool perWorker(SeriesKind kind)
{
    return kind == SeriesKind::WorkerThroughput || kind == SeriesKind::Blocked;
}
bool perRole(SeriesKind kind)
{
    return kind == SeriesKind::RoleThroughput || kind == SeriesKind::RoleBlocked;
}
// A series is drawn as the lowest and highest value of each two pixels of its chart's width (one point a pixel):
// the 1500 samples of a 30 s window at 50 Hz are 500 points on a 500-pixel plot, and the line looks the same.
constexpr int MinPointsPerSeries = 200;
constexpr int MaxPointsPerSeries = 1200;
constexpr int ScrollStepsPerSecond = 10;

// A chart's or an axis's title set again, even to the same text, lays the whole chart out again: 10 times a second
// for every chart, that was a good part of the window's CPU.
void setIfChanged(QChart* chart, const QString& title)
{
    if (chart->title() != title)
        chart->setTitle(title);
}
void setIfChanged(QAbstractAxis* axis, const QString& title)
{
    if (axis->titleText() != title)
        axis->setTitleText(title);
}

// The smallest 1/2/5 x 10^k at or above value, with a tick count that lands ticks on round numbers.
std::pair<double, int> niceAxis(double value)
{
    if (value <= 0)
        return { 1, 6 };
    const double base = std::pow(10.0, std::floor(std::log10(value)));
    for (const auto& [mantissa, intervals] :
        { std::pair { 1.0, 5 }, { 2.0, 4 }, { 2.5, 5 }, { 5.0, 5 }, { 10.0, 5 } }) {
        if (value <= mantissa * base + 1e-9)
            return { mantissa * base, intervals + 1 };
    }
    return { 10 * base, 6 };
}
// Programs make passes through their steps, producers and consumers move messages: the throughput axis says
// which of the two it counts.
// Counted in thousands or millions (`scale`) once the lines reach them: "5" under "M msgs/s" reads at a glance from
// the back of a room, where "5000000" needs its zeros counted.
QString throughputUnit(const RunHistory& history, double scale)
{
    bool programs = false, messages = false;
    for (const int i : history.seriesOfKind(SeriesKind::WorkerThroughput)) {
        const bool program = history.series(i).role == ipccore::Role::Program;
        programs = programs || program;
        messages = messages || !program;
    }
    const QString unit = programs && messages ? ChartPanel::tr("msgs or passes/s")
        : programs                            ? ChartPanel::tr("passes/s")
                                              : ChartPanel::tr("msgs/s");
    if (scale == ThroughputMillions)
        return ChartPanel::tr("M %1").arg(unit);
    return scale == ThroughputThousands ? ChartPanel::tr("k %1").arg(unit) : unit;
}

// A round tick interval giving at most 10 ticks across the time window, and no more than fit the plot's width with a
// label's width between two labels (a chart beside the Lessons panel is narrow: its labels would read "…").
double timeTickInterval(double span, double plotWidth = 0, double labelWidth = 0)
{
    const double most = plotWidth > 0 && labelWidth > 0 ? std::clamp(plotWidth / (2 * labelWidth), 2.0, 10.0) : 10;
    for (const double step : { 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0 }) {
        if (span / step <= most)
            return step;
    }
    return 600;
}

// A series' line: a process's colour (producers solid, consumers dashed), an object's grey and dashes, the total in
// the text's colour. Asked again on a theme change, for the greys and the total differ by theme.
QPen seriesPen(const SeriesInfo& info, int objectSlot, bool thin)
{
    if (thin && (info.kind == SeriesKind::Depth || info.kind == SeriesKind::Semaphore)) {
        // One pixel on the screen takes Qt's fast path, past the path stroker; the grey and the dashes stay. Not a
        // cosmetic pen: an exported PNG, drawn at twice the size, gets 2-pixel lines like the rest of the chart.
        QPen pen = objectPen(objectSlot - 1);
        pen.setWidthF(1.0);
        return pen;
    }
    QPen pen;
    pen.setWidthF(2.0);
    if (info.kind == SeriesKind::TotalThroughput) {
        pen.setColor(Colors::text());
        pen.setWidthF(3.5);
    } else if (info.kind == SeriesKind::Increments) {
        // What the counter should read: a grey dashed reference line that the value falls away from.
        pen.setColor(Colors::muted());
        pen.setStyle(Qt::DashLine);
        pen.setWidthF(2.5);
    } else if (info.kind == SeriesKind::CellSum) {
        pen = objectPen(info.object);
        pen.setWidthF(3.0);
    } else if (perRole(info.kind)) {
        // Three lines at most: the roles' first colours, and producers solid, consumers dashed, programs dotted.
        pen.setColor(seriesColor(int(info.role)));
        pen.setWidthF(2.5);
        pen.setStyle(info.role == ipccore::Role::Consumer ? Qt::DashLine
                : info.role == ipccore::Role::Program     ? Qt::DotLine
                                                          : Qt::SolidLine);
    } else if (info.worker >= 0) {
        pen.setColor(seriesColor(info.worker));
        // Producers solid, consumers dashed: the role reads without the legend.
        if (info.role == ipccore::Role::Consumer)
            pen.setStyle(Qt::DashLine);
    } else
        pen = objectPen(objectSlot - 1);
    return pen;
}

} // namespace

ChartPanel::ChartPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Window:"), this));
    m_windowBox = new QComboBox(this);
    m_windowBox->setObjectName(QStringLiteral("chartWindow"));
    const std::pair<QString, int> windows[] = { { tr("10 s"), 10 }, { tr("30 s"), 30 }, { tr("1 min"), 60 },
        { tr("2 min"), 120 }, { tr("5 min"), 300 }, { tr("10 min"), 600 } };
    for (const auto& [label, seconds] : windows)
        m_windowBox->addItem(label, seconds);
    m_windowBox->setCurrentIndex(1);
    m_windowS = 30;
    connect(m_windowBox, &QComboBox::currentIndexChanged, this,
        [this](int) { setWindowSeconds(m_windowBox->currentData().toDouble()); });
    controls->addWidget(m_windowBox);

    m_pauseButton = new QPushButton(tr("Pause charts"), this);
    m_pauseButton->setObjectName(QStringLiteral("pauseCharts"));
    m_pauseButton->setCheckable(true);
    m_pauseButton->setToolTip(tr("Freeze the charts (the run goes on) and scroll back in time"));
    connect(m_pauseButton, &QPushButton::toggled, this, &ChartPanel::setPaused);
    controls->addWidget(m_pauseButton);

    m_scroll = new QScrollBar(Qt::Horizontal, this);
    m_scroll->setObjectName(QStringLiteral("chartScroll"));
    m_scroll->setEnabled(false);
    m_scroll->setToolTip(tr("Pause the charts, then drag to look back"));
    connect(m_scroll, &QScrollBar::valueChanged, this, [this](int value) {
        if (m_scrollUpdating || !m_paused)
            return;
        m_pausedEnd = double(value) / ScrollStepsPerSecond;
    });
    controls->addWidget(m_scroll, 1);

    auto* pngButton = new QPushButton(tr("Export PNG…"), this);
    pngButton->setToolTip(tr("Save each chart as a PNG image (right-click a chart to save only that one)"));
    connect(pngButton, &QPushButton::clicked, this, &ChartPanel::exportPng);
    controls->addWidget(pngButton);
    auto* csvButton = new QPushButton(tr("Export CSV…"), this);
    csvButton->setToolTip(tr("Save the data of every series as CSV"));
    connect(csvButton, &QPushButton::clicked, this, &ChartPanel::exportCsvRequested);
    controls->addWidget(csvButton);
    auto* traceButton = new QPushButton(tr("Export trace…"), this);
    traceButton->setObjectName(QStringLiteral("exportTrace"));
    traceButton->setToolTip(tr("Save every process's states and steps, the objects' values and the run's events as a "
                               "trace that opens in the Perfetto UI (ui.perfetto.dev) or chrome://tracing"));
    connect(traceButton, &QPushButton::clicked, this, &ChartPanel::exportTraceRequested);
    controls->addWidget(traceButton);
    layout->addLayout(controls);

    m_views[ThroughputChart] = makeChart(tr("Throughput"), tr("msgs/s"));
    m_views[DepthChart] = makeChart(tr("Depth of each queue / buffer"), tr("messages"));
    m_views[SemaphoreChart] = makeChart(tr("Semaphore values"), tr("value"));
    m_views[BlockedChart] = makeChart(tr("Time blocked, over the last second"), tr("% blocked"));
    m_views[BlockedChart].y->setRange(0, 100);
    m_views[CounterChart] = makeChart(tr("Shared counter: increments made vs. its value"), tr("count"));
    // Its two legend entries are long ("counter: increments made"): below the plot they need not be cut.
    m_views[CounterChart].chart->legend()->setAlignment(Qt::AlignBottom);

    // In a scroll area: five charts in three rows would otherwise make the window taller than a 720-line screen;
    // there, the third row is scrolled to.
    auto* grid = new QWidget;
    m_grid = new QGridLayout(grid);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(4);
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("chartScroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(grid);
    scroll->viewport()->setAutoFillBackground(false);
    grid->setAutoFillBackground(false);
    for (int i = 0; i < ChartCount; ++i) {
        m_views[i].view->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(m_views[i].view, &QWidget::customContextMenuRequested, this,
            [this, i](const QPoint& pos) { showChartMenu(ChartId(i), pos); });
    }
    layout->addWidget(scroll, 1);
    showCharts(RunHistory());
}

// Before a run the four classic charts; once the run's objects are known, only the charts it has data for. Two
// columns; an odd last chart takes the whole row.
void ChartPanel::showCharts(const RunHistory& history)
{
    const bool known = history.sampleCount() > 0;
    const bool counters = !history.seriesOfKind(SeriesKind::CellSum).isEmpty();
    bool shown[ChartCount] = {};
    shown[ThroughputChart] = shown[BlockedChart] = true;
    shown[DepthChart] = !known || !history.seriesOfKind(SeriesKind::Depth).isEmpty();
    // A run without semaphores (queues, sockets, ZeroMQ) leaves their room to the other charts. With objects on worker
    // hosts it is kept: their semaphores come with their hosts' first snapshots, and the charts are not laid out
    // twice.
    shown[SemaphoreChart]
        = !known || !history.seriesOfKind(SeriesKind::Semaphore).isEmpty() || history.objectsOnHosts();
    shown[CounterChart] = counters;
    if (std::equal(std::begin(shown), std::end(shown), std::begin(m_shown)))
        return;
    std::copy(std::begin(shown), std::end(shown), std::begin(m_shown));
    for (ChartBox& box : m_views)
        m_grid->removeWidget(box.view);
    // The counter chart is the lesson of a counter race: first after throughput.
    const ChartId order[] = { ThroughputChart, CounterChart, DepthChart, SemaphoreChart, BlockedChart };
    std::vector<ChartId> visible;
    for (const ChartId id : order) {
        m_views[id].view->setVisible(shown[id]);
        if (shown[id])
            visible.push_back(id);
    }
    // Three rows (five charts: a queue's depth beside a shared counter, as in a Manager run) get lower charts below
    // the first row, so that the panel does not grow the window past the screen nor squeeze the process table under
    // it to a row or two. The first row keeps its height: the counter chart's legend sits under its plot.
    const int rows = int((visible.size() + 1) / 2);
    for (std::size_t i = 0; i < visible.size(); ++i) {
        const bool lastAlone = i + 1 == visible.size() && i % 2 == 0;
        // The counter chart's legend takes two lines under its plot; its row is that much higher.
        const bool counterRow = shown[CounterChart] && i < 2 && visible.size() > 1 && visible[1] == CounterChart;
        const int height = rows > 2 && i >= 2 ? ThreeRowChartHeight : ChartHeight;
        m_views[visible[i]].view->setMinimumHeight(counterRow ? height + 2 * fontMetrics().height() : height);
        m_grid->addWidget(m_views[visible[i]].view, int(i / 2), int(i % 2), 1, lastAlone ? 2 : 1);
    }
}

bool ChartPanel::isChartShown(ChartId chart) const
{
    return m_shown[chart];
}

ChartPanel::ChartBox ChartPanel::makeChart(const QString& title, const QString& yTitle)
{
    ChartBox box;
    box.chart = new QChart;
    box.chart->setTitle(title);
    // Live data: animations would lag behind and cost CPU on every replace().
    box.chart->setAnimationOptions(QChart::NoAnimation);
    box.chart->setMargins(QMargins(4, 2, 4, 2));
    box.chart->layout()->setContentsMargins(0, 0, 0, 0);
    box.chart->setBackgroundRoundness(0);
    box.chart->legend()->setAlignment(Qt::AlignRight);
    box.chart->legend()->setShowToolTips(true);
    // Each legend entry drawn as its line, dashes and all: the objects' greys differ by their dashes.
    box.chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);

    box.x = new QValueAxis;
    box.x->setTitleText(tr("time since start (s)"));
    box.x->setLabelFormat(QStringLiteral("%.0f"));
    box.x->setRange(0, m_windowS);
    box.x->setTickType(QValueAxis::TicksDynamic);
    box.x->setTickAnchor(0);
    box.x->setTickInterval(timeTickInterval(m_windowS));
    box.y = new QValueAxis;
    box.y->setTitleText(yTitle);
    box.y->setLabelFormat(QStringLiteral("%.0f"));
    box.y->setRange(0, 4); // whole numbers on its five ticks until data comes (0 to 1 read "0 0 1 1 1")
    box.y->setTickCount(5);
    box.chart->addAxis(box.x, Qt::AlignBottom);
    box.chart->addAxis(box.y, Qt::AlignLeft);

    applyFonts(box);
    styleChart(box.chart);
    box.view = new QChartView(box.chart, this);
    box.view->installEventFilter(this);
    box.view->setRenderHint(QPainter::Antialiasing);
    box.view->setMinimumSize(240, ChartHeight);
    return box;
}

// The window's font on every text of a chart (a chart's own default is smaller), so the zoom scales them too.
void ChartPanel::applyFonts(ChartBox& box)
{
    const QFont base = font();
    QFont title = base;
    title.setBold(true);
    title.setPointSizeF(base.pointSizeF() * 1.1);
    box.chart->setTitleFont(title);
    box.chart->legend()->setFont(base);
    box.legendEntries = -1; // fitLegends fits it again
    for (QAbstractAxis* axis : { static_cast<QAbstractAxis*>(box.x), static_cast<QAbstractAxis*>(box.y) }) {
        axis->setLabelsFont(base);
        axis->setTitleFont(base);
    }
}

bool ChartPanel::eventFilter(QObject* watched, QEvent* event)
{
    // Also when no new sample comes (a stopped run, paused charts): refresh() draws only what changed.
    if (event->type() == QEvent::Resize)
        fitLegends();
    return QWidget::eventFilter(watched, event);
}

void ChartPanel::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        for (ChartBox& box : m_views)
            applyFonts(box);
        fitLegends();
    }
    if (event->type() == QEvent::PaletteChange)
        restyle();
}

void ChartPanel::restyle()
{
    for (ChartBox& box : m_views)
        styleChart(box.chart);
    for (auto it = m_series.begin(); it != m_series.end(); ++it) {
        const auto& [info, objectSlot] = m_penOf.value(it.key());
        it.value()->setPen(seriesPen(info, objectSlot, m_views[chartFor(info.kind)].thin));
    }
}

ChartPanel::ChartId ChartPanel::chartFor(SeriesKind kind) const
{
    switch (kind) {
    case SeriesKind::TotalThroughput:
    case SeriesKind::WorkerThroughput:
    case SeriesKind::RoleThroughput:
        return ThroughputChart;
    case SeriesKind::Depth:
        return DepthChart;
    case SeriesKind::Semaphore:
        return SemaphoreChart;
    case SeriesKind::Blocked:
    case SeriesKind::RoleBlocked:
        return BlockedChart;
    case SeriesKind::Increments:
    case SeriesKind::CellSum:
        return CounterChart;
    }
    return ThroughputChart;
}

void ChartPanel::reset()
{
    for (ChartBox& box : m_views) {
        box.chart->removeAllSeries();
        box.x->setRange(0, m_windowS);
    }
    m_series.clear();
    m_legendShown.clear();
    m_penOf.clear();
    m_perRole = false;
    for (ChartBox& box : m_views) {
        box.thin = false;
        box.view->setRenderHint(QPainter::Antialiasing);
    }
    setIfChanged(m_views[ThroughputChart].chart, tr("Throughput"));
    setIfChanged(m_views[BlockedChart].chart, tr("Time blocked, over the last second"));
    showCharts(RunHistory());
    m_drawnRevision = ~quint64(0);
    m_lastKnownEnd = 0;
    m_firstKnown = 0;
    if (m_paused)
        m_pauseButton->setChecked(false);
}

void ChartPanel::syncSeries(const RunHistory& history)
{
    int workerCount = 0;
    for (int i = 0; i < history.seriesCount(); ++i)
        workerCount += history.series(i).kind == SeriesKind::WorkerThroughput ? 1 : 0;

    // A run that grows past MaxWorkerLines (workers added or started again) trades its worker lines for role lines.
    const bool byRole = workerCount > MaxWorkerLines;
    if (byRole != m_perRole) {
        for (auto it = m_series.begin(); it != m_series.end();) {
            if (perWorker(m_penOf.value(it.key()).first.kind) || perRole(m_penOf.value(it.key()).first.kind)) {
                it.value()->chart()->removeSeries(it.value());
                m_legendShown.remove(it.value());
                delete it.value();
                m_penOf.remove(it.key());
                it = m_series.erase(it);
            } else
                ++it;
        }
        m_perRole = byRole;
    }

    int objectSlot = 0;
    for (int i = 0; i < history.seriesCount(); ++i) {
        const SeriesInfo& info = history.series(i);
        if (info.kind == SeriesKind::Depth || info.kind == SeriesKind::Semaphore)
            ++objectSlot;
        if (m_series.contains(i) || (byRole ? perWorker(info.kind) : perRole(info.kind)))
            continue;
        const ChartId id = chartFor(info.kind);
        ChartBox& box = m_views[id];
        auto* series = new QLineSeries;
        series->setName(info.kind == SeriesKind::TotalThroughput ? tr("total") : info.label);
        series->setPen(seriesPen(info, objectSlot, box.thin));
        box.chart->addSeries(series);
        series->attachAxis(box.x);
        series->attachAxis(box.y);
        if (info.worker >= 0 && workerCount > MaxLegendWorkers) {
            for (QLegendMarker* marker : box.chart->legend()->markers(series))
                marker->setVisible(false);
            m_legendShown.insert(series, false);
        }
        m_series.insert(i, series);
        m_penOf.insert(i, { info, objectSlot });
    }
}

// A legend beside its plot that is taller than the chart is cut off at the bottom: at 1280x800 the throughput chart
// of dining-philosophers (the total and five philosophers) lost "philosopher-5". Its font then shrinks until the
// entries fit, to three quarters of the window's at least (a dozen entries stay cut; their lines and tooltips stay).
void ChartPanel::fitLegends()
{
    const QFont base = font();
    const double line = QFontMetrics(base).height();
    for (ChartBox& box : m_views) {
        if (!box.view || box.chart->legend()->alignment() != Qt::AlignRight)
            continue;
        // The entries it lists (a marker's own visibility changes as Qt lays the legend out, later).
        int entries = 0;
        for (QAbstractSeries* series : box.chart->series())
            entries += m_legendShown.value(series, true) ? 1 : 0;
        const int height = box.view->height();
        if (entries == box.legendEntries && height == box.legendHeight)
            continue;
        box.legendEntries = entries;
        box.legendHeight = height;
        // An entry takes about 1.6 lines of its font (22 pixels at a 14-pixel line, DejaVu Sans 9 pt), and the
        // title and margins above and below the legend about 2.8 lines of the window's (measured on screenshots:
        // five entries fit a 152-pixel chart, six did not).
        const double room = height - 2.8 * line;
        const double needed = entries * 1.6 * line;
        const double scale = needed > room && room > 0 ? std::max(0.75, room / needed) : 1.0;
        QFont legend = base;
        if (base.pointSizeF() > 0)
            legend.setPointSizeF(base.pointSizeF() * scale);
        else
            legend.setPixelSize(std::max(1, int(base.pixelSize() * scale)));
        if (box.chart->legend()->font() != legend)
            box.chart->legend()->setFont(legend);
    }
}

void ChartPanel::thinCrowdedCharts()
{
    for (const ChartId id : { DepthChart, SemaphoreChart }) {
        ChartBox& box = m_views[id];
        int drawn = 0;
        for (QAbstractSeries* series : box.chart->series()) {
            const bool hasPoints = static_cast<QLineSeries*>(series)->count() > 0;
            drawn += hasPoints ? 1 : 0;
            // No legend entry for a line that draws nothing (a socket's depth, which the kernel does not tell): with
            // a dozen objects the legend has no room to spare.
            if (hasPoints != m_legendShown.value(series, true)) {
                m_legendShown.insert(series, hasPoints);
                for (QLegendMarker* marker : box.chart->legend()->markers(series))
                    marker->setVisible(hasPoints);
            }
        }
        const bool thin = drawn > MaxWideObjectLines;
        if (thin == box.thin)
            continue;
        box.thin = thin;
        box.view->setRenderHint(QPainter::Antialiasing, !thin);
        for (auto it = m_series.begin(); it != m_series.end(); ++it) {
            const auto& [info, objectSlot] = m_penOf.value(it.key());
            if (chartFor(info.kind) == id)
                it.value()->setPen(seriesPen(info, objectSlot, thin));
        }
    }
}

void ChartPanel::refresh(const RunHistory& history, double capacity, double permits)
{
    m_firstKnown = history.firstTime();
    m_lastKnownEnd = history.lastTime();
    const double end = m_paused ? m_pausedEnd : history.lastTime();
    if (history.revision() == m_drawnRevision && end == m_drawnEnd && m_windowS == m_drawnWindow)
        return;
    syncSeries(history);
    showCharts(history);
    updateScrollBar(history);

    // Early in a run the axis spans at least 10 s and grows to the chosen window, so a young run fills the chart.
    const double t1 = std::max(end, std::min(m_windowS, 10.0));
    const double t0 = std::max(0.0, t1 - m_windowS);
    double maxThroughput = 0, maxDepth = capacity, maxSemaphore = std::max(1.0, permits), maxCount = 0;
    for (auto it = m_series.cbegin(); it != m_series.cend(); ++it) {
        if (it.key() < history.seriesCount() && chartFor(history.series(it.key()).kind) == ThroughputChart)
            maxThroughput = std::max(maxThroughput, history.maxValue(it.key(), t0, t1));
    }
    // From the axis's top (with its 10 % headroom, rounded up), so that its labels have at most four digits.
    const double scale = throughputScale(niceAxis(maxThroughput * 1.1).first);
    bool anyDepth = false, depthInCopies = false, depthInMessages = false;
    for (auto it = m_series.cbegin(); it != m_series.cend(); ++it) {
        const int index = it.key();
        if (index >= history.seriesCount())
            continue;
        const SeriesInfo& info = history.series(index);
        const int width = int(m_views[chartFor(info.kind)].chart->plotArea().width());
        QList<QPointF> points
            = history.points(index, t0, t1, std::clamp(width, MinPointsPerSeries, MaxPointsPerSeries));
        if (chartFor(info.kind) == ThroughputChart && scale != 1)
            for (QPointF& point : points)
                point.setY(point.y() / scale);
        it.value()->replace(points);
        if (chartFor(info.kind) == ThroughputChart) // its top was taken above, for the scale
            continue;
        const double top = history.maxValue(index, t0, t1);
        if (info.kind == SeriesKind::Depth) {
            maxDepth = std::max(maxDepth, top);
            anyDepth = anyDepth || it.value()->count() > 0;
            (info.unit == QStringLiteral("copies") ? depthInCopies : depthInMessages) = true;
        } else if (info.kind == SeriesKind::Semaphore)
            maxSemaphore = std::max(maxSemaphore, top);
        else if (info.kind == SeriesKind::Increments || info.kind == SeriesKind::CellSum)
            maxCount = std::max(maxCount, top);
    }
    thinCrowdedCharts();
    fitLegends();
    for (ChartBox& box : m_views) {
        box.x->setRange(t0, t1);
        const double labelWidth = QFontMetrics(box.x->labelsFont()).horizontalAdvance(QStringLiteral("000"));
        const double tick = timeTickInterval(t1 - t0, box.chart->plotArea().width(), labelWidth);
        if (box.x->tickInterval() != tick)
            box.x->setTickInterval(tick);
        // The axis's title in full where it fits, short where the chart is narrow.
        setIfChanged(box.x,
            box.chart->plotArea().width()
                    >= 10 + QFontMetrics(box.x->titleFont()).horizontalAdvance(tr("time since start (s)"))
                ? tr("time since start (s)")
                : tr("time (s)"));
    }
    // Labels with as many decimals as the ticks need: a top of 1 in five steps reads 0.2, 0.4, not 0, 0, 1, 1, and
    // one of 5 (M msgs/s) in two reads 2.5, not 3.
    // A low chart has room for three labels: more are drawn as "…".
    const auto niceRange = [](const ChartBox& box, double top) {
        QValueAxis* axis = box.y;
        auto [niceTop, ticks] = niceAxis(top);
        const double plotHeight = box.chart->plotArea().height();
        if (plotHeight > 0 && plotHeight / (ticks - 1) < 1.5 * QFontMetrics(axis->labelsFont()).height())
            ticks = 3;
        const double interval = niceTop / (ticks - 1);
        if (axis->min() != 0 || axis->max() != niceTop)
            axis->setRange(0, niceTop);
        if (axis->tickCount() != ticks)
            axis->setTickCount(ticks);
        const QString format = QStringLiteral("%.%1f").arg(tickDecimals(interval));
        if (axis->labelFormat() != format) // set or not, it lays the labels out again
            axis->setLabelFormat(format);
    };
    niceRange(m_views[ThroughputChart], maxThroughput / scale * 1.1);
    setIfChanged(m_views[ThroughputChart].y, throughputUnit(history, scale));
    setIfChanged(m_views[ThroughputChart].chart, m_perRole ? tr("Throughput, one line per role") : tr("Throughput"));
    setIfChanged(m_views[BlockedChart].chart,
        m_perRole ? tr("Time blocked, last second: mean per role") : tr("Time blocked, over the last second"));
    niceRange(m_views[CounterChart], std::max(5.0, maxCount * 1.1)); // counts: whole numbers
    // Depth and semaphores are small integers: an exact top keeps "full" on the top line, and integer ticks with
    // room for their labels.
    // A low chart (three rows of them) has room for three intervals' labels, not five: 0, 5, 10 rather than 0, 2, ...
    // A little room below 0 and above the top (EdgeRoom of the axis), so that a line at 0 or full (a semaphore's
    // `empty` at 0, a full queue, a producer blocked 100 %: what a lesson points at) is drawn clear of the axis and
    // the top line, not hidden in them.
    const auto integerAxis = [](const ChartBox& box, double top, bool exact, int intervals = 5) {
        constexpr double EdgeRoom = 0.04;
        QValueAxis* axis = box.y;
        IntegerTicks ticks = integerTicks(top, intervals, exact);
        const double plotHeight = box.chart->plotArea().height();
        const bool crowded
            = plotHeight > 0 && plotHeight / (ticks.top / ticks.step) < 1.5 * QFontMetrics(axis->labelsFont()).height();
        if (box.view->height() < ChartHeight - 20 || crowded)
            ticks = integerTicks(top, 3, exact);
        if (axis->tickType() != QValueAxis::TicksDynamic)
            axis->setTickType(QValueAxis::TicksDynamic);
        if (axis->tickAnchor() != 0)
            axis->setTickAnchor(0);
        if (axis->tickInterval() != ticks.step)
            axis->setTickInterval(ticks.step);
        const double room = EdgeRoom * ticks.top;
        if (axis->min() != -room || axis->max() != ticks.top + room)
            axis->setRange(-room, ticks.top + room);
    };
    integerAxis(m_views[DepthChart], maxDepth, capacity > 0 && maxDepth <= capacity);
    integerAxis(m_views[SemaphoreChart], maxSemaphore, permits > 0 && maxSemaphore <= permits);
    integerAxis(m_views[BlockedChart], 100, true, 4); // 0, 25, 50, 75, 100 (0, 50, 100 where it is low)
    // A pipe (named or not) or a socket holds bytes, not messages, and a socket's cannot be counted without reading
    // them. A pipe's bytes are drawn in the objects panel.
    const bool noDepth = !anyDepth && history.sampleCount() > 0;
    setIfChanged(m_views[DepthChart].chart,
        noDepth ? tr("Depth (pipes and sockets hold bytes: not shown)") : tr("Depth of each queue / buffer"));
    // A broadcast's depth is in copies (RunHistory).
    setIfChanged(m_views[DepthChart].y,
        !depthInCopies        ? tr("messages")
            : depthInMessages ? tr("messages or copies")
                              : tr("copies"));
    const bool noSemaphores = history.seriesOfKind(SeriesKind::Semaphore).isEmpty() && history.sampleCount() > 0;
    setIfChanged(m_views[SemaphoreChart].chart,
        noSemaphores ? tr("Semaphore values (this experiment has none)") : tr("Semaphore values"));

    m_drawnRevision = history.revision();
    m_drawnEnd = end;
    m_drawnWindow = m_windowS;
}

int tickDecimals(double interval)
{
    int decimals = 0;
    for (double scaled = interval; decimals < 3 && std::abs(scaled - std::round(scaled)) > 1e-6 * scaled; scaled *= 10)
        ++decimals;
    return decimals;
}

double throughputScale(double top)
{
    return top >= ThroughputMillions ? ThroughputMillions : top >= 10 * ThroughputThousands ? ThroughputThousands : 1;
}

IntegerTicks integerTicks(double top, int intervals, bool exact)
{
    const double rounded = std::max(1.0, std::ceil(top));
    if (exact)
        for (int n = std::min(intervals, int(std::min(rounded, 1e6))); n >= 2; --n)
            if (std::fmod(rounded, n) == 0)
                return { rounded, rounded / n };
    for (double decade = 1;; decade *= 10)
        for (const double nice : { 1.0, 2.0, 5.0 }) {
            const double step = nice * decade;
            if (std::ceil(rounded / step) <= intervals || decade > 1e15)
                return { step * std::ceil(rounded / step), step };
        }
}

int ChartPanel::refreshIntervalMs() const
{
    double narrowest = 0;
    for (int id = 0; id < ChartCount; ++id) {
        const double width = m_views[id].chart->plotArea().width();
        if (m_shown[id] && width > 0 && (narrowest == 0 || width < narrowest))
            narrowest = width;
    }
    const double span = m_lastKnownEnd < m_windowS ? std::max(std::min(m_windowS, 10.0), m_lastKnownEnd) : m_windowS;
    if (narrowest <= 0)
        return 100;
    return std::clamp(int(1000 * span / narrowest), 100, 1000);
}

void ChartPanel::updateScrollBar(const RunHistory& history)
{
    m_scrollUpdating = true;
    const int first = int(std::floor((history.firstTime() + m_windowS) * ScrollStepsPerSecond));
    const int last = int(std::ceil(history.lastTime() * ScrollStepsPerSecond));
    m_scroll->setRange(std::min(first, last), last);
    m_scroll->setPageStep(int(m_windowS * ScrollStepsPerSecond));
    m_scroll->setSingleStep(ScrollStepsPerSecond);
    if (!m_paused)
        m_scroll->setValue(last);
    m_scrollUpdating = false;
}

void ChartPanel::setWindowSeconds(double seconds)
{
    if (seconds <= 0 || seconds == m_windowS)
        return;
    m_windowS = seconds;
    const int index = m_windowBox->findData(int(seconds));
    if (index >= 0 && index != m_windowBox->currentIndex())
        m_windowBox->setCurrentIndex(index);
}

void ChartPanel::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    m_pausedEnd = m_lastKnownEnd;
    m_scroll->setEnabled(paused);
    m_pauseButton->setChecked(paused);
    m_pauseButton->setText(paused ? tr("Resume charts") : tr("Pause charts"));
}

int ChartPanel::visiblePointCount(ChartId chart) const
{
    int count = 0;
    for (QLineSeries* series : m_series) {
        if (series->chart() == m_views[chart].chart)
            count += int(series->count());
    }
    return count;
}

QString ChartPanel::chartFileTag(ChartId chart)
{
    switch (chart) {
    case ThroughputChart:
        return QStringLiteral("throughput");
    case DepthChart:
        return QStringLiteral("depth");
    case SemaphoreChart:
        return QStringLiteral("semaphores");
    case BlockedChart:
        return QStringLiteral("blocked");
    case CounterChart:
        return QStringLiteral("counter");
    default:
        return QStringLiteral("chart");
    }
}

bool ChartPanel::saveChartPng(ChartId chart, const QString& path) const
{
    return saveWidgetPng(m_views[chart].view, path);
}

QStringList ChartPanel::saveAllPng(const QString& basePath) const
{
    QString base = basePath;
    if (base.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
        base.chop(4);
    QStringList written;
    for (int i = 0; i < ChartCount; ++i) {
        if (!m_shown[i])
            continue;
        const QString path = QStringLiteral("%1-%2.png").arg(base, chartFileTag(ChartId(i)));
        if (saveChartPng(ChartId(i), path))
            written << path;
    }
    return written;
}

void ChartPanel::exportPng()
{
    const QString base = QFileDialog::getSaveFileName(this, tr("Export charts as PNG (one file per chart)"),
        QStringLiteral("ipclab-charts.png"), tr("PNG images (*.png)"));
    if (base.isEmpty())
        return;
    const QStringList written = saveAllPng(base);
    if (written.size() != std::count(std::begin(m_shown), std::end(m_shown), true))
        emit errorOccurred(tr("Could not write every chart image next to %1.").arg(base));
}

void ChartPanel::showChartMenu(ChartId chart, const QPoint& pos)
{
    QMenu menu(this);
    QAction* save = menu.addAction(tr("Save this chart as PNG…"));
    QAction* csv = menu.addAction(tr("Export all data as CSV…"));
    QAction* chosen = menu.exec(m_views[chart].view->mapToGlobal(pos));
    if (chosen == save) {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Save chart"), QStringLiteral("ipclab-%1.png").arg(chartFileTag(chart)), tr("PNG images (*.png)"));
        if (!path.isEmpty() && !saveChartPng(chart, path))
            emit errorOccurred(tr("Could not write %1.").arg(path));
    } else if (chosen == csv) {
        emit exportCsvRequested();
    }
}

} // namespace ipcui

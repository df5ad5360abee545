#include "widgets/watch_panel.h"

#include "model/printable_text.h"

#include "model/watch_monitor.h"
#include "model/watched_process_model.h"
#include "widgets/object_view.h"
#include "widgets/theme.h"

#include <QChart>
#include <QChartView>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineSeries>
#include <QMenu>
#include <QPainter>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace ipcui {

namespace {

// Lines told apart by colour (the Okabe-Ito palette: distinct also for the colour-blind).
QColor seriesColor(qsizetype index)
{
    static const QColor colors[] = { QColor(0x00, 0x72, 0xb2), QColor(0xd5, 0x5e, 0x00), QColor(0x00, 0x9e, 0x73),
        QColor(0xcc, 0x79, 0xa7), QColor(0xe6, 0x9f, 0x00), QColor(0x56, 0xb4, 0xe9) };
    return colors[std::size_t(index) % std::size(colors)];
}

// The step between five ticks from 0 that reach `least`: 1, 2, 3 or 5 times a power of ten (0, 3, 6, 9, 12 for a
// full 10-slot queue; 0, 100, ..., 400 for a semaphore at 364).
double tickStep(double least)
{
    double scale = 1;
    while (scale * 10 < least)
        scale *= 10;
    for (const double m : { 1.0, 2.0, 3.0, 5.0, 10.0 })
        if (m * scale >= least)
            return m * scale;
    return 10 * scale;
}

// ", +2.0/s over the last 5 s": how fast a semaphore's value moves (a count of jobs done climbs at the consumer's
// pace); "" until it has been watched that long, or while it was gone.
QString rateText(const std::deque<QPointF>& history, double now)
{
    constexpr double Span = 5;
    if (history.empty() || std::isnan(history.back().y()))
        return {};
    for (const QPointF& p : history) {
        if (p.x() < now - Span)
            continue;
        if (std::isnan(p.y()) || now - p.x() < Span - 0.5)
            return {};
        const double rate = (history.back().y() - p.y()) / (now - p.x());
        return WatchPanel::tr(", %1%2/s over the last %3 s")
            .arg(rate > 0 ? QStringLiteral("+") : QString())
            .arg(rate, 0, 'f', 1)
            .arg(Span, 0, 'f', 0);
    }
    return {};
}

} // namespace

WatchPanel::WatchPanel(QWidget* parent)
    : QWidget(parent)
    , m_monitor(new WatchMonitor(this))
    , m_processModel(new WatchedProcessModel(this))
{
    setObjectName(QStringLiteral("watchPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto* top = new QHBoxLayout;
    m_title = new QLabel(tr("<b>Watched:</b>"), this);
    m_title->setToolTip(tr("Objects of other programs, chosen in the System tab: read only, 20 readings a second"));
    top->addWidget(m_title);
    // One chip per object, in a row that scrolls rather than widen the window (a program has several objects).
    auto* chipArea = new QScrollArea(this);
    chipArea->setObjectName(QStringLiteral("watchChips"));
    chipArea->setFrameShape(QFrame::NoFrame);
    chipArea->setWidgetResizable(true);
    chipArea->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    chipArea->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    auto* chipRow = new QWidget(chipArea);
    m_chips = new QHBoxLayout(chipRow);
    m_chips->setContentsMargins(0, 0, 0, 0);
    m_chips->addStretch(1);
    chipArea->setWidget(chipRow);
    chipArea->viewport()->setAutoFillBackground(false); // the panel's own background, not a grey box
    chipRow->setAutoFillBackground(false);
    chipArea->setFixedHeight(
        QToolButton().sizeHint().height() + chipArea->horizontalScrollBar()->sizeHint().height() + 2);
    top->addWidget(chipArea, 1);
    auto* stopAll = new QPushButton(tr("Stop watching"), this);
    stopAll->setObjectName(QStringLiteral("stopWatching"));
    stopAll->setToolTip(tr("Stop watching every object here (they and their programs go on untouched)"));
    top->addWidget(stopAll);
    layout->addLayout(top);

    auto* split = new QSplitter(Qt::Horizontal, this);
    // The cards and lines scroll, so that a run's views beside the panel can have the height (the charts shrink).
    auto* leftScroll = new QScrollArea(split);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setWidgetResizable(true);
    auto* left = new QWidget(leftScroll);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_cards = new ObjectView(left);
    m_cards->setObjectName(QStringLiteral("watchedQueues"));
    leftLayout->addWidget(m_cards);
    m_others = new QLabel(left);
    m_others->setObjectName(QStringLiteral("watchedOthers"));
    m_others->setTextFormat(Qt::PlainText); // names come from other users' files
    m_others->setWordWrap(true);
    m_others->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont big = m_others->font();
    big.setPointSizeF(big.pointSizeF() * 1.25);
    m_others->setFont(big);
    leftLayout->addWidget(m_others);
    m_peek = new QPushButton(tr("First bytes of a segment…"), left);
    m_peek->setToolTip(tr("Read the first 256 bytes of a watched segment, read-only, and show them in hex"));
    leftLayout->addWidget(m_peek, 0, Qt::AlignLeft);
    leftLayout->addStretch(1);
    leftScroll->setWidget(left);
    // The tab's own background, not a grey box (setWidget turns the widget's filling on).
    leftScroll->viewport()->setAutoFillBackground(false);
    left->setAutoFillBackground(false);
    split->addWidget(leftScroll);

    auto* chartColumn = new QWidget(split);
    auto* chartLayout = new QHBoxLayout(chartColumn);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    const QString yTitles[ChartCount] = { tr("messages"), tr("value") };
    for (int c = 0; c < ChartCount; ++c) {
        ChartBox& box = m_charts[c];
        box.chart = new QChart;
        box.chart->setAnimationOptions(QChart::NoAnimation);
        box.chart->setMargins(QMargins(4, 2, 4, 2));
        box.chart->setBackgroundRoundness(0);
        box.chart->legend()->hide(); // the chips above name the lines
        box.x = new QValueAxis;
        box.x->setTitleText(tr("time watched (s)"));
        box.x->setLabelFormat(QStringLiteral("%.0f"));
        box.x->setRange(0, WatchMonitor::HistorySeconds);
        box.x->setTickType(QValueAxis::TicksDynamic); // whole tens, wherever the window starts
        box.x->setTickAnchor(0);
        box.x->setTickInterval(10);
        box.y = new QValueAxis;
        box.y->setTitleText(yTitles[c]);
        box.y->setLabelFormat(QStringLiteral("%.0f"));
        box.y->setRange(0, 4);
        box.y->setTickCount(5);
        box.chart->addAxis(box.x, Qt::AlignBottom);
        box.chart->addAxis(box.y, Qt::AlignLeft);
        styleChart(box.chart);
        box.view = new QChartView(box.chart, chartColumn);
        box.view->setObjectName(
            c == DepthChart ? QStringLiteral("watchedDepthChart") : QStringLiteral("watchedValueChart"));
        box.view->setRenderHint(QPainter::Antialiasing);
        box.view->setMinimumSize(280, 140);
        box.view->hide();
        chartLayout->addWidget(box.view, 1);
    }
    split->addWidget(chartColumn);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    split->setSizes({ 500, 800 }); // the cards hint at the whole width; the charts need the room
    layout->addWidget(split, 1);

    connect(stopAll, &QPushButton::clicked, this, &WatchPanel::stopWatching);
    connect(m_monitor, &WatchMonitor::targetsChanged, this, &WatchPanel::rebuild);
    connect(m_monitor, &WatchMonitor::sampled, this, &WatchPanel::onFrame);
    connect(m_monitor, &WatchMonitor::usersListed, this,
        [this](const std::shared_ptr<const WatchUsers>& users) { m_processModel->apply(*users); });
    connect(m_monitor, &WatchMonitor::peeked, this,
        [this](const QString& name, const QString& hexDump, const QString& problem) {
            if (!problem.isEmpty()) {
                emit errorOccurred(problem);
                return;
            }
            auto* dialog = new QDialog(this);
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            dialog->setWindowTitle(tr("First bytes of segment %1").arg(name));
            auto* dl = new QVBoxLayout(dialog);
            auto* note = new QLabel(tr("The first bytes of segment %1, read once, read-only, just now (it was not "
                                       "mapped). Offset, 16 bytes in hex, then the same bytes as text (. for others).")
                                        .arg(name),
                dialog);
            note->setTextFormat(Qt::PlainText);
            note->setWordWrap(true);
            dl->addWidget(note);
            auto* dump = new QPlainTextEdit(dialog);
            dump->setObjectName(QStringLiteral("hexDump"));
            dump->setReadOnly(true);
            dump->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
            dump->setPlainText(hexDump.isEmpty() ? tr("(the segment is empty: 0 bytes)") : hexDump);
            dump->setMinimumSize(640, 320);
            dl->addWidget(dump);
            auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
            connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
            dl->addWidget(buttons);
            dialog->show();
        });
    connect(m_monitor, &WatchMonitor::refused, this, &WatchPanel::errorOccurred);
    connect(m_peek, &QPushButton::clicked, this, &WatchPanel::peekSegment);
    m_chartTimer.setInterval(200);
    connect(&m_chartTimer, &QTimer::timeout, this, &WatchPanel::refreshChart);
    rebuild();
}

WatchPanel::~WatchPanel() = default;

void WatchPanel::watch(ipccore::SystemObjectKind kind, const std::string& name)
{
    m_monitor->watch(ipccore::WatchTarget { kind, name });
}

void WatchPanel::stopWatching()
{
    m_monitor->clear();
}

// The watched objects changed: one chip and one chart line per object.
void WatchPanel::rebuild()
{
    while (m_chips->count() > 1) { // the stretch at the end stays
        QLayoutItem* item = m_chips->takeAt(0);
        item->widget()->deleteLater(); // its own click may be what unwatched it
        delete item;
    }
    const auto& targets = m_monitor->targets();
    for (ChartBox& box : m_charts)
        box.chart->removeAllSeries();
    m_series.assign(targets.size(), nullptr);
    bool shown[ChartCount] = {};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].kind == ipccore::SystemObjectKind::SharedMemory)
            continue; // its size rarely moves: said in words, not drawn
        const int c = targets[i].kind == ipccore::SystemObjectKind::MessageQueue ? DepthChart : ValueChart;
        ChartBox& box = m_charts[c];
        auto* series = new QLineSeries(box.chart);
        series->setName(printableQString(targets[i].name).toHtmlEscaped()); // rich text in a title
        QPen pen = series->pen();
        pen.setWidth(2);
        pen.setCosmetic(true); // no stroker pass for the chart's scaling
        // Colour and dash: two programs at the same depth draw one line over the other, and both still show.
        pen.setColor(seriesColor(box.chart->series().size()));
        // Gaps wider than the dashes: the line beneath shows through as much as the one on top.
        static const QList<qreal> dashes[] = { {}, { 2, 3 }, { 1, 3 }, { 3, 2, 1, 2 } };
        const QList<qreal>& dash = dashes[std::size_t(box.chart->series().size()) % std::size(dashes)];
        if (!dash.isEmpty())
            pen.setDashPattern(dash);
        series->setPen(pen);
        box.chart->addSeries(series);
        series->attachAxis(box.x);
        series->attachAxis(box.y);
        m_series[i] = series;
        shown[c] = true;
    }
    // The chips are the legend: each shows its line's colour and dash, and the charts keep their height for the lines.
    for (std::size_t i = 0; i < targets.size(); ++i) {
        auto* chip = new QToolButton(this);
        // "&&": a name's '&' is not a keyboard shortcut.
        chip->setText(QStringLiteral("%1 %2  ✕")
                          .arg(QString::fromLatin1(ipccore::systemObjectKindName(targets[i].kind)),
                              printableQString(targets[i].name).replace(QLatin1Char('&'), QStringLiteral("&&"))));
        chip->setToolTip(tr("Stop watching this object"));
        if (m_series[i]) {
            const QSize swatch(28, 12);
            QPixmap pixmap(swatch * devicePixelRatioF());
            pixmap.setDevicePixelRatio(devicePixelRatioF());
            pixmap.fill(Qt::transparent);
            QPainter painter(&pixmap);
            painter.setRenderHint(QPainter::Antialiasing);
            painter.setPen(m_series[i]->pen());
            painter.drawLine(QPointF(1, swatch.height() / 2.0), QPointF(swatch.width() - 1, swatch.height() / 2.0));
            painter.end();
            chip->setIcon(QIcon(pixmap));
            chip->setIconSize(swatch);
            chip->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        }
        const ipccore::WatchTarget target = targets[i];
        connect(chip, &QToolButton::clicked, this, [this, target] { m_monitor->unwatch(target); });
        m_chips->insertWidget(m_chips->count() - 1, chip);
    }
    for (int c = 0; c < ChartCount; ++c) {
        ChartBox& box = m_charts[c];
        box.view->setVisible(shown[c]);
        const auto lines = box.chart->series();
        if (lines.size() == 1) // the series' name is escaped already: a title is rich text too
            box.chart->setTitle((c == DepthChart ? tr("Depth of %1") : tr("Value of %1")).arg(lines.front()->name()));
        else
            box.chart->setTitle(c == DepthChart ? tr("Depth of the queues (each line as on its chip)")
                                                : tr("Value of the semaphores (each line as on its chip)"));
    }
    if (targets.empty()) {
        m_chartTimer.stop();
        m_processModel->clear();
        m_cards->setObjects({}, true);
        m_others->clear();
    } else if (!m_chartTimer.isActive()) {
        m_chartTimer.start();
    }
    m_chartDirty = true;
    emit watchingChanged(!targets.empty());
}

void WatchPanel::onFrame()
{
    const auto frame = m_monitor->latest();
    if (!frame)
        return;
    std::vector<ipccore::ObjectStatus> queues;
    QStringList others;
    bool segments = false;
    for (std::size_t i = 0; i < frame->targets.size(); ++i) {
        const ipccore::WatchTarget& t = frame->targets[i];
        const ipccore::WatchReading& r = frame->readings[i];
        const QString reading = QString::fromStdString(ipccore::watchReadingText(t, r));
        if (t.kind == ipccore::SystemObjectKind::MessageQueue) {
            ipccore::ObjectStatus o;
            o.name = ipccore::printableText(t.name);
            o.osName = o.name;
            o.transport = ipccore::TransportKind::Mq;
            o.capacity = std::uint32_t(std::clamp<long>(r.capacity.value_or(0), 0, 1 << 16));
            o.depth = r.present && r.depth ? *r.depth : -1;
            if (r.present && r.depth)
                queues.push_back(std::move(o));
            else
                others << tr("queue %1: %2").arg(printableQString(t.name), reading);
            continue;
        }
        segments = segments || (t.kind == ipccore::SystemObjectKind::SharedMemory && r.present);
        QString line
            = QStringLiteral("%1 %2: %3")
                  .arg(QString::fromLatin1(ipccore::systemObjectKindName(t.kind)), printableQString(t.name), reading);
        if (t.kind == ipccore::SystemObjectKind::Semaphore && r.value)
            line += rateText(m_monitor->history(i), frame->t);
        others << line;
    }
    m_cards->setObjects(queues, true);
    m_cards->setVisible(!queues.empty());
    m_others->setText(others.join(QLatin1Char('\n')));
    m_others->setVisible(!others.isEmpty());
    m_peek->setVisible(segments);
    m_chartDirty = true;
}

void WatchPanel::refreshChart()
{
    if (!m_chartDirty || !isVisible())
        return;
    m_chartDirty = false;
    const auto frame = m_monitor->latest();
    const double now = frame ? frame->t : 0;
    const double from = std::max(0.0, now - WatchMonitor::HistorySeconds);
    double top[ChartCount] = { 4, 4 };
    const auto& targets = m_monitor->targets();
    for (std::size_t i = 0; i < m_series.size() && i < targets.size(); ++i) {
        if (!m_series[i])
            continue;
        const int c = targets[i].kind == ipccore::SystemObjectKind::MessageQueue ? DepthChart : ValueChart;
        QList<QPointF> points;
        for (const QPointF& p : m_monitor->history(i)) {
            if (p.x() < from || std::isnan(p.y()))
                continue;
            points.append(p);
            top[c] = std::max(top[c], p.y());
        }
        m_series[i]->replace(points);
    }
    for (int c = 0; c < ChartCount; ++c) {
        m_charts[c].x->setRange(from, std::max(from + WatchMonitor::HistorySeconds, now));
        m_charts[c].y->setRange(0, 4 * tickStep(top[c] * 1.1 / 4));
    }
}

int WatchPanel::chartPointCount(ChartId chart) const
{
    int n = 0;
    for (const QAbstractSeries* s : m_charts[chart].chart->series())
        n += int(static_cast<const QLineSeries*>(s)->count());
    return n;
}

QString WatchPanel::otherObjectsText() const
{
    return m_others->text();
}

void WatchPanel::peekSegment()
{
    std::vector<std::string> names;
    for (const auto& t : m_monitor->targets())
        if (t.kind == ipccore::SystemObjectKind::SharedMemory)
            names.push_back(t.name);
    if (names.size() == 1) {
        m_monitor->peekSegment(names.front());
        return;
    }
    QMenu menu(this);
    for (const std::string& name : names)
        menu.addAction(printableQString(name).replace(QLatin1Char('&'), QStringLiteral("&&")), this,
            [this, name] { m_monitor->peekSegment(name); });
    menu.exec(m_peek->mapToGlobal(QPoint(0, m_peek->height())));
}

} // namespace ipcui

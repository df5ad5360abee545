#include "widgets/race_view.h"

#include "model/bench_runner.h"
#include "model/bench_table_model.h"
#include "widgets/log_bar_chart.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace ipcui {

namespace {
constexpr quint32 RaceSizes[] = { 64, 4096, 65536 };

// One colour per size in both charts' legends would mislead on the latency chart, which shows one size: sizes get
// the first palette colours, p50/p99 a blue and an orange of their own.
QColor sizeColor(int index)
{
    return seriesColor(index);
}
const QColor P50Color { 0x15, 0x65, 0xc0 };
const QColor P99Color { 0xef, 0x6c, 0x00 };

// Draws a rule above the first row of each section (results, memcpy, Python, observation) and greys rows that were
// not measured, so the mixed table reads as groups without headers of its own.
class SectionDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (kind(index) == int(BenchTableModel::RowKind::NotApplicable))
            option->palette.setColor(QPalette::Text, Colors::muted());
    }

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::paint(painter, option, index);
        if (index.row() == 0)
            return;
        const auto group = [](int k) {
            return k == int(BenchTableModel::RowKind::NotApplicable) ? int(BenchTableModel::RowKind::Result) : k;
        };
        if (group(kind(index)) != group(kind(index.siblingAtRow(index.row() - 1)))) {
            painter->save();
            painter->setPen(QPen(Colors::muted(), 1));
            painter->drawLine(option.rect.topLeft(), option.rect.topRight());
            painter->restore();
        }
    }

private:
    static int kind(const QModelIndex& index) { return index.data(BenchTableModel::KindRole).toInt(); }
};

QString decadeRateLabel(double v)
{
    if (v >= 1e9)
        return QStringLiteral("%1 G").arg(v / 1e9, 0, 'g', 3);
    if (v >= 1e6)
        return QStringLiteral("%1 M").arg(v / 1e6, 0, 'g', 3);
    if (v >= 1e3)
        return QStringLiteral("%1 k").arg(v / 1e3, 0, 'g', 3);
    return QString::number(v, 'g', 3);
}

QString decadeLatencyLabel(double us)
{
    if (us >= 1e6)
        return QStringLiteral("%1 s").arg(us / 1e6, 0, 'g', 3);
    if (us >= 1e3)
        return QStringLiteral("%1 ms").arg(us / 1e3, 0, 'g', 3);
    if (us >= 1)
        return QStringLiteral("%1 µs").arg(us, 0, 'g', 3);
    return QStringLiteral("%1 ns").arg(us * 1e3, 0, 'g', 3);
}
} // namespace

RaceView::RaceView(BenchRunner* runner, QWidget* parent)
    : QWidget(parent)
    , m_runner(runner)
    , m_model(new BenchTableModel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(buildOptions());

    auto* progressRow = new QHBoxLayout;
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("raceProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("no race yet")); // "%v of %m steps" once one starts: "0 of 1" would count nothing
    m_progress->setFixedWidth(fontMetrics().horizontalAdvance(QStringLiteral("0000 of 0000 steps")) + 40);
    progressRow->addWidget(m_progress);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("raceStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true); // a long status wraps rather than widening the window
    progressRow->addWidget(m_status, 1);
    layout->addLayout(progressRow);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("raceProblem"));
    m_problem->setWordWrap(true);
    setThemedStyleSheet(
        m_problem, [] { return QStringLiteral("color: %1; font-weight: bold;").arg(cssColor(Colors::error())); });
    m_problem->hide();
    layout->addWidget(m_problem);
    layout->addWidget(buildResults(), 1);

    connect(m_runner, &BenchRunner::progress, this, &RaceView::onProgress);
    connect(m_runner, &BenchRunner::finished, this, &RaceView::onFinished);
    connect(
        m_runner, &BenchRunner::cancelled, this, [this] { onEnded(tr("Cancelled; nothing was left behind."), {}); });
    connect(m_runner, &BenchRunner::failed, this, [this](const QString& message) { onEnded(tr("Failed."), message); });
    connect(m_runner, &BenchRunner::runningChanged, this, &RaceView::updateControls);
    m_status->setText(tr("Choose what to race and press Start. Each transport runs one producer and one consumer "
                         "process; nothing else should run meanwhile."));
    updateControls();
}

QWidget* RaceView::buildOptions()
{
    auto* box = new QGroupBox(tr("Race options"), this);
    auto* grid = new QGridLayout(box);
    grid->setContentsMargins(8, 4, 8, 4);
    grid->setHorizontalSpacing(10);
    grid->setVerticalSpacing(4);

    auto* transports = new QHBoxLayout;
    for (const ipccore::TransportKind kind : ipccore::benchTransports()) {
        auto* check = new QCheckBox(QString::fromLatin1(ipccore::transportName(kind)), box);
        check->setObjectName(QStringLiteral("raceTransport-%1").arg(QString::fromLatin1(ipccore::transportName(kind))));
        check->setChecked(true);
        connect(check, &QCheckBox::toggled, this, &RaceView::updateControls);
        transports->addWidget(check);
        m_transports[kind] = check;
    }
    transports->addStretch(1);
    grid->addWidget(new QLabel(tr("Transports:"), box), 0, 0);
    grid->addLayout(transports, 0, 1);

    auto* sizes = new QHBoxLayout;
    for (const quint32 size : RaceSizes) {
        auto* check = new QCheckBox(benchSizeText(size), box);
        check->setObjectName(QStringLiteral("raceSize-%1").arg(size));
        check->setChecked(true);
        check->setToolTip(tr("Frame size in bytes, header included"));
        connect(check, &QCheckBox::toggled, this, &RaceView::updateControls);
        sizes->addWidget(check);
        m_sizes[size] = check;
    }
    sizes->addStretch(1);
    // One group per row, so that the tab fits a projector's 1280 pixels.
    grid->addWidget(new QLabel(tr("Sizes:"), box), 1, 0);
    grid->addLayout(sizes, 1, 1);

    auto* counts = new QHBoxLayout;
    m_messages = new QSpinBox(box);
    m_messages->setObjectName(QStringLiteral("raceMessages"));
    // Wide range: validateBenchOptions refuses out-of-range values with the reason rather than the box clamping.
    m_messages->setRange(0, std::numeric_limits<int>::max());
    m_messages->setValue(DefaultMessages);
    m_messages->setSingleStep(10000);
    m_messages->setGroupSeparatorShown(true);
    m_messages->setToolTip(tr("Messages per run at sizes up to 4 KiB; 64 KiB runs move the same bytes in fewer "
                              "messages. More messages, steadier figures, longer race."));
    connect(m_messages, &QSpinBox::valueChanged, this, &RaceView::updateControls);
    counts->addWidget(m_messages);
    counts->addSpacing(12);
    counts->addWidget(new QLabel(tr("Repeats:"), box));
    m_repeat = new QSpinBox(box);
    m_repeat->setObjectName(QStringLiteral("raceRepeat"));
    m_repeat->setRange(1, 10);
    m_repeat->setValue(DefaultRepeat);
    m_repeat->setToolTip(tr("Runs per transport and size, interleaved; the table shows the median"));
    connect(m_repeat, &QSpinBox::valueChanged, this, &RaceView::updateControls);
    counts->addWidget(m_repeat);
    counts->addStretch(1);
    grid->addWidget(new QLabel(tr("Messages:"), box), 2, 0);
    grid->addLayout(counts, 2, 1);

    auto* extras = new QHBoxLayout;
    m_baselines = new QCheckBox(tr("Bare baselines"), box);
    m_baselines->setObjectName(QStringLiteral("raceBaselines"));
    m_baselines->setChecked(true);
    m_baselines->setToolTip(tr("The same loops with bare system calls and nothing of ipccore, and memcpy: the ratio "
                               "shows what the lab's framing, checksums and telemetry cost"));
    m_python = new QCheckBox(tr("Python reference"), box);
    m_python->setObjectName(QStringLiteral("racePython"));
    m_python->setChecked(true);
    m_python->setToolTip(tr("python3's multiprocessing.Queue, Pipe and Value+Lock with 64-byte messages, and a "
                            "Manager's dict and Pool.map beside the same work as the lab's programs (skipped with a "
                            "note when python3 is missing; adds about 10 s)"));
    m_observation = new QCheckBox(tr("Observation cost"), box);
    m_observation->setObjectName(QStringLiteral("raceObservation"));
    m_observation->setChecked(true);
    m_observation->setToolTip(tr("What telemetry and the 1 kHz sampler cost the workers (adds about 6 s)"));
    m_programs = new QCheckBox(tr("Programs"), box);
    m_programs->setObjectName(QStringLiteral("racePrograms"));
    m_programs->setChecked(false);
    m_programs->setToolTip(tr("Each transport also through one-step programs (put, get), run back to back with the "
                              "producer and consumer loops: what a program costs (doubles the race's time)"));
    m_pin = new QCheckBox(tr("Pin to 2 CPUs"), box);
    m_pin->setObjectName(QStringLiteral("racePin"));
    m_pin->setChecked(false);
    m_pin->setToolTip(tr("Run every producer on one CPU and every consumer on another, so the scheduler cannot put "
                         "both on one core or move them between runs: steadier figures (needs two CPUs)"));
    for (QCheckBox* check : { m_baselines, m_python, m_observation, m_programs, m_pin }) {
        connect(check, &QCheckBox::toggled, this, &RaceView::updateControls);
        extras->addWidget(check);
    }
    extras->addStretch(1);
    m_start = new QPushButton(tr("▶  Start race"), box);
    m_start->setObjectName(QStringLiteral("raceStart"));
    m_start->setStyleSheet(QStringLiteral("QPushButton:enabled { background: #2e7d32; color: white; "
                                          "font-weight: bold; padding: 4px 14px; border-radius: 4px; }"));
    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    m_cancel = new QPushButton(tr("Cancel"), box);
    m_cancel->setObjectName(QStringLiteral("raceCancel"));
    m_cancel->setToolTip(tr("Stop the race; its processes are reaped and its objects unlinked"));
    connect(m_cancel, &QPushButton::clicked, this, &RaceView::cancel);
    extras->addWidget(m_start);
    extras->addWidget(m_cancel);
    grid->addWidget(new QLabel(tr("Compare with:"), box), 3, 0);
    grid->addLayout(extras, 3, 1);
    grid->setColumnStretch(1, 1);
    return box;
}

QWidget* RaceView::buildResults()
{
    auto* splitter = new QSplitter(Qt::Horizontal, this);

    auto* charts = new QWidget(splitter);
    auto* chartsLayout = new QVBoxLayout(charts);
    chartsLayout->setContentsMargins(0, 0, 0, 0);
    chartsLayout->setSpacing(2);
    m_throughput = new LogBarChart(
        tr("Throughput through ipccore (median)"), tr("transport"), tr("messages / s (log scale)"), decadeRateLabel,
        [](double v) { return tr("%1 msgs/s").arg(benchRateText(v)); }, charts);
    m_throughput->setObjectName(QStringLiteral("raceThroughputChart"));
    chartsLayout->addWidget(m_throughput, 1);

    auto* latencyRow = new QHBoxLayout;
    latencyRow->addStretch(1);
    latencyRow->addWidget(new QLabel(tr("Latency at message size:"), charts));
    m_latencySize = new QComboBox(charts);
    m_latencySize->setObjectName(QStringLiteral("raceLatencySize"));
    m_latencySize->setToolTip(tr("The ping-pong runs at every size; choose the one to show"));
    connect(m_latencySize, &QComboBox::currentIndexChanged, this, [this](int) { showLatency(); });
    latencyRow->addWidget(m_latencySize);
    chartsLayout->addLayout(latencyRow);
    m_latency = new LogBarChart(
        tr("One-way latency (ping-pong)"), tr("transport"), tr("microseconds (log scale)"), decadeLatencyLabel,
        [](double us) { return tr("%1 µs").arg(benchLatencyText(us)); }, charts);
    m_latency->setObjectName(QStringLiteral("raceLatencyChart"));
    chartsLayout->addWidget(m_latency, 1);
    for (LogBarChart* chart : { m_throughput, m_latency }) {
        chart->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(chart, &QWidget::customContextMenuRequested, this,
            [this, chart](const QPoint& pos) { showChartMenu(chart, pos); });
    }

    auto* right = new QWidget(splitter);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->setSpacing(4);
    m_table = new QTableView(right);
    m_table->setObjectName(QStringLiteral("raceTable"));
    m_table->setModel(m_model);
    m_table->setItemDelegate(new SectionDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setSectionResizeMode(BenchTableModel::ReferenceColumn, QHeaderView::Stretch);
    const QFontMetrics fm = m_table->fontMetrics();
    const int widths[] = { 21, 7, 7, 7, 6, 6, 30, 13 }; // the ratio column holds "0.92×", "30.2 %", "0.92× noisy"
    for (int column = 0; column < int(std::size(widths)); ++column)
        m_table->setColumnWidth(column, fm.averageCharWidth() * widths[column] + 12);
    rightLayout->addWidget(m_table, 1);

    m_summary = new QLabel(right);
    m_summary->setObjectName(QStringLiteral("raceSummary"));
    m_summary->setWordWrap(true);
    setThemedStyleSheet(m_summary, [] { return QStringLiteral("color: %1;").arg(cssColor(Colors::secondaryText())); });
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    rightLayout->addWidget(m_summary);

    auto* exports = new QHBoxLayout;
    exports->addStretch(1);
    m_exportPng = new QPushButton(tr("Export charts as PNG…"), right);
    m_exportPng->setToolTip(tr("Save both charts as PNG images (right-click a chart to save only that one)"));
    connect(m_exportPng, &QPushButton::clicked, this, &RaceView::exportPng);
    m_exportJson = new QPushButton(tr("Save report as JSON…"), right);
    m_exportJson->setToolTip(tr("The same JSON as ipclab-cli bench --json"));
    connect(m_exportJson, &QPushButton::clicked, this, &RaceView::exportJson);
    exports->addWidget(m_exportPng);
    exports->addWidget(m_exportJson);
    rightLayout->addLayout(exports);

    splitter->addWidget(charts);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({ 600, 780 });
    m_throughput->clearBars();
    m_latency->clearBars();
    return splitter;
}

QCheckBox* RaceView::transportBox(ipccore::TransportKind kind) const
{
    const auto it = m_transports.find(kind);
    return it == m_transports.end() ? nullptr : it->second;
}

QCheckBox* RaceView::sizeBox(quint32 bytes) const
{
    const auto it = m_sizes.find(bytes);
    return it == m_sizes.end() ? nullptr : it->second;
}

ipccore::BenchOptions RaceView::options() const
{
    ipccore::BenchOptions o;
    for (const auto& [kind, check] : m_transports) {
        if (check->isChecked())
            o.transports.push_back(kind);
    }
    o.sizes.clear();
    for (const auto& [size, check] : m_sizes) {
        if (check->isChecked())
            o.sizes.push_back(size);
    }
    o.messages = std::uint64_t(std::max(0, m_messages->value()));
    o.repeat = std::uint32_t(m_repeat->value());
    o.baselines = m_baselines->isChecked();
    o.python = m_python->isChecked();
    o.observation = m_observation->isChecked();
    o.programs = m_programs->isChecked();
    o.pin = m_pin->isChecked();
    o.workerPath = m_workerPath.toStdString();
    return o;
}

QString RaceView::problem() const
{
    const ipccore::BenchOptions o = options();
    // An empty list means "every transport" to runBench; in a form of checkboxes it means the user unticked them all.
    if (o.transports.empty())
        return tr("Transports: tick at least one.");
    if (o.sizes.empty())
        return tr("Sizes: tick at least one.");
    return BenchRunner::check(o);
}

QString RaceView::shownProblem() const
{
    return m_problem->isVisible() || !m_problem->text().isEmpty() ? m_problem->text() : QString();
}

QString RaceView::statusText() const
{
    return m_status->text();
}

void RaceView::setLiveRunActive(bool active)
{
    m_liveRunActive = active;
    updateControls();
}

void RaceView::updateControls()
{
    const bool running = m_runner->isRunning();
    const QString problem = running ? QString() : this->problem();
    m_problem->setText(problem.isEmpty() ? QString() : tr("Cannot start: %1").arg(problem));
    m_problem->setVisible(!problem.isEmpty());
    m_start->setEnabled(!running && !m_liveRunActive && problem.isEmpty());
    const QString liveRun = tr("Stop the live run first: a race and a live run at the same time would disturb each "
                               "other's numbers");
    // Said while a live run goes on, and taken back when it stops (it stayed, beside an enabled Start race).
    if (!(m_liveRunActive && !running) && m_status->text() == liveRun + QLatin1Char('.'))
        m_status->clear();
    if (m_liveRunActive && !running) {
        m_start->setToolTip(liveRun);
        m_status->setText(liveRun + QLatin1Char('.'));
    } else if (!problem.isEmpty()) {
        m_start->setToolTip(problem);
    } else {
        m_start->setToolTip(tr("Race the chosen transports; progress shows below"));
    }
    m_cancel->setEnabled(running && !m_runner->isCancelling());
    for (QWidget* w : { static_cast<QWidget*>(m_messages), static_cast<QWidget*>(m_repeat),
             static_cast<QWidget*>(m_baselines), static_cast<QWidget*>(m_python), static_cast<QWidget*>(m_observation),
             static_cast<QWidget*>(m_programs), static_cast<QWidget*>(m_pin) })
        w->setEnabled(!running);
    for (const auto& entry : m_transports)
        entry.second->setEnabled(!running);
    for (const auto& entry : m_sizes)
        entry.second->setEnabled(!running);
    m_exportPng->setEnabled(m_report.has_value());
    m_exportJson->setEnabled(m_report.has_value());
}

QString RaceView::start()
{
    if (m_liveRunActive) {
        const QString reason = tr("Stop the live run first: a race and a live run at the same time would disturb "
                                  "each other's numbers.");
        m_problem->setText(reason);
        m_problem->show();
        return reason;
    }
    const QString problem = this->problem();
    if (!problem.isEmpty()) {
        m_problem->setText(tr("Cannot start: %1").arg(problem));
        m_problem->show();
        return problem;
    }
    const QString refused = m_runner->start(options());
    if (!refused.isEmpty()) {
        m_problem->setText(tr("Cannot start: %1").arg(refused));
        m_problem->show();
        return refused;
    }
    clearReport(); // a new race's numbers replace the old ones, and a cancelled race has none
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("starting"));
    m_status->setText(tr("Starting…"));
    updateControls();
    return {};
}

void RaceView::clearReport()
{
    m_report.reset();
    m_model->clear();
    m_throughput->clearBars();
    showLatency();
    m_summary->clear();
    m_summary->setToolTip({});
}

void RaceView::cancel()
{
    if (!m_runner->isRunning())
        return;
    m_runner->cancel();
    m_status->setText(tr("Cancelling: stopping the processes and unlinking the objects…"));
    updateControls();
}

void RaceView::onProgress(int step, int steps, const QString& what)
{
    m_progress->setRange(0, std::max(1, steps));
    m_progress->setValue(step);
    m_progress->setFormat(tr("%v of %m steps"));
    m_status->setText(what);
}

void RaceView::onFinished(const ipccore::BenchReport& report)
{
    m_progress->setFormat(tr("%v of %m steps"));
    m_progress->setValue(m_progress->maximum());
    showReport(report);
    m_status->setText(tr("Done in %1 s.").arg(report.durationS, 0, 'f', 1));
    emit notice(tr("The race finished in %1 s").arg(report.durationS, 0, 'f', 1));
}

void RaceView::onEnded(const QString& status, const QString& error)
{
    m_progress->setValue(0);
    m_progress->setFormat(tr("no report")); // cancelled or failed: the status beside it says which
    m_status->setText(status);
    if (!error.isEmpty())
        emit errorOccurred(error);
    updateControls();
}

void RaceView::showReport(const ipccore::BenchReport& report)
{
    m_report = report;
    m_model->setReport(report);

    // Transports and sizes in the order of the report, which follows the form's.
    QList<ipccore::TransportKind> transports;
    QList<quint32> sizes;
    for (const ipccore::BenchResult& r : report.results) {
        if (!transports.contains(r.transport))
            transports.append(r.transport);
        if (!sizes.contains(r.size))
            sizes.append(r.size);
    }
    std::sort(sizes.begin(), sizes.end());
    QStringList categories;
    for (const ipccore::TransportKind t : transports)
        categories << QString::fromLatin1(ipccore::transportName(t));
    QList<LogBarChart::BarSet> sets;
    for (int s = 0; s < sizes.size(); ++s) {
        LogBarChart::BarSet set { benchSizeText(sizes[s]), sizeColor(s), {} };
        for (const ipccore::TransportKind t : transports) {
            double value = 0;
            for (const ipccore::BenchResult& r : report.results) {
                if (r.transport == t && r.size == sizes[s] && r.applicable)
                    value = r.msgsPerS.median;
            }
            set.values.append(value);
        }
        sets.append(set);
    }
    m_throughput->setBars(categories, sets);

    const QSignalBlocker blocker(m_latencySize);
    const quint32 previous = m_latencySize->currentData().toUInt();
    m_latencySize->clear();
    for (const quint32 size : sizes)
        m_latencySize->addItem(benchSizeText(size), size);
    const int keep = m_latencySize->findData(previous);
    m_latencySize->setCurrentIndex(keep >= 0 ? keep : 0);
    showLatency();

    int met = 0, measured = 0;
    QStringList goals;
    for (const ipccore::BenchGoal& g : report.goals) {
        if (!g.measured) {
            goals << tr("not run  %1").arg(QString::fromStdString(g.text));
            continue;
        }
        ++measured;
        met += g.met ? 1 : 0;
        goals << tr("%1  %2: %3%4")
                     .arg(g.met ? tr("met   ") : tr("MISSED"), QString::fromStdString(g.text))
                     .arg(g.value, 0, 'g', 3)
                     .arg(g.noisy ? tr(" (noisy)") : QString());
    }
    QString summary = tr("%1 · %2 repeats in %3 s · load %4 before, %5 after")
                          .arg(QString::fromStdString(report.machine))
                          .arg(report.repeat)
                          .arg(report.durationS, 0, 'f', 1)
                          .arg(QString::fromStdString(report.loadBefore), QString::fromStdString(report.loadAfter));
    if (report.producerCpu >= 0)
        summary += tr(" · pinned: producers on CPU %1, consumers on CPU %2")
                       .arg(report.producerCpu)
                       .arg(report.consumerCpu);
    if (measured > 0)
        summary += tr(" · speed goals met: %1 of %2 (hover for the list)").arg(met).arg(measured);
    const int noisy = m_model->noisyRowCount();
    if (noisy > 0)
        summary += (report.producerCpu >= 0
                ? tr("\n%n row(s) noisy: a repeat strayed more than ±%1 % from the median, so their ratios may be "
                     "far off; race again on a quieter machine or with more repeats",
                    nullptr, noisy)
                : tr("\n%n row(s) noisy: a repeat strayed more than ±%1 % from the median, so their ratios may be "
                     "far off; race again on a quieter machine, with more repeats, or pinned to 2 CPUs",
                    nullptr, noisy))
                       .arg(ipccore::BenchStats::NoisySpread * 100, 0, 'f', 0);
    if (!report.pythonNote.empty() && report.python.empty())
        summary += tr("\nPython: %1").arg(QString::fromStdString(report.pythonNote));
    if (!report.observation.note.empty())
        summary += tr("\nObservation: %1").arg(QString::fromStdString(report.observation.note));
    m_summary->setText(summary);
    m_summary->setToolTip(goals.join(QLatin1Char('\n')));
    updateControls();
}

void RaceView::showLatency()
{
    if (!m_report) {
        m_latency->clearBars();
        return;
    }
    const quint32 size = m_latencySize->currentData().toUInt();
    QStringList categories;
    LogBarChart::BarSet p50 { tr("p50 (median)"), P50Color, {} };
    LogBarChart::BarSet p99 { tr("p99"), P99Color, {} };
    for (const ipccore::BenchResult& r : m_report->results) {
        if (r.size != size)
            continue;
        categories << QString::fromLatin1(ipccore::transportName(r.transport));
        p50.values.append(r.applicable ? r.p50Us : 0);
        p99.values.append(r.applicable ? r.p99Us : 0);
    }
    m_latency->setBars(categories, { p50, p99 });
}

bool RaceView::saveChartPng(LogBarChart* chart, const QString& path) const
{
    return chart->grab().save(path, "PNG");
}

QStringList RaceView::saveChartsPng(const QString& basePath) const
{
    QString base = basePath;
    if (base.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
        base.chop(4);
    QStringList written;
    const std::pair<LogBarChart*, QString> charts[]
        = { { m_throughput, QStringLiteral("throughput") }, { m_latency, QStringLiteral("latency") } };
    for (const auto& [chart, tag] : charts) {
        const QString path = QStringLiteral("%1-%2.png").arg(base, tag);
        if (saveChartPng(chart, path))
            written << path;
    }
    return written;
}

void RaceView::exportPng()
{
    const QString base = QFileDialog::getSaveFileName(this, tr("Export race charts as PNG (one file per chart)"),
        QStringLiteral("ipclab-race.png"), tr("PNG images (*.png)"));
    if (base.isEmpty())
        return;
    const QStringList written = saveChartsPng(base);
    if (written.size() != 2)
        emit errorOccurred(tr("Could not write both chart images next to %1.").arg(base));
    else
        emit notice(tr("Saved %1").arg(written.join(QStringLiteral(", "))));
}

void RaceView::exportJson()
{
    if (!m_report)
        return;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save race report as JSON"), QStringLiteral("ipclab-race.json"), tr("JSON files (*.json)"));
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    const QByteArray json = QByteArray::fromStdString(ipccore::benchReportToJson(*m_report));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text) || file.write(json) != json.size() || !file.commit())
        emit errorOccurred(tr("Could not write %1: %2").arg(path, file.errorString()));
    else
        emit notice(tr("Saved %1").arg(path));
}

void RaceView::showChartMenu(LogBarChart* chart, const QPoint& pos)
{
    QMenu menu(this);
    QAction* save = menu.addAction(tr("Save this chart as PNG…"));
    save->setEnabled(m_report.has_value());
    if (menu.exec(chart->mapToGlobal(pos)) != save)
        return;
    const QString tag = chart == m_throughput ? QStringLiteral("throughput") : QStringLiteral("latency");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save chart"), QStringLiteral("ipclab-race-%1.png").arg(tag), tr("PNG images (*.png)"));
    if (!path.isEmpty() && !saveChartPng(chart, path))
        emit errorOccurred(tr("Could not write %1.").arg(path));
}

} // namespace ipcui

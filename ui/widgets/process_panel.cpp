#include "widgets/process_panel.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include "model/process_table_model.h"
#include "widgets/state_delegate.h"

#include <QDoubleSpinBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QResizeEvent>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ipcui {

namespace {
// The rate slider is logarithmic: 1 msg/s at the left, 1,000,000 msgs/s at the right.
constexpr int SliderStepsPerDecade = 20;
constexpr int SliderDecades = 6;

int sliderFromRate(double rate)
{
    if (rate <= 0)
        return SliderDecades * SliderStepsPerDecade;
    return std::clamp(
        int(std::lround(std::log10(rate) * SliderStepsPerDecade)), 0, SliderDecades * SliderStepsPerDecade);
}

double rateFromSlider(int position)
{
    const double raw = std::pow(10.0, double(position) / SliderStepsPerDecade);
    // Round to two significant digits so the spin box shows 250, not 251.188643.
    const double scale = std::pow(10.0, std::floor(std::log10(raw)) - 1);
    return std::round(raw / scale) * scale;
}

// The table as the view shows it: sorted by the model's raw numbers (a rate, a pid), and filtered on the columns a
// user names a process by: its name, role, object and state ("consumer", "buffer-3", "blocked").
class ProcessViewModel : public QSortFilterProxyModel {
public:
    explicit ProcessViewModel(QObject* parent)
        : QSortFilterProxyModel(parent)
    {
        setSortRole(ProcessTableModel::SortRole);
    }

    void setNeedle(const QString& needle)
    {
        if (needle == m_needle)
            return;
        m_needle = needle;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override
    {
        if (m_needle.isEmpty())
            return true;
        for (const int column : { int(ProcessTableModel::NameColumn), int(ProcessTableModel::RoleColumn),
                 int(ProcessTableModel::TransportColumn), int(ProcessTableModel::StateColumn) }) {
            if (sourceModel()->index(row, column, parent).data().toString().contains(m_needle, Qt::CaseInsensitive))
                return true;
        }
        return false;
    }

private:
    QString m_needle;
};

QFrame* separator(QWidget* parent)
{
    auto* line = new QFrame(parent);
    line->setFrameShape(QFrame::VLine);
    line->setFrameShadow(QFrame::Sunken);
    return line;
}
} // namespace

ProcessPanel::ProcessPanel(ProcessTableModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    // Two groups: the buttons, and the live controls (rate, size, work). Side by side when the panel is wide enough,
    // the controls under the buttons when not (a projector's 1280 pixels, with the Lessons panel open).
    m_buttonsRow = new QWidget(this);
    auto* actions = new QHBoxLayout(m_buttonsRow);
    actions->setContentsMargins(0, 0, 0, 0);
    m_controlsRow = new QWidget(this);
    auto* controls = new QHBoxLayout(m_controlsRow);
    controls->setContentsMargins(0, 0, 0, 0);
    auto button = [this, actions](const QString& text, const QString& name, const QString& tip) {
        auto* b = new QPushButton(text, m_buttonsRow);
        b->setObjectName(name);
        b->setToolTip(tip);
        actions->addWidget(b);
        return b;
    };
    // Their tooltips come from updateActions (which says why one is off).
    m_addProducer = button(tr("+ Producer"), QStringLiteral("addProducer"), QString());
    m_addConsumer = button(tr("+ Consumer"), QStringLiteral("addConsumer"), QString());
    m_addProgram = button(tr("+ Program"), QStringLiteral("addProgram"),
        tr("Start another process running the selected program's steps (or the experiment's first program's)"));
    actions->addWidget(separator(this));
    m_pause = button(tr("Pause"), QStringLiteral("pauseWorker"), tr("SIGSTOP the selected processes"));
    m_resume = button(tr("Resume"), QStringLiteral("resumeWorker"), tr("SIGCONT the selected processes"));
    m_terminate = button(tr("Terminate"), QStringLiteral("terminateWorker"),
        tr("SIGTERM: the process finishes the message in hand, then exits"));
    m_kill = button(tr("Kill -9"), QStringLiteral("killWorker"),
        tr("SIGKILL: the process dies at once, possibly holding a lock or a message"));
    setThemedStyleSheet(m_kill, [] {
        return QStringLiteral("QPushButton:enabled { color: %1; font-weight: bold; }").arg(cssColor(Colors::error()));
    });
    actions->addWidget(separator(m_buttonsRow));
    m_filter = new QLineEdit(m_buttonsRow);
    m_filter->setObjectName(QStringLiteral("processFilter"));
    m_filter->setPlaceholderText(tr("Filter processes"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Show only the processes whose name, role, object or state contains this text "
                            "(\"consumer\", \"buffer-3\", \"blocked\"). A state can change many times a second: "
                            "the filter is applied again once a second, to the state at that moment, so a row kept "
                            "as \"blocked\" may read \"running\" in between; to find who waits most, sort by "
                            "% blocked. Click a column's header to sort by it."));
    m_filter->setFixedWidth(fontMetrics().horizontalAdvance(QStringLiteral("Filter processes")) + 50);
    actions->addWidget(m_filter);
    actions->addStretch(1);

    controls->addWidget(new QLabel(tr("Rate:"), m_controlsRow));
    m_rateSlider = new QSlider(Qt::Horizontal, m_controlsRow);
    m_rateSlider->setRange(0, SliderDecades * SliderStepsPerDecade);
    m_rateSlider->setMinimumWidth(100);
    m_rateSlider->setToolTip(tr("Messages per second of the selected processes (logarithmic: 1 to 1,000,000)"));
    controls->addWidget(m_rateSlider, 1);
    m_rate = new QDoubleSpinBox(m_controlsRow);
    m_rate->setObjectName(QStringLiteral("liveRate"));
    // Wide range: ipccore validates and a refusal is shown, rather than the box clamping silently.
    m_rate->setRange(0, 1e12);
    m_rate->setDecimals(1);
    m_rate->setSuffix(tr(" msgs/s"));
    m_rate->setSpecialValueText(tr("unlimited"));
    m_rate->setKeyboardTracking(false);
    m_rate->setToolTip(tr("0 = as fast as possible"));
    controls->addWidget(m_rate);
    controls->addWidget(new QLabel(tr("Size:"), m_controlsRow));
    m_size = new QSpinBox(m_controlsRow);
    m_size->setObjectName(QStringLiteral("liveSize"));
    m_size->setRange(0, std::numeric_limits<int>::max());
    m_size->setSuffix(tr(" B"));
    m_size->setSpecialValueText(tr("\u2014")); // no producer selected: no size to show
    m_size->setKeyboardTracking(false);
    m_size->setToolTip(tr("Frame size in bytes (header included) of the selected producers. A consumer takes the "
                          "frames that come; a program's frames are sized by its objects"));
    controls->addWidget(m_size);
    controls->addWidget(new QLabel(tr("Work:"), m_controlsRow));
    m_work = new QSpinBox(m_controlsRow);
    m_work->setObjectName(QStringLiteral("liveWork"));
    // Like the others: ipccore validates (it knows the upper bound) and a refusal is shown, nothing is clamped.
    m_work->setRange(0, std::numeric_limits<int>::max());
    m_work->setSuffix(tr(" µs"));
    m_work->setKeyboardTracking(false);
    m_work->setToolTip(tr("Simulated work per message of the selected processes, in microseconds (0 to 1,000,000): "
                          "slow consumers let the buffer fill"));
    controls->addWidget(m_work);
    // The ranges are wide on purpose (ipccore refuses what is out of bounds, with a message); their widest values
    // would make the boxes wide: size them to what is typed in practice.
    const QFontMetrics boxFont = fontMetrics();
    m_rate->setMinimumWidth(boxFont.horizontalAdvance(QStringLiteral("1000000.0 msgs/s")) + 30);
    m_size->setMinimumWidth(boxFont.horizontalAdvance(QStringLiteral("1000000 B")) + 30);
    m_work->setMinimumWidth(boxFont.horizontalAdvance(QStringLiteral("1000000 µs")) + 30);
    m_rows = new QVBoxLayout;
    m_rows->setSpacing(4);
    m_firstRow = new QHBoxLayout;
    m_firstRow->addWidget(m_buttonsRow, 0);
    m_firstRow->addWidget(m_controlsRow, 1);
    m_rows->addLayout(m_firstRow);
    layout->addLayout(m_rows);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("processTable"));
    auto* view = new ProcessViewModel(this);
    m_view = view;
    // Sorted and filtered again once a second, not at every cell that changes: the model announces each row's
    // change 20 times a second, and re-sorting 64 rows at each moved them under the pointer (and cost the window
    // CPU). A click on a header, new text in the filter and new rows take effect at once.
    m_view->setDynamicSortFilter(false);
    m_view->setSourceModel(model);
    auto* resort = new QTimer(this);
    resort->start(ResortIntervalMs);
    connect(resort, &QTimer::timeout, view, [this, view] {
        if (m_table->horizontalHeader()->sortIndicatorSection() >= 0 || !m_filter->text().trimmed().isEmpty())
            view->invalidate();
    });
    m_table->setModel(m_view);
    // Unsorted until a header is clicked: the run's order (scenario order, then processes added) is the default.
    m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->horizontalHeader()->setSortIndicatorClearable(true);
    m_table->setSortingEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, view, [view](const QString& text) { view->setNeedle(text.trimmed()); });
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setItemDelegateForColumn(ProcessTableModel::StateColumn, new StateDelegate(m_table));
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 10);
    // Room for five processes with their header, whatever the window's height (a projector's 720 lines): the charts
    // give way first.
    m_table->setMinimumHeight(m_table->horizontalHeader()->sizeHint().height()
        + MinVisibleRows * m_table->verticalHeader()->defaultSectionSize() + 2 * m_table->frameWidth() + 2);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->setAlternatingRowColors(true);
    const QFontMetrics fm = m_table->fontMetrics();
    // Characters per column, in ProcessTableModel::Column order; Exit takes the rest.
    const int widths[] = { 12, 13, 7, 7, 9, 22, 23, 25, 11, 17, 19, 10, 7, 9, 10, 8, 17 };
    static_assert(std::size(widths) == ProcessTableModel::ExitColumn);
    for (int column = 0; column < int(std::size(widths)); ++column)
        m_table->setColumnWidth(column, fm.averageCharWidth() * widths[column] + 12);
    // An average character is narrower than "consumer"'s: the role column fits its longest word.
    int roleWidth = 0;
    for (const ipccore::Role role : { ipccore::Role::Producer, ipccore::Role::Consumer, ipccore::Role::Program })
        roleWidth = std::max(roleWidth, fm.horizontalAdvance(ProcessTableModel::roleText(role)));
    m_table->setColumnWidth(
        ProcessTableModel::RoleColumn, std::max(m_table->columnWidth(ProcessTableModel::RoleColumn), roleWidth + 16));
    // The State pill reads whole in its longest words (drawn bold).
    QFont bold = m_table->font();
    bold.setBold(true);
    const QFontMetrics boldMetrics(bold);
    int stateWidth = 0;
    for (const QString& text :
        { ProcessTableModel::tr("waiting for a receiver"), ProcessTableModel::tr("waiting for a permit"),
            ProcessTableModel::stateText(ipccore::WorkerState::WaitingLock),
            ProcessTableModel::stateText(ipccore::WorkerState::Sleeping) })
        stateWidth = std::max(stateWidth, boldMetrics.horizontalAdvance(text));
    m_table->setColumnWidth(ProcessTableModel::StateColumn,
        std::max(m_table->columnWidth(ProcessTableModel::StateColumn), stateWidth + 28));
    // Exit stretches over what is left; set small, so that it never pushes the table into scrolling sideways.
    m_table->setColumnWidth(ProcessTableModel::ExitColumn, fm.horizontalAdvance(QStringLiteral("Exit")) + 24);
    m_defaultStepWidth = m_table->columnWidth(ProcessTableModel::StepColumn);
    m_defaultNameWidth = m_table->columnWidth(ProcessTableModel::NameColumn);
    m_defaultTransportWidth = m_table->columnWidth(ProcessTableModel::TransportColumn);
    layout->addWidget(m_table, 1);

    connect(m_addProducer, &QPushButton::clicked, this,
        [this] { emit addRequested(ipccore::Role::Producer, selectedWorkers()); });
    connect(m_addConsumer, &QPushButton::clicked, this,
        [this] { emit addRequested(ipccore::Role::Consumer, selectedWorkers()); });
    connect(m_addProgram, &QPushButton::clicked, this,
        [this] { emit addRequested(ipccore::Role::Program, selectedWorkers()); });
    connect(m_pause, &QPushButton::clicked, this, [this] { emit pauseRequested(selectedWorkers()); });
    connect(m_resume, &QPushButton::clicked, this, [this] { emit resumeRequested(selectedWorkers()); });
    connect(m_terminate, &QPushButton::clicked, this, [this] { emit terminateRequested(selectedWorkers()); });
    connect(m_kill, &QPushButton::clicked, this, [this] { emit killRequested(selectedWorkers()); });
    connect(m_rateSlider, &QSlider::valueChanged, this, [this](int position) {
        if (!m_loading)
            m_rate->setValue(rateFromSlider(position));
    });
    connect(m_rate, &QDoubleSpinBox::valueChanged, this, [this](double rate) {
        if (m_loading)
            return;
        m_loading = true;
        m_rateSlider->setValue(sliderFromRate(rate));
        m_loading = false;
        if (!selectedWorkers().isEmpty())
            emit rateRequested(selectedWorkers(), rate);
    });
    connect(m_size, &QSpinBox::valueChanged, this, [this](int bytes) {
        if (m_loading)
            return;
        QList<int> producers; // what else is selected sends no frames of a size it is told
        for (const int row : selectedWorkers()) {
            if (row < m_model->rowCount() && m_model->worker(row).role == ipccore::Role::Producer)
                producers.append(row);
        }
        if (!producers.isEmpty())
            emit messageSizeRequested(producers, quint32(std::max(0, bytes)));
    });
    connect(m_work, &QSpinBox::valueChanged, this, [this](int microseconds) {
        if (!m_loading && !selectedWorkers().isEmpty())
            emit workUsRequested(selectedWorkers(), quint32(std::max(0, microseconds)));
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        loadControlsFromSelection();
        updateActions();
    });
    connect(model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex&, int first) {
        updateActions();
        if (first == 0) // a new run: its steps may be longer than the last one's, its objects shorter
            fitColumnsToRun();
    });
    connect(model, &QAbstractItemModel::rowsRemoved, this, &ProcessPanel::updateActions);
    connect(model, &ProcessTableModel::unusedColumnsChanged, this, &ProcessPanel::hideUnusedColumns);
    hideUnusedColumns();
    updateActions();
}

// Tasks only for a pool, Size only for workers that send messages of a size, Priority only where one is above 0,
// Step only where a program runs, Latency only where a consumer does.
void ProcessPanel::hideUnusedColumns()
{
    for (const int column : { int(ProcessTableModel::TasksColumn), int(ProcessTableModel::SizeColumn),
             int(ProcessTableModel::PriorityColumn), int(ProcessTableModel::StepColumn),
             int(ProcessTableModel::LatencyColumn), int(ProcessTableModel::HostColumn) })
        m_table->setColumnHidden(column, m_model->isColumnUnused(column));
}

// The Step column as wide as the longest step of the run's programs ("1/1 map tasks results 256 chunk 32"), so the
// step a process is on reads whole, never narrower than its default; the Transport column no wider than the run's
// objects need ("tasks, results"), which leaves the room to a pool's Tasks column.
void ProcessPanel::fitColumnsToRun()
{
    // A step that lasts shows for how long, "(12.5 s)", elided at the right if it must: the step itself reads.
    const int needed = m_table->fontMetrics().horizontalAdvance(m_model->widestStepText()) + 14;
    m_table->setColumnWidth(ProcessTableModel::StepColumn, std::max(m_defaultStepWidth, needed));
    // The header's own words, not its size hint: that keeps room for a sort arrow in every column.
    int transport = m_table->fontMetrics().horizontalAdvance(
                        m_view->headerData(ProcessTableModel::TransportColumn, Qt::Horizontal).toString())
        + 24;
    for (int row = 0; row < m_model->rowCount(); ++row)
        transport = std::max(transport,
            m_table->fontMetrics().horizontalAdvance(
                m_model->index(row, ProcessTableModel::TransportColumn).data().toString())
                + 14);
    m_table->setColumnWidth(ProcessTableModel::TransportColumn, std::min(m_defaultTransportWidth, transport));
    // Names read whole ("philosopher-5" was cut to "philosoph…", so the rows could not be told apart).
    int name = m_defaultNameWidth;
    for (int row = 0; row < m_model->rowCount(); ++row)
        name = std::max(name,
            m_table->fontMetrics().horizontalAdvance(
                m_model->index(row, ProcessTableModel::NameColumn).data().toString())
                + 16);
    m_table->setColumnWidth(ProcessTableModel::NameColumn, name);
}

QList<int> ProcessPanel::selectedWorkers() const
{
    QList<int> rows;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows())
        rows.append(m_view->mapToSource(index).row());
    std::sort(rows.begin(), rows.end());
    return rows;
}

void ProcessPanel::setAddable(bool producers, bool consumers, bool programs)
{
    m_canAddProducers = producers;
    m_canAddConsumers = consumers;
    m_canAddPrograms = programs;
    updateActions();
}

void ProcessPanel::setRunActive(bool active)
{
    m_active = active;
    updateActions();
}

void ProcessPanel::updateActions()
{
    const bool selected = !selectedWorkers().isEmpty();
    m_addProducer->setEnabled(m_active && m_canAddProducers);
    m_addConsumer->setEnabled(m_active && m_canAddConsumers);
    // A disabled button says why (a tooltip shows on a disabled button too).
    const auto explain = [this](QPushButton* b, bool room, const QString& role) {
        b->setToolTip(!m_active || room
                ? tr("Start another %1 like the selected one (or the scenario's first %1)").arg(role)
                : tr("No object of this experiment takes another %1 (a ZeroMQ object keeps the consumers it "
                     "started with; a pipe, socketpair or shm-spsc ring takes one of each)")
                      .arg(role));
    };
    explain(m_addProducer, m_canAddProducers, tr("producer"));
    explain(m_addConsumer, m_canAddConsumers, tr("consumer"));
    m_addProgram->setEnabled(m_active && m_canAddPrograms);
    for (QWidget* w : { static_cast<QWidget*>(m_pause), static_cast<QWidget*>(m_resume),
             static_cast<QWidget*>(m_terminate), static_cast<QWidget*>(m_kill), static_cast<QWidget*>(m_rate),
             static_cast<QWidget*>(m_rateSlider), static_cast<QWidget*>(m_work) })
        w->setEnabled(m_active && selected);
    // Only a producer sends frames of a size it is told; the box would otherwise show a size nothing uses.
    m_size->setEnabled(m_active && firstSelectedProducer() >= 0);
}

int ProcessPanel::firstSelectedProducer() const
{
    for (const int row : selectedWorkers()) {
        if (row < m_model->rowCount() && m_model->worker(row).role == ipccore::Role::Producer)
            return row;
    }
    return -1;
}

void ProcessPanel::loadControlsFromSelection()
{
    const QList<int> rows = selectedWorkers();
    if (rows.isEmpty() || rows.first() >= m_model->rowCount())
        return;
    const ipccore::WorkerStatus& worker = m_model->worker(rows.first());
    m_loading = true;
    m_rate->setValue(worker.rate);
    m_rateSlider->setValue(sliderFromRate(worker.rate));
    const int producer = firstSelectedProducer();
    m_size->setValue(producer >= 0 ? int(m_model->worker(producer).messageSize) : m_size->minimum());
    m_work->setValue(int(std::min<std::uint64_t>(worker.workUs, std::uint64_t(std::numeric_limits<int>::max()))));
    m_loading = false;
}

QSize ProcessPanel::minimumSizeHint() const
{
    // As narrow as the wider of the two groups: below that the controls go under the buttons (resizeEvent).
    QSize size = QWidget::minimumSizeHint();
    size.setWidth(std::max(m_buttonsRow->minimumSizeHint().width(), m_controlsRow->minimumSizeHint().width()));
    return size;
}

void ProcessPanel::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    const int spacing = m_firstRow->spacing() > 0 ? m_firstRow->spacing() : 6;
    const bool oneRow
        = width() >= m_buttonsRow->sizeHint().width() + m_controlsRow->minimumSizeHint().width() + spacing;
    const bool isOneRow = m_firstRow->indexOf(m_controlsRow) >= 0;
    if (oneRow == isOneRow)
        return;
    if (oneRow) {
        m_rows->removeWidget(m_controlsRow);
        m_firstRow->addWidget(m_controlsRow, 1);
    } else {
        m_firstRow->removeWidget(m_controlsRow);
        m_rows->addWidget(m_controlsRow);
    }
}

} // namespace ipcui

#include "widgets/system_view.h"

#include "model/system_monitor.h"
#include "model/system_object_model.h"

#include <QCheckBox>
#include <QColor>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPalette>
#include <QPushButton>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTime>
#include <QVBoxLayout>

namespace ipcui {

namespace {

// IPC Lab's own objects in grey, so the user's own stand out.
class LabGreyDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (index.data(SystemObjectModel::LabRole).toBool()) {
            // Halfway between the text and the background: set apart, still readable on a projector.
            const QColor text = option->palette.color(QPalette::Text);
            const QColor base = option->palette.color(QPalette::Base);
            option->palette.setColor(QPalette::Text,
                QColor((text.red() * 3 + base.red() * 2) / 5, (text.green() * 3 + base.green() * 2) / 5,
                    (text.blue() * 3 + base.blue() * 2) / 5));
        }
    }
};

} // namespace

SystemView::SystemView(QWidget* parent)
    : QWidget(parent)
    , m_monitor(new SystemMonitor(this))
    , m_model(new SystemObjectModel(this))
    , m_filter(new SystemObjectFilter(this))
{
    setObjectName(QStringLiteral("systemView"));
    auto* layout = new QVBoxLayout(this);

    auto* top = new QHBoxLayout;
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("systemFilter"));
    m_filterEdit->setPlaceholderText(tr("Filter by name, owner, pid or command"));
    m_filterEdit->setClearButtonEnabled(true);
    top->addWidget(m_filterEdit, 1);
    m_showLab = new QCheckBox(tr("Show IPC Lab's own objects (in grey)"), this);
    m_showLab->setChecked(true);
    top->addWidget(m_showLab);
    m_status = new QLabel(tr("Listing..."), this);
    m_status->setObjectName(QStringLiteral("systemStatus"));
    top->addWidget(m_status);
    m_watch = new QPushButton(tr("Watch in Live view"), this);
    m_watch->setObjectName(QStringLiteral("watchInLive"));
    m_watch->setToolTip(
        tr("Follow the selected objects in the Live tab: depth or value 20 times a second, a chart, and the processes "
           "using them (or double-click a row; Ctrl+click or Shift+click selects several)"));
    m_watch->setEnabled(false);
    top->addWidget(m_watch);
    layout->addLayout(top);

    m_filter->setSourceModel(m_model);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("systemTable"));
    m_table->setModel(m_filter);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder); // the listing's own order until a header is clicked
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection); // watch a program's objects at once
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setItemDelegate(new LabGreyDelegate(m_table));
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    const int em = fontMetrics().horizontalAdvance(QLatin1Char('M'));
    const int widths[] = { 8, 24, 6, 5, 7, 14 }; // Kind .. Depth / value, in ems; Used by takes the rest
    for (int c = 0; c < int(std::size(widths)); ++c)
        m_table->setColumnWidth(c, widths[c] * em);
    layout->addWidget(m_table, 1);

    m_details = new QLabel(this);
    m_details->setObjectName(QStringLiteral("systemDetails"));
    m_details->setTextFormat(Qt::PlainText); // names are other users' text: "<img src=...>" must stay text
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setMinimumHeight(4 * fontMetrics().lineSpacing());
    m_details->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    layout->addWidget(m_details);

    m_notes = new QLabel(this);
    m_notes->setObjectName(QStringLiteral("systemNotes"));
    m_notes->setTextFormat(Qt::PlainText);
    m_notes->setWordWrap(true);
    m_notes->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_notes->setStyleSheet(QStringLiteral("background: #fff3cd; color: #533f03; padding: 6px; border-radius: 3px;"));
    m_notes->hide();
    layout->addWidget(m_notes);

    connect(m_monitor, &SystemMonitor::listed, this, &SystemView::apply);
    connect(m_filterEdit, &QLineEdit::textChanged, m_filter, &SystemObjectFilter::setText);
    connect(m_showLab, &QCheckBox::toggled, m_filter, &SystemObjectFilter::setShowLab);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &SystemView::updateDetails);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &SystemView::updateDetails);
    // The count of rows shown follows the filter's text and box as well as the listings.
    const auto countShown = [this] {
        if (!m_listedAt.isEmpty())
            updateStatus();
    };
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, countShown);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, countShown);
    connect(m_filter, &QAbstractItemModel::modelReset, this, countShown);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, countShown);
    connect(m_watch, &QPushButton::clicked, this, &SystemView::watchSelected);
    connect(m_table, &QTableView::doubleClicked, this, &SystemView::watchSelected);
    updateDetails();
}

SystemView::~SystemView() = default;

void SystemView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    m_model->forgetChanges();
    m_monitor->start();
}

void SystemView::hideEvent(QHideEvent* event)
{
    QWidget::hideEvent(event);
    m_monitor->stop();
}

// "3 of 8 objects shown (5 of IPC Lab), listed at 22:08:35, every second"; the count follows the filter.
void SystemView::updateStatus()
{
    const int count = m_model->rowCount();
    const int shown = m_filter->rowCount();
    QString objects = count == 1 ? tr("1 object") : tr("%1 objects").arg(count);
    if (shown != count)
        objects = tr("%1 of %2 shown").arg(shown).arg(objects);
    m_status->setText(objects + tr(" (%1 of IPC Lab), listed at %2, every second").arg(m_lab).arg(m_listedAt));
}

void SystemView::apply(const std::shared_ptr<const ipccore::SystemListing>& listing)
{
    ++m_listings;
    m_model->apply(*listing);
    int lab = 0;
    for (const auto& o : listing->objects)
        lab += o.lab ? 1 : 0;
    m_lab = lab;
    m_listedAt = QTime::currentTime().toString(QStringLiteral("HH:mm:ss"));
    updateStatus();
    QStringList notes;
    for (const std::string& note : listing->notes)
        notes << QString::fromStdString(ipccore::printableText(note)) + QLatin1Char('.');
    m_notes->setText(notes.join(QLatin1Char('\n')));
    m_notes->setVisible(!notes.isEmpty());
    updateDetails();
}

bool SystemView::watchSelected()
{
    // Copied first: the first request brings the Live tab to the front, and what follows must not depend on this tab.
    std::vector<std::pair<ipccore::SystemObjectKind, std::string>> chosen;
    for (const QModelIndex& row : m_table->selectionModel()->selectedRows()) {
        const ipccore::SystemObject& o = m_model->object(m_filter->mapToSource(row).row());
        chosen.emplace_back(o.kind, o.name);
    }
    for (const auto& [kind, name] : chosen)
        emit watchRequested(kind, name);
    return !chosen.empty();
}

void SystemView::updateDetails()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    m_watch->setEnabled(!rows.isEmpty());
    if (rows.size() == 1) {
        const QModelIndex source = m_filter->mapToSource(rows.front());
        m_details->setText(SystemObjectModel::detailsText(m_model->object(source.row())));
        return;
    }
    if (rows.size() > 1) {
        m_details->setText(
            tr("%1 objects selected: Watch in Live view follows them all. Select one to see who uses it.")
                .arg(rows.size()));
        return;
    }
    if (m_listings > 0 && m_model->rowCount() == 0)
        m_details->setText(tr("No POSIX message queue, named semaphore or shared-memory segment exists on this "
                              "machine. Start a run, or the example program outside the lab (from IPC Lab's source "
                              "folder; installed, it is in share/ipclab/examples):\n"
                              "python3 resources/examples/posix_jobs.py"));
    else
        m_details->setText(tr("Every POSIX message queue, named semaphore and shared-memory segment on this machine, "
                              "whoever made it, listed every second without touching them (ipclab-cli ls prints the "
                              "same). Select one to see every process using it and what it sleeps in; select several "
                              "(Ctrl+click, Shift+click) to watch them together."));
}

} // namespace ipcui

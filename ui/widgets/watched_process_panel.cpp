#include "widgets/watched_process_panel.h"

#include "model/watch_monitor.h"
#include "model/watched_process_model.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

#include <csignal>
#include <cstring>

namespace ipcui {

namespace {

// What each signal does to a program that is not ours, for the confirmation.
struct SignalWords {
    QString verb; // "Pause"
    QString effect;
};

SignalWords wordsFor(int signal)
{
    switch (signal) {
    case SIGSTOP:
        return { WatchedProcessPanel::tr("Pause"),
            WatchedProcessPanel::tr(
                "SIGSTOP stops it where it is until it is resumed; whatever waits for it waits too.") };
    case SIGCONT:
        return { WatchedProcessPanel::tr("Resume"),
            WatchedProcessPanel::tr("SIGCONT lets it run on from where it was paused.") };
    case SIGTERM:
        return { WatchedProcessPanel::tr("Terminate"),
            WatchedProcessPanel::tr(
                "SIGTERM asks it to end; a program that handles it can remove its objects first.") };
    default:
        return { WatchedProcessPanel::tr("Kill"),
            WatchedProcessPanel::tr("SIGKILL ends it at once: it cannot remove its queues, semaphores or segments, "
                                    "and whatever it held stays held.") };
    }
}

} // namespace

WatchedProcessPanel::WatchedProcessPanel(WatchMonitor* monitor, WatchedProcessModel* model, QWidget* parent)
    : QWidget(parent)
    , m_monitor(monitor)
    , m_model(model)
{
    setObjectName(QStringLiteral("watchedProcessPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    // The same row of actions as the run's own processes have, each asking first.
    auto* actions = new QHBoxLayout;
    m_pause = new QPushButton(tr("Pause…"), this);
    m_resume = new QPushButton(tr("Resume…"), this);
    m_terminate = new QPushButton(tr("Terminate…"), this);
    m_kill = new QPushButton(tr("Kill…"), this);
    m_kill->setObjectName(QStringLiteral("killWatched"));
    for (QPushButton* b : { m_pause, m_resume, m_terminate, m_kill })
        actions->addWidget(b);
    auto* note = new QLabel(
        tr("Other programs' processes, listed once a second: each action names the process and asks first."), this);
    note->setEnabled(false); // greyed: a caption, not a control
    actions->addWidget(note);
    actions->addStretch(1);
    layout->addLayout(actions);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("watchedProcesses"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle); // a long interpreter path, the script's name at the end
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(WatchedProcessModel::PidColumn, 70);
    m_table->setColumnWidth(WatchedProcessModel::PpidColumn, 70);
    m_table->setColumnWidth(WatchedProcessModel::CommandColumn, 380);
    m_table->setColumnWidth(WatchedProcessModel::StateColumn, 90);
    m_table->setColumnWidth(WatchedProcessModel::CpuColumn, 60);
    m_table->setColumnWidth(WatchedProcessModel::BlockedColumn, 300);
    layout->addWidget(m_table, 1);

    m_confirm = [this](const QString& title, const QString& question) {
        QMessageBox ask(QMessageBox::Question, title, question, QMessageBox::Yes | QMessageBox::Cancel, this);
        ask.setTextFormat(Qt::PlainText); // the command line is another user's text
        ask.setDefaultButton(QMessageBox::Cancel);
        return ask.exec() == QMessageBox::Yes;
    };

    connect(m_monitor, &WatchMonitor::signalled, this, [this](int pid, int signal, const QString& error) {
        if (error.isEmpty())
            emit notice(tr("%1: sent %2 to pid %3.")
                            .arg(wordsFor(signal).verb, QString::fromLatin1(sigabbrev_np(signal)))
                            .arg(pid));
        else
            emit errorOccurred(tr("%1 did nothing: %2.").arg(wordsFor(signal).verb, error));
    });
    connect(m_pause, &QPushButton::clicked, this, [this] { signalSelected(SIGSTOP); });
    connect(m_resume, &QPushButton::clicked, this, [this] { signalSelected(SIGCONT); });
    connect(m_terminate, &QPushButton::clicked, this, [this] { signalSelected(SIGTERM); });
    connect(m_kill, &QPushButton::clicked, this, [this] { signalSelected(SIGKILL); });
    connect(
        m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &WatchedProcessPanel::updateActions);
    connect(m_model, &QAbstractItemModel::modelReset, this, &WatchedProcessPanel::updateActions);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &WatchedProcessPanel::updateActions);
    updateActions();
}

void WatchedProcessPanel::setConfirmer(std::function<bool(const QString&, const QString&)> confirmer)
{
    m_confirm = std::move(confirmer);
}

void WatchedProcessPanel::updateActions()
{
    const bool any = m_table->selectionModel()->hasSelection();
    for (QPushButton* b : { m_pause, m_resume, m_terminate, m_kill })
        b->setEnabled(any);
}

void WatchedProcessPanel::signalSelected(int signal)
{
    // Copied before the first question: listings arriving while a confirmation is open move the rows.
    std::vector<WatchedProcess> chosen;
    for (const QModelIndex& row : m_table->selectionModel()->selectedRows())
        chosen.push_back(m_model->process(row.row()));
    const SignalWords words = wordsFor(signal);
    for (const WatchedProcess& p : chosen) {
        const QString question = tr("%1 %2?\n\nIt is not one of IPC Lab's processes. %3")
                                     .arg(words.verb, WatchedProcessModel::processTitle(p), words.effect);
        if (m_confirm(tr("%1 a process that is not IPC Lab's").arg(words.verb), question))
            m_monitor->signalProcess(p.pid, p.info.startTicks, signal);
    }
}

} // namespace ipcui

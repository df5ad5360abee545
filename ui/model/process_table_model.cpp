#include "model/process_table_model.h"

#include "model/duration_text.h"

#include "ipccore/program.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace ipcui {

namespace {
// A socket consumer that accepted no producer's connection: it waits however many bytes the object holds for the
// others, so "blocked: empty" would contradict them.
bool holdsNoConnection(const ipccore::WorkerStatus& worker)
{
    return worker.state == ipccore::WorkerState::BlockedEmpty && worker.connections == 0;
}

// A name sorted as a person reads it: "producer-2" before "producer-10" (every run of digits padded to 10).
QString naturalSortKey(const std::string& name)
{
    QString key;
    key.reserve(int(name.size()) + 16);
    for (std::size_t i = 0; i < name.size();) {
        if (name[i] < '0' || name[i] > '9') {
            key += QLatin1Char(name[i++]);
            continue;
        }
        std::size_t end = i;
        while (end < name.size() && name[end] >= '0' && name[end] <= '9')
            ++end;
        const QString digits = QString::fromStdString(name.substr(i, end - i));
        key += digits.rightJustified(std::max<qsizetype>(10, digits.size()), QLatin1Char('0'));
        i = end;
    }
    return key;
}
} // namespace

ProcessTableModel::ProcessTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int ProcessTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ProcessTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ProcessTableModel::stateText(ipccore::WorkerState state)
{
    using S = ipccore::WorkerState;
    switch (state) {
    case S::Starting:
        return tr("starting");
    case S::Running:
        return tr("running");
    case S::BlockedFull:
        return tr("blocked: full");
    case S::BlockedEmpty:
        return tr("blocked: empty");
    case S::WaitingLock:
        return tr("waiting for lock");
    case S::Paused:
        return tr("paused");
    case S::Finished:
        return tr("finished");
    case S::Dead:
        return tr("dead");
    case S::Sleeping:
        return tr("sleeping (rate limit)");
    case S::Spinning:
        return tr("spinning (on CPU)");
    }
    return tr("unknown");
}

QString ProcessTableModel::roleText(ipccore::Role role)
{
    switch (role) {
    case ipccore::Role::Producer:
        return tr("producer");
    case ipccore::Role::Consumer:
        return tr("consumer");
    case ipccore::Role::Program:
        return tr("program");
    }
    return tr("unknown");
}

QString ProcessTableModel::stepText(const ipccore::WorkerStatus& worker)
{
    // Step mode: the step it will take when let go (its state says it waits for it), and what it has done so far.
    if (worker.atGate && worker.alive) {
        const QString object = QString::fromStdString(worker.object);
        switch (worker.role) {
        case ipccore::Role::Producer:
            return tr("put %1  (%L2 sent)").arg(object).arg(qulonglong(worker.messages));
        case ipccore::Role::Consumer:
            return tr("get %1  (%L2 taken)").arg(object).arg(qulonglong(worker.messages));
        case ipccore::Role::Program:
            if (worker.lane && worker.gateStep < worker.lane->steps.size())
                return QStringLiteral("%1/%2 %3")
                    .arg(worker.gateStep + 1)
                    .arg(worker.lane->steps.size())
                    .arg(QString::fromStdString(worker.lane->steps[worker.gateStep]));
            break;
        }
    }
    // Stepped into a put or get that blocks: the step it is inside, until the object lets it through.
    if (worker.role != ipccore::Role::Program && worker.alive && worker.stepsTaken > 0
        && ipccore::isBlocked(worker.state))
        return (worker.role == ipccore::Role::Producer ? tr("put %1 (inside it)") : tr("get %1 (inside it)"))
            .arg(QString::fromStdString(worker.object));
    // A program that has ended is on no step: the last one it was in stays in its tooltip's counts, not here.
    if (worker.role != ipccore::Role::Program || worker.step.empty() || worker.state == ipccore::WorkerState::Finished
        || worker.state == ipccore::WorkerState::Dead)
        return {};
    QString text = QStringLiteral("%1/%2 %3")
                       .arg(worker.stepIndex + 1)
                       .arg(worker.stepDone.size())
                       .arg(QString::fromStdString(worker.step));
    // Steps of a fast program last microseconds; only a wait (or long work) is worth a duration.
    if (worker.stepSeconds > 0.1)
        text += tr("  (%1 s)").arg(worker.stepSeconds, 0, 'f', 1);
    return text;
}

// A program waiting in an acquire on a semaphore object waits for a permit, not for a lock; a sender on a rendezvous
// waits for a receiver, not for room in a full queue (it has none), and a receiver there for a sender.
QString ProcessTableModel::workerStateText(const ipccore::WorkerStatus& worker) const
{
    if (worker.lostWithHost) // not known to be dead: its host stopped answering
        return tr("lost with host");
    if (worker.leftWithHost) // stopped as its host was stopped; its books came back
        return tr("host left");
    if (worker.atGate && worker.alive)
        return tr("next, when stepped");
    std::string object = worker.object;
    if (worker.role == ipccore::Role::Program) {
        const auto program = m_programs.find(worker.name);
        object = program != m_programs.end() && worker.stepIndex < program->second.size()
            ? program->second[worker.stepIndex].object
            : std::string();
    }
    if (worker.state == ipccore::WorkerState::WaitingLock && worker.role == ipccore::Role::Program
        && m_semaphoreObjects.count(object))
        return tr("waiting for a permit");
    if (worker.state == ipccore::WorkerState::BlockedFull && m_rendezvousObjects.count(object))
        return tr("waiting for a receiver");
    if (worker.state == ipccore::WorkerState::BlockedEmpty && m_rendezvousObjects.count(object))
        return tr("waiting for a sender");
    if (holdsNoConnection(worker))
        return tr("blocked: no connection");
    return stateText(worker.state);
}

// The runner's words, plus the number a Python student reads from Process.exitcode once the process has ended
// (not when the words end with that number already: "exited 0").
QString ProcessTableModel::exitText(const ipccore::WorkerStatus& worker) const
{
    const QString text = QString::fromStdString(worker.exitText);
    if (worker.alive || text.isEmpty())
        return text;
    // Lost with its host: how it ended (if it has) is not known here.
    if (worker.lostWithHost)
        return tr("%1 (exitcode unknown)").arg(text);
    if (worker.exitcode >= 0 && text.endsWith(QStringLiteral("exited %1").arg(worker.exitcode)))
        return text;
    return tr("%1 (exitcode %2)").arg(text).arg(worker.exitcode);
}

// A producer's priority; a consumer's share of what it took, per priority, highest first: "9: 51 % · 0: 49 %".
QString ProcessTableModel::priorityText(const ipccore::WorkerStatus& worker) const
{
    if (worker.role == ipccore::Role::Producer)
        return ipccore::traits(worker.transport).priorities ? QString::number(worker.priority) : QString();
    std::uint64_t total = worker.otherPriorities;
    for (const ipccore::PriorityShare& p : worker.byPriority)
        total += p.received;
    if (total == 0)
        return {};
    std::vector<ipccore::PriorityShare> shares = worker.byPriority;
    std::sort(shares.begin(), shares.end(), [](const auto& a, const auto& b) { return a.priority > b.priority; });
    QStringList parts;
    for (const ipccore::PriorityShare& p : shares)
        parts << tr("%1: %2 %").arg(p.priority).arg(100.0 * double(p.received) / double(total), 0, 'f', 0);
    if (worker.otherPriorities > 0)
        parts << tr("other: %1 %").arg(100.0 * double(worker.otherPriorities) / double(total), 0, 'f', 0);
    return parts.join(QStringLiteral(" · "));
}

QString ProcessTableModel::programTooltip(const ipccore::WorkerStatus& worker) const
{
    const auto found = m_programs.find(worker.name);
    if (found == m_programs.end())
        return {};
    const ipccore::ProgramSteps& program = found->second;
    QStringList lines;
    lines << tr("%1 repeats %2 steps (%3 passes so far):")
                 .arg(QString::fromStdString(worker.name))
                 .arg(program.size())
                 .arg(QLocale().toString(qulonglong(worker.messages)));
    for (std::size_t i = 0; i < program.size(); ++i) {
        const auto count = [](const std::vector<std::uint64_t>& counts, std::size_t at) {
            return QLocale().toString(qulonglong(at < counts.size() ? counts[at] : 0));
        };
        QString line = QStringLiteral("%1%2. %3 — done %4")
                           .arg(i == worker.stepIndex ? QStringLiteral("▶ ") : QStringLiteral("   "))
                           .arg(i + 1)
                           .arg(QString::fromStdString(ipccore::stepText(program[i])))
                           .arg(count(worker.stepDone, i));
        // Only a wait with a timeout can miss (acquire, put, get or request with "100ms"); a miss count on the other
        // steps would always read 0.
        if (ipccore::stepCanTimeOut(program[i].op) && program[i].timeoutMs)
            line += tr(", missed %1").arg(count(worker.stepMissed, i));
        // What one run of the step takes: a request's round trip beside a shared-memory read.
        if (i < worker.stepMeanUs.size() && worker.stepMeanUs[i] > 0)
            line += program[i].op == ipccore::StepOp::Request
                ? tr(", round trip %1").arg(durationText(worker.stepMeanUs[i]))
                : tr(", %1 each").arg(durationText(worker.stepMeanUs[i]));
        line += tr("   Python: %1").arg(QString::fromStdString(ipccore::stepPython(program[i])));
        lines << line;
    }
    const QString tasks = tasksTooltip(worker);
    if (!tasks.isEmpty())
        lines << QString() << tasks;
    const QString requests = requestsTooltip(worker);
    if (!requests.isEmpty())
        lines << QString() << requests;
    return lines.join(QLatin1Char('\n'));
}

// The objects a program uses, whole (the column elides a server's list), and what a server does with them.
QString ProcessTableModel::transportTooltip(const ipccore::WorkerStatus& worker) const
{
    if (worker.role != ipccore::Role::Program)
        return {};
    QString tip = tr("Objects it uses: %1").arg(QString::fromStdString(worker.object));
    // Over zmq a request names no reply queue: its results are its object (validation allows that nowhere else).
    const auto own = m_programs.find(worker.name);
    bool overConnections = false;
    for (const auto& [name, steps] : m_programs) {
        for (const ipccore::ProgramStep& s : steps) {
            const bool toThisServer = own != m_programs.end()
                && std::any_of(own->second.begin(), own->second.end(), [&](const ipccore::ProgramStep& served) {
                       return served.op == ipccore::StepOp::Serve && served.object == s.object;
                   });
            overConnections
                = overConnections || (s.op == ipccore::StepOp::Request && s.results == s.object && toThisServer);
        }
    }
    if (programHas(worker, ipccore::StepOp::Serve) && overConnections)
        tip += QStringLiteral("\n")
            + tr("As the server it takes requests from its ROUTER socket, each with the identity of the client's "
                 "connection, and sends each reply back on that connection (ZeroMQ's DEALER/ROUTER).");
    else if (programHas(worker, ipccore::StepOp::Serve))
        tip += QStringLiteral("\n")
            + tr("As the server it takes requests from its request queue and puts each reply into the queue the "
                 "request names (the client's own reply queue).");
    return tip;
}

// A Manager's client or server, from its program's steps (as a pool's parts are), never from its counters.
bool ProcessTableModel::programHas(const ipccore::WorkerStatus& worker, ipccore::StepOp op) const
{
    const auto found = m_programs.find(worker.name);
    return found != m_programs.end()
        && std::any_of(found->second.begin(), found->second.end(),
            [op](const ipccore::ProgramStep& step) { return step.op == op; });
}

// The program step a worker is on now, or none (a producer, a consumer, a program the table was not given).
const ipccore::ProgramStep* ProcessTableModel::currentStep(const ipccore::WorkerStatus& worker) const
{
    if (worker.role != ipccore::Role::Program)
        return nullptr;
    const auto found = m_programs.find(worker.name);
    if (found == m_programs.end() || worker.stepIndex >= found->second.size())
        return nullptr;
    return &found->second[worker.stepIndex];
}

// A client's requests and replies, or what the server took and answered.
QString ProcessTableModel::requestsTooltip(const ipccore::WorkerStatus& worker) const
{
    const QLocale locale;
    const auto n = [&locale](std::uint64_t value) { return locale.toString(qulonglong(value)); };
    const QString name = QString::fromStdString(worker.name);
    const ipccore::RequestCounts& q = worker.requests;
    QStringList lines;
    if (programHas(worker, ipccore::StepOp::Serve)) {
        lines << tr("%1 is the server: it took %2 requests, answered %3 and holds %4 now.")
                     .arg(name, n(q.requestsIn), n(q.repliesOut))
                     .arg(q.inHand);
        if (q.unanswered > 0)
            lines << tr("Unanswered: %1 requests it could not answer.").arg(n(q.unanswered));
        lines << tr("The dict, list and Namespace live in its memory only: every other process reaches them by "
                    "request, one at a time.");
    }
    if (programHas(worker, ipccore::StepOp::Request)) {
        QString line = tr("%1 sent %2 requests and took %3 replies").arg(name, n(q.requestsOut), n(q.repliesIn));
        if (q.stale > 0)
            line += tr(" (and %1 stale ones: replies that came after it had stopped waiting)").arg(n(q.stale));
        lines << line + QLatin1Char('.');
    }
    return lines.join(QLatin1Char('\n'));
}

// The server a request step of this worker sends to, if it is known and dead: its reply never comes.
QString ProcessTableModel::deadServerOf(const ipccore::WorkerStatus& worker) const
{
    const ipccore::ProgramStep* step = currentStep(worker);
    if (!step || step->op != ipccore::StepOp::Request)
        return {};
    for (const Row& row : m_rows) {
        if (row.status.alive || row.status.role != ipccore::Role::Program)
            continue;
        const auto found = m_programs.find(row.status.name);
        if (found != m_programs.end()
            && std::any_of(found->second.begin(), found->second.end(), [step](const ipccore::ProgramStep& s) {
                   return s.op == ipccore::StepOp::Serve && s.object == step->object;
               }))
            return QString::fromStdString(row.status.name);
    }
    return {};
}

// What a blocked program waits for, in its own terms where the object's alone would puzzle: a client on its reply
// queue waits for the server's answer, a server on its request queue for a client to ask.
QString ProcessTableModel::waitMeaning(const ipccore::WorkerStatus& worker) const
{
    if (holdsNoConnection(worker))
        return tr("It holds no connection. A socket's messages go only to the consumer that accepted their "
                  "producer's connection, so it waits however many messages the others have: no producer is "
                  "connected to it (another consumer accepted every connection, or no producer is running).");
    const ipccore::ProgramStep* step = currentStep(worker);
    if (!step)
        return {};
    const bool empty = worker.state == ipccore::WorkerState::BlockedEmpty;
    const bool full = worker.state == ipccore::WorkerState::BlockedFull;
    if (step->op == ipccore::StepOp::Request && empty) {
        QString text = tr("It waits for the server's reply to its request (%1).")
                           .arg(QString::fromStdString(ipccore::stepPython(*step)));
        const QString dead = deadServerOf(worker);
        if (!dead.isEmpty() && step->results == step->object) // zmq: the reply comes on the client's connection
            text += QStringLiteral("\n")
                + tr("The server %1 is dead: its connection has closed, so this client fails, as Python's proxy "
                     "raises EOFError.")
                      .arg(dead);
        else if (!dead.isEmpty())
            text += QStringLiteral("\n")
                + tr("The server %1 is dead: this reply never comes. Python's proxy raises EOFError here instead, "
                     "because its socket to the server closes; a message queue has no connection to close.")
                      .arg(dead);
        return text;
    }
    if (step->op == ipccore::StepOp::Request && full && step->results == step->object) // zmq
        return tr("It waits to send its request: no server is connected, or the server is behind.");
    if (step->op == ipccore::StepOp::Request && full)
        return tr("It waits for room for its request: the server is behind.");
    if (step->op == ipccore::StepOp::Serve && empty)
        return tr("It waits for a request: no client is asking.");
    if (step->op == ipccore::StepOp::Serve && full)
        return tr("It waits for room for a reply: a client is not taking its replies.");
    return {};
}

std::optional<ProcessTableModel::PoolPart> ProcessTableModel::poolPart(const ipccore::WorkerStatus& worker) const
{
    const auto found = m_poolParts.find(worker.name);
    if (found != m_poolParts.end())
        return found->second;
    return std::nullopt;
}

ProcessTableModel::PoolTotals ProcessTableModel::poolTotals(const std::vector<ipccore::WorkerStatus>& workers) const
{
    PoolTotals totals;
    for (const ipccore::WorkerStatus& w : workers) {
        if (const auto part = poolPart(w); part && !part->caller)
            totals[part->taskObject] += w.tasks.in;
    }
    return totals;
}

// A pool worker: the tasks it took and its share of what its pool's workers took. The caller: the tasks whose result
// came back, of those it submitted.
QString ProcessTableModel::tasksText(const ipccore::WorkerStatus& worker, const PoolTotals& totals) const
{
    const auto part = poolPart(worker);
    if (!part)
        return {};
    const QLocale locale;
    if (part->caller)
        return tr("%1 of %2")
            .arg(locale.toString(qulonglong(worker.tasks.in)), locale.toString(qulonglong(worker.tasks.out)));
    const auto total = totals.find(part->taskObject);
    if (worker.tasks.in == 0 || total == totals.end() || total->second == 0)
        return locale.toString(qulonglong(worker.tasks.in));
    return tr("%1 (%2%)")
        .arg(locale.toString(qulonglong(worker.tasks.in)))
        .arg(std::lround(100.0 * double(worker.tasks.in) / double(total->second)));
}

QString ProcessTableModel::tasksTooltip(const ipccore::WorkerStatus& worker) const
{
    const auto part = poolPart(worker);
    if (!part)
        return {};
    const QLocale locale;
    const auto n = [&locale](std::uint64_t value) { return locale.toString(qulonglong(value)); };
    const QString name = QString::fromStdString(worker.name);
    const ipccore::TaskCounts& t = worker.tasks;
    QStringList lines;
    if (part->caller) {
        lines << tr("%1 submitted %2 tasks and collected %3 of their results (each task counted once).")
                     .arg(name, n(t.out), n(t.in));
        lines << tr("Out of order: %1 results came back before an earlier task's (apply_async hands them over as "
                    "they come; map waits and returns them in order).")
                     .arg(n(t.outOfOrder));
        if (t.duplicated > 0 || t.stray > 0)
            lines << tr("Wrong: %1 results for a task already answered, %2 for no task of the current call.")
                         .arg(n(t.duplicated), n(t.stray));
        return lines.join(QLatin1Char('\n'));
    }
    const auto total = m_poolTotals.find(part->taskObject);
    QString share;
    if (total != m_poolTotals.end() && total->second > 0)
        share = tr(" (%1% of the tasks the pool's workers took)")
                    .arg(100.0 * double(t.in) / double(total->second), 0, 'f', 1);
    lines << tr("%1 took %2 tasks%3, answered %4 and holds %5 now.").arg(name, n(t.in), share, n(t.out)).arg(t.inHand);
    lines << tr("Tasks in hand die with the process if it is killed: the call waiting for their results never "
                "finishes, as Python's Pool.map hangs.");
    if (t.dropped > 0)
        lines << tr("Dropped: %1 tasks taken and replaced by new ones before their result was put.").arg(n(t.dropped));
    return lines.join(QLatin1Char('\n'));
}

// A step taken after a read (or a Manager get) of the same pass: the process holds an x it read, to be added to.
bool ProcessTableModel::holdsRegister(const ipccore::ProgramSteps& program, std::size_t step)
{
    for (std::size_t j = 0; j < step && j < program.size(); ++j) {
        if (ipccore::stepLoads(program[j]))
            return true;
    }
    return false;
}

QString ProcessTableModel::widestStepText() const
{
    QString widest;
    for (const auto& [name, program] : m_programs) {
        for (std::size_t i = 0; i < program.size(); ++i) {
            const QString text = QStringLiteral("%1/%2 %3")
                                     .arg(i + 1)
                                     .arg(program.size())
                                     .arg(QString::fromStdString(ipccore::stepText(program[i])))
                // A write in step mode shows the x it adds to (a Manager's set, longer already, may elide it).
                + (program[i].op == ipccore::StepOp::Write && holdsRegister(program, i) ? tr("  x=%1").arg(99)
                                                                                        : QString());
            if (text.size() > widest.size())
                widest = text;
        }
    }
    return widest;
}

bool ProcessTableModel::isColumnUnused(int column) const
{
    switch (column) {
    case TasksColumn:
        return m_tasksUnused;
    case SizeColumn:
        return m_sizeUnused;
    case PriorityColumn:
        return m_priorityUnused;
    case StepColumn:
        return m_stepUnused;
    case LatencyColumn:
        return m_latencyUnused;
    case HostColumn:
        return m_hostUnused;
    default:
        return false;
    }
}

void ProcessTableModel::updateUnusedColumns()
{
    // Pool parts come from the programs alone: a pool run shows its Tasks column before any task has moved.
    const bool tasksUnused = m_poolParts.empty();
    // A program moves no messages of a size of its own (see display).
    const bool sizeUnused = m_programsOnly;
    // Priorities only where a producer sends at one above 0 (at 0 alone, an mq is first in, first out).
    const bool priorityUnused = std::none_of(m_rows.begin(), m_rows.end(),
        [](const Row& row) { return row.status.role == ipccore::Role::Producer && row.status.priority > 0; });
    // Steps only where a program runs: beside 64 producers and consumers an empty Step column took the room the
    // Exit column needed ("exit…").
    const bool stepUnused = std::none_of(
        m_rows.begin(), m_rows.end(), [](const Row& row) { return row.status.role == ipccore::Role::Program; });
    const bool latencyUnused = std::none_of(
        m_rows.begin(), m_rows.end(), [](const Row& row) { return row.status.role == ipccore::Role::Consumer; });
    const bool hostUnused
        = std::all_of(m_rows.begin(), m_rows.end(), [](const Row& row) { return row.status.host.empty(); });
    if (tasksUnused == m_tasksUnused && sizeUnused == m_sizeUnused && priorityUnused == m_priorityUnused
        && stepUnused == m_stepUnused && latencyUnused == m_latencyUnused && hostUnused == m_hostUnused)
        return;
    m_hostUnused = hostUnused;
    m_stepUnused = stepUnused;
    m_latencyUnused = latencyUnused;
    m_tasksUnused = tasksUnused;
    m_sizeUnused = sizeUnused;
    m_priorityUnused = priorityUnused;
    emit unusedColumnsChanged();
}

QVariant ProcessTableModel::display(const Row& row, int column) const
{
    const ipccore::WorkerStatus& w = row.status;
    const QLocale locale;
    switch (column) {
    case NameColumn:
        // A worker on a worker host: "c-1@lab2" (its pid is that machine's).
        return QString::fromStdString(ipccore::placedName(w.name, w.host));
    case HostColumn:
        return w.host.empty() ? tr("this machine") : QString::fromStdString(w.host);
    case PidColumn:
        return w.pid > 0 ? QVariant(int(w.pid)) : QVariant(QStringLiteral("-"));
    case PpidColumn:
        return w.ppid > 0 ? QVariant(int(w.ppid)) : QVariant(QStringLiteral("-"));
    case RoleColumn:
        return roleText(w.role);
    case TransportColumn:
        // A program may use several objects of different kinds ("counter, pool"): then only their names.
        if (w.role == ipccore::Role::Program && w.object.find(',') != std::string::npos)
            return QString::fromStdString(w.object);
        return QStringLiteral("%1 (%2)").arg(
            QString::fromLatin1(ipccore::transportName(w.transport)), QString::fromStdString(w.object));
    case StateColumn:
        return workerStateText(w);
    case StepColumn: {
        // Stepping a program whose next step adds to its register (x): the x it read, so two processes about to
        // write the same x + 1 show it.
        QString text = stepText(w);
        if (w.atGate && w.alive && w.role == ipccore::Role::Program) {
            const auto program = m_programs.find(w.name);
            if (program != m_programs.end() && holdsRegister(program->second, w.gateStep))
                text += tr("  x=%1").arg(w.registerValue);
        }
        return text;
    }
    case RateColumn:
        return locale.toString(row.rate, 'f', row.rate < 10 ? 1 : 0);
    case TotalColumn: {
        // A program's steps that gave up (a timed-out acquire, put_nowait on a full queue) end their pass
        // uncounted: say how many beside the passes, as Python would have raised BusyError, Full or Empty.
        std::uint64_t missed = 0;
        for (const std::uint64_t m : w.stepMissed)
            missed += m;
        if (missed > 0)
            return tr("%1 (%2 missed)")
                .arg(locale.toString(qulonglong(w.messages)), locale.toString(qulonglong(missed)));
        return locale.toString(qulonglong(w.messages));
    }
    case TasksColumn:
        return tasksText(w, m_poolTotals);
    case BlockedColumn:
        return locale.toString(100.0 * w.blockedFraction, 'f', 1);
    case CpuColumn:
        return locale.toString(w.cpuPercent, 'f', 1);
    case LatencyColumn:
        if (w.role != ipccore::Role::Consumer || w.messages == 0)
            return QStringLiteral("-");
        if (w.meanLatencyUs >= 1000)
            return tr("%1 ms").arg(locale.toString(w.meanLatencyUs / 1000, 'f', 1));
        return tr("%1 µs").arg(locale.toString(w.meanLatencyUs, 'f', w.meanLatencyUs < 10 ? 1 : 0));
    case RateControlColumn:
        return w.rate > 0 ? locale.toString(w.rate, 'f', w.rate < 10 ? 1 : 0) : tr("unlimited");
    case SizeColumn:
        // A program moves no messages; a size there would suggest it does.
        return w.role == ipccore::Role::Program ? QString() : locale.toString(uint(w.messageSize));
    case PriorityColumn:
        return priorityText(w);
    case ExitColumn:
        return exitText(w);
    default:
        return {};
    }
}

QVariant ProcessTableModel::sortValue(const Row& row, int column) const
{
    const ipccore::WorkerStatus& w = row.status;
    switch (column) {
    case NameColumn:
        return naturalSortKey(w.name);
    case HostColumn: // this machine first, then the hosts by name
        return QString::fromStdString(w.host);
    case PidColumn:
        return int(w.pid);
    case PpidColumn:
        return int(w.ppid);
    case StateColumn:
        return int(w.state);
    case RateColumn:
        return row.rate;
    case TotalColumn:
        return qulonglong(w.messages);
    case TasksColumn:
        return qulonglong(w.tasks.in); // a pool worker's tasks taken, the caller's collected
    case BlockedColumn:
        return w.blockedFraction;
    case CpuColumn:
        return w.cpuPercent;
    case LatencyColumn:
        return w.role == ipccore::Role::Consumer && w.messages > 0 ? w.meanLatencyUs : -1.0;
    case RateControlColumn:
        return w.rate;
    case SizeColumn:
        return uint(w.messageSize);
    case PriorityColumn:
        // One type on both sides: a QVariant of uint against one of int compares both ways true.
        return w.role == ipccore::Role::Producer ? int(w.priority) : -1;
    default:
        return display(row, column);
    }
}

QVariant ProcessTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return display(row, column);
    case Qt::ToolTipRole:
        if (column == StepColumn || (column == NameColumn && row.status.role == ipccore::Role::Program))
            return programTooltip(row.status);
        if (column == StateColumn) {
            QString tip = workerStateText(row.status);
            if (!row.status.waitingOn.empty() && !holdsNoConnection(row.status))
                tip += tr(" — waiting on %1").arg(QString::fromStdString(row.status.waitingOn));
            tip += tr(" (for %1 s)").arg(row.status.stateSeconds, 0, 'f', 1);
            if (const QString meaning = waitMeaning(row.status); !meaning.isEmpty())
                tip += QStringLiteral("\n") + meaning;
            if (!row.status.exitText.empty())
                tip += QStringLiteral("\n") + QString::fromStdString(row.status.exitText);
            return tip;
        }
        if (column == ExitColumn && !row.status.exitText.empty())
            return exitText(row.status);
        if (column == TasksColumn)
            return tasksTooltip(row.status);
        if (column == TransportColumn)
            return transportTooltip(row.status);
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case PidColumn:
        case PpidColumn:
        case RateColumn:
        case TotalColumn:
        case TasksColumn:
        case BlockedColumn:
        case CpuColumn:
        case LatencyColumn:
        case RateControlColumn:
        case SizeColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case StateRole:
        return int(row.status.state);
    case AliveRole:
        return row.status.alive;
    case RoleRole:
        return int(row.status.role);
    case SortRole:
        return sortValue(row, column);
    default:
        return {};
    }
}

QVariant ProcessTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Name");
        case HostColumn:
            return tr("Host");
        case PidColumn:
            return tr("PID");
        case PpidColumn:
            return tr("PPID");
        case RoleColumn:
            return tr("Role");
        case TransportColumn:
            return tr("Transport (object)");
        case StateColumn:
            return tr("State");
        case StepColumn:
            return tr("Step");
        case RateColumn:
            return m_programsOnly ? tr("passes/s") : tr("msgs/s");
        case TotalColumn:
            return m_programsOnly ? tr("Passes") : tr("Total");
        case TasksColumn:
            return tr("Tasks");
        case BlockedColumn:
            return tr("% blocked");
        case CpuColumn:
            return tr("CPU %");
        case LatencyColumn:
            return tr("Latency");
        case RateControlColumn:
            return tr("Rate limit");
        case SizeColumn:
            return tr("Size (B)");
        case PriorityColumn:
            return tr("Priority");
        case ExitColumn:
            return tr("Exit");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case PpidColumn:
            return tr("Parent process ID: the process that started this worker (os.getppid() in Python)");
        case HostColumn:
            return tr("The machine it runs on: this one, or a worker host of the scenario (its PID is that "
                      "machine's). Sort by it to see each machine's processes together");
        case StepColumn:
            return tr("Programs: the step the process is on, out of how many, and for how long once it is more "
                      "than a moment (hover for every step). In step mode: the step it takes when stepped next, and "
                      "the x its last read took");
        case TotalColumn:
            return tr("Messages moved; for a program, passes through its steps");
        case TasksColumn:
            return tr("Pools: a pool worker's tasks taken and its share of all the pool's workers took (the load "
                      "balance); the caller's tasks whose result came back, of those it submitted (hover for more)");
        case RateColumn:
            return tr("Messages per second over the last second; for a program, passes per second");
        case BlockedColumn:
            return tr("Share of the worker's lifetime spent blocked (full, empty or waiting for the lock)");
        case CpuColumn:
            return tr("CPU time as a percentage of one core, over about the last second, of all the process's "
                      "threads: a ZeroMQ process's I/O thread moves its messages while its own thread is blocked, "
                      "so it can show both a high CPU % and a high % blocked");
        case LatencyColumn:
            return tr("A consumer's mean time from a message's send to its receive, over the consumer's life "
                      "(queueing included: a deep queue makes it long). Above about 100,000 messages a second a "
                      "producer (but an mq's, or one under a rate control) times about one message in 64, picked at "
                      "random and weighted by the messages it stands for, so that reading the clock does not slow "
                      "the fast transports down");
        case RateControlColumn:
            return tr("The worker's rate control in messages per second");
        case SizeColumn:
            return tr("Frame size in bytes, header included");
        case PriorityColumn:
            return tr("Message queue priorities: the priority a producer sends at (mq.send(msg, priority=N)), and "
                      "for a consumer its share of what it took at each priority; the queue hands out the highest "
                      "first");
        case ExitColumn:
            return tr("How the process ended, and Python's Process.exitcode: the exit status, or minus the signal "
                      "that killed it");
        default:
            return {};
        }
    }
    return {};
}

void ProcessTableModel::apply(const ipccore::Snapshot& snapshot)
{
    const std::size_t shown = m_rows.size();
    const std::size_t common = std::min(shown, snapshot.workers.size());
    // A pool worker's share depends on every worker of its pool: its text is compared with the totals before and
    // after this snapshot.
    const PoolTotals before = m_poolTotals;
    m_poolTotals = poolTotals(snapshot.workers);
    for (std::size_t i = 0; i < common; ++i) {
        Row& row = m_rows[i];
        const Row old { row.status, RateMeter(), row.rate };
        row.status = snapshot.workers[i];
        row.meter.add(snapshot.t, double(row.status.messages));
        row.rate = row.status.alive ? row.meter.rate() : 0;
        int firstChanged = -1, lastChanged = -1;
        for (int column = 0; column < ColumnCount; ++column) {
            const bool changed = column == TasksColumn
                ? tasksText(old.status, before) != tasksText(row.status, m_poolTotals)
                : display(old, column) != display(row, column)
                    || (column == StateColumn && old.status.alive != row.status.alive);
            if (changed) {
                if (firstChanged < 0)
                    firstChanged = column;
                lastChanged = column;
            }
        }
        if (firstChanged >= 0)
            emit dataChanged(index(int(i), firstChanged), index(int(i), lastChanged));
    }
    if (snapshot.workers.size() > shown) {
        beginInsertRows({}, int(shown), int(snapshot.workers.size()) - 1);
        for (std::size_t i = shown; i < snapshot.workers.size(); ++i) {
            Row row { snapshot.workers[i], RateMeter(), 0 };
            row.meter.add(snapshot.t, double(row.status.messages));
            m_rows.push_back(std::move(row));
        }
        endInsertRows();
    } else if (snapshot.workers.size() < shown) {
        // Not expected within a run (the runner keeps finished workers), but a shorter list must not leave stale rows.
        beginRemoveRows({}, int(snapshot.workers.size()), int(shown) - 1);
        m_rows.resize(snapshot.workers.size());
        endRemoveRows();
    }
    updateProgramsOnly();
    updateUnusedColumns();
}

void ProcessTableModel::applyFinalCounts(const std::vector<ipccore::WorkerSummary>& workers)
{
    // The report lists the workers in the snapshot's order; a name that does not match leaves its row alone.
    for (std::size_t i = 0; i < m_rows.size() && i < workers.size(); ++i) {
        ipccore::WorkerStatus& status = m_rows[i].status;
        const ipccore::WorkerSummary& ended = workers[i];
        if (ended.name != status.name)
            continue;
        status.messages = ended.messages;
        status.bytes = ended.bytes;
        status.stepDone = ended.stepDone;
        status.stepMissed = ended.stepMissed;
        status.stepMeanUs = ended.stepMeanUs;
        status.tasks = ended.tasks;
        status.requests = ended.requests;
        // Every process has ended by now: the row says how, not what it was doing at the last live sample.
        status.alive = false;
        status.state = ended.state;
        status.exitText = ended.exitText;
        status.exitcode = ended.exitcode;
    }
    m_poolTotals = poolTotals([this] {
        std::vector<ipccore::WorkerStatus> statuses;
        for (const Row& row : m_rows)
            statuses.push_back(row.status);
        return statuses;
    }());
    if (!m_rows.empty())
        emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void ProcessTableModel::updateProgramsOnly()
{
    const bool programsOnly = !m_rows.empty() && std::all_of(m_rows.begin(), m_rows.end(), [](const Row& row) {
        return row.status.role == ipccore::Role::Program;
    });
    if (programsOnly == m_programsOnly)
        return;
    m_programsOnly = programsOnly;
    emit headerDataChanged(Qt::Horizontal, RateColumn, TotalColumn);
    updateUnusedColumns();
}

void ProcessTableModel::setPrograms(const ipccore::Scenario& scenario)
{
    m_programs.clear();
    m_semaphoreObjects.clear();
    m_rendezvousObjects.clear();
    for (const ipccore::ObjectSpec& object : scenario.objects) {
        if (object.transport == ipccore::TransportKind::Semaphore)
            m_semaphoreObjects.insert(object.name);
        if (object.transport == ipccore::TransportKind::Rendezvous)
            m_rendezvousObjects.insert(object.name);
    }
    for (const ipccore::WorkerSpec& worker : scenario.workers) {
        if (worker.role == ipccore::Role::Program)
            m_programs[worker.name] = worker.program;
    }
    // Pools: who calls map or apply and who gets its tasks, from the programs (never from the counters).
    m_poolParts.clear();
    std::vector<std::string> names;
    std::vector<ipccore::ProgramSteps> programs;
    for (const auto& [name, program] : m_programs) {
        names.push_back(name);
        programs.push_back(program);
    }
    const std::vector<std::optional<PoolPart>> parts = ipccore::poolParts(programs);
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (parts[i])
            m_poolParts[names[i]] = *parts[i];
    }
    updateUnusedColumns();
}

void ProcessTableModel::clear()
{
    if (m_rows.empty())
        return;
    beginRemoveRows({}, 0, int(m_rows.size()) - 1);
    m_rows.clear();
    endRemoveRows();
    m_poolTotals.clear();
    updateProgramsOnly();
    updateUnusedColumns();
}

} // namespace ipcui

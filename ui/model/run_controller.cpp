#include "model/run_controller.h"

#include "model/error_text.h"

#include <QFutureWatcher>
#include <QSaveFile>
#include <QThread>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace ipcui {

namespace {
constexpr int MaxSnapshotsInFlight = 2;
}

RunController::RunController(QObject* parent)
    : QObject(parent)
{ }

RunController::~RunController()
{
    if (m_runner)
        m_runner->stop();
}

void RunController::assertThread() const
{
    Q_ASSERT(QThread::currentThread() == thread());
}

void RunController::readLimits()
{
    assertThread();
    emit mqLimitsRead(ipccore::readMqLimits());
}

void RunController::start(const ipccore::Scenario& scenario, const ipccore::RunOptions& options)
{
    assertThread();
    if (m_runner) {
        emit startFailed(tr("A run is already going; stop it first."));
        return;
    }
    // Objects of earlier runs whose controller died (crash, kill -9) are removed here, never those of live runs.
    // Here rather than inside Runner::start (which then finds nothing left), so the lines are told even when the
    // start fails.
    QStringList cleanup;
    for (const std::string& line : ipccore::cleanupStaleRuns())
        cleanup << QString::fromStdString(line);
    if (!cleanup.isEmpty())
        emit cleanedUp(cleanup);

    auto runner = ipccore::Runner::start(scenario, options);
    if (!runner) {
        emit startFailed(
            errorText(tr("Could not start \"%1\"").arg(QString::fromStdString(scenario.name)), runner.error()));
        return;
    }
    m_runner = std::move(*runner);
    m_stepMode = options.stepMode;
    m_lastTrace.reset();
    m_inFlight.store(0);
    m_heldEvents.clear();
    m_heldWorkerEvents.clear();
    m_workerNames.clear();
    m_workerHosts.clear();
    m_droppedWorkerEvents.clear();
    m_exitReported = false;
    if (!m_timer) {
        // Created here, in the controller's thread, so its events are delivered to this thread.
        m_timer = new QTimer(this);
        m_timer->setTimerType(Qt::PreciseTimer);
        connect(m_timer, &QTimer::timeout, this, &RunController::tick);
    }
    const double hz = std::clamp(m_runner->sampleHz(), 1.0, 1000.0);
    m_timer->start(std::max(1, int(std::lround(1000.0 / hz))));
    emit started(QString::fromStdString(m_runner->prefix()), hz);
    tick();
}

void RunController::tick()
{
    assertThread();
    if (!m_runner)
        return;
    ipccore::Snapshot snapshot = m_runner->sample();
    if (m_workerNames.size() != snapshot.workers.size()) { // a worker added
        m_workerNames.clear();
        m_workerHosts.clear();
        for (const ipccore::WorkerStatus& w : snapshot.workers) {
            m_workerNames.push_back(ipccore::placedName(w.name, w.host));
            m_workerHosts.push_back(w.host);
        }
    }
    if (m_heldWorkerEvents.size() < snapshot.workers.size()) {
        m_heldWorkerEvents.resize(snapshot.workers.size());
        m_droppedWorkerEvents.resize(snapshot.workers.size());
    }
    if (m_inFlight.load(std::memory_order_relaxed) >= MaxSnapshotsInFlight) {
        m_heldEvents.insert(m_heldEvents.end(), snapshot.events.begin(), snapshot.events.end());
        // The workers' events too (the timeline's input), within a bound: past it the oldest go, counted as lost.
        for (std::size_t i = 0; i < snapshot.workers.size(); ++i) {
            std::vector<ipccore::WorkerEvent>& held = m_heldWorkerEvents[i];
            const std::vector<ipccore::WorkerEvent>& fresh = snapshot.workers[i].newEvents;
            held.insert(held.end(), fresh.begin(), fresh.end());
            if (held.size() > MaxHeldWorkerEvents) {
                const std::size_t drop = held.size() - MaxHeldWorkerEvents / 2;
                held.erase(held.begin(), held.begin() + std::ptrdiff_t(drop));
                m_droppedWorkerEvents[i] += drop;
            }
        }
    } else {
        if (!m_heldEvents.empty()) {
            snapshot.events.insert(snapshot.events.begin(), m_heldEvents.begin(), m_heldEvents.end());
            m_heldEvents.clear();
        }
        for (std::size_t i = 0; i < snapshot.workers.size(); ++i) {
            ipccore::WorkerStatus& w = snapshot.workers[i];
            std::vector<ipccore::WorkerEvent>& held = m_heldWorkerEvents[i];
            if (!held.empty()) {
                held.insert(held.end(), w.newEvents.begin(), w.newEvents.end());
                w.newEvents = std::move(held);
                held.clear();
            }
            w.eventsLost += m_droppedWorkerEvents[i];
        }
        m_inFlight.fetch_add(1, std::memory_order_relaxed);
        emit snapshotReady(std::make_shared<const ipccore::Snapshot>(std::move(snapshot)));
    }
    if (!m_exitReported && m_runner->allWorkersExited()) {
        m_exitReported = true;
        emit allWorkersExited();
    }
}

void RunController::exportTrace(const QString& path)
{
    assertThread();
    if (!m_runner && !m_lastTrace) {
        emit traceExported(path, tr("There is no run to export yet: start the experiment first."));
        return;
    }
    // The JSON is built and written in a pool thread: a busy run's trace (counter-race-locked makes about 50,000
    // spans a second) takes seconds to format and write, and this thread would stop sampling meanwhile. The run so
    // far is copied here, where its log grows with each sample; the last run's is shared as it is. The watcher dies
    // with this controller, the job does not need it.
    const auto log = m_runner ? std::make_shared<const ipccore::TraceLog>(m_runner->traceLog()) : m_lastTrace;
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, path] {
        emit traceExported(path, watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run([log, path] {
        // The file first: a folder that cannot be written to is said at once, not after the JSON is built.
        QSaveFile file(path);
        const auto cannotWrite = [&file, &path] {
            return tr("Could not write %1: %2. Choose a folder you may write to.").arg(path, file.errorString());
        };
        if (!file.open(QIODevice::WriteOnly))
            return cannotWrite();
        try { // an exception would otherwise end the program when the watcher takes the result
            const std::string json = ipccore::chromeTraceJson(*log);
            if (file.write(json.data(), qint64(json.size())) != qint64(json.size()) || !file.commit())
                return cannotWrite();
        } catch (const std::exception& e) {
            return tr("Could not export the trace to %1: %2.").arg(path, QString::fromUtf8(e.what()));
        }
        return QString();
    }));
}

void RunController::stop()
{
    assertThread();
    if (!m_runner)
        return;
    if (m_timer)
        m_timer->stop();
    const ipccore::Report report = m_runner->stop();
    RunSummary summary;
    summary.scenario = QString::fromStdString(report.scenario);
    summary.reportText = QString::fromStdString(ipccore::reportToText(report));
    summary.durationS = report.durationS;
    summary.objects = report.objects;
    summary.integrity = report.integrity;
    summary.workers = report.workers;
    summary.stopEvents = report.stopEvents;
    summary.contention = report.contention;
    for (const std::string& line : report.cleanup)
        summary.cleanup << QString::fromStdString(line);
    m_lastTrace = std::make_shared<const ipccore::TraceLog>(m_runner->takeTraceLog());
    m_runner.reset();
    m_heldEvents.clear();
    m_heldWorkerEvents.clear();
    m_droppedWorkerEvents.clear();
    emit stopped(summary);
}

template <typename Control>
void RunController::forEach(const QList<int>& workers, const QString& action, Control control)
{
    assertThread();
    if (!m_runner) {
        emit errorOccurred(tr("%1: no run is going.").arg(action));
        return;
    }
    bool failed = false;
    for (const int worker : workers) {
        const ipccore::Status status = control(std::size_t(worker));
        if (!status)
            emit errorOccurred(errorText(std::size_t(worker) < m_workerNames.size()
                    ? tr("%1 of %2").arg(action, QString::fromStdString(m_workerNames[std::size_t(worker)]))
                    : tr("%1 (worker %2)").arg(action).arg(worker),
                status.error()));
        failed = failed || !status;
    }
    // A success is said too: it replaces an earlier error in the status bar, which no longer holds.
    if (!failed && !workers.isEmpty())
        emit notice(tr("%1: done for %n process(es)", nullptr, int(workers.size())).arg(action));
}

void RunController::pauseWorkers(const QList<int>& workers)
{
    forEach(workers, tr("Pause"), [this](std::size_t w) { return m_runner->pauseWorker(w); });
}

void RunController::resumeWorkers(const QList<int>& workers)
{
    forEach(workers, tr("Resume"), [this](std::size_t w) { return m_runner->resumeWorker(w); });
}

void RunController::terminateWorkers(const QList<int>& workers)
{
    forEach(workers, tr("Terminate"), [this](std::size_t w) { return m_runner->terminateWorker(w); });
}

void RunController::killWorkers(const QList<int>& workers)
{
    forEach(workers, tr("Kill"), [this](std::size_t w) { return m_runner->killWorker(w); });
}

void RunController::setRate(const QList<int>& workers, double messagesPerSecond)
{
    forEach(workers, tr("Set rate"), [&](std::size_t w) { return m_runner->setRate(w, messagesPerSecond); });
}

void RunController::setMessageSize(const QList<int>& workers, quint32 bytes)
{
    forEach(workers, tr("Set message size"), [&](std::size_t w) { return m_runner->setMessageSize(w, bytes); });
}

void RunController::setWorkUs(const QList<int>& workers, quint32 microseconds)
{
    forEach(workers, tr("Set work time"), [&](std::size_t w) { return m_runner->setWorkUs(w, microseconds); });
}

void RunController::step(const QList<int>& workers)
{
    assertThread();
    if (!m_runner) {
        emit errorOccurred(tr("Step: no run is going."));
        return;
    }
    if (const ipccore::Status status = m_runner->setStepRate(0); !status)
        emit errorOccurred(errorText(tr("Step"), status.error()));
    // A worker host's processes have no gate here: they run on.
    QStringList onHosts, selectedOnHosts;
    for (std::size_t i = 0; i < m_workerHosts.size(); ++i) {
        if (m_workerHosts[i].empty())
            continue;
        onHosts << QString::fromStdString(m_workerNames[i]);
        if (workers.contains(int(i)))
            selectedOnHosts << onHosts.back();
    }
    if (!m_stepMode) {
        // The first click stops every process at its next gate; the steps come from the clicks after it.
        m_stepMode = true;
        m_runner->setStepMode(true);
        if (!onHosts.isEmpty())
            emit notice(tr("Step mode holds this machine's processes only; those on worker hosts run on (%1).")
                            .arg(onHosts.join(QStringLiteral(", "))));
        return;
    }
    if (!workers.isEmpty() && selectedOnHosts.size() == workers.size()) {
        emit notice(tr("Step mode does not reach worker hosts (%1 selected): select processes of this machine.")
                        .arg(selectedOnHosts.join(QStringLiteral(", "))));
        return;
    }
    std::vector<std::size_t> which;
    for (const int w : workers)
        which.push_back(std::size_t(w));
    if (m_runner->step(which) == 0)
        emit notice(workers.isEmpty()
                ? tr("No process is waiting at its gate: each is inside its step (blocked in the kernel), paused or "
                     "ended.")
                : tr("The selected processes are not waiting at their gates: each is inside its step (blocked in the "
                     "kernel), paused or ended."));
}

void RunController::runAtStepRate(double stepsPerSecond)
{
    assertThread();
    if (!m_runner) {
        emit errorOccurred(tr("Run at a step rate: no run is going."));
        return;
    }
    if (const ipccore::Status status = m_runner->setStepRate(stepsPerSecond); !status) {
        emit errorOccurred(errorText(tr("Run at a step rate"), status.error()));
        return;
    }
    m_stepMode = true;
    m_runner->setStepMode(true);
}

void RunController::runFreely()
{
    assertThread();
    if (!m_runner)
        return;
    (void)m_runner->setStepRate(0);
    m_stepMode = false;
    m_runner->setStepMode(false);
}

void RunController::addWorker(const ipccore::WorkerSpec& spec)
{
    assertThread();
    if (!m_runner) {
        emit errorOccurred(tr("Add worker: no run is going."));
        return;
    }
    auto added = m_runner->addWorker(spec);
    if (!added)
        emit errorOccurred(errorText(tr("Could not add %1").arg(QString::fromStdString(spec.name)), added.error()));
    else {
        m_exitReported = false;
        emit workerAdded(spec);
    }
}

} // namespace ipcui

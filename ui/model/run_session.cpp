#include "model/run_session.h"

#include "model/run_controller.h"

namespace ipcui {

RunSession::RunSession(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<SnapshotPtr>();
    qRegisterMetaType<RunSummary>();
    qRegisterMetaType<RunState>();
    qRegisterMetaType<ipccore::MqLimits>();
    qRegisterMetaType<ipccore::WorkerSpec>();

    m_thread.setObjectName(QStringLiteral("ipclab-runner"));
    m_controller = new RunController;
    m_controller->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_controller, &QObject::deleteLater);

    connect(m_controller, &RunController::started, this, [this](const QString& prefix, double hz) {
        m_prefix = prefix;
        m_sampleHz = hz;
        setState(RunState::Running);
        emit runStarted(prefix);
    });
    connect(m_controller, &RunController::startFailed, this, [this](const QString& message) {
        setState(RunState::Idle);
        // Also in Events, whole: the status bar cuts a long refusal (an untrusted runtime directory names its
        // owner, mode and remedy).
        emit eventLogged(0.0, int(ipccore::RunEvent::Kind::Error), message);
        emit errorOccurred(message);
        emit startFailed();
    });
    connect(m_controller, &RunController::snapshotReady, this, &RunSession::onSnapshot);
    connect(m_controller, &RunController::allWorkersExited, this, [this] {
        emit notice(tr("Every worker has exited."));
        if (m_stopWhenAllExited)
            stop();
    });
    connect(m_controller, &RunController::stopped, this, [this](const RunSummary& summary) {
        m_lastSummary = summary;
        m_timeline.stop();
        setState(RunState::Idle);
        emit runStopped(summary);
    });
    connect(m_controller, &RunController::errorOccurred, this, &RunSession::errorOccurred);
    connect(m_controller, &RunController::notice, this, &RunSession::notice);
    connect(m_controller, &RunController::workerAdded, this, [this](const ipccore::WorkerSpec& spec) {
        m_live.workers.push_back(spec);
        ++m_liveChanges;
        emit workerAdded(spec);
    });
    connect(m_controller, &RunController::traceExported, this, &RunSession::traceExported);
    // The cleanup happens before the run's clock starts: its lines are events at 0 s, each one kept in the log
    // (the status bar showed only the last of them, for a few seconds), and the status bar says where they are.
    connect(m_controller, &RunController::cleanedUp, this, [this](const QStringList& lines) {
        // "removed ..." is what cleanup is for; "left alone ..." and "kept ..." mean something was planted or odd.
        for (const QString& line : lines)
            emit eventLogged(0.0,
                int(line.startsWith(QStringLiteral("removed ")) ? ipccore::RunEvent::Kind::Info
                                                                : ipccore::RunEvent::Kind::Warning),
                tr("Cleanup of earlier runs: %1").arg(line));
        emit notice(tr("Start-up cleanup of earlier runs: %n line(s) in Events", nullptr, int(lines.size())));
    });
    connect(m_controller, &RunController::mqLimitsRead, this, [this](const ipccore::MqLimits& limits) {
        m_mqLimits = limits;
        m_hasMqLimits = true;
        emit mqLimitsRead(limits);
    });
    m_thread.start();
    post([](RunController* c) { c->readLimits(); });
}

RunSession::~RunSession()
{
    // Blocking on purpose: the process may exit right after, and the run's workers and objects must be gone first.
    RunController* controller = m_controller;
    QMetaObject::invokeMethod(
        controller, [controller] { controller->stop(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

template <typename Call> void RunSession::post(Call call)
{
    RunController* controller = m_controller;
    QMetaObject::invokeMethod(
        controller, [controller, call] { call(controller); }, Qt::QueuedConnection);
}

void RunSession::setState(RunState state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

bool RunSession::start(const ipccore::Scenario& scenario)
{
    if (m_state != RunState::Idle) {
        emit errorOccurred(tr("A run is already going; stop it first."));
        return false;
    }
    m_scenario = scenario;
    m_live = scenario;
    m_liveChanges = 0;
    m_latest.reset();
    m_snapshotCount = 0;
    m_history.clear();
    m_timeline.clear();
    m_prefix.clear();
    setState(RunState::Starting);
    ipccore::RunOptions options;
    options.workerPath = m_workerPath.toStdString();
    options.stepMode = m_startStepping;
    post([scenario, options](RunController* c) { c->start(scenario, options); });
    return true;
}

void RunSession::stop()
{
    if (m_state != RunState::Running && m_state != RunState::Starting)
        return;
    setState(RunState::Stopping);
    post([](RunController* c) { c->stop(); });
}

void RunSession::onSnapshot(const SnapshotPtr& snapshot)
{
    m_controller->snapshotConsumed();
    if (m_state != RunState::Running && m_state != RunState::Stopping)
        return;
    m_latest = snapshot;
    ++m_snapshotCount;
    m_history.append(*snapshot);
    m_timeline.add(*snapshot);
    for (const ipccore::RunEvent& event : snapshot->events) {
        const QString text = QString::fromStdString(event.text);
        emit eventLogged(event.t, int(event.kind), text);
        if (event.kind == ipccore::RunEvent::Kind::Error)
            emit errorOccurred(text);
    }
    emit snapshotReceived(snapshot);
}

void RunSession::pauseWorkers(const QList<int>& workers)
{
    post([workers](RunController* c) { c->pauseWorkers(workers); });
}

void RunSession::resumeWorkers(const QList<int>& workers)
{
    post([workers](RunController* c) { c->resumeWorkers(workers); });
}

void RunSession::terminateWorkers(const QList<int>& workers)
{
    post([workers](RunController* c) { c->terminateWorkers(workers); });
}

void RunSession::killWorkers(const QList<int>& workers)
{
    post([workers](RunController* c) { c->killWorkers(workers); });
}

template <typename Change> void RunSession::changeLive(const QList<int>& workers, Change change)
{
    for (const int worker : workers) {
        if (worker >= 0 && std::size_t(worker) < m_live.workers.size())
            change(m_live.workers[std::size_t(worker)]);
    }
    ++m_liveChanges;
}

void RunSession::setRate(const QList<int>& workers, double messagesPerSecond)
{
    changeLive(workers, [messagesPerSecond](ipccore::WorkerSpec& w) { w.rate = messagesPerSecond; });
    post([workers, messagesPerSecond](RunController* c) { c->setRate(workers, messagesPerSecond); });
}

void RunSession::setMessageSize(const QList<int>& workers, quint32 bytes)
{
    changeLive(workers, [bytes](ipccore::WorkerSpec& w) { w.messageSize = bytes; });
    post([workers, bytes](RunController* c) { c->setMessageSize(workers, bytes); });
}

void RunSession::setWorkUs(const QList<int>& workers, quint32 microseconds)
{
    changeLive(workers, [microseconds](ipccore::WorkerSpec& w) { w.workUs = microseconds; });
    post([workers, microseconds](RunController* c) { c->setWorkUs(workers, microseconds); });
}

void RunSession::step(const QList<int>& workers)
{
    post([workers](RunController* c) { c->step(workers); });
}

void RunSession::runAtStepRate(double stepsPerSecond)
{
    post([stepsPerSecond](RunController* c) { c->runAtStepRate(stepsPerSecond); });
}

void RunSession::runFreely()
{
    post([](RunController* c) { c->runFreely(); });
}

void RunSession::addWorker(const ipccore::WorkerSpec& spec)
{
    post([spec](RunController* c) { c->addWorker(spec); });
}

void RunSession::exportTrace(const QString& path)
{
    post([path](RunController* c) { c->exportTrace(path); });
}

} // namespace ipcui

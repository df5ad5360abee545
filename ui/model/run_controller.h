#pragma once

// The Runner's home thread. A RunController is moved to a dedicated QThread (Qt's Worker/Controller idiom) and every
// call into ipccore::Runner happens there: start, the sampling timer, the live controls and stop. The runner needs
// this (workers get PR_SET_PDEATHSIG tied to the spawning thread, so that thread must outlive the run), and it keeps
// waitpid, mq_getattr, sem_getvalue and /proc reads off the GUI thread.
//
// Commands arrive as queued invocations from RunSession; results leave as signals over queued connections.

#include "ipccore/runner.h"
#include "model/run_types.h"

#include <QList>
#include <QObject>
#include <QStringList>

#include <atomic>
#include <memory>
#include <vector>

class QTimer;

namespace ipcui {

class RunController : public QObject {
    Q_OBJECT
public:
    explicit RunController(QObject* parent = nullptr);
    ~RunController() override; // stops a run still going (must be destroyed in its own thread)

    // The methods below must be called in the controller's thread.
    // Reads /proc/sys/fs/mqueue here rather than on the GUI thread; answers with mqLimitsRead.
    void readLimits();
    void start(const ipccore::Scenario& scenario, const ipccore::RunOptions& options);
    void stop();
    void pauseWorkers(const QList<int>& workers);
    void resumeWorkers(const QList<int>& workers);
    void terminateWorkers(const QList<int>& workers);
    void killWorkers(const QList<int>& workers);
    void setRate(const QList<int>& workers, double messagesPerSecond);
    void setMessageSize(const QList<int>& workers, quint32 bytes);
    void setWorkUs(const QList<int>& workers, quint32 microseconds);
    // Step mode (ipccore::Runner::setStepMode). Stepping turns it on first, at no step rate: each process then waits
    // at its next gate, and each further click lets the given processes (every one when empty) take one step.
    // Running at a rate turns it on at that rate (0.5 to 1000 steps per second); running freely turns it off.
    void step(const QList<int>& workers);
    void runAtStepRate(double stepsPerSecond);
    void runFreely();
    void addWorker(const ipccore::WorkerSpec& spec);
    // Writes the run so far (or, after a stop, the whole last run) as Chrome trace-event JSON (ipccore/trace.h), in a
    // thread of Qt's pool while sampling goes on; answers with traceExported, its error empty on success.
    void exportTrace(const QString& path);

    // Thread-safe: the GUI acknowledges each snapshot it has handled. While two are unhandled the controller keeps
    // sampling but holds back further snapshots (carrying their events over), so a busy GUI thread never builds a
    // queue of stale samples.
    void snapshotConsumed() { m_inFlight.fetch_sub(1, std::memory_order_relaxed); }

signals:
    void started(const QString& prefix, double sampleHz);
    void startFailed(const QString& message);
    void snapshotReady(const ipcui::SnapshotPtr& snapshot);
    void allWorkersExited();
    void stopped(const ipcui::RunSummary& summary);
    void errorOccurred(const QString& message);
    void notice(const QString& message); // informational, e.g. every worker has exited
    // Before started/startFailed: one line per object of a dead run removed (or refused) by cleanupStaleRuns.
    void cleanedUp(const QStringList& lines);
    void mqLimitsRead(const ipccore::MqLimits& limits);
    void workerAdded(const ipccore::WorkerSpec& spec); // addWorker started it
    void traceExported(const QString& path, const QString& error);

private:
    void tick();
    void assertThread() const;
    template <typename Control> void forEach(const QList<int>& workers, const QString& action, Control control);

    std::unique_ptr<ipccore::Runner> m_runner;
    bool m_stepMode = false; // the runner's step mode, as this controller last set it
    std::shared_ptr<const ipccore::TraceLog> m_lastTrace; // the last run's, kept from its stop to the next start
    QTimer* m_timer = nullptr;
    std::atomic<int> m_inFlight { 0 };
    std::vector<ipccore::RunEvent> m_heldEvents;
    // Per worker: events of held-back snapshots, and those dropped from them to bound memory.
    static constexpr std::size_t MaxHeldWorkerEvents = 1 << 20;
    std::vector<std::vector<ipccore::WorkerEvent>> m_heldWorkerEvents;
    std::vector<std::uint64_t> m_droppedWorkerEvents;
    bool m_exitReported = false;
    // The workers' names as the latest snapshot has them ("c-1@lab2"), for a control's error to name its worker.
    std::vector<std::string> m_workerNames;
    std::vector<std::string> m_workerHosts; // each one's worker host, empty on this machine
};

} // namespace ipcui

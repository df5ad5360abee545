#pragma once

// The GUI-thread facade of a run: owns the controller thread, forwards commands to it as queued invocations and
// turns its signals into state the widgets read (latest snapshot, bounded histories). Nothing here blocks, except
// the destructor, which stops a run still going so closing the app never leaves workers or objects behind.

#include "ipccore/runner.h"
#include "ipccore/timeline.h"
#include "model/run_history.h"
#include "model/run_types.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QThread>

namespace ipcui {

class RunController;

class RunSession : public QObject {
    Q_OBJECT
public:
    explicit RunSession(QObject* parent = nullptr);
    ~RunSession() override;

    // Empty (the default) lets the runner find ipclab-worker beside the running executable.
    void setWorkerPath(const QString& path) { m_workerPath = path; }
    QString workerPath() const { return m_workerPath; }
    // Stop the run by itself once every worker has exited (count-limited scenarios). On by default.
    void setStopWhenAllExited(bool on) { m_stopWhenAllExited = on; }
    // Runs start in step mode: every process waits at its first step until stepped.
    void setStartStepping(bool on) { m_startStepping = on; }

    // Returns false (and emits errorOccurred) when a run is already going.
    bool start(const ipccore::Scenario& scenario);
    void stop();

    // Worker indices are rows of Snapshot::workers.
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
    // The run so far, or the last one once stopped, as Chrome trace-event JSON for Perfetto (built and written in a
    // thread of Qt's pool while sampling goes on); answers with traceExported.
    void exportTrace(const QString& path);

    RunState state() const { return m_state; }
    bool isActive() const { return m_state != RunState::Idle; }
    QString prefix() const { return m_prefix; }
    double sampleHz() const { return m_sampleHz; }
    // The scenario of the current (or last) run, as started: live-added workers are in the snapshots.
    const ipccore::Scenario& scenario() const { return m_scenario; }
    // The experiment as it runs now: the scenario as started, with the workers added since and the rates, message
    // sizes and work times set from the process table since. liveChanges() counts those changes (0: as started).
    const ipccore::Scenario& liveScenario() const { return m_live; }
    int liveChanges() const { return m_liveChanges; }
    SnapshotPtr latest() const { return m_latest; }
    quint64 snapshotCount() const { return m_snapshotCount; }
    const RunHistory& history() const { return m_history; }
    // Each process's states and each lock's holders over the run, from every snapshot's events (kept after stop).
    const ipccore::Timeline& timeline() const { return m_timeline; }
    const RunSummary& lastSummary() const { return m_lastSummary; }
    // The machine's mq limits, read once on the controller thread when the session is created. Until they arrive
    // (a few milliseconds), the Linux defaults stand in and hasMqLimits() is false.
    const ipccore::MqLimits& mqLimits() const { return m_mqLimits; }
    bool hasMqLimits() const { return m_hasMqLimits; }

signals:
    void stateChanged(ipcui::RunState state);
    void runStarted(const QString& prefix);
    // The run of scenario() did not start (the runner refused it; the reason comes as errorOccurred too).
    void startFailed();
    void runStopped(const ipcui::RunSummary& summary);
    // After the history has taken the snapshot in.
    void snapshotReceived(const ipcui::SnapshotPtr& snapshot);
    // The run's events, and before them (at 0 s) what the start-up cleanup removed of earlier runs.
    void eventLogged(double t, int kind, const QString& text); // kind: int(ipccore::RunEvent::Kind)
    void errorOccurred(const QString& message);
    void notice(const QString& message);
    void mqLimitsRead(const ipccore::MqLimits& limits);
    // addWorker started the worker (a refusal comes as errorOccurred instead).
    void workerAdded(const ipccore::WorkerSpec& spec);
    void traceExported(const QString& path, const QString& error); // error empty: written

private:
    // Applies a change made through the process table to the live scenario.
    template <typename Change> void changeLive(const QList<int>& workers, Change change);
    void setState(RunState state);
    template <typename Call> void post(Call call);
    void onSnapshot(const SnapshotPtr& snapshot);

    QThread m_thread;
    RunController* m_controller = nullptr;
    QString m_workerPath;
    bool m_stopWhenAllExited = true;
    bool m_startStepping = false;
    RunState m_state = RunState::Idle;
    QString m_prefix;
    double m_sampleHz = 0;
    ipccore::Scenario m_scenario;
    ipccore::Scenario m_live;
    int m_liveChanges = 0;
    SnapshotPtr m_latest;
    ipccore::Timeline m_timeline;
    quint64 m_snapshotCount = 0;
    RunHistory m_history;
    RunSummary m_lastSummary;
    ipccore::MqLimits m_mqLimits;
    bool m_hasMqLimits = false;
};

} // namespace ipcui

#pragma once

// The GUI-thread facade of watching other programs' objects in the Live view: a sampler in its own thread reads the
// watched queues, semaphores and segments 20 times a second (ipccore::SystemWatch, what `ipclab-cli watch` prints)
// and, once a second, lists the processes using them with their command line, state, CPU and the call they sleep in
// (ipccore::scanSystemIpc and readProcessInfo). It only reads: nothing is received, posted, waited on or unlinked.
// Pausing or killing one of those processes goes through the same thread (ipccore::signalProcess: the process shown,
// never a later holder of its pid).
//
// Nothing here blocks, except the destructor, which waits for a sample or listing in progress.

#include "ipccore/system_ipc.h"
#include "ipccore/system_process.h"
#include "ipccore/system_watch.h"

#include <QMetaType>
#include <QObject>
#include <QPointF>
#include <QString>
#include <QThread>

#include <deque>
#include <memory>
#include <vector>

namespace ipcui {

// One reading of every watched object, in the targets' order.
struct WatchFrame {
    double t = 0; // seconds since watching began
    std::vector<ipccore::WatchTarget> targets;
    std::vector<ipccore::WatchReading> readings;
};

// A process using one or more of the watched objects (IPC Lab itself, which holds them open to read them, is not
// listed).
struct WatchedProcess {
    int pid = 0;
    ipccore::ProcessInfo info;
    double cpuPercent = -1; // of one core since the last listing; -1 at its first
    // The call one of its threads sleeps in on a watched object and the object's state: "mq_timedsend on /jobs
    // (full)", "sem_wait on /done (value 0)"; empty when it waits on none of them.
    std::string blockedIn;
    // When it waits on none of them: what it does instead ("running", "clock_nanosleep"), or "" if unknown.
    std::string elsewhere;
    std::vector<std::string> uses; // the watched objects' names it has open or mapped
};

struct WatchUsers {
    std::vector<WatchedProcess> processes; // by pid
    int processesUnreadable = 0; // another user's processes could not be inspected (they may use the objects too)
};

class WatchSampler;

class WatchMonitor : public QObject {
    Q_OBJECT
public:
    static constexpr int SampleIntervalMs = 50; // 20 readings a second: a queue filling in a blink still shows
    static constexpr int UsersEverySamples = 20; // the processes once a second: a listing reads all of /proc
    static constexpr double HistorySeconds = 60; // points kept per object: what the charts show

    explicit WatchMonitor(QObject* parent = nullptr);
    ~WatchMonitor() override;

    // Adds an object to watch (nothing when it is watched already) and starts at once; a listed object's kind and
    // name say which. Beyond ipccore::MaxWatchTargets objects: refused().
    void watch(const ipccore::WatchTarget& target);
    // Watches every object named `name` ("/jobs": a queue and a segment may share it), found by a listing in the
    // sampler's thread; refused() when there is none.
    void watchNamed(const std::string& name);
    void unwatch(ipccore::WatchTarget target); // a copy: it may be one of targets(); nothing when not watched
    void clear();
    const std::vector<ipccore::WatchTarget>& targets() const { return m_targets; }
    bool isWatching(const ipccore::WatchTarget& target) const;

    // The readings so far of target `index`: (seconds, depth or value) for queues and semaphores, (seconds, bytes)
    // for segments; a gap (no point) while it did not exist or could not be read.
    const std::deque<QPointF>& history(std::size_t index) const { return m_history[index]; }
    std::shared_ptr<const WatchFrame> latest() const { return m_latest; }
    std::shared_ptr<const WatchUsers> users() const { return m_users; }

    // Sends `signal` to a process using a watched object, if it is still the one listed (answers with signalled()).
    void signalProcess(int pid, std::uint64_t startTicks, int signal);
    // Reads the first bytes of segment `name` (answers with peeked(): a hexdump -C text, or the problem).
    void peekSegment(const std::string& name, std::size_t bytes = 256);

signals:
    void targetsChanged();
    void sampled(const std::shared_ptr<const ipcui::WatchFrame>& frame);
    void usersListed(const std::shared_ptr<const ipcui::WatchUsers>& users);
    void signalled(int pid, int signal, const QString& error); // error empty: sent
    void peeked(const QString& name, const QString& hexDump, const QString& problem);
    // An object was not added: why, and what to do.
    void refused(const QString& problem);

private:
    void restart();
    void takeFrame(int generation, const std::shared_ptr<const WatchFrame>& frame);
    void takeUsers(int generation, const std::shared_ptr<const WatchUsers>& users);

    QThread m_thread;
    WatchSampler* m_sampler; // lives in m_thread, deleted when it finishes
    std::vector<ipccore::WatchTarget> m_targets;
    std::vector<std::deque<QPointF>> m_history;
    std::shared_ptr<const WatchFrame> m_latest;
    std::shared_ptr<const WatchUsers> m_users;
    int m_generation = 0; // of the last change of targets: frames for other targets are dropped
    bool m_restartPending = false; // a change of targets is on its way to the thread
};

} // namespace ipcui

Q_DECLARE_METATYPE(std::shared_ptr<const ipcui::WatchFrame>)
Q_DECLARE_METATYPE(std::shared_ptr<const ipcui::WatchUsers>)

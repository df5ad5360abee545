#pragma once

// Private: a worker host's side of one run (host.h's wire): the part of a scenario a controller sent, run by a
// Runner of the host's own on a thread of its own (the thread that spawns the workers must outlive them:
// PR_SET_PDEATHSIG), which turns its snapshots and its report into messages for the host to send.

#include "host_messages.h"
#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ipccore::detail {

class HostRun {
public:
    // How often the host sends its snapshots at most (the runner samples at the scenario's rate).
    static constexpr double StreamHz = 20;

    // Starts the run in the background; its first message is "started" or "error". With options.startHeld its
    // workers wait at their pause gate until release() (each snapshot message says "held" meanwhile).
    HostRun(std::string id, Scenario part, RunOptions options = {});
    ~HostRun(); // stops the run (as requestStop) and waits for it
    HostRun(const HostRun&) = delete;
    HostRun& operator=(const HostRun&) = delete;

    const std::string& id() const { return m_id; }
    // Stops the workers; the last message is the report. `why` goes into the run's events when not empty.
    void requestStop(const std::string& why = {});
    // Lets a part started held (options.startHeld) go, at once; true the first time, false when it was not held.
    bool release();
    // A control of one of the part's workers (pause, rate, ...): applied by the run's thread before its next sample;
    // one it cannot apply (no such worker, a value the worker refuses) becomes a warning among the run's events. At
    // most MaxControls wait; more are dropped, and the run says how many.
    static constexpr std::size_t MaxControls = 256;
    void control(ControlRequest request);
    // A control this host could not read (a newer controller's, or a broken one): counted, and said once among the
    // run's events. True the first time, so the host logs it once.
    bool controlNotUnderstood();
    // The messages made since the last call, in order.
    std::vector<std::string> takeMessages();
    // True once the last message (report or error) has been made.
    bool finished() const { return m_finished.load(); }
    // Once finished: whether its runner started (false: its first message was the "error"), and what its workers
    // received in all (consumers' and programs' gets), as its report counts it.
    bool started() const { return m_started.load(); }
    const std::string& startError() const { return m_startError; } // why it did not start; read once finished
    std::uint64_t received() const { return m_received.load(); }

private:
    void run(Scenario part, const RunOptions& options);
    void post(std::string message);
    // Applies the controls waiting; returns what it could not apply, as warnings.
    std::vector<std::string> applyControls(Runner& runner);

    std::string m_id;
    std::atomic<bool> m_stop { false }; // set under m_mutex
    std::atomic<bool> m_finished { false };
    std::atomic<bool> m_started { false };
    std::atomic<std::uint64_t> m_received { 0 };
    bool m_startedHeld = false;
    std::string m_startError; // written before m_finished is set
    std::atomic<bool> m_release { false }; // asked, not applied yet; set under m_mutex
    std::atomic<bool> m_released { false }; // asked once
    std::mutex m_mutex;
    std::deque<std::string> m_out; // guarded by m_mutex
    std::size_t m_outBytes = 0; // their sizes; guarded by m_mutex
    std::condition_variable m_wake; // the run's thread waits on it between samples, for a stop or a release
    std::string m_stopReason; // guarded by m_mutex
    std::vector<ControlRequest> m_controls; // not applied yet; guarded by m_mutex
    std::uint64_t m_controlsDropped = 0; // guarded by m_mutex
    std::uint64_t m_controlsNotUnderstood = 0; // guarded by m_mutex
    bool m_toldNotUnderstood = false; // guarded by m_mutex
    std::thread m_thread; // last, so it starts after the rest is made
};

} // namespace ipccore::detail

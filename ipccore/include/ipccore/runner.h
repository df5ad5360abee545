#pragma once

// The runner: turns a Scenario into a live experiment and back into a report.
//
//  start()  creates every object under a fresh prefix "/ipclab-<pid>-<random>-" (O_EXCL, mode 0600), records each
//           name in a manifest before creating it, creates the telemetry board and spawns one ipclab-worker per
//           worker (each dies with its controller: PR_SET_PDEATHSIG).
//  sample() reads the board and each object's state (mq depth, semaphore values, ring occupancy), reaps workers
//           that exited, and returns an immutable Snapshot. Never blocks.
//  stop()   stops producers, then consumers (SIGTERM, SIGKILL after a grace period), measures what is left in each
//           object, unlinks everything it created and returns the Report.
//
// Thread affinity: call start(), sample(), the controls and stop() from one thread. Workers are spawned from it, and
// Linux delivers PR_SET_PDEATHSIG when the *spawning thread* exits, so that thread must outlive the run.

#include "ipccore/contention.h"
#include "ipccore/ledger.h"
#include "ipccore/result.h"
#include "ipccore/scenario.h"
#include "ipccore/semaphore_value.h"
#include "ipccore/telemetry.h"
#include "ipccore/trace.h"
#include "ipccore/wait_for.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ipccore {

struct RunOptions {
    std::string workerPath; // the ipclab-worker executable; empty = next to the running executable
    double sampleHz = 0; // 0 = the scenario's sampleHz
    std::string csvPath; // when set, every sample is appended to this CSV file
    bool telemetry = true; // false: workers publish counters only at exit (for measuring observation cost)
    bool stepMode = false; // start in step mode (Runner::setStepMode): every worker waits before its first step
    // A worker host's part (host.h): the zmq-tcp objects whose producers run on another machine (and how many
    // producers they have there), and the address their consumers listen on here (the host's own, from --listen).
    struct ServedObject {
        std::string name;
        std::uint32_t producersElsewhere = 0;
    };
    std::vector<ServedObject> servedObjects;
    std::string servedAddress;
    // Each worker in a process group of its own (a host's workers): a Ctrl-C or a hangup in the host's terminal,
    // which goes to its whole foreground group, then reaches the host alone, which hands its run back first.
    bool ownProcessGroups = false;
    // Every worker starts held at its pause gate (its objects made, its endpoint open, nothing moved) until
    // Runner::release(): a host's part waits so for the controller's "go" (every host has started its part).
    bool startHeld = false;
};

// An object a program holds now (a paired acquire not yet released), and for how long.
struct HeldObject {
    std::string object;
    double seconds = 0;
};

struct WorkerStatus {
    std::string name;
    Role role = Role::Producer;
    std::string object; // ObjectSpec::name
    TransportKind transport = TransportKind::Mq;
    std::string host; // the worker host it runs on (WorkerSpec::host); empty = this machine
    // On a host that stopped answering (LinkStatus::Lost): what it showed last, `alive` false, exitText says so.
    bool lostWithHost = false;
    // On a host that left during the run (stopped there; its part handed back): ended, exitText says so.
    bool leftWithHost = false;
    pid_t pid = 0; // on a host: that machine's process id
    pid_t ppid = 0; // its parent: the process that runs the runner (what os.getppid() returns in the worker)
    WorkerState state = WorkerState::Starting;
    double stateSeconds = 0; // time in the current state
    std::string waitingOn; // what a blocked worker waits for, e.g. "buffer: empty slots (sem)"
    // Programs: the step it is on ("read counter[0]"), its index, for how long, and per step what was done and
    // what was missed (an acquire that timed out). messages counts whole passes through the program.
    std::string step;
    std::uint32_t stepIndex = 0;
    double stepSeconds = 0;
    // Step mode: whether it waits at its gate now, before which step (a producer's or consumer's is 0), and the steps
    // it has taken in step mode so far.
    bool atGate = false;
    std::uint32_t gateStep = 0;
    std::uint64_t stepsTaken = 0;
    std::int64_t registerValue = 0; // a program's x: what its last read took (WorkerSlot::registerValue)
    std::vector<HeldObject> holds; // what it holds now; a dead process: what it held when it died, and still holds
    std::vector<std::uint64_t> stepDone;
    std::vector<std::uint64_t> stepMissed;
    std::vector<double> stepMeanUs; // per step: mean time of the runs that completed (a request: its round trip)
    TaskCounts tasks; // pools: a caller's or a pool worker's tasks (ledger.h)
    RequestCounts requests; // Manager: a client's requests and replies, or the server's (ledger.h)
    std::vector<ServerEntry> serverData; // a server: the entries of its dict and Namespace it shows, and "l" (length)
    // Messages the program put into and took from each object it is bound to, in its binding order.
    std::vector<std::uint64_t> boundSent, boundReceived;
    std::vector<std::int64_t> boundValue; // a global among them: this process's own copy
    // What it took from an mq, per priority (sent stays 0 here); otherPriorities: beyond the first four it saw.
    std::vector<PriorityShare> byPriority;
    std::uint64_t otherPriorities = 0;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    double msgsPerS = 0; // over the last sample interval
    double mbPerS = 0;
    double blockedFraction = 0; // of its lifetime so far, 0..1
    std::uint64_t blockedNs = 0; // its blocked spells that have ended (WorkerSlot::blockedNs)
    std::uint64_t waitsUntracked = 0; // waits at more places than its slot records (in blockedNs only)
    // Its state changes and steps drained from its event ring since the previous sample (the timeline's input,
    // timeline.h), how many events its ring lost so far (full before it was drained), what they mean, and when it
    // exited (CLOCK_MONOTONIC; 0 while alive).
    std::vector<WorkerEvent> newEvents;
    std::uint64_t eventsLost = 0;
    std::uint64_t holdsNotRecorded = 0; // its channel lock's holds over the events' budget (WorkerSlot::EventLock)
    std::shared_ptr<const LaneInfo> lane;
    std::uint64_t exitNs = 0;
    // Paused by the user (the Pause control, SIGSTOP) since pausedSinceNs, 0 when not: a stopped process cannot
    // record that in its events, so the runner says when. resumedNs: when such a pause last ended (0: never).
    std::uint64_t pausedSinceNs = 0;
    std::uint64_t resumedNs = 0;
    double cpuPercent = 0; // of one core, refreshed a few times per second
    std::uint64_t gaps = 0, duplicated = 0, outOfOrder = 0, corrupt = 0;
    double meanLatencyUs = 0; // consumers only
    // Consumers: the messages meanLatencyUs is the mean of, those whose producer stamped their send time (every
    // message below about 100,000 a second, of an mq or under a rate control; about one in 64 of a faster producer,
    // each weighted by the messages it stands for). Local workers only (a host sends its consumers' mean).
    std::uint64_t timedMessages = 0;
    std::int64_t kernelBytes = -1; // a socket consumer: bytes waiting for it in the kernel (FIONREAD); -1 elsewhere
    std::int32_t connections = -1; // a socket consumer: the producers' connections it accepted and reads; -1 elsewhere
    double rate = 0; // current rate control (0 = unlimited)
    std::uint32_t messageSize = 0; // current size control
    std::uint32_t workUs = 0;
    std::uint32_t priority = 0; // a producer's mq priority (WorkerSpec::priority)
    bool alive = true;
    int exitCode = -1; // when exited normally
    int termSignal = 0; // when killed by a signal
    std::string exitText; // "exited 0", "killed by SIGKILL", "stopped on error: ..."
    // Python's Process.exitcode once it has ended: the exit status, or minus the signal that killed it (-15 after
    // SIGTERM). 0 while alive (check `alive`).
    int exitcode = 0;
    // Errors the worker went on after (see WorkerSlot::errorCount), and the latest one as a sentence naming the
    // errno, the limit and the remedy (empty when none).
    std::uint64_t errors = 0;
    std::string errorText;
};

// One process's copy of a global (TransportTraits::perProcess).
struct GlobalCopy {
    std::string worker;
    std::int64_t value = 0;
    bool alive = true;
};

struct ObjectStatus {
    std::string name; // ObjectSpec::name
    std::string osName; // the name in the system
    TransportKind transport = TransportKind::Mq;
    std::string host; // the worker host it lives on; empty = this machine
    std::uint32_t capacity = 0; // messages; 0 where the kernel buffer is counted in bytes (fifo, socket)
    std::uint32_t messageSize = 0;
    std::int64_t depth = -1; // messages in the object now; -1 when it cannot be seen (socket buffers)
    std::int64_t bytesQueued = -1; // fifo: bytes waiting in the pipe (FIONREAD); -1 elsewhere
    std::int64_t byteCapacity = 0; // fifo: the pipe's buffer size in bytes (F_GETPIPE_SZ)
    // zmq-tcp between machines, on its consumers' machine: where each consumer listens ("tcp://ADDRESS:PORT", in
    // consumer order; empty for one that has not bound) and the CURVE public key its producers elsewhere need
    // (ChannelObject::reach); no entries until the first has bound.
    std::vector<std::string> listensOn;
    std::string publicKey;
    // A broadcast (zmq-pub, zmq-pub-tcp): its live subscriber furthest behind, the one its publishers wait for when
    // a queue is full, and by how many copies: what the subscriber furthest ahead received and it did not (every one
    // is due every message). Empty while none lags, with one subscriber, and for any other object (a broadcast
    // between machines is not built).
    std::string furthestBehind;
    std::int64_t furthestBehindBy = 0;
    std::vector<SemaphoreValue> semaphores;
    std::vector<std::int64_t> cells; // shm-array: every cell's value; global: each copy's, as in `copies`
    std::vector<GlobalCopy> copies; // global: each process's own copy
    // Who holds it now (its lock, or a permit of a semaphore), and who is blocked on it now; seconds: for how long.
    // A dead holder is listed, not alive: a killed process keeps a semaphore's permit for ever.
    struct User {
        std::string worker;
        double seconds = 0;
        bool alive = true;
    };
    std::vector<User> holders;
    std::vector<User> waiters;
};

struct RunEvent {
    double t = 0; // seconds since start; 0 for what was done before it (the start-up cleanup)
    enum class Kind { Info, Warning, Error } kind = Kind::Info;
    std::string text;
};

struct Snapshot {
    double t = 0; // seconds since start
    std::uint64_t startNs = 0, nowNs = 0; // CLOCK_MONOTONIC at the start and at this sample
    std::vector<WorkerStatus> workers;
    std::vector<ObjectStatus> objects;
    Ledger ledger; // total over all objects, live (left = current depth)
    std::vector<Ledger> objectLedgers; // same order as objects
    // Every wait that has ended, per object and per worker. Made again at every round(sampleHz / 50)th sample taken
    // (every sample at the default 50 Hz, every 20th at 1 kHz) and at the sample stop() takes; the samples in between
    // share it. The deadlock verdict is judged at the same samples.
    std::shared_ptr<const Contention> contention = noContention();
    WaitForVerdict deadlock; // a deadlock once one has been seen (kind None until then)
    double totalMsgsPerS = 0; // received (or, for shm-value, sent) per second over the last interval
    std::vector<RunEvent> events; // new since the previous sample
    bool stepMode = false; // Runner::setStepMode
    double stepRate = 0; // Runner::setStepRate
};

struct WorkerSummary {
    std::string name;
    Role role = Role::Producer;
    std::string object;
    std::string host; // as WorkerStatus::host
    pid_t pid = 0;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    double msgsPerS = 0;
    double mbPerS = 0;
    double blockedFraction = 0;
    // CPU time over its life as a percentage of one core (from /proc, read a few times a second, so the last
    // fraction of a second before it ended is not in it).
    double cpuPercent = 0;
    double meanLatencyUs = 0; // consumers: mean time from send to receive of the messages it took
    std::uint64_t timedMessages = 0; // consumers: of those, the ones it is the mean of (WorkerStatus::timedMessages)
    std::string exitText;
    WorkerState state = WorkerState::Finished; // Finished or Dead, as WorkerStatus at stop
    int exitcode = 0; // Python's Process.exitcode, as WorkerStatus::exitcode
    std::uint64_t errors = 0; // as WorkerStatus::errors and errorText
    std::string errorText;
    // Programs: each step's text and what it did (messages counts passes).
    std::vector<std::string> steps;
    std::vector<std::uint64_t> stepDone, stepMissed;
    std::vector<double> stepMeanUs; // mean time per completed run of each step
    TaskCounts tasks; // pools: tasks submitted and collected (caller), taken and answered (pool worker)
    RequestCounts requests; // Manager: requests and replies (client), or requests served (server)
};

struct ObjectSummary {
    std::string name;
    std::string osName;
    TransportKind transport = TransportKind::Mq;
    std::string host; // as ObjectStatus::host
    std::uint32_t capacity = 0;
    std::int64_t depthMin = 0, depthMax = 0;
    double depthMean = 0;
    std::vector<std::string> semaphoreText; // "empty 0..8 (last 3)"
    std::vector<std::int64_t> cells; // shm-array: the cells at stop
    std::vector<GlobalCopy> copies; // global: each process's copy at stop
    Ledger ledger;
};

struct Report {
    std::string scenario;
    double durationS = 0;
    std::vector<WorkerSummary> workers;
    std::vector<ObjectSummary> objects;
    Ledger integrity; // totals
    Contention contention; // every wait of the run, per object and per worker
    WaitForVerdict deadlock; // the deadlock the run ended in, if any (kind None otherwise)
    std::vector<RunEvent> events;
    std::vector<RunEvent> stopEvents; // those of `events` the stop itself raised, which no live snapshot carried
    std::vector<std::string> deadWorkers; // which killed worker took what, e.g. "consumer-1 (killed by SIGKILL): ..."
    std::vector<std::string> cleanup; // what stop() removed
};

class Runner {
public:
    // Validates the scenario, creates the objects and spawns the workers. On error nothing is left behind.
    static Result<std::unique_ptr<Runner>> start(const Scenario& scenario, const RunOptions& options = {});
    ~Runner(); // stops the run if stop() was not called

    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    Snapshot sample();
    // True when every worker has exited (count-limited scenarios end by themselves).
    bool allWorkersExited() const;
    // True once a sample has found a deadlock: processes in a cycle of waits that none of them can leave.
    bool deadlocked() const;
    // Effective sampling rate.
    double sampleHz() const;

    // Live controls. `worker` is an index into Snapshot::workers. Values are validated as in the scenario.
    Result<std::size_t> addWorker(const WorkerSpec& spec);
    Status pauseWorker(std::size_t worker); // SIGSTOP
    Status resumeWorker(std::size_t worker); // SIGCONT
    Status terminateWorker(std::size_t worker); // SIGTERM: finishes the message in hand, then exits
    Status killWorker(std::size_t worker); // SIGKILL
    Status setRate(std::size_t worker, double messagesPerSecond);
    Status setMessageSize(std::size_t worker, std::uint32_t bytes);
    Status setWorkUs(std::size_t worker, std::uint32_t microseconds);
    // Step mode, for teaching: on, every worker (and every one added later) waits at a gate before each of its steps
    // (a producer's put, a consumer's get, each step of a program) until it is let go; off, they run freely again.
    // Nothing is simulated: each step let go is the real operation on the real object.
    void setStepMode(bool on);
    // Lets the workers held since the start (RunOptions::startHeld) go, with any added meanwhile. It clears every
    // worker's pause gate: for a host's part, whose runner holds nothing else there before its stop (a controller's
    // settle and hand-off hold its producers the same way, so a runner with hosts of its own never starts held).
    void release();
    bool held() const; // started held and not released yet (nor stopped)
    // Lets each of `workers` (every worker when empty) that waits at its gate, with no step granted yet, take one
    // step. Returns how many were let go; one blocked inside a step, paused, or not alive is not.
    std::size_t step(const std::vector<std::size_t>& workers = {});
    // In step mode, each worker also lets itself take a step at this rate: 0 (granted steps only) or 0.5 to 1000.
    Status setStepRate(double stepsPerSecond);

    Report stop();
    // The run so far as a trace (trace.h): each worker's states and steps from its event ring, the objects' values
    // as sampled, the run's events. After stop() it holds the whole run, its last events drained.
    TraceLog traceLog() const;
    // The same, its events moved out rather than copied: for after stop(), when nothing more will be drained.
    TraceLog takeTraceLog();

    const Scenario& scenario() const;
    const std::string& prefix() const;

    struct Impl;

private:
    explicit Runner(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// Removes the objects of earlier runs whose controller is dead (their run lock is free), and only those; likewise
// the objects of a bench whose process is gone ("/ipclab-b<pid>-..."). Only objects owned by this user.
// Returns one line per removed object; objects of live runs are never touched.
std::vector<std::string> cleanupStaleRuns();

// The directory holding run locks, manifests, FIFOs and sockets: $XDG_RUNTIME_DIR/ipclab or /tmp/ipclab-<uid>.
std::string runtimeDirectory();

std::string reportToText(const Report& report);
std::string reportToJson(const Report& report);

// A worker's or object's name with the worker host it runs on, as every view shows it: "c-1@lab2" ("c-1" on this
// machine).
std::string placedName(const std::string& name, const std::string& host);

} // namespace ipccore

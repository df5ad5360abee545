#include "ipccore/runner.h"

#include "futex.h"
#include "ipccore/channel.h"
#include "ipccore/clock.h"
#include "ipccore/framing.h"
#include "ipccore/stream.h"
#include "ipccore/system_process.h"
#include "ipccore/trace.h"
#include "ipccore/worker.h"
#include "remote_hosts.h"
#include "run_directory.h"
#include "sys_error.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

namespace ipccore {

namespace {

// Long enough for a consumer to drain its socket connections (up to 2 s) on a slow, sanitized build.
constexpr std::uint64_t StopGraceNs = 5'000'000'000ull;
// How long a stop waits for ZeroMQ's queues to empty before it stops their producers (settleCountedObjects).
constexpr std::uint64_t SettleLimitNs = 2'000'000'000ull;
constexpr std::uint64_t RateWindowNs = 250'000'000ull;
constexpr std::uint64_t CpuRefreshNs = 250'000'000ull;
// What a sample derives from every worker's waits, the contention table and the wait-for verdict, is made again at
// every round(hz / DerivedHz)th sample taken: at every sample at the default 50 Hz, at every 20th at 1 kHz (so less
// often when samples are dropped). At 1 kHz with 128 workers, reading each worker's wait histograms, merging them
// and judging the waits took a third of each sample, and nothing looks at them a thousand times a second: the window
// draws 20 frames a second.
constexpr double DerivedHz = 50;

std::string signalName(int sig)
{
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string randomHex()
{
    std::uint32_t value = 0;
    if (getrandom(&value, sizeof value, 0) != sizeof value)
        value = std::uint32_t(monotonicNs() ^ std::uint64_t(getpid()) << 16);
    char text[9];
    std::snprintf(text, sizeof text, "%08x", value);
    return text;
}

std::string findWorkerExecutable(const RunOptions& options)
{
    if (!options.workerPath.empty())
        return options.workerPath;
    if (const char* env = std::getenv("IPCLAB_WORKER"); env && *env)
        return env;
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return "ipclab-worker";
    std::string path(self, std::size_t(n));
    return path.substr(0, path.rfind('/') + 1) + "ipclab-worker";
}

struct CpuSample {
    std::uint64_t usedNs = 0; // time on a CPU since the process started
    char state = '?';
    bool ok = false;
};

// A small /proc file of this pid into buf (NUL-terminated); the length read, 0 when it could not be read. Plain
// open and read into the caller's buffer: a stream and a string per read were a tenth of a 128-worker sample.
std::size_t readProcFile(pid_t pid, const char* file, char* buf, std::size_t size)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/%s", int(pid), file);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    std::size_t used = 0;
    while (used + 1 < size) {
        const ssize_t n = read(fd, buf + used, size - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += std::size_t(n);
    }
    close(fd);
    buf[used] = '\0';
    return used;
}

// Its state from /proc/PID/stat, and the CPU time it used. `cpuClock` is its process CPU clock
// (clock_getcpuclockid): the scheduler's own account in nanoseconds, one system call (reading /proc/PID/schedstat
// for it was a twentieth of a 128-worker sample). utime + stime in clock ticks where the clock cannot be read
// (10 ms steps: too coarse to show a worker that uses 1 % of a core over a quarter of a second).
CpuSample readProcStat(pid_t pid, std::optional<clockid_t> cpuClock)
{
    CpuSample s;
    char text[1024];
    if (readProcFile(pid, "stat", text, sizeof text) == 0)
        return s;
    ProcessInfo info;
    if (!parseProcessStat(std::string_view(text), info))
        return s;
    s.state = info.state;
    timespec used {};
    if (cpuClock && clock_gettime(*cpuClock, &used) == 0)
        s.usedNs = std::uint64_t(used.tv_sec) * 1'000'000'000ull + std::uint64_t(used.tv_nsec);
    else
        s.usedNs = info.cpuTicks * 1'000'000'000ull / std::uint64_t(sysconf(_SC_CLK_TCK));
    s.ok = true;
    return s;
}

// The object a wait in `state` at program step `stepIndex` is on: a request or a pool call waits for room in the
// queue it puts into or for what comes back; a server waits for a request, or for room in one of its clients' reply
// queues (empty: no one object is it). A producer or consumer waits on its own object.
// A reference into `spec` (or to an empty string), so that the sampler, which asks for every blocked worker at every
// sample, copies nothing. It must not be kept across a spawn, which moves the specs.
const std::string& waitObjectOf(const WorkerSpec& spec, std::uint32_t stepIndex, WorkerState state)
{
    static const std::string none;
    if (spec.role != Role::Program)
        return spec.object;
    if (stepIndex >= spec.program.size())
        return none;
    const ProgramStep& step = spec.program[stepIndex];
    const bool room = state == WorkerState::BlockedFull;
    if (step.op == StepOp::Request || isPoolCall(step.op))
        return room ? step.object : step.results;
    if (step.op == StepOp::Serve && room)
        return none;
    return step.object;
}

// A wait that has lasted this long, with no timeout, counts as stuck for the wait-for verdict: longer than any step
// of a bundled scenario waits when it is not stuck, short enough to name a deadlock within a second.
constexpr double StuckSeconds = 0.5;

bool contains(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

// The objects a worker could post to without holding them first, whatever it holds (wait_for.h): a producer's or a
// consumer's object, what a program puts into or takes from, and a semaphore it releases without acquiring it.
std::vector<std::string> postsOf(const WorkerSpec& spec)
{
    std::vector<std::string> posts;
    auto add = [&](const std::string& name) {
        if (!name.empty() && !contains(posts, name))
            posts.push_back(name);
    };
    if (spec.role != Role::Program) {
        add(spec.object);
        return posts;
    }
    const std::vector<std::size_t> pairs = lockPairs(spec.program);
    for (std::size_t i = 0; i < spec.program.size(); ++i) {
        const ProgramStep& step = spec.program[i];
        if (step.op == StepOp::Acquire || step.op == StepOp::Read || step.op == StepOp::Write
            || step.op == StepOp::Work)
            continue;
        if (step.op == StepOp::Release) {
            if (pairs[i] == spec.program.size()) // a signal; a paired release gives back what its holder took
                add(step.object);
            continue;
        }
        add(step.object);
        add(step.results);
    }
    return posts;
}

WaitKind waitKindOf(WorkerState state)
{
    return state == WorkerState::BlockedFull ? WaitKind::Room
        : state == WorkerState::WaitingLock  ? WaitKind::Lock
                                             : WaitKind::Data;
}

} // namespace

struct Runner::Impl {
    struct WorkerProc {
        WorkerSpec spec;
        std::size_t object = 0;
        std::uint32_t slot = 0;
        pid_t pid = 0;
        bool alive = false;
        bool stopping = false; // an exit now is expected
        bool pausedBySignal = false;
        std::uint64_t pausedNs = 0; // when pausedBySignal began
        // When it was last resumed (SIGCONT): a state it was in before its pause is what its slot still shows until it
        // runs again, which is no wait that has lasted.
        std::uint64_t resumedNs = 0;
        bool terminated = false; // sent SIGTERM on its own (the Terminate control), not as part of stop()
        std::uint32_t consumerIndex = 0; // a ZeroMQ consumer: the endpoint it binds (ChannelAddress)
        int exitCode = -1;
        int termSignal = 0;
        std::string exitText;
        std::uint64_t startNs = 0, endNs = 0;
        std::uint64_t rateMessages = 0, rateBytes = 0, rateNs = 0; // checkpoint for rates
        double msgsPerS = 0, mbPerS = 0;
        std::uint64_t cpuUsedNs = 0, cpuNs = 0; // CPU time used, and when it was read
        // The last reads (when, CPU time used), oldest first once full: the CPU % shown is over the span from the
        // oldest to now, about a second, not over the last quarter second alone. A process that runs in bursts
        // (a shm-spsc side that spins, yields and sleeps) read 0.2 % in one quarter and 90 % in the next, beside a
        // msgs/s that had moved on.
        std::array<std::pair<std::uint64_t, std::uint64_t>, 4> cpuReads {};
        std::size_t cpuReadCount = 0;
        // When to read it next: every CpuRefreshNs, each worker at its own phase of it, so that a sample reads a
        // few workers' /proc files, not all of them at once every quarter of a second.
        std::uint64_t cpuDueNs = 0;
        std::optional<clockid_t> cpuClock; // its process CPU clock, when the kernel gave one (readProcStat)
        FileDescriptor exitFd; // its pidfd, in exitPoll: readable once it has exited (reap)
        double cpuPercent = 0;
        char procState = '?';
        // What the worker held when it died (read from its slot after it was reaped).
        bool killed = false; // ended by a signal, or by an error while holding something
        std::uint32_t heldMessages = 0; // in doubt at death (see WorkerSlot::holding)
        std::uint32_t stepAtDeath = 0; // programs: the step it was on when it exited
        // A broadcast's consumer (zmq-pub, zmq-pub-tcp) that has ended: what its object's producers had counted as sent
        // when it was reaped, the most that can have been due to it (ledgerFor).
        std::uint64_t sentWhenReaped = 0;
        std::vector<std::string> stepTexts; // programs: each step as text, made once (the sampler shows them)
        std::vector<std::string> usedObjects; // programs: the objects their steps name, found once at spawn
        std::string objectText; // what WorkerStatus::object shows: the object, or a program's objects joined
        ChannelObject::DeadHolder holder;
        bool tokensSettled = true; // false until the runner has given back what it held (or decided not to)
        std::uint64_t errorsSeen = 0; // the slot's errorCount at the last sample
        int errorErrno = 0; // of the error errorText describes
        std::string errorText;
        bool waitingKnown = false; // waitingText describes waitingState (sample path cache)
        WorkerState waitingState = WorkerState::Starting;
        std::string waitingText;
        // Its slot's wait sites as named so far (WorkerSlot::WaitSite), with the key each was named for: the object
        // and the sentence are made once per site, not at every sample.
        std::vector<std::pair<std::uint32_t, WaitRecord>> waitSites;
        std::vector<std::string> posts; // objects it could post to without holding them (wait_for.h), found at spawn
        // Its events as drained from its slot's ring at each sample (the trace), and how many were drained.
        TraceWorker trace;
        std::uint64_t eventsRead = 0;
    };
    // Events kept per worker for the trace: the oldest half goes when there are more (bounded memory, counted).
    static constexpr std::size_t MaxTraceEvents = 262'144;
    // And over all workers (a run may respawn workers thousands of times): 64 MB of events at most.
    static constexpr std::size_t MaxRunTraceEvents = 4'194'304;
    std::size_t traceEventsKept = 0;
    static constexpr std::size_t MaxTracePoints = 65'536; // per object: 20 minutes at 50 Hz
    std::vector<TraceCounter> traceCounters; // per object, in objects' order, filled as samples come

    struct ObjectRuntime {
        ObjectSpec spec;
        ChannelAddress address;
        std::unique_ptr<ChannelObject> channel;
        std::int64_t depthMin = 0, depthMax = 0;
        std::int64_t depthLast = 0; // as the latest sample read it (-1: it cannot be seen)
        double depthSum = 0;
        std::uint64_t depthSamples = 0;
        std::vector<std::pair<int, int>> semRange; // min, max per semaphore
        std::vector<int> semLast;
        std::vector<std::string> semRoles;
        std::uint64_t leftAtStop = 0;
        std::int64_t byteCapacity = -1; // read at the first sample
        // zmq-tcp between machines: where its consumers listen and their public key, as known (on a consumers'
        // machine, read from their files; on the producers', as the hosts told and they were published: the key the
        // last host sent).
        ChannelObject::Reach reach;
        // With its consumers on hosts: what its producers add to their clock to stamp in a host's (stampClock).
        std::int64_t clockOffsetNs = 0;
        std::uint32_t producersElsewhere = 0; // served to another machine: its producers there
        // A duplex anonymous object (socketpair): the worker holding each end (an index into workers; SIZE_MAX, or a
        // dead worker: free). Set only once the worker runs (holdEnds).
        std::size_t endHolder[2] = { SIZE_MAX, SIZE_MAX };
        std::uint64_t lockTakenSinceNs = 0; // since when the lock has looked stuck (see repairDeadHolders); 0 = not
        std::uint64_t lockProgressAtStart = 0;
        bool frozenReported = false;
        // Workers that died on their way into the lock, where they may have taken it without their phase saying so
        // (see mayHaveJustTakenLock); cleared as soon as the lock is seen free or someone gets through it.
        std::string lockSuspects;
    };

    Scenario scenario; // this machine's part (scenarioPart)
    Scenario whole; // as given, with the parts that run on worker hosts
    std::vector<std::string> betweenMachinesNames; // objectsBetweenMachines(whole)
    std::unique_ptr<detail::RemoteHosts> remote; // the parts on worker hosts; none when every worker runs here
    RunOptions options;
    std::string runId;
    // This process, every worker's parent: read once, for a getpid() per worker per sample was 32 000 system calls a
    // second with 32 workers at 1 kHz.
    pid_t selfPid = getpid();
    std::string prefix;
    std::string workerPath;
    std::optional<detail::RunDirectory> directory;
    std::vector<OsName> recorded;
    std::vector<ObjectRuntime> objects;
    std::optional<TelemetryBoard> board;
    std::vector<WorkerProc> workers;
    // Per object, the workers that may use it (indices into workers, in order): those listed under it
    // (WorkerProc::object) and the programs whose steps name it (workerObjects). The sampler's per-object books read
    // these and nobody else, which keeps a sample of 128 workers on 32 objects from asking every worker about every
    // object.
    std::vector<std::vector<std::size_t>> objectUsers;
    std::uint32_t nextSlot = 0;
    std::uint64_t startNs = 0;
    double hz = 50;
    std::vector<RunEvent> pending;
    std::vector<RunEvent> allEvents;
    std::vector<TraceWorker> hostTraces; // the workers on worker hosts, for the trace (traceHostWorkers)
    std::ofstream csv;
    std::optional<std::size_t> csvWorkers; // the workers with a column (writeCsvRow), once its header is written
    bool stopped = false;
    // The wait-for verdict: a deadlock is kept from the sample that first saw it (the run is over in all but name);
    // a stall is said once for each set of stuck processes.
    WaitForVerdict deadlock;
    std::vector<std::string> stallSaid;
    // The contention table as last made, shared by the samples until it is made again, and when that is due.
    std::shared_ptr<const Contention> contention = noContention();
    std::uint64_t samplesToDerive = 0; // samples until the next that derives them (0: this one)
    Report finalReport;
    // Step mode (Runner::setStepMode), applied to every slot and to each new worker's slot before it starts.
    bool stepMode = false;
    double stepRate = 0;
    // RunOptions::startHeld until Runner::release(): each worker spawned meanwhile waits at its pause gate.
    bool heldAtStart = false;
    std::thread::id owner = std::this_thread::get_id();

    ~Impl() { teardown(); }

    // Before startNs is set (the start-up cleanup runs first) there is no run time yet: such events are at 0.
    double secondsSinceStart(std::uint64_t now) const
    {
        return startNs == 0 || now < startNs ? 0.0 : double(now - startNs) / 1e9;
    }

    void event(RunEvent::Kind kind, std::string text)
    {
        RunEvent e { secondsSinceStart(monotonicNs()), kind, std::move(text) };
        pending.push_back(e);
        allEvents.push_back(std::move(e));
    }

    Status record(const OsName& n)
    {
        recorded.push_back(n);
        return directory->record(n);
    }

    Status createObjects()
    {
        for (const ObjectSpec& spec : scenario.objects) {
            ObjectRuntime rt;
            rt.spec = spec;
            rt.address.transport = spec.transport;
            rt.address.capacity = spec.capacity;
            rt.address.messageSize = spec.messageSize;
            if (const char* suffix = traits(spec.transport).pathSuffix)
                rt.address.name = directory->path() + "/" + spec.name + suffix;
            else
                rt.address.name = prefix + spec.name;
            // Between machines: served to producers on another machine (a host's part), or with its consumers on a
            // host (the controller's part).
            const auto served = std::find_if(options.servedObjects.begin(), options.servedObjects.end(),
                [&](const RunOptions::ServedObject& s) { return s.name == spec.name; });
            if (served != options.servedObjects.end()) {
                rt.address.bindAddress = options.servedAddress;
                rt.producersElsewhere = served->producersElsewhere;
            } else if (contains(betweenMachinesNames, spec.name)) {
                rt.address.consumerElsewhere = true;
                // Its consumers' latency compares the time a producer here stamped with their host's clock. Where
                // the clocks differ by more than the link can tell, the producers stamp in a host's clock
                // (stampClock), and the latencies of hosts ahead of that one are corrected as they are merged.
                if (const auto clock = remote ? remote->clockOffsetOf(spec.name) : std::nullopt) {
                    rt.clockOffsetNs = clock->stamp.stampOffsetNs;
                    // "host lab2 is +14.9 µs ± 233.1 µs", or "hosts are lab2 +14.9 µs ± 233.1 µs, lab3 ..."
                    const bool several = clock->hosts.size() > 1;
                    std::string clocks;
                    for (const HostClock& h : clock->hosts)
                        clocks += (clocks.empty() ? "" : ", ") + h.host + (several ? " " : " is ")
                            + readableOffset(h.offsetNs, h.errorNs);
                    const HostClock& behind = clock->hosts[clock->stamp.reference];
                    std::string corrected;
                    for (std::size_t i = 0; i < clock->hosts.size(); ++i)
                        if (clock->stamp.latencyShiftNs[i] != 0)
                            corrected += (corrected.empty() ? "" : ", ") + clock->hosts[i].host + " by "
                                + readableNs(clock->stamp.latencyShiftNs[i]);
                    const std::string stampedIn = clock->stamp.stampOffsetNs != 0 ? behind.host + "'s clock"
                        : several ? std::string("this machine's clock (no host's is behind it beyond its error)")
                                  : "this machine's clock (" + behind.host + "'s is the same within its error)";
                    event(RunEvent::Kind::Info,
                        "'" + spec.name + "': the clock" + (several ? "s" : "") + " of its consumers' host"
                            + (several ? "s are " : " ") + clocks + " from this machine's (from the link"
                            + (several ? "s'" : "'s") + " round trips at the start); its producers here stamp their "
                            + "messages in " + stampedIn
                            + (corrected.empty()
                                    ? std::string("; its latencies are true within the error") + (several ? "s" : "")
                                    : "; the latencies measured on a host whose clock is ahead of that "
                                      "one are corrected by the difference ("
                                        + corrected + "), true within the estimates' errors"));
                }
            }
            // ZeroMQ: each consumer binds an endpoint of its own, and every producer connects to them all (with
            // its consumers on a host: to theirs, so they are counted in the whole scenario).
            if (consumersFixedAtStart(spec.transport)) {
                rt.address.consumers = 0;
                for (const WorkerSpec& w : rt.address.consumerElsewhere ? whole.workers : scenario.workers)
                    rt.address.consumers += w.role == Role::Consumer && w.object == spec.name ? 1 : 0;
                rt.address.consumers = std::max<std::uint32_t>(rt.address.consumers, 1);
                rt.address.requests
                    = std::any_of(scenario.workers.begin(), scenario.workers.end(), [&](const WorkerSpec& w) {
                          return std::any_of(w.program.begin(), w.program.end(), [&](const ProgramStep& s) {
                              return (s.op == StepOp::Request || s.op == StepOp::Serve) && s.object == spec.name;
                          });
                      });
            }
            for (const OsName& n : channelOsNames(rt.address)) {
                if (Status st = record(n); !st)
                    return st;
            }
            auto channel = ChannelObject::create(rt.address);
            if (!channel)
                return channel.error();
            rt.channel = std::move(*channel);
            objects.push_back(std::move(rt));
        }
        return {};
    }

    // The endpoint a new consumer of `object` binds: the first that no running consumer holds (one that ended
    // leaves its endpoint to the next, which the producers are still connected or reconnecting to).
    std::optional<std::uint32_t> freeConsumerEndpoint(std::size_t object) const
    {
        for (std::uint32_t i = 0; i < objects[object].address.consumers; ++i) {
            if (std::none_of(workers.begin(), workers.end(), [&](const WorkerProc& w) {
                    return w.alive && w.object == object && w.spec.role == Role::Consumer && w.consumerIndex == i;
                }))
                return i;
        }
        return std::nullopt;
    }

    static bool betweenMachines(const ObjectRuntime& o)
    {
        return o.address.consumerElsewhere || !o.address.bindAddress.empty();
    }

    std::size_t objectIndex(const std::string& name) const
    {
        for (std::size_t i = 0; i < objects.size(); ++i) {
            if (objects[i].spec.name == name)
                return i;
        }
        return objects.size();
    }

    Status spawn(const WorkerSpec& spec)
    {
        if (nextSlot >= board->slotCount())
            return detail::makeError(ErrorCode::LimitReached, "spawn worker", spec.name,
                "This run has used all " + std::to_string(board->slotCount())
                    + " worker slots. Stop and start the run again");
        WorkerProc w;
        w.spec = spec;
        for (const ProgramStep& step : spec.program)
            w.stepTexts.push_back(stepText(step));
        // A program is listed under the first object its steps name (a program of work steps alone, under the
        // scenario's first object).
        w.objectText = spec.object;
        if (spec.role == Role::Program) {
            w.usedObjects = workerObjects(scenario, spec);
            w.object = w.usedObjects.empty() ? 0 : objectIndex(w.usedObjects.front());
            for (const std::string& name : w.usedObjects)
                w.objectText += (w.objectText.empty() ? "" : ", ") + name;
        } else
            w.object = objectIndex(spec.object);
        if (spec.role == Role::Consumer && consumersFixedAtStart(objects[w.object].spec.transport)) {
            const auto endpoint = freeConsumerEndpoint(w.object);
            if (!endpoint) {
                const std::uint32_t n = objects[w.object].address.consumers;
                return detail::makeError(ErrorCode::LimitReached, "spawn worker", spec.name,
                    "worker.object: '" + spec.object + "' has " + std::to_string(n) + " consumer" + (n == 1 ? "" : "s")
                        + ", each bound to an endpoint its producers connected to when they started, and all of "
                          "them are running. A new consumer can take the place of one that has ended; for more, "
                          "name them in the scenario");
            }
            w.consumerIndex = *endpoint;
        }
        w.posts = postsOf(spec);
        w.slot = nextSlot++;
        const ObjectRuntime& obj = objects[w.object];

        WorkerSlot& slot = board->claim(w.slot);
        slot.ctlRateMilli.store(std::uint64_t(spec.rate * 1000.0 + 0.5), std::memory_order_relaxed);
        slot.ctlMessageSize.store(spec.messageSize, std::memory_order_relaxed);
        slot.ctlWorkUs.store(spec.workUs, std::memory_order_relaxed);
        slot.ctlPaused.store(heldAtStart ? 1 : 0, std::memory_order_relaxed);
        slot.ctlStop.store(0, std::memory_order_relaxed);
        slot.role.store(std::uint32_t(spec.role), std::memory_order_relaxed);
        applyStepControls(slot);
        if (spec.role == Role::Producer && traits(obj.spec.transport).broadcast) {
            // A broadcast's subscribers that have ended: this producer does not wait for their subscriptions.
            static_assert(ScenarioLimits::MaxWorkers <= WorkerSlot::MaxEndedConsumers);
            for (const WorkerProc& c : workers) {
                if (c.object == w.object && c.spec.role == Role::Consumer && !c.alive)
                    slot.markConsumerEnded(c.consumerIndex);
            }
        }

        WorkerArgs args;
        args.board = board->name();
        args.slot = w.slot;
        args.role = spec.role;
        args.transport = obj.spec.transport;
        args.object = obj.address.name;
        args.objectMessageSize = obj.spec.messageSize;
        args.capacity = obj.spec.capacity;
        args.spec = spec;
        args.telemetry = options.telemetry;
        if (spec.role == Role::Consumer)
            args.bindAddress = obj.address.bindAddress;
        args.consumers = obj.address.consumers;
        args.consumerIndex = w.consumerIndex;
        if (spec.role == Role::Producer) {
            args.clockOffsetNs = obj.clockOffsetNs;
            args.consumerElsewhere = obj.address.consumerElsewhere;
        }
        // Descriptors the child inherits, as 3, 4, ...: a socket consumer's listener, and the end of each
        // anonymous pipe or socketpair it uses (its address then names that descriptor, "fd:N").
        std::vector<int> inherit;
        // The socketpair ends it takes: marked as held only once it runs (see holdEnds), so a failed start
        // leaves them free.
        std::vector<std::pair<std::size_t, int>> ends;
        auto handOver = [&](int fd) {
            inherit.push_back(fd);
            return "fd:" + std::to_string(2 + inherit.size());
        };
        if (spec.role == Role::Consumer && obj.channel->listenFd() >= 0) {
            handOver(obj.channel->listenFd());
            args.listenFd = 3;
        }
        if (spec.role == Role::Program) {
            for (const std::string& name : w.usedObjects) {
                const std::size_t at = objectIndex(name);
                ChannelAddress address = objects[at].address;
                if (traits(address.transport).anonymous) {
                    auto end = takeEnd(at, spec.role);
                    if (!end)
                        return end.error();
                    ends.emplace_back(at, *end);
                    address.name = handOver(objects[at].channel->endFd(spec.role, *end));
                }
                args.bindings.push_back({ name, address });
            }
        } else if (traits(obj.spec.transport).anonymous) {
            auto end = takeEnd(w.object, spec.role);
            if (!end)
                return end.error();
            ends.emplace_back(w.object, *end);
            args.object = handOver(obj.channel->endFd(spec.role, *end));
        }
        std::vector<int> parked(inherit.size(), -1); // the child's copies above the targets, while it moves them

        // Everything the child needs is prepared before fork: after fork only async-signal-safe calls are made.
        const std::vector<std::string> argvStrings = workerCommandLine(workerPath, args);
        std::vector<char*> argv;
        for (const std::string& s : argvStrings)
            argv.push_back(const_cast<char*>(s.c_str()));
        argv.push_back(nullptr);
        const pid_t parent = getpid();
        const bool ownGroup = options.ownProcessGroups;
        // Until execv the child runs this program's signal handlers: a SIGTERM from stop() landing there would be
        // swallowed by our handler in the child's copy. So signals stay blocked across fork, the child resets
        // every handler to the default, and only then unblocks (a pending SIGTERM then ends it at once).
        sigset_t all, previous, none;
        sigfillset(&all);
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &all, &previous);
        const pid_t pid = fork();
        if (pid == 0) {
            struct sigaction dfl { };
            dfl.sa_handler = SIG_DFL;
            for (int sig = 1; sig < NSIG; ++sig) {
                if (sig != SIGKILL && sig != SIGSTOP)
                    sigaction(sig, &dfl, nullptr);
            }
            sigprocmask(SIG_SETMASK, &none, nullptr);
            if (ownGroup)
                setpgid(0, 0);
            // First every inherited descriptor goes above 3..3+n (close-on-exec), so that moving one to its target
            // cannot close another still to be moved; then each goes to its target, where the copy made by dup2
            // has no close-on-exec flag.
            const int n = int(inherit.size());
            for (int k = 0; k < n; ++k) {
                parked[std::size_t(k)] = fcntl(inherit[std::size_t(k)], F_DUPFD_CLOEXEC, 3 + n);
                if (parked[std::size_t(k)] < 0)
                    _exit(126);
            }
            for (int k = 0; k < n; ++k) {
                if (dup2(parked[std::size_t(k)], 3 + k) < 0)
                    _exit(126);
            }
            // Die with the controller, even when stopped (SIGKILL also ends a SIGSTOPped worker).
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(1); // the controller died before prctl took effect
            execv(argv[0], argv.data());
            _exit(127);
        }
        const int forkErrno = errno;
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        if (pid < 0)
            return forkError(spec.name, forkErrno);
        w.pid = pid;
        w.alive = true;
        w.trace.name = w.spec.name;
        w.trace.pid = pid;
        w.trace.info = laneInfoOf(w);
        w.startNs = monotonicNs();
        w.rateNs = w.startNs;
        w.cpuNs = w.startNs;
        if (clockid_t clock {}; clock_getcpuclockid(pid, &clock) == 0)
            w.cpuClock = clock;
        watchExit(w);
        w.cpuDueNs = w.startNs + (workers.size() % 16 + 1) * (CpuRefreshNs / 16);
        holdEnds(ends, workers.size());
        objectUsers.resize(objects.size());
        if (w.object < objects.size())
            objectUsers[w.object].push_back(workers.size());
        for (const std::string& name : w.usedObjects) {
            if (const std::size_t at = objectIndex(name); at < objects.size() && at != w.object)
                objectUsers[at].push_back(workers.size());
        }
        workers.push_back(std::move(w));
        return {};
    }

    static Error forkError(const std::string& worker, int err)
    {
        if (err != EAGAIN)
            return detail::sysError("fork", worker, err,
                "The system refused a new process (out of memory?). Close other programs or use fewer workers");
        // EAGAIN: this user's process limit (every process and thread of the user counts), or the system's.
        rlimit nproc {};
        std::string limit = "RLIMIT_NPROC (ulimit -u)";
        if (getrlimit(RLIMIT_NPROC, &nproc) == 0)
            limit += nproc.rlim_cur == RLIM_INFINITY ? " is unlimited" : " is " + std::to_string(nproc.rlim_cur);
        return detail::makeError(ErrorCode::LimitReached, "fork", worker,
            "The system refused a new process: this user's " + limit
                + ", counting every process and thread the user runs, or the system's /proc/sys/kernel/threads-max"
                  " was reached. Raise the limit in the shell that starts ipclab or ipclab-cli (ulimit -u 4096), end"
                  " other processes of this user, or use fewer workers",
            err);
    }

    // One sentence per kind of error a worker went on after: the errno, the limit with its value, and the remedy.
    static std::string workerErrorText(const WorkerSlot& slot, const ObjectRuntime& o)
    {
        const int err = int(slot.errorErrno.load(std::memory_order_relaxed));
        const auto op = WorkerErrorOp(slot.errorOperation.load(std::memory_order_relaxed));
        const std::uint64_t limit = slot.errorLimit.load(std::memory_order_relaxed);
        const char* errName = strerrorname_np(err);
        std::string text
            = std::string(workerErrorOpName(op)) + " failed with " + (errName ? errName : std::to_string(err));
        std::string remedy;
        if (err == EMFILE) {
            text += ": the worker has no file descriptor left (its RLIMIT_NOFILE, ulimit -n, "
                + (limit ? "is " + std::to_string(limit) : std::string("is reached"))
                + ", and every connection takes one)";
            remedy = "Raise the limit in the shell that starts ipclab or ipclab-cli (ulimit -n 1024)";
        } else if (err == ENFILE) {
            std::ifstream in("/proc/sys/fs/file-max");
            std::string fileMax;
            in >> fileMax;
            text += ": the system's table of open files is full (/proc/sys/fs/file-max"
                + (fileMax.empty() ? std::string() : " = " + fileMax) + ")";
            remedy = "Close other programs, or raise fs.file-max as root";
        } else {
            text += std::string(" (") + std::strerror(err) + ")";
        }
        if (op == WorkerErrorOp::Accept) {
            text += ". It goes on serving the connections it has and tries again after a pause growing to 1 s; the "
                    "producers it cannot accept wait";
            remedy += std::string(remedy.empty() ? "Put" : ", or put") + " fewer producers on " + o.spec.name
                + " (one connection each)";
        }
        return text + (remedy.empty() ? std::string() : ". " + remedy);
    }

    // The shared array whose lock a program may hold at `step`: the last array acquired at or before it (validation
    // makes every acquire released later, so one held at `step` is the latest acquire not yet released).
    std::size_t lockedArray(const ProgramSteps& program, std::uint32_t step) const
    {
        std::vector<std::string> held;
        for (std::size_t i = 0; i <= step && i < program.size(); ++i) {
            const ProgramStep& s = program[i];
            const std::size_t o = objectIndex(s.object);
            if (o >= objects.size() || objects[o].spec.transport != TransportKind::ShmArray)
                continue;
            if (s.op == StepOp::Acquire)
                held.push_back(s.object);
            else if (s.op == StepOp::Release && i < step && !held.empty())
                held.pop_back();
        }
        return held.empty() ? objects.size() : objectIndex(held.back());
    }

    // The object's name in the system, or what stands for it when it has none.
    static std::string osNameText(const ObjectRuntime& o)
    {
        if (traits(o.spec.transport).perProcess)
            return "(none: a copy in each process's memory)";
        return traits(o.spec.transport).anonymous ? std::string("(anonymous: inherited descriptors)") : o.address.name;
    }

    // Which end of an anonymous object the worker about to be started gets. A one-way pipe's end follows the
    // role; a duplex object's (socketpair) is one no live worker holds (a consumer prefers end 1, anyone else
    // end 0), so a worker started in place of a dead one takes over its end, with whatever waits there. It only
    // chooses: holdEnds marks the end held once the worker runs.
    Result<int> takeEnd(std::size_t objectIndex, Role role) const
    {
        const ObjectRuntime& o = objects[objectIndex];
        if (!traits(o.spec.transport).duplex)
            return 0;
        const int preferred = role == Role::Consumer ? 1 : 0;
        for (const int end : { preferred, 1 - preferred }) {
            const std::size_t holder = o.endHolder[end];
            if (holder < workers.size() && workers[holder].alive)
                continue;
            return end;
        }
        return detail::makeError(ErrorCode::LimitReached, "start worker", o.spec.name,
            "Both ends of the socketpair '" + o.spec.name
                + "' are held by running processes; a socketpair connects exactly two. Stop one of them first");
    }

    // Marks the ends takeEnd chose as held by the worker just started (its index in workers).
    void holdEnds(const std::vector<std::pair<std::size_t, int>>& ends, std::size_t worker)
    {
        for (const auto& [objectIndex, end] : ends) {
            ObjectRuntime& o = objects[objectIndex];
            if (traits(o.spec.transport).duplex)
                o.endHolder[end] = worker;
        }
    }

    // A producer on the object, or a program with a put into it; readsFrom: a consumer, or a program's get.
    static bool writesTo(const WorkerSpec& w, const std::string& object)
    {
        return (w.role == Role::Producer && w.object == object)
            || std::any_of(w.program.begin(), w.program.end(),
                [&](const ProgramStep& s) { return s.op == StepOp::Put && s.object == object; });
    }
    static bool readsFrom(const WorkerSpec& w, const std::string& object)
    {
        return (w.role == Role::Consumer && w.object == object)
            || std::any_of(w.program.begin(), w.program.end(),
                [&](const ProgramStep& s) { return s.op == StepOp::Get && s.object == object; });
    }

    // At stop: a CSP channel none of whose writers got as far as its poison was cut off by the stop, not retired.
    // Said once, so that "left 1" on a channel of capacity 0 reads as what it is.
    void noteChannelsStoppedBeforePoison()
    {
        for (const ObjectRuntime& o : objects) {
            if (!traits(o.spec.transport).poison)
                continue;
            bool written = false, poisoned = false;
            for (const WorkerProc& w : workers) {
                if (!writesTo(w.spec, o.spec.name))
                    continue;
                written = true;
                poisoned = poisoned
                    || (board->slot(w.slot).poison.load(std::memory_order_relaxed) & WorkerSlot::PoisonSent) != 0;
            }
            if (!written || poisoned)
                continue;
            std::string text = "the stop came before " + o.spec.name
                + "'s poison: its processes were stopped in mid-stream, not retired by poison as a finished "
                  "pipeline is";
            if (o.leftAtStop > 0)
                text += "; the " + std::to_string(o.leftAtStop) + " message" + (o.leftAtStop == 1 ? "" : "s")
                    + " a writer had handed over and no reader took " + (o.leftAtStop == 1 ? "is" : "are")
                    + " counted as left";
            event(RunEvent::Kind::Info, text);
        }
    }

    // How a CSP process ended (WorkerSlot::poison): ": took poison from ch1 and poisoned ch2".
    std::string poisonNews(const WorkerProc& w, std::uint32_t poison) const
    {
        std::string from, to;
        for (const std::string& name :
            w.usedObjects.empty() ? std::vector<std::string> { w.spec.object } : w.usedObjects) {
            if (name.empty() || !traits(objects[objectIndex(name)].spec.transport).poison)
                continue;
            if (readsFrom(w.spec, name))
                from += (from.empty() ? "" : ", ") + name;
            if (writesTo(w.spec, name))
                to += (to.empty() ? "" : ", ") + name;
        }
        std::string news;
        if ((poison & WorkerSlot::PoisonTaken) && !from.empty())
            news = "took poison from " + from;
        if ((poison & WorkerSlot::PoisonSent) && !to.empty())
            news += (news.empty() ? "sent its last message and poisoned " : " and poisoned ") + to;
        return news.empty() ? news : ": " + news;
    }

    void noteExit(WorkerProc& w, int status, std::uint64_t now)
    {
        w.alive = false;
        dropExitFd(w);
        w.endNs = now;
        const WorkerSlot& slot = board->slot(w.slot);
        w.heldMessages = slot.holding.load(std::memory_order_acquire);
        w.stepAtDeath = slot.step.load(std::memory_order_relaxed);
        if (w.spec.role == Role::Consumer && traits(objects[w.object].spec.transport).broadcast) {
            w.sentWhenReaped = producersSent(w.object);
            // Its producers stop waiting for its subscription (one that has not come would never come).
            for (const WorkerProc& p : workers) {
                if (p.object == w.object && p.spec.role == Role::Producer)
                    board->slot(p.slot).markConsumerEnded(w.consumerIndex);
            }
        }
        w.holder.role = w.spec.role;
        if (w.spec.role == Role::Program) {
            // What a program held, it held on the object of the step it died in, in the role of that step: that
            // is where the lock repair looks (a program that dies inside a put on a ring holds what a producer
            // would).
            const ProgramStep& at = w.spec.program[std::min<std::size_t>(w.stepAtDeath, w.spec.program.size() - 1)];
            if (at.op == StepOp::Put || at.op == StepOp::Get) {
                w.object = objectIndex(at.object);
                w.holder.role = at.op == StepOp::Put ? Role::Producer : Role::Consumer;
            } else if (const std::size_t array = lockedArray(w.spec.program, w.stepAtDeath); array < objects.size())
                w.object = array;
        }
        w.holder.phase = slot.phase.load(std::memory_order_acquire);
        w.holder.phaseIndex = slot.phaseIndex.load(std::memory_order_acquire);
        w.killed = WIFSIGNALED(status);
        // Nothing to give back, unless it was killed where its phase cannot tell (mayHaveJustTakenLock).
        w.tokensSettled
            = w.holder.phase == 0 && !(w.killed && mayHaveJustTakenLock(objects[w.object], w.holder.role, 0));
        if (WIFSIGNALED(status)) {
            w.termSignal = WTERMSIG(status);
            w.exitText = "killed by " + signalName(w.termSignal);
        } else if (WIFEXITED(status)) {
            w.exitCode = WEXITSTATUS(status);
            switch (w.exitCode) {
            case 0:
                // The worker catches SIGTERM to finish the step in hand; say so, since Python's terminate() would
                // have shown exitcode -15 for the same request.
                w.exitText = w.terminated ? "terminated by SIGTERM (finished its step, exited 0)" : "exited 0";
                break;
            case 127:
                w.exitText = "could not start " + workerPath + " (exit 127)";
                break;
            default:
                // A Manager's client over zmq whose server went away while it waited for a reply (the worker's
                // PeerGone): said here, as its stderr is not in the window.
                if (slot.exitError.load(std::memory_order_relaxed) == std::uint32_t(ErrorCode::PeerGone) + 1
                    && std::any_of(w.spec.program.begin(), w.spec.program.end(), [](const ProgramStep& step) {
                           return step.op == StepOp::Request && step.results == step.object; // over zmq
                       }))
                    w.exitText = "exited " + std::to_string(w.exitCode)
                        + ": its server's connection closed while it waited for a reply (a Python proxy raises "
                          "EOFError)";
                else
                    w.exitText = "exited " + std::to_string(w.exitCode) + " (error, see its stderr)";
            }
        }
        const bool normal = w.exitCode == 0 && w.termSignal == 0;
        if (!w.stopping || !normal)
            event(normal ? RunEvent::Kind::Info : RunEvent::Kind::Warning,
                std::string(roleName(w.spec.role)) + " " + w.spec.name + " (pid " + std::to_string(w.pid) + ") "
                    + (normal ? "finished" + poisonNews(w, slot.poison.load(std::memory_order_relaxed)) : w.exitText));
        if (const std::uint32_t inHand = slot.tasksInHand.load(std::memory_order_relaxed); w.killed && inHand > 0)
            event(RunEvent::Kind::Warning,
                w.spec.name + " died holding " + std::to_string(inHand) + (inHand == 1 ? " task" : " tasks")
                    + ": their results never come, so the map or apply call waiting for them cannot finish. "
                      "Python's Pool.map hangs the same way; concurrent.futures raises BrokenProcessPool instead");
        // A server that dies leaves its clients waiting for replies that never come.
        const auto served = std::find_if(w.spec.program.begin(), w.spec.program.end(),
            [](const ProgramStep& step) { return step.op == StepOp::Serve; });
        const bool overZmq = served != w.spec.program.end() && objects[objectIndex(served->object)].address.requests;
        if (!w.stopping && !normal && overZmq) {
            const bool held = slot.requestInHand.load(std::memory_order_relaxed) != 0;
            event(RunEvent::Kind::Warning,
                "The server process '" + w.spec.name + "' is gone" + (held ? ", with the request it was answering" : "")
                    + ": its connections closed, so each client waiting for a reply fails, as a Python Manager's "
                      "proxies raise EOFError. A client's next request waits until a server runs again");
        } else if (!w.stopping && !normal && served != w.spec.program.end()) {
            const bool held = slot.requestInHand.load(std::memory_order_relaxed) != 0;
            event(RunEvent::Kind::Warning,
                "The server process '" + w.spec.name + "' is gone" + (held ? ", with the request it was answering" : "")
                    + ": its clients wait for replies that never come. In Python a Manager's proxies raise EOFError "
                      "(BrokenPipeError at their next send) because their socket to the server closes; a message "
                      "queue has no connection to close. What waits in '"
                    + served->object + "' is answered only when a server runs again (stop and start the run)");
        }
    }

    // Each worker's pidfd in one epoll set, so that a sample learns "nobody exited" from one epoll_wait, whatever the
    // number of workers. The pidfds take at most the lower half of the descriptor table (RLIMIT_NOFILE): past that,
    // or without pidfds (kernels before 5.3), they are all closed and reap peeks at every child instead, so that a
    // run under a low `ulimit -n` still has the descriptors it needs to start its workers.
    FileDescriptor exitPoll;
    bool everyExitPolled = true;

    void watchExit(WorkerProc& w)
    {
        if (!everyExitPolled)
            return;
        if (!exitPoll.valid())
            exitPoll = FileDescriptor(epoll_create1(EPOLL_CLOEXEC));
        FileDescriptor pidfd(int(syscall(SYS_pidfd_open, w.pid, 0))); // close-on-exec always
        rlimit limit {};
        const bool room = pidfd.valid() && getrlimit(RLIMIT_NOFILE, &limit) == 0
            && (limit.rlim_cur == RLIM_INFINITY || rlim_t(pidfd.get()) < limit.rlim_cur / 2);
        epoll_event ev {};
        ev.events = EPOLLIN;
        if (room && exitPoll.valid() && epoll_ctl(exitPoll.get(), EPOLL_CTL_ADD, pidfd.get(), &ev) == 0) {
            w.exitFd = std::move(pidfd);
            return;
        }
        everyExitPolled = false;
        exitPoll = FileDescriptor {};
        for (WorkerProc& other : workers)
            other.exitFd = FileDescriptor {};
    }

    // Out of the epoll set first: a child of ours between fork and exec holds a copy of every pidfd, and while it
    // does, closing ours alone would leave the dead worker in the set, readable at every sample.
    void dropExitFd(WorkerProc& w)
    {
        if (!w.exitFd.valid())
            return;
        if (exitPoll.valid())
            epoll_ctl(exitPoll.get(), EPOLL_CTL_DEL, w.exitFd.get(), nullptr);
        w.exitFd = FileDescriptor {};
    }

    void reap(std::uint64_t now)
    {
        if (everyExitPolled) {
            epoll_event ev {};
            if (epoll_wait(exitPoll.get(), &ev, 1, 0) == 0)
                return;
        } else {
            // One peek instead of a waitpid per worker. WNOWAIT reaps nothing, so children that are not ours (a
            // GUI's other processes) stay untouched; when any child has exited, fall through to the per-worker check.
            siginfo_t info {};
            if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0)
                return;
        }
        for (WorkerProc& w : workers) {
            if (!w.alive)
                continue;
            int status = 0;
            const pid_t r = waitpid(w.pid, &status, WNOHANG);
            if (r == w.pid)
                noteExit(w, status, now);
            else if (r < 0 && errno == ECHILD)
                dropExitFd(w); // reaped by someone else (SIGCHLD ignored in the host program): nothing to wait for
        }
    }

    // Step mode's controls into one slot (WorkerSlot::ctlStepMode), then a wake for its gate. Turned on, the
    // grants start level with the steps it has taken, so it waits at its next gate.
    void applyStepControls(WorkerSlot& slot)
    {
        if (stepMode && slot.ctlStepMode.load(std::memory_order_relaxed) == 0)
            slot.ctlStepGrants.store(slot.stepsTaken.load(std::memory_order_acquire), std::memory_order_relaxed);
        slot.ctlStepRateMilli.store(std::uint64_t(stepRate * 1000.0 + 0.5), std::memory_order_relaxed);
        slot.ctlStepMode.store(stepMode ? 1 : 0, std::memory_order_release);
        wakeGate(slot);
    }
    static void wakeGate(WorkerSlot& slot)
    {
        slot.ctlStepWake.fetch_add(1, std::memory_order_release);
        detail::futexWakeAll(slot.ctlStepWake);
    }

    // ZeroMQ (depthFromCounters): a producer that closes its socket while the consumer's queue is at its
    // high-water mark loses what still sits in the kernel's socket buffer (libzmq stops reading a connection at the
    // mark, and drops the rest when it sees the peer hang up). So at a stop its producers are first held at the
    // pause gate, sockets open, until each such object has settled: its consumers have received all that its
    // producers counted as sent, or no consumer is left to receive, or the consumers wait for messages and have
    // received nothing more for QuietNs (what is missing then died with a killed worker). At most SettleLimitNs;
    // then the producers are stopped, with nothing in flight that could still arrive. The other objects' producers
    // are held too (they are stopped next anyway), so their traffic does not take the cores the consumers need to
    // catch up (zmq-vs-shm runs two flooding pairs beside a ZeroMQ one).
    void settleCountedObjects()
    {
        std::vector<std::size_t> held;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            WorkerProc& w = workers[i];
            if (!w.alive || !traits(objects[w.object].spec.transport).depthFromCounters)
                continue;
            // Paused by the user (SIGSTOP): it must run to settle (stopRole would send SIGCONT anyway).
            if (w.pausedBySignal) {
                w.resumedNs = monotonicNs(); // before it can run again (Timeline: its events come after)
                kill(w.pid, SIGCONT);
                w.pausedBySignal = false;
            }
            if (w.spec.role == Role::Producer) {
                board->slot(w.slot).ctlPaused.store(1, std::memory_order_relaxed);
                held.push_back(i);
            }
        }
        if (held.empty())
            return;
        // Its consumers on a host too, when paused there (their host resumes them only at its own stop, later).
        for (const ObjectRuntime& o : objects)
            if (o.address.consumerElsewhere && remote)
                remote->resumePausedConsumersOf(o.spec.name);
        for (const WorkerProc& w : workers) {
            if (w.alive && w.spec.role == Role::Producer)
                board->slot(w.slot).ctlPaused.store(1, std::memory_order_relaxed);
        }
        std::vector<Quiet> quiet(objects.size(), Quiet { 0, monotonicNs() });
        const std::uint64_t deadline = monotonicNs() + SettleLimitNs;
        for (;;) {
            const std::uint64_t now = monotonicNs();
            reap(now);
            bool settled = true;
            for (const std::size_t k : held)
                settled = settled && heldStill(workers[k]);
            for (std::size_t o = 0; o < objects.size() && settled; ++o)
                settled = !traits(objects[o].spec.transport).depthFromCounters || objectSettled(o, quiet[o], now);
            if (settled || now >= deadline)
                return;
            sleepUntilNs(now + 2'000'000);
        }
    }

    // What the producers of `object` have counted as sent so far, from their slots.
    std::uint64_t producersSent(std::size_t object) const
    {
        std::uint64_t sent = 0;
        for (const WorkerProc& p : workers) {
            if (p.object == object && p.spec.role == Role::Producer)
                sent += board->slot(p.slot).messages.load(std::memory_order_acquire);
        }
        return sent;
    }

    // Whether a ZeroMQ object whose producers are held (settleCountedObjects, handOffLeavingHosts) has settled: its
    // consumers have received all that its producers counted as sent, or no consumer is left to receive, or they
    // wait for messages and have received nothing more for a while (`quiet` keeps track; what is missing then died
    // with a killed worker).
    struct Quiet {
        std::uint64_t lastReceived = 0;
        std::uint64_t sinceNs = 0;
    };
    bool objectSettled(std::size_t o, Quiet& quiet, std::uint64_t now)
    {
        constexpr std::uint64_t QuietNs = 50'000'000ull;
        // Counts from a host come in its snapshots, ~20 a second: quiet for ten of them.
        constexpr std::uint64_t RemoteQuietNs = 500'000'000ull;
        std::uint64_t sent = 0, received = 0;
        bool anyConsumer = false, allWaiting = true;
        // A broadcast's consumers each receive every message: settled when the one furthest behind has them all.
        const bool broadcast = traits(objects[o].spec.transport).broadcast;
        std::uint64_t leastReceived = std::numeric_limits<std::uint64_t>::max();
        for (const WorkerProc& w : workers) {
            if (w.object != o)
                continue;
            const WorkerSlot& slot = board->slot(w.slot);
            const std::uint64_t n = slot.messages.load(std::memory_order_acquire);
            if (w.spec.role == Role::Producer)
                sent += n;
            else if (w.spec.role == Role::Consumer) {
                received += n;
                if (w.alive) {
                    leastReceived = std::min(leastReceived, n);
                    anyConsumer = true;
                    const auto state = WorkerState(slot.state.load(std::memory_order_acquire));
                    allWaiting = allWaiting && state == WorkerState::BlockedEmpty;
                }
            }
        }
        // Its consumers on hosts: as their last snapshots (every 50 ms) showed them.
        std::uint64_t quietNs = QuietNs;
        if (objects[o].address.consumerElsewhere && remote) {
            const auto there = remote->consumersOf(objects[o].spec.name);
            anyConsumer = there.has_value();
            received = there ? there->received : 0;
            allWaiting = there && there->allWaiting;
            quietNs = RemoteQuietNs;
        }
        if (received != quiet.lastReceived) {
            quiet.lastReceived = received;
            quiet.sinceNs = now;
        }
        const bool allReceived = broadcast ? leastReceived >= sent : received >= sent;
        return allReceived || !anyConsumer || (allWaiting && now - quiet.sinceNs >= quietNs);
    }

    // A producer held at its pause gate (settleCountedObjects, handOffLeavingHosts) that sends nothing more: there,
    // or ended, or waiting to send to an object without a live consumer (it never reaches the gate then, and has
    // nothing in flight that anyone could receive).
    bool heldStill(const WorkerProc& w)
    {
        const auto state = WorkerState(board->slot(w.slot).state.load(std::memory_order_acquire));
        const bool nobodyReceives = objects[w.object].address.consumerElsewhere
            ? !remote || !remote->consumersOf(objects[w.object].spec.name)
            : std::none_of(workers.begin(), workers.end(),
                [&](const WorkerProc& c) { return c.alive && c.object == w.object && c.spec.role == Role::Consumer; });
        // A broadcast's producer that has sent nothing waits for subscriptions (ZmqProducer): nothing in flight.
        const bool waitsForSubscribers = traits(objects[w.object].spec.transport).broadcast
            && board->slot(w.slot).messages.load(std::memory_order_acquire) == 0;
        return !w.alive || state == WorkerState::Paused
            || (state == WorkerState::BlockedFull && (nobodyReceives || waitsForSubscribers));
    }

    // A host being stopped during the run (RemoteHosts::leavingHosts) hands its part back as at a stop: this
    // machine's producers of the objects its consumers serve are held at their pause gate until those objects'
    // consumers (there, and on other hosts) have received what was sent, at most SettleLimitNs; then the host is
    // asked for its report, so its consumers close with nothing in flight and its books come back exact. Once its
    // part is over the producers go on, to the consumers left on other hosts, if any.
    struct HandOff {
        std::string host;
        std::vector<std::size_t> objects, held;
        std::vector<Quiet> quiet; // per object
        std::uint64_t sinceNs = 0;
        bool asked = false, released = false;
    };
    std::vector<HandOff> handOffs;

    void handOffLeavingHosts()
    {
        if (!remote || stopped)
            return;
        const std::uint64_t now = monotonicNs();
        for (const auto& leaving : remote->leavingHosts()) {
            if (std::any_of(handOffs.begin(), handOffs.end(), [&](const HandOff& h) { return h.host == leaving.host; }))
                continue;
            HandOff h { leaving.host, {}, {}, {}, now };
            for (std::size_t o = 0; o < objects.size(); ++o)
                if (contains(leaving.served, objects[o].spec.name))
                    h.objects.push_back(o);
            h.quiet.assign(h.objects.size(), Quiet { 0, now });
            for (std::size_t i = 0; i < workers.size(); ++i) {
                WorkerProc& w = workers[i];
                if (w.alive && w.spec.role == Role::Producer
                    && std::find(h.objects.begin(), h.objects.end(), w.object) != h.objects.end()) {
                    board->slot(w.slot).ctlPaused.store(1, std::memory_order_relaxed);
                    h.held.push_back(i);
                }
            }
            handOffs.push_back(std::move(h));
        }
        for (HandOff& h : handOffs) {
            if (!h.asked) {
                bool settled
                    = std::all_of(h.held.begin(), h.held.end(), [&](std::size_t k) { return heldStill(workers[k]); });
                for (std::size_t i = 0; i < h.objects.size(); ++i)
                    settled = settled && objectSettled(h.objects[i], h.quiet[i], now);
                if (settled || now - h.sinceNs >= SettleLimitNs) {
                    remote->stopPart(h.host);
                    h.asked = true;
                }
            } else if (!h.released && remote->partOver(h.host)) {
                h.released = true;
                // Not one another hand-off still holds (two hosts leaving that serve the same object).
                for (const std::size_t k : h.held) {
                    const bool heldElsewhere = std::any_of(handOffs.begin(), handOffs.end(), [&](const HandOff& other) {
                        return !other.released
                            && std::find(other.held.begin(), other.held.end(), k) != other.held.end();
                    });
                    if (!heldElsewhere)
                        board->slot(workers[k].slot).ctlPaused.store(0, std::memory_order_relaxed);
                }
            }
        }
    }

    void stopRole(Role role)
    {
        bool any = false;
        for (WorkerProc& w : workers) {
            if (!w.alive || w.spec.role != role)
                continue;
            any = true;
            w.stopping = true;
            board->slot(w.slot).ctlStop.store(1, std::memory_order_relaxed);
            wakeGate(board->slot(w.slot));
            if (w.pausedBySignal)
                w.resumedNs = monotonicNs(); // before it can run again (Timeline: its events come after)
            kill(w.pid, SIGTERM);
            kill(w.pid, SIGCONT); // a SIGSTOPped worker must run to see the SIGTERM
            w.pausedBySignal = false;
        }
        if (!any)
            return;
        const std::uint64_t deadline = monotonicNs() + StopGraceNs;
        for (;;) {
            const std::uint64_t now = monotonicNs();
            reap(now);
            bool remaining = false;
            for (const WorkerProc& w : workers)
                remaining = remaining || (w.alive && w.spec.role == role);
            if (!remaining)
                return;
            if (now >= deadline)
                break;
            sleepUntilNs(now + 2'000'000);
        }
        for (WorkerProc& w : workers) {
            if (w.alive && w.spec.role == role) {
                event(RunEvent::Kind::Warning,
                    w.spec.name + " did not stop within " + std::to_string(StopGraceNs / 1'000'000'000ull)
                        + " s of SIGTERM; sent SIGKILL");
                kill(w.pid, SIGKILL);
                int status = 0;
                if (detail::retryOnEintr([&] { return waitpid(w.pid, &status, 0); }) == w.pid)
                    noteExit(w, status, monotonicNs());
            }
        }
    }

    // Last resort for a destructor without stop(): no report, but no process or object left.
    void teardown()
    {
        for (WorkerProc& w : workers) {
            if (w.alive) {
                kill(w.pid, SIGKILL);
                int status = 0;
                detail::retryOnEintr([&] { return waitpid(w.pid, &status, 0); });
                w.alive = false;
            }
        }
        objects.clear(); // channel destructors unlink
        board.reset();
        if (directory) {
            directory->remove();
            directory.reset();
        }
    }

    // Fills `s`, a default WorkerStatus, in place (a status is large: moving one in cost a twentieth of a sample).
    // `derive`: read its wait sites too (a sample that makes the contention table again, DerivedHz).
    void workerStatus(WorkerProc& w, std::uint64_t now, bool derive, WorkerStatus& s)
    {
        const WorkerSlot& slot = board->slot(w.slot);
        s.name = w.spec.name;
        s.role = w.spec.role;
        s.object = w.objectText;
        s.transport = objects[w.object].spec.transport;
        s.pid = w.pid;
        // The steps taken, then the gate, then the counts (acquire each). A worker leaving its gate clears the gate
        // and then counts the step, so a step seen counted is seen off the gate (or at a later gate), never at the
        // gate it is leaving; and it publishes its counts before it comes back to a gate, so one seen there is read
        // with its step's counts, not half before and half after.
        s.stepsTaken = slot.stepsTaken.load(std::memory_order_acquire);
        if (const std::uint32_t gate = slot.gate.load(std::memory_order_acquire); gate != 0 && w.alive) {
            s.atGate = true;
            s.gateStep = gate - 1;
        }
        s.registerValue = slot.registerValue.load(std::memory_order_relaxed);
        s.messages = slot.messages.load(std::memory_order_relaxed);
        s.bytes = slot.bytes.load(std::memory_order_relaxed);
        s.gaps = slot.gaps.load(std::memory_order_relaxed);
        s.duplicated = slot.duplicated.load(std::memory_order_relaxed);
        s.outOfOrder = slot.outOfOrder.load(std::memory_order_relaxed);
        s.corrupt = slot.corrupt.load(std::memory_order_relaxed);
        s.rate = double(slot.ctlRateMilli.load(std::memory_order_relaxed)) / 1000.0;
        s.messageSize = slot.ctlMessageSize.load(std::memory_order_relaxed);
        s.workUs = slot.ctlWorkUs.load(std::memory_order_relaxed);
        s.priority = w.spec.priority;
        // Acquire: the errno and limit stored before the count belong to it.
        const std::uint64_t errors = slot.errorCount.load(std::memory_order_acquire);
        if (errors != w.errorsSeen) {
            const int err = int(slot.errorErrno.load(std::memory_order_relaxed));
            // One event per kind of error, not one per failure (a spinning accept4 failed 2500 times a second).
            if (w.errorsSeen == 0 || err != w.errorErrno) {
                w.errorErrno = err;
                w.errorText = workerErrorText(slot, objects[w.object]);
                event(RunEvent::Kind::Error,
                    std::string(roleName(w.spec.role)) + " " + w.spec.name + " (pid " + std::to_string(w.pid) + ") on "
                        + objects[w.object].spec.name + ": " + w.errorText);
            }
            w.errorsSeen = errors;
        }
        s.errors = w.errorsSeen;
        if (!w.errorText.empty()) // `s` is new: an empty string needs no assignment (128 of them a sample)
            s.errorText = w.errorText;
        // Over the messages that carried their send time, weighted: at high rates about one in 64 (SendStamps and
        // StampWeights, worker.cpp). The weight first: the worker stores it last.
        if (const std::uint64_t weight = slot.latencyWeight.load(std::memory_order_acquire);
            w.spec.role == Role::Consumer && weight > 0) {
            s.timedMessages = slot.latencyStamps.load(std::memory_order_relaxed);
            s.meanLatencyUs = double(slot.latencyNsSum.load(std::memory_order_relaxed)) / double(weight) / 1e3;
        }

        const std::uint64_t end = w.alive ? now : w.endNs;
        if (end - w.rateNs >= RateWindowNs || !w.alive) {
            const double dt = double(end - w.rateNs) / 1e9;
            if (dt > 0) {
                w.msgsPerS = double(s.messages - std::min(s.messages, w.rateMessages)) / dt;
                w.mbPerS = double(s.bytes - std::min(s.bytes, w.rateBytes)) / dt / 1e6;
            }
            if (!w.alive)
                w.msgsPerS = w.mbPerS = 0;
            w.rateMessages = s.messages;
            w.rateBytes = s.bytes;
            w.rateNs = end;
        }
        s.msgsPerS = w.msgsPerS;
        s.mbPerS = w.mbPerS;

        if (w.alive && now >= w.cpuDueNs) {
            const CpuSample cpu = readProcStat(w.pid, w.cpuClock);
            if (cpu.ok) {
                // Against the oldest read kept (or the start, before there are enough).
                const auto oldest = w.cpuReadCount < w.cpuReads.size() ? std::pair(w.startNs, std::uint64_t(0))
                                                                       : w.cpuReads[w.cpuReadCount % w.cpuReads.size()];
                w.cpuPercent = now > oldest.first
                    ? 100.0 * double(cpu.usedNs - std::min(cpu.usedNs, oldest.second)) / double(now - oldest.first)
                    : 0;
                w.cpuReads[w.cpuReadCount % w.cpuReads.size()] = { now, cpu.usedNs };
                ++w.cpuReadCount;
                w.cpuUsedNs = cpu.usedNs;
                w.cpuNs = now; // when cpuUsedNs was read (the summary's share divides by it)
                w.procState = cpu.state;
            }
            w.cpuDueNs = now + CpuRefreshNs;
        }
        s.cpuPercent = w.alive ? w.cpuPercent : 0;

        // What it holds, read before its state: a worker publishes its state (Running, after the wait) before the
        // bit of what it took, so read in this order an acquire that completes between the two reads shows as
        // neither waiting nor holding, never as both (see usersOf for a release in between).
        const std::uint32_t heldBits = slot.heldSteps.load(std::memory_order_acquire);
        const auto boardState = WorkerState(slot.state.load(std::memory_order_acquire));
        const std::uint64_t since = slot.stateSinceNs.load(std::memory_order_relaxed);
        std::uint64_t blocked = slot.blockedNs.load(std::memory_order_relaxed);
        s.blockedNs = blocked;
        s.waitsUntracked = slot.waitsUntracked.load(std::memory_order_relaxed);
        if (derive)
            readWaits(w, slot);
        w.eventsRead = drainEvents(slot, w.eventsRead, s.newEvents, w.trace.lost);
        if (!s.newEvents.empty()) // half the workers have none at 1 kHz, and a deque's insert costs even then
            w.trace.events.insert(w.trace.events.end(), s.newEvents.begin(), s.newEvents.end());
        s.eventsLost = w.trace.lost;
        s.holdsNotRecorded = slot.holdsNotRecorded.load(std::memory_order_relaxed);
        s.lane = w.trace.info;
        s.exitNs = w.alive ? 0 : w.endNs;
        s.pausedSinceNs = w.alive && w.pausedBySignal ? w.pausedNs : 0;
        s.resumedNs = w.resumedNs;
        traceEventsKept += s.newEvents.size();
        if (w.trace.events.size() > MaxTraceEvents)
            trimTrace(w.trace, w.trace.events.size() - MaxTraceEvents / 2);
        if (w.alive && isBlocked(boardState) && since > 0 && since <= now)
            blocked += now - since;
        const std::uint64_t lifetime = end - w.startNs;
        s.blockedFraction = lifetime > 0 ? std::min(1.0, double(blocked) / double(lifetime)) : 0;

        s.alive = w.alive;
        s.exitCode = w.exitCode;
        s.termSignal = w.termSignal;
        if (!w.exitText.empty())
            s.exitText = w.exitText;
        s.ppid = selfPid;
        if (!w.alive)
            s.exitcode = w.termSignal != 0          ? -w.termSignal
                : (w.terminated && w.exitCode == 0) ? -SIGTERM
                                                    : std::max(w.exitCode, 0);
        if (!w.alive)
            s.state = (w.exitCode == 0 && w.termSignal == 0) ? WorkerState::Finished : WorkerState::Dead;
        else if (w.pausedBySignal || w.procState == 'T' || w.procState == 't')
            s.state = WorkerState::Paused;
        else
            s.state = boardState;
        s.stateSeconds = (w.alive && since > 0 && since <= now) ? double(now - since) / 1e9 : 0;
        // Blocked on an empty socket, it has read every byte there was: nothing waits (its last reading may be older).
        if (w.spec.role == Role::Consumer && s.transport == TransportKind::Socket && w.alive) {
            s.kernelBytes = s.state == WorkerState::BlockedEmpty
                ? 0
                : std::max<std::int64_t>(0, slot.kernelBytes.load(std::memory_order_relaxed));
            s.connections = std::int32_t(std::min<std::uint32_t>(
                slot.connections.load(std::memory_order_relaxed), std::numeric_limits<std::int32_t>::max()));
        }
        const std::uint32_t kinds = std::min<std::uint32_t>(
            slot.priorityUsed.load(std::memory_order_acquire), std::uint32_t(WorkerSlot::PriorityKinds));
        for (std::uint32_t k = 0; k < kinds; ++k) {
            PriorityShare share;
            share.priority = slot.priorityValue[k].load(std::memory_order_relaxed);
            share.received = slot.priorityCount[k].load(std::memory_order_relaxed);
            share.meanLatencyUs = share.received
                ? double(slot.priorityLatencyNs[k].load(std::memory_order_relaxed)) / double(share.received) / 1e3
                : 0;
            s.byPriority.push_back(share);
        }
        s.otherPriorities = slot.priorityOther.load(std::memory_order_relaxed);
        if (w.spec.role == Role::Program) {
            const ProgramSteps& p = w.spec.program;
            const std::uint32_t step
                = std::min<std::uint32_t>(slot.step.load(std::memory_order_relaxed), std::uint32_t(p.size() - 1));
            s.stepIndex = step;
            s.step = w.stepTexts[step];
            const std::uint64_t stepSince = slot.stepSinceNs.load(std::memory_order_relaxed);
            s.stepSeconds = (w.alive && stepSince > 0 && stepSince <= now) ? double(now - stepSince) / 1e9 : 0;
            const std::uint32_t held = heldBits;
            for (std::size_t a = 0; a < p.size(); ++a) {
                if (!(held & (std::uint32_t(1) << a)))
                    continue;
                const std::uint64_t from = slot.heldSinceNs[a].load(std::memory_order_relaxed);
                s.holds.push_back({ p[a].object, from > 0 && from <= now ? double(now - from) / 1e9 : 0 });
            }
            s.stepDone.resize(p.size());
            s.stepMissed.resize(p.size());
            s.stepMeanUs.resize(p.size());
            for (std::size_t i = 0; i < p.size(); ++i) {
                s.stepDone[i] = slot.stepDone[i].load(std::memory_order_relaxed);
                s.stepMissed[i] = slot.stepMissed[i].load(std::memory_order_relaxed);
                const std::uint64_t ns = slot.stepNs[i].load(std::memory_order_relaxed);
                s.stepMeanUs[i] = s.stepDone[i] ? double(ns) / double(s.stepDone[i]) / 1e3 : 0;
            }
            s.requests.requestsOut = slot.requestsOut.load(std::memory_order_relaxed);
            s.requests.repliesIn = slot.repliesIn.load(std::memory_order_relaxed);
            s.requests.stale = slot.repliesStale.load(std::memory_order_relaxed);
            s.requests.requestsIn = slot.requestsIn.load(std::memory_order_relaxed);
            s.requests.repliesOut = slot.repliesOut.load(std::memory_order_relaxed);
            s.requests.unanswered = slot.requestsUnanswered.load(std::memory_order_relaxed);
            s.requests.inHand = slot.requestInHand.load(std::memory_order_relaxed);
            const std::uint32_t keys = std::min<std::uint32_t>(
                slot.serverKeyCount.load(std::memory_order_acquire), std::uint32_t(WorkerSlot::ServerKeys));
            for (std::uint32_t k = 0; k < keys; ++k) {
                const char* key = slot.serverKey[k];
                s.serverData.push_back({ std::string(key, strnlen(key, sizeof slot.serverKey[k])),
                    slot.serverValue[k].load(std::memory_order_relaxed) });
            }
            if (const std::int64_t length = slot.serverListLength.load(std::memory_order_relaxed); length > 0)
                s.serverData.push_back({ "l", length });
            const std::size_t bound = std::min(w.usedObjects.size(), WorkerSlot::MaxBound);
            s.boundSent.resize(bound);
            s.boundReceived.resize(bound);
            s.boundValue.resize(bound);
            for (std::size_t k = 0; k < bound; ++k) {
                s.boundSent[k] = slot.boundSent[k].load(std::memory_order_relaxed);
                s.boundReceived[k] = slot.boundReceived[k].load(std::memory_order_relaxed);
                s.boundValue[k] = slot.boundValue[k].load(std::memory_order_relaxed);
            }
            s.tasks.out = slot.tasksOut.load(std::memory_order_relaxed);
            s.tasks.in = slot.tasksIn.load(std::memory_order_relaxed);
            s.tasks.duplicated = slot.tasksDuplicated.load(std::memory_order_relaxed);
            s.tasks.stray = slot.tasksStray.load(std::memory_order_relaxed);
            s.tasks.orphaned = slot.tasksOrphaned.load(std::memory_order_relaxed);
            s.tasks.dropped = slot.tasksDropped.load(std::memory_order_relaxed);
            s.tasks.outOfOrder = slot.tasksOutOfOrder.load(std::memory_order_relaxed);
            s.tasks.framesOut = slot.poolFramesOut.load(std::memory_order_relaxed);
            s.tasks.framesIn = slot.poolFramesIn.load(std::memory_order_relaxed);
            s.tasks.inHand = slot.tasksInHand.load(std::memory_order_relaxed);
            // What it waits for is the object of the step it is on, not the object it is listed under.
            s.waitingOn = isBlocked(s.state) ? waitText(w.spec, step, s.state) : std::string();
            return;
        }
        // Built once per state change: rebuilding the sentence for every blocked worker at every sample was a
        // tenth of the sampler's instructions.
        if (s.state != w.waitingState || !w.waitingKnown) {
            w.waitingText = waitingOn(s.state, objects[w.object]);
            w.waitingState = s.state;
            w.waitingKnown = true;
        }
        if (!w.waitingText.empty())
            s.waitingOn = w.waitingText;
    }

    // The object's own words for the wait (ChannelObject::waitingOn).
    static std::string waitingOn(WorkerState state, const ObjectRuntime& o)
    {
        return o.channel ? o.channel->waitingOn(o.spec.name, state) : std::string();
    }

    // What a worker in `state` at program step `step` waits for, in its object's words.
    std::string waitText(const WorkerSpec& spec, std::uint32_t step, WorkerState state) const
    {
        const std::string& on = waitObjectOf(spec, step, state);
        if (!on.empty() && objectIndex(on) < objects.size())
            return waitingOn(state, objects[objectIndex(on)]);
        if (spec.role == Role::Program && step < spec.program.size() && spec.program[step].op == StepOp::Serve) {
            const std::string& served = spec.program[step].object;
            if (objectIndex(served) < objects.size() && objects[objectIndex(served)].address.requests)
                return served + ": a client's connection at its high-water mark (zmq_send)";
            return "a client's reply queue: full (mq_send)";
        }
        return {};
    }

    // What a worker's events mean (trace.h): its steps, what each wait is on, what it holds and whom it can wake.
    std::shared_ptr<const LaneInfo> laneInfoOf(const WorkerProc& w) const
    {
        auto info = std::make_shared<LaneInfo>();
        const ProgramSteps& program = w.spec.program;
        info->steps = w.stepTexts;
        info->postsWithoutHolding = w.posts;
        const std::size_t steps = std::max<std::size_t>(program.size(), 1);
        info->waitTexts.resize(steps);
        info->waitObjects.resize(steps);
        info->holdsDuring.resize(steps);
        info->postsAt.resize(steps);
        if (program.empty()) {
            for (const ObjectRuntime& o : objects) {
                if (o.spec.name == w.spec.object && o.spec.transport == TransportKind::ShmRing)
                    info->lock = o.spec.name + ".mutex";
            }
        }
        for (std::size_t k = 0; k < steps; ++k) {
            for (const WorkerState st :
                { WorkerState::BlockedFull, WorkerState::BlockedEmpty, WorkerState::WaitingLock }) {
                info->waitTexts[k][std::size_t(st)] = waitText(w.spec, std::uint32_t(k), st);
                info->waitObjects[k][std::size_t(st)] = waitObjectOf(w.spec, std::uint32_t(k), st);
            }
        }
        const std::vector<std::size_t> pairs = lockPairs(program);
        for (std::size_t k = 0; k < program.size(); ++k) {
            const ProgramStep& step = program[k];
            if (step.op == StepOp::Acquire && pairs[k] < program.size()) {
                for (std::size_t j = k + 1; j < pairs[k]; ++j)
                    info->holdsDuring[j].push_back(step.object);
            }
            if (step.op == StepOp::Acquire || step.op == StepOp::Read || step.op == StepOp::Write
                || step.op == StepOp::Work)
                continue;
            info->postsAt[k].push_back(step.object);
            if (!step.results.empty())
                info->postsAt[k].push_back(step.results);
        }
        return info;
    }

    // The waits that ended, read from the worker's slot: one record per place it waited at (WorkerSlot::WaitSite).
    // Object `i` as sampled, as a counter of the trace: its depth where it can be seen, its semaphores' values.
    void addTracePoint(std::size_t i, const ObjectStatus& s, std::uint64_t now)
    {
        if (traceCounters.size() < objects.size())
            traceCounters.resize(objects.size());
        TraceCounter& c = traceCounters[i];
        const std::size_t depthSeries = s.depth >= 0 ? 1 : 0;
        const std::size_t count = depthSeries + s.semaphores.size();
        if (count == 0)
            return;
        // The series this point has, compared with the counter's without building them (at every sample).
        bool same = c.series.size() == count && (depthSeries == 0 || c.series[0] == "depth");
        for (std::size_t k = 0; same && k < s.semaphores.size(); ++k)
            same = c.series[depthSeries + k] == s.semaphores[k].role;
        if (!same) { // the first point, or an object whose depth became visible: a new counter
            if (!c.times.empty())
                return;
            c.name = s.name;
            c.series.clear();
            if (depthSeries)
                c.series.push_back("depth");
            for (const SemaphoreValue& v : s.semaphores)
                c.series.push_back(v.role);
        }
        if (c.times.size() >= MaxTracePoints) {
            c.times.erase(c.times.begin(), c.times.begin() + std::ptrdiff_t(MaxTracePoints / 2));
            c.values.erase(c.values.begin(), c.values.begin() + std::ptrdiff_t(MaxTracePoints / 2 * count));
        }
        c.times.push_back(now);
        if (depthSeries)
            c.values.push_back(double(s.depth));
        for (const SemaphoreValue& v : s.semaphores)
            c.values.push_back(double(v.value));
    }

    // Drops a worker's oldest `drop` trace events, counted in its trace.
    void trimTrace(TraceWorker& trace, std::size_t drop)
    {
        drop = std::min(drop, trace.events.size());
        trace.events.erase(trace.events.begin(), trace.events.begin() + std::ptrdiff_t(drop));
        trace.trimmed += drop;
        traceEventsKept -= drop;
    }

    // Over the run's budget: the worker holding the most events lets its older half go, until it fits.
    void trimTraces()
    {
        while (traceEventsKept > MaxRunTraceEvents) {
            TraceWorker* fullest = nullptr;
            for (WorkerProc& w : workers) {
                if (!fullest || w.trace.events.size() > fullest->events.size())
                    fullest = &w.trace;
            }
            for (TraceWorker& t : hostTraces) {
                if (!fullest || t.events.size() > fullest->events.size())
                    fullest = &t;
            }
            if (!fullest || fullest->events.empty())
                break;
            trimTrace(*fullest, std::max<std::size_t>(1, fullest->events.size() / 2));
        }
    }

    // The run so far as a trace (trace.h).
    // With `take`, the events and counters move into it (the runner keeps none: after stop, to spare a copy).
    TraceLog traceLog(bool take = false)
    {
        TraceLog log;
        log.scenario = scenario.name;
        log.runnerPid = getpid();
        log.startNs = startNs;
        log.endNs = monotonicNs();
        for (WorkerProc& w : workers) {
            log.workers.push_back(take ? std::move(w.trace) : w.trace);
            log.workers.back().endNs = w.endNs ? w.endNs : log.endNs;
        }
        for (TraceWorker& t : hostTraces) {
            log.workers.push_back(take ? std::move(t) : t);
            if (log.workers.back().endNs == 0)
                log.workers.back().endNs = log.endNs;
        }
        if (take)
            hostTraces.clear();
        if (take)
            traceEventsKept = 0;
        for (TraceCounter& c : traceCounters) {
            if (!c.times.empty())
                log.counters.push_back(take ? std::move(c) : c);
        }
        for (const RunEvent& e : allEvents)
            log.instants.push_back({ startNs + std::uint64_t(e.t * 1e9), e.text });
        return log;
    }

    // The events of the workers on worker hosts, as a merged sample brings them (in this machine's clock), kept for
    // the trace as this machine's workers' are. Each is on a track of its own: its host's number above Linux's pid
    // range (2^22) plus its pid there, which no process here can have (ScenarioLimits::MaxHosts keeps it in a pid_t).
    void traceHostWorkers(const Snapshot& snap)
    {
        for (const WorkerStatus& s : snap.workers) {
            if (s.host.empty())
                continue;
            const std::string name = placedName(s.name, s.host);
            auto t = std::find_if(
                hostTraces.begin(), hostTraces.end(), [&](const TraceWorker& w) { return w.name == name; });
            if (t == hostTraces.end()) {
                t = hostTraces.insert(hostTraces.end(), TraceWorker {});
                t->name = name;
                t->host = s.host;
                t->info = std::make_shared<const LaneInfo>();
            }
            std::size_t host = 0;
            while (host < scenario.hosts.size() && scenario.hosts[host].name != s.host)
                ++host;
            t->hostPid = s.pid;
            t->pid = pid_t((host + 1) << 22) + (s.pid & ((1 << 22) - 1));
            t->lost = s.eventsLost;
            if (s.lane)
                t->info = s.lane;
            t->events.insert(t->events.end(), s.newEvents.begin(), s.newEvents.end());
            traceEventsKept += s.newEvents.size();
            if (t->events.size() > MaxTraceEvents)
                trimTrace(*t, t->events.size() - MaxTraceEvents / 2);
            if (s.alive)
                t->endNs = 0;
            else if (t->endNs == 0) // its exit, or when it was first seen gone (a lost host's)
                t->endNs = s.exitNs ? s.exitNs : snap.nowNs;
        }
        trimTraces();
    }

    // Who holds object `i` now and who is blocked on it (ObjectStatus::holders, waiters).
    void usersOf(std::size_t i, const std::vector<WorkerStatus>& statuses, ObjectStatus& s) const
    {
        for (const std::size_t k : objectUsers[i]) {
            const WorkerStatus& w = statuses[k];
            for (const HeldObject& h : w.holds) {
                if (h.object == s.name)
                    s.holders.push_back({ w.name, h.seconds, w.alive });
            }
            if (w.alive && isBlocked(w.state)
                && waitObjectOf(workers[k].spec, w.stepIndex, w.state) == objects[i].spec.name)
                s.waiters.push_back({ w.name, w.stateSeconds, true });
        }
        // A sample reads the slots one after another, so a process that let go between two reads may still show
        // as a holder beside the one that took it next. Where the holders are bounded (an array's lock: one; a
        // semaphore no process releases without acquiring it: its initial permits) the latest takers are the
        // holders, and the others had let go.
        const ObjectSpec& spec = objects[i].spec;
        const bool signalled = std::any_of(objectUsers[i].begin(), objectUsers[i].end(),
            [&](std::size_t k) { return contains(workers[k].posts, spec.name); });
        const std::size_t bound = spec.transport == TransportKind::ShmArray ? 1
            : spec.transport == TransportKind::Semaphore && !signalled      ? spec.capacity
                                                                            : s.holders.size();
        // A release and a new wait between the two reads show a process waiting on what it let go: a wait that has
        // just begun on a bounded object it "holds" is that (a process stuck on a lock it holds, a self-deadlock,
        // waits on long past StuckSeconds and keeps both).
        if (spec.transport == TransportKind::ShmArray || !signalled) {
            std::erase_if(s.holders, [&](const ObjectStatus::User& h) {
                return std::any_of(s.waiters.begin(), s.waiters.end(),
                    [&](const ObjectStatus::User& wt) { return wt.worker == h.worker && wt.seconds < StuckSeconds; });
            });
        }
        if (s.holders.size() > bound) {
            std::stable_sort(s.holders.begin(), s.holders.end(),
                [](const ObjectStatus::User& a, const ObjectStatus::User& b) { return a.seconds < b.seconds; });
            s.holders.resize(bound);
        }
    }

    // Every wait that has ended, from each worker's wait sites as last read (readWaits) and its blocked time as
    // sampled.
    Contention contentionOfWorkers(const std::vector<WorkerStatus>& statuses) const
    {
        std::vector<WorkerWaitRecord> records;
        std::vector<WorkerContention> counts;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            for (const auto& [key, record] : workers[i].waitSites)
                records.push_back({ &record, i });
            const WorkerStatus& s = statuses[i];
            counts.push_back({ s.name, 0, 0, s.blockedNs, s.waitsUntracked });
        }
        return contentionOfPointers(records, std::move(counts));
    }

    // Brings its wait sites (WorkerProc::waitSites) up to its slot's: new sites named, every site's counts read.
    void readWaits(WorkerProc& w, const WorkerSlot& slot)
    {
        for (std::size_t i = 0; i < WorkerSlot::WaitSites; ++i) {
            const WorkerSlot::WaitSite& site = slot.waitSites[i];
            const std::uint32_t key = site.key.load(std::memory_order_acquire);
            if (key == 0)
                break;
            if (w.waitSites.size() <= i)
                w.waitSites.resize(i + 1);
            auto& [named, record] = w.waitSites[i];
            if (named != key) {
                const std::uint32_t step = (key - 1) >> 8;
                const auto state = WorkerState((key - 1) & 0xff & ~(WorkerSlot::WaitGaveUp | WorkerSlot::SiteHold));
                record = WaitRecord {};
                record.gaveUp = ((key - 1) & WorkerSlot::WaitGaveUp) != 0;
                record.hold = ((key - 1) & WorkerSlot::SiteHold) != 0;
                record.worker = w.spec.name;
                record.object = waitObjectOf(w.spec, step, state);
                if (record.object.empty())
                    record.object = "reply queues";
                record.kind = waitKindOf(state);
                // An acquire waits for a lock (an array's) or for a permit (a semaphore on its own).
                const std::size_t at = objectIndex(record.object);
                if (w.spec.role == Role::Program && step < w.spec.program.size()
                    && w.spec.program[step].op == StepOp::Acquire && at < objects.size() && objects[at].channel)
                    record.kind = objects[at].channel->lockValue() >= 0 ? WaitKind::Lock : WaitKind::Permit;
                record.what = record.hold ? record.object + ": held" : waitText(w.spec, step, state);
                named = key;
            }
            WaitStats& stats = record.stats;
            stats.waits = site.waits.load(std::memory_order_acquire);
            stats.totalNs = site.totalNs.load(std::memory_order_relaxed);
            stats.maxNs = site.maxNs.load(std::memory_order_relaxed);
            for (std::size_t b = 0; b < WaitHistogram::Buckets; ++b)
                stats.histogram[b] = site.histogram[b].load(std::memory_order_relaxed);
        }
    }

    // Frames of the smallest size a killed socket consumer's connection can hold at most.
    static std::uint64_t socketBufferFrames()
    {
        static const std::uint64_t frames = [] {
            std::ifstream in("/proc/sys/net/core/wmem_default");
            std::uint64_t bytes = 212992;
            in >> bytes;
            return bytes / FrameHeaderSize + 1;
        }();
        return frames;
    }
    // A stream consumer's own read-ahead buffer, in smallest frames.
    static std::uint64_t readerBufferFrames(std::uint64_t messageSize)
    {
        return streamReadAheadBytes(messageSize) / FrameHeaderSize + 1;
    }

    // A global's copies: one per program that uses it, each from that process's own slot (the binding's value), in
    // `cells` as well so the ledger adds them up as it adds an array's cells.
    void globalCopies(std::size_t object, const std::vector<WorkerStatus>& statuses, ObjectStatus& s) const
    {
        const std::string& name = objects[object].spec.name;
        for (const std::size_t i : objectUsers[object]) {
            const WorkerProc& w = workers[i];
            const auto bound = std::find(w.usedObjects.begin(), w.usedObjects.end(), name);
            if (w.spec.role != Role::Program || bound == w.usedObjects.end())
                continue;
            const auto at = std::size_t(bound - w.usedObjects.begin());
            const std::int64_t value = at < statuses[i].boundValue.size() ? statuses[i].boundValue[at] : 0;
            s.copies.push_back({ w.spec.name, value, statuses[i].alive });
            s.cells.push_back(value);
        }
    }

    // The ledger of an object programs use, from every program's counts (a program may use several objects).
    Ledger programLedger(std::size_t object, const std::vector<WorkerStatus>& statuses, bool final,
        const std::vector<std::int64_t>& cells) const
    {
        const ObjectRuntime& o = objects[object];
        std::vector<ProgramCounts> counts;
        for (const std::size_t i : objectUsers[object]) {
            const WorkerProc& w = workers[i];
            if (w.spec.role != Role::Program)
                continue;
            if (std::find(w.usedObjects.begin(), w.usedObjects.end(), o.spec.name) == w.usedObjects.end())
                continue;
            ProgramCounts c;
            c.program = &w.spec.program;
            c.done = statuses[i].stepDone;
            c.missed = statuses[i].stepMissed;
            c.killed = !w.alive && w.killed;
            c.stepAtDeath = w.stepAtDeath;
            c.inDoubtAtDeath = w.heldMessages > 0;
            c.errors = statuses[i].errors;
            counts.push_back(std::move(c));
        }
        std::int64_t value = -1;
        if (o.spec.transport == TransportKind::Semaphore && !o.semLast.empty())
            value = o.semLast.front();
        return programObjectLedger(o.spec, counts, cells, value, final);
    }

    // An mq's traffic per priority: sent by the producers (each sends at its own priority; a program's put steps
    // name theirs) and taken by the consumers, whose slots count per priority. A program that gets from several
    // queues counts them together; it is attributed to the first it gets from.
    void prioritiesFor(std::size_t objectIndex, const std::vector<WorkerStatus>& statuses, Ledger& l) const
    {
        const std::string& name = objects[objectIndex].spec.name;
        auto entry = [&](std::uint32_t priority) -> PriorityShare& {
            for (PriorityShare& p : l.priorities) {
                if (p.priority == priority)
                    return p;
            }
            l.priorities.push_back({ priority, 0, 0, 0 });
            return l.priorities.back();
        };
        std::vector<double> latencySum; // per entry of l.priorities, microseconds x messages
        for (const std::size_t i : objectUsers[objectIndex]) {
            const WorkerProc& w = workers[i];
            const WorkerStatus& s = statuses[i];
            bool takesHere = false;
            if (w.spec.role == Role::Program) {
                for (std::size_t k = 0; k < w.spec.program.size(); ++k) {
                    const ProgramStep& step = w.spec.program[k];
                    if (step.op == StepOp::Put && step.object == name && k < s.stepDone.size())
                        entry(step.priority).sent += s.stepDone[k];
                }
                const auto firstGet = std::find_if(w.spec.program.begin(), w.spec.program.end(),
                    [](const ProgramStep& step) { return step.op == StepOp::Get; });
                takesHere = firstGet != w.spec.program.end() && firstGet->object == name;
            } else if (w.object == objectIndex) {
                if (w.spec.role == Role::Producer)
                    entry(w.spec.priority).sent += s.messages;
                takesHere = w.spec.role == Role::Consumer;
            }
            if (!takesHere)
                continue;
            for (const PriorityShare& taken : s.byPriority) {
                PriorityShare& e = entry(taken.priority);
                const std::size_t at = std::size_t(&e - l.priorities.data());
                latencySum.resize(l.priorities.size(), 0.0);
                latencySum[at] += taken.meanLatencyUs * double(taken.received);
                e.received += taken.received;
            }
            l.receivedOtherPriorities += s.otherPriorities;
        }
        latencySum.resize(l.priorities.size(), 0.0);
        for (std::size_t k = 0; k < l.priorities.size(); ++k)
            l.priorities[k].meanLatencyUs
                = l.priorities[k].received ? latencySum[k] / double(l.priorities[k].received) : 0;
        std::sort(l.priorities.begin(), l.priorities.end(),
            [](const PriorityShare& a, const PriorityShare& b) { return a.priority > b.priority; });
    }

    // The books of the pool whose tasks go into this object, if one does: its caller (the program that calls map
    // or apply into it) and the programs that get from it.
    std::optional<PoolLedger> poolLedgerFor(std::size_t taskObject, const std::vector<WorkerStatus>& statuses,
        bool final, std::uint64_t taskFramesLeft) const
    {
        const std::string& name = objects[taskObject].spec.name;
        std::vector<PoolMember> members;
        std::uint32_t largestChunk = 1;
        std::string results;
        for (const std::size_t i : objectUsers[taskObject]) {
            const WorkerProc& w = workers[i];
            if (w.spec.role != Role::Program)
                continue;
            bool caller = false, member = false;
            for (const ProgramStep& step : w.spec.program) {
                if (isPoolCall(step.op) && step.object == name) {
                    caller = member = true;
                    results = step.results;
                    largestChunk = std::max(largestChunk, step.op == StepOp::Map ? step.chunk : 1u);
                }
                member = member || (step.op == StepOp::Get && step.object == name);
            }
            if (!member)
                continue;
            const bool inDoubt = !w.alive && w.killed && w.heldMessages > 0;
            members.push_back({ statuses[i].tasks, caller, !w.alive && w.killed, inDoubt });
        }
        if (results.empty())
            return std::nullopt;
        const ObjectRuntime& r = objects[objectIndex(results)];
        return poolLedger(members, taskFramesLeft, final ? r.leftAtStop : 0, largestChunk, final);
    }

    // The books of the server that answers requests put into this object, if one does (ledger.h's RequestLedger):
    // the server and every client that sends it requests, and what waits in the request queue and the clients'
    // reply queues.
    std::optional<RequestLedger> requestLedgerFor(std::size_t requestObject, const std::vector<WorkerStatus>& statuses,
        bool final, std::uint64_t requestsLeft) const
    {
        const std::string& name = objects[requestObject].spec.name;
        std::vector<RequestMember> members;
        std::vector<std::string> replyQueues;
        std::vector<ProgramCounts> clients;
        std::vector<ServerEntry> data;
        bool served = false;
        for (const std::size_t i : objectUsers[requestObject]) {
            const WorkerProc& w = workers[i];
            bool server = false, client = false;
            for (const ProgramStep& step : w.spec.program) {
                server = server || (step.op == StepOp::Serve && step.object == name);
                if (step.op == StepOp::Request && step.object == name) {
                    client = true;
                    if (std::find(replyQueues.begin(), replyQueues.end(), step.results) == replyQueues.end())
                        replyQueues.push_back(step.results);
                }
            }
            if (!server && !client)
                continue;
            served = served || server;
            if (server)
                data = statuses[i].serverData; // the live server's (a replacement starts empty)
            else
                clients.push_back({ &w.spec.program, statuses[i].stepDone, statuses[i].stepMissed });
            const bool killed = !w.alive && w.killed;
            members.push_back({ statuses[i].requests, server, killed, killed && w.heldMessages > 0,
                !w.alive && (w.killed || w.terminated || !w.stopping) });
        }
        if (!served)
            return std::nullopt;
        std::uint64_t repliesLeft = 0;
        std::uint64_t mostInFlight = 0;
        bool overZmq = false;
        if (objects[requestObject].address.requests) {
            // DEALER/ROUTER: the replies come back through the object itself, where only the workers' counters can
            // tell requests and replies apart (ZeroMQ holds both inside the processes): each is what was sent of it
            // less what was received.
            std::uint64_t asked = 0, taken = 0, answered = 0, returned = 0;
            for (const RequestMember& m : members) {
                asked += m.counts.requestsOut;
                taken += m.counts.requestsIn;
                answered += m.counts.repliesOut;
                returned += m.counts.repliesIn;
            }
            requestsLeft = asked - std::min(asked, taken);
            repliesLeft = answered - std::min(answered, returned);
            replyQueues.clear();
            // Those counts balance the books by themselves, so they are held to what can be in flight: a client
            // waits for each reply, so it has one request or its reply out, plus one for each request it gave up on
            // (a timeout), whose reply may still come.
            for (const ProgramCounts& c : clients) {
                mostInFlight += 1;
                for (std::size_t k = 0; k < c.program->size() && k < c.missed.size(); ++k)
                    mostInFlight += (*c.program)[k].op == StepOp::Request ? c.missed[k] : 0;
            }
            overZmq = true;
        }
        for (const std::string& queue : replyQueues) {
            const ObjectRuntime& r = objects[objectIndex(queue)];
            repliesLeft += final ? r.leftAtStop : std::uint64_t(std::max<std::int64_t>(0, r.depthLast));
        }
        RequestLedger l = requestLedger(members, requestsLeft, repliesLeft, final, overZmq);
        if (overZmq && requestsLeft + repliesLeft > mostInFlight)
            l.exact = false;
        // Compared only with the server that ran the whole time: a replacement starts with empty data.
        const auto servers
            = std::count_if(members.begin(), members.end(), [](const RequestMember& m) { return m.server; });
        if (servers == 1)
            l.keys = serverKeyBooks(data, clients);
        return l;
    }

    // The copies due to a broadcast's subscriber that ended before the stop beyond the `received` it counted: those
    // sent before it was reaped, within what its queue and connections can have held (`most`).
    static std::uint64_t copiesDiedWith(const WorkerProc& ended, std::uint64_t received, std::uint64_t most)
    {
        return std::min(ended.sentWhenReaped > received ? ended.sentWhenReaped - received : 0, most);
    }

    // A broadcast (zmq-pub) is counted in copies: each message a producer sent is due once to every subscriber, and
    // what is received, left and lost is counted in copies too. A subscriber that ended before the stop (killed,
    // its count received, terminated) dropped out of every producer's fan-out when it went: the copies due to it
    // end there. It received some; what its queue and connections held then died with it (at most its party's
    // mayHaveTakenUncounted); the copies sent after it went were never its. When exactly it went is not known,
    // only that the producers had sent `sentWhenReaped` by the time the runner reaped it, so its due is what it
    // received plus what was sent before then, within that bound (copiesDiedWith): the books stay exact, and its
    // share of the shortfall is counted as died with it, an upper figure. `subscribers`: each consumer's party, with
    // its worker if it ended.
    static void countInCopies(
        std::vector<MessageParty>& parties, const std::vector<std::pair<std::size_t, const WorkerProc*>>& subscribers)
    {
        std::uint64_t copies = 0, dueToEnded = 0;
        for (const auto& [party, ended] : subscribers) {
            if (!ended) {
                ++copies;
                continue;
            }
            MessageParty& c = parties[party];
            // What it can have taken along is now exactly its due's rest: left at the full bound, the pool of
            // "may have died with a worker" (messageLedger) would also cover copies missing at live subscribers.
            c.mayHaveTakenUncounted = copiesDiedWith(*ended, c.received, c.mayHaveTakenUncounted);
            dueToEnded += c.received + c.mayHaveTakenUncounted;
        }
        for (MessageParty& p : parties) {
            if (!p.producer)
                continue;
            p.sent *= copies;
            // A producer killed between a send and its count sent one copy to each subscriber.
            p.mayHaveSentUncounted *= copies;
        }
        if (dueToEnded > 0) {
            MessageParty due;
            due.producer = true;
            due.sent = dueToEnded;
            parties.push_back(due);
        }
    }

    // depthNow: the object's depth as this sample read it (asking the object again costs a system call for mq).
    Ledger ledgerFor(std::size_t objectIndex, const std::vector<WorkerStatus>& statuses, bool final,
        std::int64_t depthNow, const std::vector<std::int64_t>& cells) const
    {
        const ObjectRuntime& o = objects[objectIndex];
        const TransportTraits& t = traits(o.spec.transport);
        if (!t.carriesMessages)
            return programLedger(objectIndex, statuses, final, cells);
        const std::string& name = o.spec.name;
        // Its producers, those on another machine too: a killed consumer holds what came from each.
        std::uint64_t producers = o.producersElsewhere;
        for (const std::size_t i : objectUsers[objectIndex])
            producers += workers[i].spec.role == Role::Producer;
        // Each worker that puts into or takes from the object, with what it counted and, if killed, what it may
        // have had in hand uncounted. The arithmetic is messageLedger's (ledger.h).
        std::vector<MessageParty> parties;
        parties.reserve(objectUsers[objectIndex].size());
        // A broadcast's consumers (subscribers): their parties, and those that ended before the stop.
        std::vector<std::pair<std::size_t, const WorkerProc*>> subscribers;
        for (const std::size_t i : objectUsers[objectIndex]) {
            const WorkerProc& w = workers[i];
            const WorkerStatus& s = statuses[i];
            MessageParty p;
            // A ZeroMQ consumer that ended before the stop (Terminate, its count, an error) while producers ran
            // took its queue along, and the producers dropped theirs toward it (ZMQ_IMMEDIATE), as for a killed one.
            const bool endedWithItsQueue
                = !w.alive && w.spec.role == Role::Consumer && t.depthFromCounters && (w.terminated || !w.stopping);
            const bool dead = !w.alive && (w.killed || endedWithItsQueue);
            if (w.spec.role == Role::Program) {
                const ProgramSteps& prog = w.spec.program;
                bool gets = false, puts = false;
                for (std::size_t k = 0; k < prog.size() && k < s.stepDone.size(); ++k) {
                    if (prog[k].object == name && prog[k].op == StepOp::Put) {
                        p.sent += s.stepDone[k];
                        puts = true;
                    } else if (prog[k].object == name && prog[k].op == StepOp::Get) {
                        p.received += s.stepDone[k];
                        gets = true;
                    } else if (prog[k].object == name && isPoolCall(prog[k].op)) { // at most one call
                        p.sent += s.tasks.framesOut;
                        puts = true;
                    } else if (isPoolCall(prog[k].op) && prog[k].results == name) {
                        p.received += s.tasks.framesIn;
                        gets = true;
                    } else if (prog[k].op == StepOp::Request && prog[k].object == name) {
                        p.sent = s.requests.requestsOut; // over all its request steps: they share the object
                        puts = true;
                        if (prog[k].results == name) { // zmq: the replies come back through the object
                            p.received = s.requests.repliesIn;
                            gets = true;
                        }
                    } else if (prog[k].op == StepOp::Request && prog[k].results == name) {
                        p.received = s.requests.repliesIn;
                        gets = true;
                    } else if (prog[k].op == StepOp::Serve && prog[k].object == name) {
                        p.received = s.requests.requestsIn;
                        gets = true;
                        if (o.address.requests) { // a zmq object: its replies go back through it
                            p.sent = s.requests.repliesOut;
                            puts = true;
                        }
                    }
                }
                // A server puts replies into its clients' reply queues, which its steps do not name.
                const bool serves = std::any_of(
                    prog.begin(), prog.end(), [](const ProgramStep& st) { return st.op == StepOp::Serve; });
                const auto bound = std::find(w.usedObjects.begin(), w.usedObjects.end(), name);
                const auto boundAt = std::size_t(bound - w.usedObjects.begin());
                const bool replies = serves && !gets && !puts && boundAt < s.boundSent.size();
                if (replies) {
                    p.sent = s.boundSent[boundAt];
                    puts = true;
                }
                if (!gets && !puts)
                    continue;
                p.producer = puts;
                if (gets) {
                    // A program's frame checks are kept over all the objects it gets from; programs get from one.
                    p.duplicated = s.duplicated;
                    p.corrupt = s.corrupt;
                    p.outOfOrder = s.outOfOrder;
                }
                // In doubt only when it died inside a put or get on this object; a caller killed inside map or
                // apply was putting a task or taking a result, either of which may be it.
                if (dead && w.heldMessages > 0 && w.stepAtDeath < prog.size()) {
                    const ProgramStep& at = prog[w.stepAtDeath];
                    const bool twoWay = isPoolCall(at.op) || at.op == StepOp::Request;
                    // A server killed inside its step was taking a request or putting a reply into one of them.
                    const bool here = at.object == name || (twoWay && at.results == name) || replies;
                    if (here) {
                        p.killed = true;
                        const bool sending = replies
                            || (at.object == name
                                && (at.op == StepOp::Put || isPoolCall(at.op) || at.op == StepOp::Request));
                        (sending ? p.mayHaveSentUncounted : p.mayHaveTakenUncounted) = 1;
                        // Over zmq a request's step both sends and receives through the object, and so does the
                        // server's: killed in it, either may be uncounted.
                        if (t.depthFromCounters)
                            p.mayHaveSentUncounted = p.mayHaveTakenUncounted = 1;
                    }
                }
            } else {
                if (w.object != objectIndex)
                    continue;
                if (w.spec.role == Role::Producer) {
                    p.producer = true;
                    p.sent = s.messages;
                } else {
                    p.received = s.messages;
                    p.duplicated = s.duplicated;
                    p.corrupt = s.corrupt;
                    p.outOfOrder = s.outOfOrder;
                    p.gaps = s.gaps;
                }
                // What a killed worker may have taken with it: a message in hand (mq, rings, value), plus for a
                // stream consumer the frames it had read ahead into its own buffer (it publishes how many), or for
                // a consumer that owns its connections (socket) whatever sat in the connections it had accepted,
                // which die with it: each holds at most the writer's send buffer
                // (/proc/sys/net/core/wmem_default bytes) in the kernel and the reader's buffer.
                if (dead) {
                    p.killed = true;
                    // ZeroMQ keeps its queues inside the processes: what a killed worker's queues and connections
                    // held dies with it, a producer's as well (counted as sent, never received). And a producer
                    // killed after zmq_send took its message but before counting it sent one uncounted, as with any
                    // transport (its message is received, not a duplicate).
                    if (t.depthFromCounters) {
                        p.mayHaveTakenUncounted = zmqMostLostWithKilled(o.address, w.spec.role, producers);
                        if (w.spec.role == Role::Producer)
                            p.mayHaveSentUncounted = std::min<std::uint32_t>(w.heldMessages, 1);
                    } else if (w.spec.role == Role::Consumer && t.consumersOwnConnections)
                        p.mayHaveTakenUncounted = (socketBufferFrames() + readerBufferFrames(o.spec.messageSize))
                            * std::max<std::uint64_t>(producers, 1);
                    else if (w.spec.role == Role::Producer)
                        p.mayHaveSentUncounted = std::min<std::uint32_t>(w.heldMessages, 1);
                    else {
                        p.mayHaveTakenUncounted = w.heldMessages;
                        // In a shared byte stream (fifo, pipe) the rest of the frame it was reading stays behind;
                        // the next reader skips those bytes and reports one damaged frame, which is the one the
                        // dead reader held. (Owned connections, where nobody reads the rest, went above.)
                        p.diedMidFrame = t.stream && !t.consumersOwnConnections && w.heldMessages > 0;
                    }
                }
            }
            p.errors = s.errors;
            if (t.broadcast && w.spec.role == Role::Consumer)
                subscribers.emplace_back(parties.size(), dead ? &w : nullptr);
            parties.push_back(p);
        }
        if (t.broadcast)
            countInCopies(parties, subscribers);
        // Between machines, this machine has half of the books; the controller joins them (RemoteHosts::merge).
        if (betweenMachines(o))
            return halfLedger(parties, final ? o.leftAtStop : 0);
        // A zmq object of requests and replies is not emptied at a stop (its clients stop waiting for replies, its
        // server for requests): what was in flight stays in the ZeroMQ queues of processes that then exit, and their
        // final counters say exactly how much (the depth, sent less received).
        const bool countedAtStop = final && t.depthFromCounters && o.address.requests;
        const std::uint64_t left
            = final && !countedAtStop ? o.leftAtStop : std::uint64_t(std::max<std::int64_t>(0, depthNow));
        Ledger l = messageLedger(t, parties, left, final);
        if (!t.consumingReads)
            return l;
        if (auto pool = poolLedgerFor(objectIndex, statuses, final, l.left)) {
            l.pool = *pool;
            l.exact = l.exact && (!final || l.pool.exact);
        }
        if (auto requests = requestLedgerFor(objectIndex, statuses, final, l.left)) {
            l.requests = *requests;
            l.exact = l.exact && (!final || l.requests.exact);
        }
        if (t.priorities)
            prioritiesFor(objectIndex, statuses, l);
        return l;
    }

    // --csv: a row per sample, written once the hosts' parts are merged into it (their workers and objects are
    // columns too, "c1@lab2.msgs_per_s", and an object between machines has its joined depth). The columns are
    // named from the first sample, whose rows keep their places: each object's depth and semaphores, then each
    // worker's rate; a worker added during the run has none.
    void writeCsvRow(const Snapshot& snap)
    {
        if (!csv.is_open() || stopped)
            return;
        if (!csvWorkers) {
            csv << "time_s";
            for (const ObjectStatus& o : snap.objects) {
                const std::string name = placedName(o.name, o.host);
                csv << "," << name << ".depth";
                for (const SemaphoreValue& v : o.semaphores)
                    csv << "," << name << ".sem." << v.role;
            }
            for (const WorkerStatus& w : snap.workers)
                csv << "," << placedName(w.name, w.host) << ".msgs_per_s";
            csv << "\n";
            csvWorkers = snap.workers.size();
        }
        csv << snap.t;
        for (const ObjectStatus& o : snap.objects) {
            csv << "," << o.depth;
            for (const SemaphoreValue& v : o.semaphores)
                csv << "," << v.value;
        }
        for (std::size_t i = 0; i < std::min(*csvWorkers, snap.workers.size()); ++i)
            csv << "," << snap.workers[i].msgsPerS;
        csv << "\n";
    }

    // A worker killed while holding a ring's lock or slot token would freeze everyone else for ever (POSIX
    // semaphores have no SEM_UNDO). Tokens outside the lock are given back at once. A lock is freed only when it
    // has stayed taken for LockStuckNs while no live worker claims it and none is stopped (a paused holder is
    // legitimate), so a live holder is never robbed; then the semaphores are checked against the ring's indices.
    static constexpr std::uint64_t LockStuckNs = 500'000'000ull;
    // When only a suspect's death explains the stuck lock (its phase did not say it held it), wait longer: a live
    // worker preempted between taking the lock and saying so must have had every chance to say so.
    static constexpr std::uint64_t SuspectStuckNs = 2'000'000'000ull;

    // A worker killed in the instant between taking the lock and publishing HasLock holds the lock, but its phase
    // only says it was on its way; each object knows what that looks like (ChannelObject::mayHaveJustTakenLock).
    static bool mayHaveJustTakenLock(const ObjectRuntime& o, Role role, std::uint32_t phase)
    {
        return o.channel && o.channel->mayHaveJustTakenLock(role, phase);
    }

    void repairDeadHolders(std::uint64_t now)
    {
        for (std::size_t oi = 0; oi < objects.size(); ++oi) {
            ObjectRuntime& o = objects[oi];
            if (!o.channel || o.channel->lockValue() < 0)
                continue;
            std::vector<WorkerProc*> dead;
            bool liveHolder = false, liveStopped = false;
            for (const std::size_t k : objectUsers[oi]) {
                WorkerProc& w = workers[k];
                // A live program that uses this object may hold its lock whatever object it is listed under;
                // counting it as a possible holder only ever delays a repair, never steals a lock.
                if (w.object != oi && !w.alive)
                    continue;
                if (!w.alive && !w.tokensSettled)
                    dead.push_back(&w);
                if (w.alive) {
                    liveHolder = liveHolder
                        || (board->slot(w.slot).phase.load(std::memory_order_acquire) & RingPhase::HasLock);
                    liveStopped = liveStopped || w.pausedBySignal || w.procState == 'T' || w.procState == 't';
                }
            }
            // "Stuck" means: taken at every sample for LockStuckNs, while no live worker ever showed that it held
            // it and nobody got through it (the indices did not move). Only then can the holder be the dead one; a
            // busy lock that live workers take in turns is seen taken at many samples, but it makes progress.
            const bool taken = o.channel->lockValue() == 0;
            const std::uint64_t progress = o.channel->lockProgress();
            if (!taken || liveHolder || progress != o.lockProgressAtStart) {
                o.lockTakenSinceNs = taken && !liveHolder ? now : 0;
                o.lockProgressAtStart = progress;
                o.lockSuspects.clear(); // the lock was free, someone alive has it, or someone got through it
            } else if (o.lockTakenSinceNs == 0)
                o.lockTakenSinceNs = now;
            // A stopped worker may be the holder, caught before it could say so: the clock starts again once it runs.
            if (liveStopped && o.lockTakenSinceNs != 0)
                o.lockTakenSinceNs = now;
            // Stuck with nobody alive holding it, after a worker died taking it: that worker has it. (Suspects are
            // only noted where repair is on.)
            bool released = false;
            // A dead worker becomes a suspect only while the lock is taken with no live holder, and only once.
            auto noteSuspect = [&](const WorkerProc& w) {
                if (taken && !liveHolder && !released && o.spec.repair
                    && mayHaveJustTakenLock(o, w.holder.role, w.holder.phase))
                    o.lockSuspects += (o.lockSuspects.empty() ? "" : ", ") + w.spec.name;
            };
            if (!o.lockSuspects.empty() && taken && !liveStopped && now - o.lockTakenSinceNs >= SuspectStuckNs) {
                std::string done = o.channel->releaseDeadLock();
                released = true;
                if (const std::string check = o.channel->checkAgainstRing(); !check.empty())
                    done += "; " + check;
                event(RunEvent::Kind::Warning,
                    "repaired " + o.spec.name + ": its lock stayed taken with no live holder after " + o.lockSuspects
                        + " died taking it: " + done);
                o.lockSuspects.clear();
                o.lockTakenSinceNs = 0;
            }
            // Dead with no phase at all (a value writer): nothing to give back, but it may have just taken the lock.
            for (auto it = dead.begin(); it != dead.end();) {
                if ((*it)->holder.phase != 0) {
                    ++it;
                    continue;
                }
                (*it)->tokensSettled = true;
                noteSuspect(**it);
                it = dead.erase(it);
            }
            if (dead.empty())
                continue;
            const bool deadHeldLock = std::any_of(
                dead.begin(), dead.end(), [](const WorkerProc* w) { return w->holder.phase & RingPhase::HasLock; });
            if (!o.spec.repair) {
                if (deadHeldLock && taken && !o.frozenReported && now - o.lockTakenSinceNs >= LockStuckNs) {
                    o.frozenReported = true;
                    event(RunEvent::Kind::Error,
                        o.spec.name + " is frozen: its lock was held by a worker that died, and POSIX semaphores "
                            + "have no owner to give it back. Repair is off for this object (the naive design); "
                            + "every worker that needs the lock now waits for ever");
                }
                continue;
            }
            std::string done;
            auto add = [&](const std::string& what) {
                if (!what.empty())
                    done += (done.empty() ? "" : "; ") + what;
            };
            if (deadHeldLock) {
                if (liveHolder || liveStopped)
                    continue; // someone alive may hold it; wait until that is settled
                if (taken && now - o.lockTakenSinceNs < LockStuckNs)
                    continue; // not stuck long enough to be sure
                if (taken && !released) // one lock, one holder: never posted twice
                    add(o.channel->releaseDeadLock());
            }
            for (WorkerProc* w : dead) {
                add(o.channel->returnTokens(w->holder));
                w->tokensSettled = true;
                if (!deadHeldLock) // a dead worker's phase says it held the lock: that one is the holder
                    noteSuspect(*w);
            }
            add(o.channel->checkAgainstRing());
            o.lockTakenSinceNs = 0;
            std::string who;
            for (const WorkerProc* w : dead)
                who += (who.empty() ? "" : ", ") + w->spec.name;
            event(RunEvent::Kind::Warning,
                "repaired " + o.spec.name + " after " + who + " died holding " + (deadHeldLock ? "its lock" : "a slot")
                    + (done.empty() ? std::string() : ": " + done));
        }
    }

    Snapshot sample()
    {
        objectUsers.resize(objects.size()); // a run whose workers are not all spawned yet has objects used by none
        const std::uint64_t now = monotonicNs();
        reap(now);
        if (!stopped)
            repairDeadHolders(now);
        Snapshot snap;
        snap.t = secondsSinceStart(now);
        snap.startNs = startNs;
        snap.nowNs = now;
        const bool derive = stopped || samplesToDerive == 0;
        samplesToDerive = derive ? std::uint64_t(std::max(1.0, std::round(hz / DerivedHz))) - 1 : samplesToDerive - 1;
        // Consumers first, then programs, producers last: a message counted received was sent before, so read in
        // this order the live books never show more received than sent (read the other way round, a message sent
        // and taken between the two reads counted as received only).
        snap.workers.resize(workers.size());
        for (const Role role : { Role::Consumer, Role::Program, Role::Producer }) {
            for (std::size_t i = 0; i < workers.size(); ++i) {
                if (workers[i].spec.role == role)
                    workerStatus(workers[i], now, derive, snap.workers[i]);
            }
        }
        trimTraces();
        // Cells after the workers' counts: a write done between the two reads is then in the cell and not yet in
        // the count, so a live ledger may show a cell a write or two ahead, never a lost update that is only a write
        // in flight (read the other way round, counter-race-locked, which loses none, showed "lost updates 3" in
        // red now and then). At stop nothing moves and the order does not matter.
        std::vector<std::vector<std::int64_t>> cellsRead(objects.size());
        for (std::size_t i = 0; i < objects.size(); ++i)
            if (objects[i].channel)
                cellsRead[i] = objects[i].channel->cells();
        if (derive)
            contention = std::make_shared<const Contention>(contentionOfWorkers(snap.workers));
        snap.contention = contention;
        snap.objects.reserve(objects.size());
        snap.objectLedgers.reserve(objects.size());
        for (std::size_t i = 0; i < objects.size(); ++i) {
            ObjectRuntime& o = objects[i];
            ObjectStatus s;
            s.name = o.spec.name;
            s.osName = osNameText(o);
            s.transport = o.spec.transport;
            s.capacity = displayedCapacity(o.spec);
            s.messageSize = o.spec.messageSize;
            if (o.channel) {
                s.depth = o.channel->depth();
                // ZeroMQ keeps its queues inside the processes: the depth is what its producers counted as sent
                // less what its consumers counted as received. A consumer can count a message before its producer
                // has (the producer counts after zmq_send returns), so the figure is held at zero as a whole, like
                // the books' in flight (Ledger::inFlight), not its parts.
                // Between machines its consumers are on the other side: the depth is known where the two halves
                // are joined (RemoteHosts::merge), not here.
                if (betweenMachines(o))
                    s.depth = -1;
                else if (traits(o.spec.transport).depthFromCounters) {
                    const bool broadcast = traits(o.spec.transport).broadcast;
                    std::int64_t sent = 0, received = 0, subscribers = 0;
                    std::vector<std::size_t> ended; // a broadcast's subscribers that have ended
                    for (const std::size_t k : objectUsers[i]) {
                        const WorkerStatus& w = snap.workers[k];
                        if (w.role == Role::Program) { // its puts and gets here (a Manager's requests and replies)
                            const std::vector<std::string>& used = workers[k].usedObjects;
                            const auto at
                                = std::size_t(std::find(used.begin(), used.end(), o.spec.name) - used.begin());
                            if (at < w.boundSent.size() && at < w.boundReceived.size()) {
                                sent += std::int64_t(w.boundSent[at]);
                                received += std::int64_t(w.boundReceived[at]);
                            }
                            continue;
                        }
                        if (w.object != o.spec.name)
                            continue;
                        if (w.role == Role::Producer)
                            sent += std::int64_t(w.messages);
                        else if (w.role == Role::Consumer && broadcast && !w.alive)
                            ended.push_back(k);
                        else if (w.role == Role::Consumer) {
                            received += std::int64_t(w.messages);
                            ++subscribers;
                        }
                    }
                    // Which subscriber lags most: every one alive is due every message, so it is behind the one
                    // furthest ahead by what that one received and it did not. Against the leader, not the
                    // producers' sent: the copies a killed producer had counted and still held died with it, and
                    // every subscriber would read behind by them for the rest of the run.
                    if (broadcast) {
                        std::int64_t ahead = -1, least = -1;
                        for (const std::size_t k : objectUsers[i]) {
                            const WorkerStatus& w = snap.workers[k];
                            if (w.object != o.spec.name || w.role != Role::Consumer || !w.alive)
                                continue;
                            const auto n = std::int64_t(w.messages);
                            ahead = std::max(ahead, n);
                            if (least < 0 || n < least) {
                                least = n;
                                s.furthestBehind = w.name;
                            }
                        }
                        s.furthestBehindBy = ahead - least;
                        if (s.furthestBehindBy <= 0)
                            s.furthestBehind.clear();
                    }
                    // A broadcast's copies on their way to the subscribers still there, each sent once to each,
                    // and those an ended one's queue held when it went (as the ledger counts them, ledgerFor;
                    // at the stop they are counted as died with it).
                    std::int64_t endedHeld = 0;
                    if (broadcast) {
                        const std::uint64_t producers
                            = std::uint64_t(std::count_if(objectUsers[i].begin(), objectUsers[i].end(),
                                [&](std::size_t k) { return workers[k].spec.role == Role::Producer; }));
                        for (const std::size_t k : ended)
                            endedHeld += std::int64_t(copiesDiedWith(workers[k], snap.workers[k].messages,
                                zmqMostLostWithKilled(o.address, Role::Consumer, producers)));
                        sent *= subscribers;
                    }
                    s.depth = std::max<std::int64_t>(0, sent - received + endedHeld);
                }
                o.depthLast = s.depth;
                s.semaphores = o.channel->semaphores();
                s.cells = std::move(cellsRead[i]);
                s.bytesQueued = o.channel->bytesQueued();
                // A socket's bytes wait in its connections, which only its consumers hold: they measure them.
                if (o.spec.transport == TransportKind::Socket) {
                    std::int64_t waiting = -1;
                    for (const std::size_t k : objectUsers[i]) {
                        const WorkerStatus& w = snap.workers[k];
                        if (w.object == o.spec.name && w.kernelBytes >= 0)
                            waiting = std::max<std::int64_t>(waiting, 0) + w.kernelBytes;
                    }
                    s.bytesQueued = waiting;
                }
                // The pipe's size never changes during a run: one fcntl per run, not one per sample.
                if (o.byteCapacity < 0)
                    o.byteCapacity = o.channel->byteCapacity();
                s.byteCapacity = o.byteCapacity;
                // Between machines, on the consumers' machine: read until every consumer has published where it
                // listens.
                if (!o.address.bindAddress.empty() && !o.reach.complete())
                    o.reach = o.channel->reach();
                s.listensOn = o.reach.endpoints;
                s.publicKey = o.reach.publicKey;
            }
            if (traits(o.spec.transport).perProcess)
                globalCopies(i, snap.workers, s);
            usersOf(i, snap.workers, s);
            addTracePoint(i, s, now);
            if (s.depth >= 0) {
                if (o.depthSamples == 0)
                    o.depthMin = o.depthMax = s.depth;
                o.depthMin = std::min(o.depthMin, s.depth);
                o.depthMax = std::max(o.depthMax, s.depth);
                o.depthSum += double(s.depth);
                ++o.depthSamples;
            }
            if (o.semRange.size() != s.semaphores.size()) {
                o.semRange.assign(s.semaphores.size(), { INT32_MAX, INT32_MIN });
                o.semLast.assign(s.semaphores.size(), 0);
                o.semRoles.clear();
                for (const SemaphoreValue& v : s.semaphores)
                    o.semRoles.push_back(v.role);
            }
            for (std::size_t k = 0; k < s.semaphores.size(); ++k) {
                o.semRange[k].first = std::min(o.semRange[k].first, s.semaphores[k].value);
                o.semRange[k].second = std::max(o.semRange[k].second, s.semaphores[k].value);
                o.semLast[k] = s.semaphores[k].value;
            }
            snap.objects.push_back(std::move(s));
        }
        for (std::size_t i = 0; i < objects.size(); ++i) {
            snap.objectLedgers.push_back(
                ledgerFor(i, snap.workers, stopped, snap.objects[i].depth, snap.objects[i].cells));
            const Ledger& l = snap.objectLedgers.back();
            addToTotal(snap.ledger, l, objects[i].spec.transport);
        }
        snap.ledger.exact = stopped;
        for (const Ledger& l : snap.objectLedgers)
            snap.ledger.exact = snap.ledger.exact && l.exact;
        std::vector<ThroughputParty> parties;
        parties.reserve(workers.size());
        for (std::size_t i = 0; i < workers.size(); ++i)
            parties.push_back({ objects[workers[i].object].spec.transport, snap.workers[i].role });
        const std::vector<bool> counted = countedInTotal(parties);
        for (std::size_t i = 0; i < workers.size(); ++i) {
            if (counted[i])
                snap.totalMsgsPerS += snap.workers[i].msgsPerS;
        }
        if (!stopped && derive)
            judgeStuckWaits(snap);
        snap.deadlock = deadlock;
        snap.events = std::move(pending);
        snap.stepMode = stepMode;
        snap.stepRate = stepRate;
        pending.clear();
        return snap;
    }

    // Processes in a wait that no one free to run can end (wait_for.h): a deadlock (a cycle) is an error, kept for
    // the report; a stall is a warning, said once per set of processes.
    void judgeStuckWaits(const Snapshot& snap)
    {
        if (deadlock.kind == WaitForVerdict::Kind::Deadlock)
            return;
        // Stuck: blocked for StuckSeconds in a wait with no timeout. A shm-ring's or shm-value's own lock is left
        // out: a dead holder's is repaired by the runner, and its holder is not a program's to name. Most samples
        // find no one stuck and end here, having allocated nothing: stuckOn(i) is the object worker i is stuck
        // waiting for, empty when it is not stuck.
        const std::uint64_t now = monotonicNs();
        auto stuckOn = [&](std::size_t i) -> const std::string& {
            static const std::string none;
            const WorkerProc& w = workers[i];
            const WorkerStatus& s = snap.workers[i];
            const bool timed = w.spec.role == Role::Program && s.stepIndex < w.spec.program.size()
                && w.spec.program[s.stepIndex].timeoutMs.has_value();
            const bool innerLock = w.spec.role != Role::Program && s.state == WorkerState::WaitingLock;
            // Paused in a wait and resumed: its wait counts from the resume (what ended it while it was stopped takes
            // effect once it runs).
            const bool resumedLately
                = w.resumedNs != 0 && now >= w.resumedNs && double(now - w.resumedNs) / 1e9 < StuckSeconds;
            if (w.alive && isBlocked(s.state) && !timed && !innerLock && s.stateSeconds >= StuckSeconds
                && !resumedLately)
                return waitObjectOf(w.spec, s.stepIndex, s.state);
            return none;
        };
        bool anyStuck = false;
        for (std::size_t i = 0; i < workers.size() && !anyStuck; ++i)
            anyStuck = !stuckOn(i).empty();
        if (!anyStuck)
            return;
        std::vector<WaitForProcess> facts;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            const WorkerProc& w = workers[i];
            const WorkerStatus& s = snap.workers[i];
            WaitForProcess p;
            p.name = w.spec.name;
            // Waiting for a step is no stall: the next step lets it go on.
            p.free = w.alive && (s.state != WorkerState::Paused || s.atGate);
            p.notFree = !w.alive ? (s.state == WorkerState::Finished ? "finished" : "dead") : "paused";
            // A producer's put ends a consumer's wait, never another producer's; a consumer's get the other way.
            if (w.spec.role == Role::Producer)
                p.fills = { w.spec.object };
            else if (w.spec.role == Role::Consumer)
                p.drains = { w.spec.object };
            else
                p.posts = w.posts;
            p.needs = s.state == WorkerState::BlockedFull ? WaitForProcess::Needs::Room
                : s.state == WorkerState::BlockedEmpty    ? WaitForProcess::Needs::Data
                                                          : WaitForProcess::Needs::Any;
            for (const HeldObject& h : s.holds) {
                if (!contains(p.holds, h.object))
                    p.holds.push_back(h.object);
            }
            p.waitsFor = stuckOn(i);
            p.stuck = !p.waitsFor.empty();
            // Waiting for consumers on hosts that are all lost, gone or left: the hosts' events say why, not a stall.
            const ObjectRuntime& object = objects[w.object];
            if (p.stuck && object.address.consumerElsewhere && remote && remote->servedByLostHost(object.spec.name)) {
                p.stuck = false;
                p.waitsFor.clear();
            }
            facts.push_back(std::move(p));
        }
        // On a worker host, an object between machines whose consumers run here: its producers on the controller's
        // machine fill it, and this host cannot see whether they are held (step mode, a pause) or gone. Their
        // controller judges them; here they count as free, so a consumer waiting for them is never said to wait
        // for nobody.
        for (const ObjectRuntime& o : objects) {
            if (o.address.bindAddress.empty())
                continue;
            WaitForProcess p;
            p.name = "the producers on the controller's machine";
            p.fills = { o.spec.name };
            facts.push_back(std::move(p));
        }
        // The consumers on a host of an object between machines take from it as long as they live there.
        for (const ObjectRuntime& o : objects) {
            if (!o.address.consumerElsewhere || !remote)
                continue;
            if (const auto there = remote->consumersOf(o.spec.name)) {
                for (const std::string& name : there->alive) {
                    WaitForProcess p;
                    p.name = name;
                    p.drains = { o.spec.name };
                    facts.push_back(std::move(p));
                }
            }
        }
        WaitForVerdict verdict = judgeWaits(facts);
        if (verdict.kind == WaitForVerdict::Kind::Deadlock) {
            event(RunEvent::Kind::Error, "Deadlock: " + verdict.text);
            deadlock = std::move(verdict);
        } else if (verdict.kind == WaitForVerdict::Kind::Stall && verdict.members != stallSaid) {
            event(RunEvent::Kind::Warning, "Stalled: " + verdict.text);
            stallSaid = verdict.members;
        }
    }

    // `producersStopped` is called once this machine's producers have exited (Runner::stop asks the hosts to stop
    // then, when their consumers take from producers here).
    Report stop(const std::function<void()>& producersStopped = {})
    {
        if (stopped)
            return finalReport;
        // Programs first (they may feed producers' objects in later steps), then producers, so consumers can take
        // what is still coming; then consumers.
        stopRole(Role::Program);
        settleCountedObjects();
        stopRole(Role::Producer);
        if (producersStopped)
            producersStopped();
        stopRole(Role::Consumer);
        for (ObjectRuntime& o : objects) {
            const TransportTraits& t = traits(o.spec.transport);
            if (t.drainedAtStop)
                o.leftAtStop = o.channel->drainLeftovers();
            else if (t.consumingReads)
                o.leftAtStop = std::uint64_t(std::max<std::int64_t>(0, o.channel->depth()));
        }
        noteChannelsStoppedBeforePoison();
        stopped = true;
        const std::uint64_t now = monotonicNs();
        Snapshot last = sample();
        Report r;
        r.scenario = scenario.name;
        r.durationS = secondsSinceStart(now);
        r.contention = *last.contention;
        r.deadlock = deadlock;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            const WorkerProc& w = workers[i];
            const WorkerStatus& s = last.workers[i];
            WorkerSummary ws;
            ws.name = s.name;
            ws.role = s.role;
            ws.object = s.object;
            ws.pid = s.pid;
            ws.messages = s.messages;
            ws.bytes = s.bytes;
            const double life = double((w.endNs ? w.endNs : now) - w.startNs) / 1e9;
            ws.msgsPerS = life > 0 ? double(s.messages) / life : 0;
            ws.mbPerS = life > 0 ? double(s.bytes) / life / 1e6 : 0;
            ws.blockedFraction = s.blockedFraction;
            ws.cpuPercent = w.cpuNs > w.startNs ? 100.0 * double(w.cpuUsedNs) / double(w.cpuNs - w.startNs) : 0;
            ws.meanLatencyUs = s.meanLatencyUs;
            ws.timedMessages = s.timedMessages;
            ws.exitText = s.exitText;
            ws.state = s.state;
            ws.exitcode = s.exitcode;
            ws.errors = s.errors;
            ws.errorText = s.errorText;
            for (const ProgramStep& step : w.spec.program)
                ws.steps.push_back(stepText(step));
            ws.stepDone = s.stepDone;
            ws.stepMissed = s.stepMissed;
            ws.stepMeanUs = s.stepMeanUs;
            ws.tasks = s.tasks;
            ws.requests = s.requests;
            r.workers.push_back(ws);
        }
        for (std::size_t i = 0; i < objects.size(); ++i) {
            const ObjectRuntime& o = objects[i];
            ObjectSummary os;
            os.name = o.spec.name;
            os.osName = osNameText(o);
            os.transport = o.spec.transport;
            os.capacity = last.objects[i].capacity;
            os.depthMin = o.depthMin;
            os.depthMax = o.depthMax;
            os.depthMean = o.depthSamples ? o.depthSum / double(o.depthSamples) : 0;
            for (std::size_t k = 0; k < o.semRange.size(); ++k)
                os.semaphoreText.push_back(o.semRoles[k] + " " + std::to_string(o.semRange[k].first) + ".."
                    + std::to_string(o.semRange[k].second) + " (at stop " + std::to_string(o.semLast[k]) + ")");
            os.ledger = last.objectLedgers[i];
            os.cells = last.objects[i].cells;
            os.copies = last.objects[i].copies;
            r.objects.push_back(os);
        }
        r.integrity = last.ledger;
        for (const WorkerProc& w : workers) {
            if (w.alive || !w.killed)
                continue;
            std::string note = w.spec.name + " (" + roleName(w.spec.role) + ", " + w.exitText + "): ";
            if (w.spec.role == Role::Program) {
                // Counted from 1, as the window's Step column counts them.
                const std::size_t step = std::min<std::size_t>(w.stepAtDeath, w.spec.program.size() - 1);
                const ProgramStep& at = w.spec.program[step];
                note += "died in step " + std::to_string(step + 1) + " of " + std::to_string(w.spec.program.size())
                    + " (" + stepText(at) + ")";
                if (w.heldMessages > 0) {
                    switch (at.op) {
                    case StepOp::Write:
                        note += "; its write may have landed without being counted (sent_by_dead_uncounted)";
                        break;
                    case StepOp::Put:
                        note += "; if its message went out, it is counted in sent_by_dead_uncounted";
                        break;
                    case StepOp::Get:
                        note += "; if it had taken its message out, it is counted in lost_with_dead_workers";
                        break;
                    case StepOp::Serve:
                    case StepOp::Request:
                        note += "; it was taking or putting a request or reply, which may have moved without being "
                                "counted (the requests' in_doubt)";
                        break;
                    case StepOp::Map:
                    case StepOp::Apply:
                        note += "; it was putting a task or taking a result, which may have moved without being "
                                "counted";
                        break;
                    default:
                        note += "; it may have taken the permit it was waiting for (permits_held_by_dead)";
                    }
                }
                r.deadWorkers.push_back(note);
                continue;
            }
            if (w.heldMessages == 0)
                note += "had no message in hand";
            else if (w.spec.role == Role::Consumer && w.heldMessages > 1)
                note += "had up to " + std::to_string(w.heldMessages)
                    + " messages in hand (read ahead into its buffer); those it had taken out are counted in"
                      " lost_with_dead_workers";
            else if (w.spec.role == Role::Consumer)
                note += "had a message in hand; if it had taken it out, it is counted in lost_with_dead_workers";
            else
                note += "was sending a message; if it went out, it is counted in sent_by_dead_uncounted";
            r.deadWorkers.push_back(note);
        }
        for (const OsName& n : recorded)
            r.cleanup.push_back("unlinked " + n.kind + " " + n.name);
        teardown();
        r.events = allEvents;
        r.stopEvents = last.events;
        finalReport = r;
        return r;
    }

    // With worker hosts, Snapshot::workers and Runner::scenario().workers list every worker in the scenario's
    // order (added ones last), while `workers` holds this machine's only: the index of a worker here, or nothing
    // (with the reason) for one on a host.
    std::optional<std::size_t> localIndex(std::size_t index, Error& error) const
    {
        if (!remote)
            return index;
        if (index >= whole.workers.size()) {
            error = detail::makeError(ErrorCode::InvalidArgument, "control worker", std::to_string(index),
                "There is no worker with this index");
            return std::nullopt;
        }
        const WorkerSpec& spec = whole.workers[index];
        if (!spec.host.empty()) {
            error = detail::makeError(ErrorCode::NotSupported, "control worker", spec.name,
                "This worker runs on host '" + spec.host + "', not on this machine");
            return std::nullopt;
        }
        for (std::size_t i = 0; i < workers.size(); ++i)
            if (workers[i].spec.name == spec.name)
                return i;
        error = detail::makeError(ErrorCode::NotFound, "control worker", spec.name, "This worker is not in the run");
        return std::nullopt;
    }

    // A control of a worker on a host goes to that host (nothing: the worker runs here). A new rate, size or work is
    // checked here first, as for a worker here, so a bad one is refused at once; what the host then refuses comes
    // back as a warning among the run's events.
    std::optional<Status> controlOnHost(std::size_t index, detail::WorkerControl action, double value = 0)
    {
        if (!remote || index >= whole.workers.size() || whole.workers[index].host.empty())
            return std::nullopt;
        const WorkerSpec& spec = whole.workers[index];
        WorkerSpec changed = spec;
        if (action == detail::WorkerControl::Rate)
            changed.rate = value;
        else if (action == detail::WorkerControl::MessageSize)
            changed.messageSize = std::uint32_t(value);
        else if (action == detail::WorkerControl::WorkUs)
            changed.workUs = std::uint32_t(value);
        const auto object = std::find_if(
            whole.objects.begin(), whole.objects.end(), [&](const ObjectSpec& o) { return o.name == spec.object; });
        if (object != whole.objects.end())
            if (Status st = validateWorker(changed, *object); !st)
                return st;
        return remote->control(spec.host, { spec.name, action, value });
    }

    // Where the consumers of objects between machines listen, as their hosts told: written into this run's folder,
    // where this machine's producers of them poll for it (ChannelObject::publishReach).
    void publishReaches()
    {
        for (const auto& [name, host, names, reach] : remote->takeReaches()) {
            const std::size_t i = objectIndex(name);
            if (i == objects.size() || !objects[i].address.consumerElsewhere)
                continue;
            ObjectRuntime& o = objects[i];
            const std::size_t consumers = std::max<std::uint32_t>(o.address.consumers, 1);
            if (Status st = o.channel->publishReach(reach); !st) {
                event(RunEvent::Kind::Error,
                    "'" + name + "': its producers here cannot reach its consumer" + (consumers == 1 ? "" : "s")
                        + " on host " + host + ": " + st.error().message());
                continue;
            }
            // Those it names for the first time (their host sends all it knows, as each consumer binds).
            std::vector<std::string> fresh;
            o.reach.endpoints.resize(consumers);
            o.reach.publicKey = reach.publicKey;
            for (std::size_t k = 0; k < consumers; ++k) {
                if (reach.endpoints[k].empty() || !o.reach.endpoints[k].empty())
                    continue;
                o.reach.endpoints[k] = reach.endpoints[k];
                // Named when it shares the object with others ("tcp://10.0.0.2:4321 (c2)").
                fresh.push_back(reach.endpoints[k]
                    + (consumers > 1 && k < names.size() && !names[k].empty() ? " (" + names[k] + ")" : ""));
            }
            if (fresh.empty())
                continue;
            std::string where;
            for (std::size_t k = 0; k < fresh.size(); ++k)
                where += (k == 0 ? "" : k + 1 == fresh.size() ? " and " : ", ") + fresh[k];
            where += ", on host " + host;
            if (consumers == 1)
                event(RunEvent::Kind::Info,
                    "'" + name + "': its consumer listens on " + where + "; its producers here connect there");
            else if (fresh.size() == consumers)
                event(RunEvent::Kind::Info,
                    "'" + name + "': its consumers listen on " + where + "; its producers here connect to each");
            else
                event(RunEvent::Kind::Info,
                    "'" + name + "': " + std::to_string(fresh.size()) + " of its " + std::to_string(consumers)
                        + " consumers " + (fresh.size() == 1 ? "listens" : "listen") + " on " + where
                        + "; its producers here connect " + (fresh.size() == 1 ? "there" : "to each"));
        }
    }

    // A worker just spawned here: its index in Snapshot::workers (last), and with hosts, in the scenario too.
    std::size_t added(const WorkerSpec& spec)
    {
        if (!remote)
            return workers.size() - 1;
        whole.workers.push_back(spec);
        return whole.workers.size() - 1;
    }

    // Puts a merged snapshot's or report's workers and objects (this machine's, then each host's) in the
    // scenario's order.
    void inScenarioOrder(Snapshot& snap) const
    {
        byName(snap.workers, whole.workers);
        byName(snap.objects, whole.objects, &snap.objectLedgers);
    }
    void inScenarioOrder(Report& report) const
    {
        byName(report.workers, whole.workers);
        byName(report.objects, whole.objects);
    }
    // `items` in the order of the names in `order` (left as they are unless every one is found), and `parallel`
    // with them.
    template <typename Item, typename Spec, typename Parallel = int>
    static void byName(
        std::vector<Item>& items, const std::vector<Spec>& order, std::vector<Parallel>* parallel = nullptr)
    {
        std::unordered_map<std::string, std::size_t> at;
        for (std::size_t i = 0; i < items.size(); ++i)
            at.emplace(items[i].name, i);
        std::vector<std::size_t> from;
        for (const Spec& spec : order)
            if (auto it = at.find(spec.name); it != at.end())
                from.push_back(it->second);
        if (from.size() != items.size())
            return;
        std::vector<Item> sorted;
        std::vector<Parallel> sortedParallel;
        for (std::size_t i : from) {
            sorted.push_back(std::move(items[i]));
            if (parallel)
                sortedParallel.push_back(std::move((*parallel)[i]));
        }
        items = std::move(sorted);
        if (parallel)
            *parallel = std::move(sortedParallel);
    }

    WorkerProc* workerAt(std::size_t wholeIndex, Error& error)
    {
        const auto local = localIndex(wholeIndex, error);
        if (!local)
            return nullptr;
        const std::size_t index = *local;
        if (index >= workers.size()) {
            error = detail::makeError(ErrorCode::InvalidArgument, "control worker", std::to_string(index),
                "There is no worker with this index");
            return nullptr;
        }
        if (stopped || !workers[index].alive) {
            error = detail::makeError(
                ErrorCode::NotFound, "control worker", workers[index].spec.name, "This worker is no longer running");
            return nullptr;
        }
        return &workers[index];
    }

    Status signalWorker(std::size_t index, int sig)
    {
        Error error;
        WorkerProc* w = workerAt(index, error);
        if (!w)
            return error;
        if (sig == SIGTERM || sig == SIGKILL) {
            w->stopping = sig == SIGTERM;
            w->terminated = sig == SIGTERM;
            if (sig == SIGTERM) {
                board->slot(w->slot).ctlStop.store(1, std::memory_order_relaxed);
                wakeGate(board->slot(w->slot));
            }
        }
        const std::uint64_t signalledNs = monotonicNs(); // before the worker can stop or run again
        if (kill(w->pid, sig) != 0)
            return detail::sysError("kill", w->spec.name, errno);
        if (sig == SIGSTOP) {
            if (!w->pausedBySignal)
                w->pausedNs = signalledNs;
            w->pausedBySignal = true;
        }
        if (sig == SIGCONT || sig == SIGTERM) {
            if (sig == SIGTERM)
                kill(w->pid, SIGCONT);
            w->resumedNs = w->pausedBySignal ? signalledNs : w->resumedNs;
            w->pausedBySignal = false;
            w->procState = '?';
        }
        return {};
    }
};

Runner::Runner(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{ }

Runner::~Runner()
{
    if (m_impl && !m_impl->stopped)
        m_impl->stop();
}

Result<std::unique_ptr<Runner>> Runner::start(const Scenario& scenario, const RunOptions& options)
{
    if (Status st = validateScenario(scenario, readMqLimits()); !st)
        return st.error();
    auto impl = std::make_unique<Impl>();
    impl->whole = scenario;
    impl->betweenMachinesNames = objectsBetweenMachines(scenario);
    const bool onHosts = !hostsInUse(scenario).empty();
    impl->scenario = onHosts ? scenarioPart(scenario, "") : scenario;
    impl->options = options;
    impl->stepMode = options.stepMode;
    impl->heldAtStart = options.startHeld && !onHosts; // see Runner::release
    impl->hz = options.sampleHz > 0 ? std::min(options.sampleHz, ScenarioLimits::MaxSampleHz) : scenario.sampleHz;
    impl->workerPath = findWorkerExecutable(options);
    if (access(impl->workerPath.c_str(), X_OK) != 0)
        return detail::sysError("find worker", impl->workerPath, errno,
            "The worker program ipclab-worker is not there or not executable. Build it (it is installed beside "
            "ipclab and ipclab-cli in <build>/bin) or set IPCLAB_WORKER to its path");
    for (const std::string& line : cleanupStaleRuns())
        impl->event(line.rfind("removed ", 0) == 0 ? RunEvent::Kind::Info : RunEvent::Kind::Warning, line);

    impl->runId = std::to_string(getpid()) + "-" + randomHex();
    impl->prefix = "/ipclab-" + impl->runId + "-";
    // The hosts' parts first: a host that refuses or does not answer leaves nothing made here.
    if (onHosts) {
        auto remote = detail::RemoteHosts::start(scenario, impl->runId);
        if (!remote)
            return remote.error();
        impl->remote = std::move(*remote);
    }
    auto dir = detail::RunDirectory::create(impl->runId);
    if (!dir)
        return dir.error();
    impl->directory.emplace(std::move(*dir));
    // On any error below, impl's destructor removes what was made so far.
    if (Status st = impl->createObjects(); !st)
        return st.error();
    const OsName boardName { "shm", impl->prefix + "board" };
    if (Status st = impl->record(boardName); !st)
        return st.error();
    auto board = TelemetryBoard::create(boardName.name, TelemetryBoard::MaxSlots);
    if (!board)
        return board.error();
    impl->board.emplace(std::move(*board));
    if (!options.csvPath.empty()) {
        impl->csv.open(options.csvPath, std::ios::trunc);
        if (!impl->csv)
            return detail::sysError("open", options.csvPath, errno ? errno : EACCES,
                "The CSV file cannot be written. Check the directory exists and is writable");
    }
    impl->startNs = monotonicNs();
    // OS names say "/ipclab-<run>-..."; objects with a path (a FIFO, a socket, ZeroMQ's socket or endpoint and keys)
    // are files in the run's folder instead, which nothing else names.
    if (std::any_of(impl->scenario.objects.begin(), impl->scenario.objects.end(),
            [](const ObjectSpec& o) { return traits(o.transport).pathSuffix != nullptr; }))
        impl->event(RunEvent::Kind::Info,
            "files of this run (FIFOs, sockets, ZeroMQ endpoints and keys) are in " + impl->directory->path());
    for (const WorkerSpec& w : impl->scenario.workers) {
        if (Status st = impl->spawn(w); !st)
            return st.error();
    }
    // Everything is made, here and on every host: the hosts' workers, held until now, go.
    if (impl->remote)
        impl->remote->go();
    return std::unique_ptr<Runner>(new Runner(std::move(impl)));
}

Snapshot Runner::sample()
{
    Snapshot snap = m_impl->sample();
    if (m_impl->remote) {
        m_impl->handOffLeavingHosts();
        m_impl->remote->merge(snap);
        // The hosts' events come after this machine's, and may be older: a sample's events are told in the order of
        // their times. (A host's times count from its part's start, a moment before this machine's run, and an
        // event a host sent late still follows those told before it came.)
        std::stable_sort(
            snap.events.begin(), snap.events.end(), [](const RunEvent& a, const RunEvent& b) { return a.t < b.t; });
        m_impl->inScenarioOrder(snap);
        m_impl->publishReaches();
        m_impl->traceHostWorkers(snap);
    }
    m_impl->writeCsvRow(snap);
    return snap;
}

bool Runner::deadlocked() const
{
    return m_impl->deadlock.kind == WaitForVerdict::Kind::Deadlock;
}

bool Runner::allWorkersExited() const
{
    for (const auto& w : m_impl->workers) {
        if (w.alive)
            return false;
    }
    return !m_impl->remote || m_impl->remote->allWorkersExited();
}

double Runner::sampleHz() const
{
    return m_impl->hz;
}

Result<std::size_t> Runner::addWorker(const WorkerSpec& spec)
{
    Impl& d = *m_impl;
    if (d.stopped)
        return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name, "The run has stopped");
    if (!spec.host.empty())
        return detail::makeError(ErrorCode::NotSupported, "add worker", spec.name,
            "Adding a worker on a host during a run is not built yet; name it in the scenario's workers instead");
    if (d.remote) {
        // The objects it would use: its own, or those its program's steps name.
        const std::vector<std::string> uses
            = spec.role == Role::Program ? workerObjects(d.whole, spec) : std::vector<std::string> { spec.object };
        for (const WorkerSpec& w : d.whole.workers) {
            if (w.name == spec.name)
                return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name,
                    "worker.name: '" + spec.name + "' is already used in this run");
            const std::vector<std::string> theirs
                = w.role == Role::Program ? workerObjects(d.whole, w) : std::vector<std::string> { w.object };
            for (const std::string& object : uses)
                if (!w.host.empty() && contains(theirs, object))
                    return detail::makeError(ErrorCode::NotSupported, "add worker", spec.name,
                        "worker.object: '" + object + "' is used on host '" + w.host
                            + "'; adding a worker of it during a run is not built yet");
        }
    }
    if (spec.role == Role::Program) {
        std::vector<ObjectSpec> specs;
        for (const auto& o : d.objects)
            specs.push_back(o.spec);
        if (Status st = validateWorker(spec, specs.front()); !st)
            return st.error();
        if (Status st = validateProgram(spec, specs); !st)
            return st.error();
        for (const auto& w : d.workers) {
            if (w.spec.name == spec.name)
                return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name,
                    "worker.name: '" + spec.name + "' is already used in this run");
        }
        // A zmq object's server binds its ROUTER where the clients connect: a second one would take the path over
        // from the first. One that takes the place of a server that has ended is welcome. And clients only where a
        // server is or may come: the object must be one that carries requests.
        for (const ProgramStep& step : spec.program) {
            const std::size_t at = d.objectIndex(step.object);
            if (at == d.objects.size() || !requestsOverConnections(d.objects[at].spec.transport))
                continue;
            const bool talks = step.op == StepOp::Request || step.op == StepOp::Serve;
            if (talks && !d.objects[at].address.requests)
                return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name,
                    "worker.program: no program serves '" + step.object
                        + "' or sends requests to it in this run; requests go to a zmq or zmq-tcp object that a server "
                          "serves");
            const bool serverAlive = std::any_of(d.workers.begin(), d.workers.end(), [&](const auto& w) {
                return w.alive && std::any_of(w.spec.program.begin(), w.spec.program.end(), [&](const ProgramStep& s) {
                    return s.op == StepOp::Serve && s.object == step.object;
                });
            });
            if (step.op == StepOp::Serve && serverAlive)
                return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name,
                    "worker.program: '" + step.object
                        + "' has a server running; a Manager is one server process, so a new one may take the place "
                          "of one that has ended");
        }
        if (Status st = d.spawn(spec); !st)
            return st.error();
        return d.added(spec);
    }
    const std::size_t obj = d.objectIndex(spec.object);
    if (obj == d.objects.size())
        return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name,
            "worker.object: no object is named '" + spec.object + "'");
    if (Status st = validateWorker(spec, d.objects[obj].spec); !st)
        return st.error();
    for (const auto& w : d.workers) {
        if (w.spec.name == spec.name)
            return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name,
                "worker.name: '" + spec.name + "' is already used in this run");
    }
    const ObjectSpec& o = d.objects[obj].spec;
    if (d.objects[obj].address.requests)
        return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name,
            "worker.object: '" + o.name
                + "' carries a Manager's requests and their replies (DEALER/ROUTER), and nothing else; give a producer "
                  "or consumer an object of its own");
    // A broadcast's producers send each message to the subscribers that had subscribed when they started, and wait
    // for every one still running before their first: a subscriber added now would miss what came before (and not
    // be counted). An object started without subscribers is the exception: its producers wait for one, having sent
    // nothing. A producer may be added: it waits for the subscribers still running (spawn tells it which have
    // ended). So no endpoint of a broadcast is ever bound twice, and the ended bits its producers hold stay true.
    if (traits(o.transport).broadcast && spec.role == Role::Consumer
        && std::any_of(d.workers.begin(), d.workers.end(),
            [&](const auto& w) { return w.object == obj && w.spec.role == Role::Consumer; }))
        return detail::makeError(ErrorCode::NotSupported, "add worker", spec.name,
            "worker.object: '" + o.name + "' is a broadcast (" + transportName(o.transport)
                + "), whose producers send every message to the subscribers there when they "
                  "started; a subscriber added during a run would miss what came before. Name every subscriber in "
                  "the scenario");
    if (maxWorkers(o.transport, spec.role) != 0) {
        std::uint32_t alike = 1; // the one being added
        for (const auto& w : d.workers)
            alike += w.object == obj && w.spec.role == spec.role && w.alive;
        if (std::string why = workerLimitProblem(o, spec.role, alike); !why.empty())
            return detail::makeError(ErrorCode::InvalidArgument, "add worker", spec.name, "worker.object: " + why);
    }
    if (Status st = d.spawn(spec); !st)
        return st.error();
    return d.added(spec);
}

Status Runner::pauseWorker(std::size_t worker)
{
    if (auto onHost = m_impl->controlOnHost(worker, detail::WorkerControl::Pause))
        return *onHost;
    return m_impl->signalWorker(worker, SIGSTOP);
}
Status Runner::resumeWorker(std::size_t worker)
{
    if (auto onHost = m_impl->controlOnHost(worker, detail::WorkerControl::Resume))
        return *onHost;
    return m_impl->signalWorker(worker, SIGCONT);
}
Status Runner::terminateWorker(std::size_t worker)
{
    if (auto onHost = m_impl->controlOnHost(worker, detail::WorkerControl::Terminate))
        return *onHost;
    return m_impl->signalWorker(worker, SIGTERM);
}
Status Runner::killWorker(std::size_t worker)
{
    if (auto onHost = m_impl->controlOnHost(worker, detail::WorkerControl::Kill))
        return *onHost;
    return m_impl->signalWorker(worker, SIGKILL);
}

Status Runner::setRate(std::size_t worker, double messagesPerSecond)
{
    if (auto onHost = m_impl->controlOnHost(worker, detail::WorkerControl::Rate, double(messagesPerSecond)))
        return *onHost;
    Error error;
    auto* w = m_impl->workerAt(worker, error);
    if (!w)
        return error;
    WorkerSpec spec = w->spec;
    spec.rate = messagesPerSecond;
    if (Status st = validateWorker(spec, m_impl->objects[w->object].spec); !st)
        return st;
    w->spec.rate = messagesPerSecond;
    m_impl->board->slot(w->slot).ctlRateMilli.store(
        std::uint64_t(messagesPerSecond * 1000.0 + 0.5), std::memory_order_relaxed);
    return {};
}

Status Runner::setMessageSize(std::size_t worker, std::uint32_t bytes)
{
    if (auto onHost = m_impl->controlOnHost(worker, detail::WorkerControl::MessageSize, double(bytes)))
        return *onHost;
    Error error;
    auto* w = m_impl->workerAt(worker, error);
    if (!w)
        return error;
    WorkerSpec spec = w->spec;
    spec.messageSize = bytes;
    if (Status st = validateWorker(spec, m_impl->objects[w->object].spec); !st)
        return st;
    w->spec.messageSize = bytes;
    m_impl->board->slot(w->slot).ctlMessageSize.store(bytes, std::memory_order_relaxed);
    return {};
}

Status Runner::setWorkUs(std::size_t worker, std::uint32_t microseconds)
{
    if (auto onHost = m_impl->controlOnHost(worker, detail::WorkerControl::WorkUs, double(microseconds)))
        return *onHost;
    Error error;
    auto* w = m_impl->workerAt(worker, error);
    if (!w)
        return error;
    WorkerSpec spec = w->spec;
    spec.workUs = microseconds;
    if (Status st = validateWorker(spec, m_impl->objects[w->object].spec); !st)
        return st;
    w->spec.workUs = microseconds;
    m_impl->board->slot(w->slot).ctlWorkUs.store(microseconds, std::memory_order_relaxed);
    return {};
}

void Runner::release()
{
    Impl& d = *m_impl;
    if (!d.heldAtStart || d.stopped)
        return;
    d.heldAtStart = false;
    for (const auto& w : d.workers)
        d.board->slot(w.slot).ctlPaused.store(0, std::memory_order_relaxed);
}

bool Runner::held() const
{
    return m_impl->heldAtStart && !m_impl->stopped;
}

void Runner::setStepMode(bool on)
{
    m_impl->stepMode = on;
    for (const auto& w : m_impl->workers)
        m_impl->applyStepControls(m_impl->board->slot(w.slot));
}

std::size_t Runner::step(const std::vector<std::size_t>& workers)
{
    // First find every worker at its gate, then let them go: granting as it looked would let a consumer fed by a
    // producer granted a moment before take a second step in the same click, back at its gate by then.
    std::vector<std::pair<WorkerSlot*, std::uint32_t>> atGate;
    std::vector<std::size_t> chosen; // as indices of this machine's workers
    for (std::size_t index : workers) {
        Error ignored; // a worker on a host has no gate here
        if (const auto local = m_impl->localIndex(index, ignored))
            chosen.push_back(*local);
    }
    if (!workers.empty() && chosen.empty())
        return 0;
    for (std::size_t i = 0; i < m_impl->workers.size(); ++i) {
        const auto& w = m_impl->workers[i];
        if (!w.alive || w.pausedBySignal
            || (!chosen.empty() && std::find(chosen.begin(), chosen.end(), i) == chosen.end()))
            continue;
        WorkerSlot& slot = m_impl->board->slot(w.slot);
        // At its gate with no step granted: taken == grants (a granted worker still at its gate has grants > taken;
        // one that has left it shows gate 0 until it has counted the step and come back).
        const std::uint32_t taken = slot.stepsTaken.load(std::memory_order_acquire);
        if (slot.gate.load(std::memory_order_acquire) == 0
            || std::int32_t(slot.ctlStepGrants.load(std::memory_order_relaxed) - taken) > 0)
            continue;
        atGate.emplace_back(&slot, taken);
    }
    for (const auto& [slot, taken] : atGate) {
        slot->ctlStepGrants.store(taken + 1, std::memory_order_release);
        Impl::wakeGate(*slot);
    }
    return atGate.size();
}

Status Runner::setStepRate(double stepsPerSecond)
{
    if (!(stepsPerSecond == 0 || (stepsPerSecond >= 0.5 && stepsPerSecond <= 1000)))
        return detail::makeError(ErrorCode::InvalidArgument, "set step rate", std::to_string(stepsPerSecond),
            "The step rate must be 0 (step by hand) or from 0.5 to 1000 steps per second");
    m_impl->stepRate = stepsPerSecond;
    for (const auto& w : m_impl->workers)
        m_impl->applyStepControls(m_impl->board->slot(w.slot));
    return {};
}

Report Runner::stop()
{
    if (!m_impl->remote || m_impl->stopped)
        return m_impl->stop();
    // The hosts stop their parts while this machine stops its own; but a host whose consumers take from producers
    // here stops only once they have exited, so its consumers take all they sent (requestStop(true)).
    detail::RemoteHosts& remote = *m_impl->remote;
    remote.requestStop(false);
    Report report = m_impl->stop([&remote] { remote.requestStop(true); });
    report.scenario = m_impl->whole.name;
    m_impl->remote->finish(report);
    m_impl->inScenarioOrder(report);
    m_impl->finalReport = report;
    return report;
}

TraceLog Runner::traceLog() const
{
    return m_impl->traceLog();
}

TraceLog Runner::takeTraceLog()
{
    return m_impl->traceLog(true);
}

const Scenario& Runner::scenario() const
{
    return m_impl->whole;
}
const std::string& Runner::prefix() const
{
    return m_impl->prefix;
}

} // namespace ipccore

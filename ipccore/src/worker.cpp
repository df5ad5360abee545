#include "ipccore/worker.h"

#include "futex.h"

#include "ipccore/channel.h"
#include "ipccore/framing.h"
#include "ipccore/telemetry.h"
#include "ipccore/version.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace ipccore {

namespace {

volatile std::sig_atomic_t g_stopSignal = 0;

void onStopSignal(int)
{
    g_stopSignal = 1;
}

// Counters live in the worker and are copied to its board slot after each message (or only at exit when
// telemetry is off, to measure what publishing costs).
struct Counters {
    std::uint64_t messages = 0, bytes = 0, lastSeq = 0, gaps = 0, duplicated = 0, outOfOrder = 0, corrupt = 0;
    // A consumer's latency: the sum of its stamped messages' send-to-receive times, each times its weight
    // (StampWeights), the sum of those weights, and how many were stamped.
    std::uint64_t latencyNsSum = 0, latencyWeight = 0, latencyStamps = 0;
};

// Which of a producer's messages carry their send time, for the consumer's mean latency. A clock read costs about
// 30 ns here, at each end: in a profile of the bench's zmq row at 64 B (pinned) the two reads took a tenth of the
// time, and without them the lab's ratio to the bare loop went from 0.51 to 0.71. So while messages go out faster than
// one per FastGapNs (100,000 a second), only about one in `stride` is stamped, the stride doubling at each stamp up to
// MaxStride; it falls back to 1 as soon as they slow down, so a slower producer stamps every message. The count to the
// next stamp is drawn at random around the stride, not fixed, so that the sample does not fall in step with a
// transport's batches (the first message after each wait, say). Unstamped messages carry 0, and the consumer reads
// no clock for them. A producer under a rate control reads the clock for every message anyway, and stamps them all.
class SendStamps {
public:
    // The stride stamps converge to, and the most messages from one stamp to the next (the count is drawn below).
    static constexpr std::uint32_t MaxStride = 64;
    static constexpr std::uint32_t MaxGap = 2 * MaxStride - 1;

    // `everyMessage`: an mq, whose consumers tally latency per priority, message by message. `seed`: the producer's
    // own, so that producers do not stamp the same positions.
    SendStamps(bool everyMessage, std::uint64_t seed)
        : m_every(everyMessage)
        , m_random(0x9e3779b97f4a7c15ull ^ (seed * 0xbf58476d1ce4e5b9ull))
    { }
    // Whether the next message is to be stamped (called once a message, before the clock would be read for it).
    bool due() { return m_every || ++m_since >= m_next; }
    // A stamp was read at `now`.
    void stamped(std::uint64_t now)
    {
        if (m_every)
            return;
        m_stride = now - m_lastNs < std::uint64_t(m_since) * FastGapNs ? std::min(2 * m_stride, MaxStride) : 1;
        m_lastNs = now;
        m_since = 0;
        m_random ^= m_random << 13; // xorshift64
        m_random ^= m_random >> 7;
        m_random ^= m_random << 17;
        m_next = 1 + std::uint32_t(m_random % (2 * m_stride - 1)); // 1 .. 2 x stride - 1, stride on average
    }

private:
    static constexpr std::uint64_t FastGapNs = 10'000;
    bool m_every;
    std::uint32_t m_stride = 1;
    std::uint32_t m_since = 0;
    std::uint32_t m_next = 1;
    std::uint64_t m_lastNs = 0;
    std::uint64_t m_random;
};

// What each stamped message stands for in a consumer's mean latency: the messages its producer sent since its last
// stamped one (SendStamps), so that a fast producer's few stamps weigh as much as a slow one's many, and the run of
// stamps after a stall (the stride starts again at 1) does not tilt the mean towards what a stall does to latency.
// Over an mq every message is stamped and weighs 1: its per-priority means count messages one by one.
class StampWeights {
public:
    explicit StampWeights(bool eachWeighsOne)
        : m_one(eachWeighsOne)
    { }
    std::uint64_t weigh(std::uint32_t producer, std::uint64_t seq)
    {
        if (m_one)
            return 1;
        std::uint64_t& last = m_last[producer % SequenceTracker::MaxProducers];
        // At most SendStamps' longest gap: more means messages went to other consumers or were sent before this one
        // came.
        const std::uint64_t weight = seq > last ? std::min<std::uint64_t>(seq - last, SendStamps::MaxGap) : 1;
        last = std::max(last, seq);
        return weight;
    }

private:
    bool m_one;
    std::vector<std::uint64_t> m_last = std::vector<std::uint64_t>(SequenceTracker::MaxProducers, 0);
};

class SlotHooks final : public WaitHooks {
public:
    explicit SlotHooks(WorkerSlot& slot)
        : m_slot(slot)
    { }
    void enter(WorkerState state) override
    {
        if (state == m_state)
            return;
        const std::uint64_t now = monotonicNs();
        if (isBlocked(m_state)) {
            bump(m_slot.blockedNs, now - m_since);
            recordWait(now - m_since);
        }
        m_state = state;
        m_since = now;
        if (m_events)
            m_slot.recordEvent(now, WorkerSlot::eventWhat(WorkerSlot::EventState, state, m_step));
        m_slot.stateSinceNs.store(now, std::memory_order_relaxed);
        m_slot.state.store(std::uint32_t(state), std::memory_order_release);
    }
    bool stopRequested() override { return g_stopSignal != 0 || m_slot.ctlStop.load(std::memory_order_relaxed) != 0; }
    bool consumerEnded(std::uint32_t index) override { return m_slot.consumerEnded(index); }
    // The program step the next waits belong to (0 for a producer or consumer).
    // A program step begins at `ns` (its start, already read from the clock): into the event ring.
    void beginStep(std::uint32_t step, std::uint64_t ns)
    {
        m_step = step;
        if (m_events)
            m_slot.recordEvent(ns, WorkerSlot::eventWhat(WorkerSlot::EventStep, m_state, step));
    }
    void recordEvents(bool on) { m_events = on; }
    void gaveUp() override { m_gaveUp = isBlocked(m_state); }
    void setPhase(std::uint32_t phase) override { m_slot.phase.store(phase, std::memory_order_release); }
    void setPhaseIndex(std::uint64_t index) override { m_slot.phaseIndex.store(index, std::memory_order_release); }
    void connectionsHeld(std::uint32_t count) override { m_slot.connections.store(count, std::memory_order_relaxed); }
    // In doubt while receiving: the frame being taken plus whatever the endpoint has read ahead into this process.
    void setReadAhead(std::uint32_t frames) override
    {
        m_readAhead = frames;
        m_slot.holding.store(1 + frames, std::memory_order_release);
    }
    std::uint32_t readAhead() const { return m_readAhead; }
    std::uint64_t framesWanted() override { return m_wanted; }
    void setFramesWanted(std::uint64_t frames) { m_wanted = frames; }
    // Fault injection for the dead-lock-holder lesson: die like a crashed program, holding the lock. A worker on a
    // ring that lends its slots holds the lock from the loan to the commit (or the peek to the release): it dies
    // there, with its frame built or checked in the slot, instead of the moment it takes the lock.
    void insideLock() override
    {
        if (!m_crashInLoans)
            crashInLock();
    }
    void insideLoan()
    {
        if (m_crashInLoans)
            crashInLock();
    }
    void crashInLockAfter(std::uint64_t count) { m_crashAfter = count; }
    void crashInLoans(bool on) { m_crashInLoans = on; }
    void crashInLock()
    {
        if (m_crashAfter > 0 && ++m_insideLockCount >= m_crashAfter)
            raise(SIGKILL);
    }
    void lockTaken() override
    {
        // Fault injection for tests: die in the instant between taking the lock and saying so.
        if (m_dieTakingLock > 0 && ++m_lockTakenCount >= m_dieTakingLock)
            raise(SIGKILL);
        if (!m_locks || !m_events)
            return;
        if (m_locksInWindow == WorkerSlot::LocksPerWindow) {
            // Over the budget: counted, and the clock read only every 64th hold to see the next window begin (a
            // fast ring pays a counter, not a clock read, per message).
            bump(m_slot.holdsNotRecorded);
            if (m_slot.holdsNotRecorded.load(std::memory_order_relaxed) % 64 != 0)
                return;
            if (const std::uint64_t now = monotonicNs(); now - m_lockWindowNs >= WorkerSlot::LockWindowNs) {
                m_lockWindowNs = now;
                m_locksInWindow = 0;
            }
            return;
        }
        const std::uint64_t now = monotonicNs();
        if (now - m_lockWindowNs >= WorkerSlot::LockWindowNs) {
            m_lockWindowNs = now;
            m_locksInWindow = 0;
        }
        ++m_locksInWindow;
        m_lockRecorded = true;
        m_slot.recordEvent(now, WorkerSlot::eventWhat(WorkerSlot::EventLock, m_state, 1));
    }
    void dieTakingLockAt(std::uint64_t count) { m_dieTakingLock = count; }
    void lockReleased() override
    {
        if (!m_lockRecorded)
            return;
        m_lockRecorded = false;
        m_slot.recordEvent(monotonicNs(), WorkerSlot::eventWhat(WorkerSlot::EventLock, m_state, 0));
    }
    // The channel's lock holds into the event ring (WorkerSlot::EventLock), within its budget; only with events on.
    void recordLocks(bool on) { m_locks = on; }
    void recoverableError(WorkerErrorOp op, int sysErrno) override
    {
        // Published even with telemetry off: errors are rare (the endpoint backs off) and must never go unseen.
        if (m_errors == 0 || sysErrno != m_errorErrno || op != m_errorOp) {
            m_errorErrno = sysErrno;
            m_errorOp = op;
            m_slot.errorErrno.store(std::uint32_t(sysErrno), std::memory_order_relaxed);
            m_slot.errorOperation.store(std::uint32_t(op), std::memory_order_relaxed);
            m_slot.errorLimit.store(limitBehind(sysErrno), std::memory_order_relaxed);
        }
        m_slot.errorCount.store(++m_errors, std::memory_order_release);
    }
    WorkerState state() const { return m_state; }

private:
    // A wait that just ended, into the site of its step and state (WorkerSlot::WaitSite): on a state change only,
    // never per message, and a scan of at most WaitSites keys this process keeps for itself.
    void recordWait(std::uint64_t ns)
    {
        const std::uint32_t key = WorkerSlot::waitSiteKey(m_step, m_state, m_gaveUp);
        m_gaveUp = false;
        record(key, ns);
    }

public:
    // A hold of acquire step `step` that just ended with the release paired with it (lock hold times).
    void recordHold(std::uint32_t step, std::uint64_t ns) { record(WorkerSlot::holdSiteKey(step), ns); }

private:
    void record(std::uint32_t key, std::uint64_t ns)
    {
        std::size_t i = 0;
        while (i < m_sitesUsed && m_siteKeys[i] != key)
            ++i;
        if (i == m_sitesUsed) {
            if (m_sitesUsed == WorkerSlot::WaitSites) {
                bump(m_slot.waitsUntracked);
                return;
            }
            m_siteKeys[i] = key;
            m_slot.waitSites[i].key.store(key, std::memory_order_release);
            ++m_sitesUsed;
        }
        WorkerSlot::WaitSite& site = m_slot.waitSites[i];
        bump(site.histogram[WaitHistogram::bucketOf(ns)]);
        bump(site.totalNs, ns);
        if (ns > site.maxNs.load(std::memory_order_relaxed))
            site.maxNs.store(ns, std::memory_order_relaxed);
        // Last, with release order: a reader that sees the count sees the wait in the total and the histogram.
        site.waits.store(site.waits.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    // The limit an errno says was reached, as this process sees it, so the report can name its value.
    static std::uint64_t limitBehind(int sysErrno)
    {
        rlimit limit {};
        if (sysErrno == EMFILE && getrlimit(RLIMIT_NOFILE, &limit) == 0)
            return limit.rlim_cur == RLIM_INFINITY ? 0 : std::uint64_t(limit.rlim_cur);
        return 0;
    }
    WorkerSlot& m_slot;
    WorkerState m_state = WorkerState::Starting;
    std::uint64_t m_since = monotonicNs();
    std::uint64_t m_crashAfter = 0;
    std::uint64_t m_insideLockCount = 0;
    bool m_crashInLoans = false;
    std::uint64_t m_dieTakingLock = 0;
    std::uint64_t m_lockTakenCount = 0;
    std::uint32_t m_readAhead = 0;
    std::uint64_t m_wanted = 0;
    std::uint64_t m_errors = 0;
    int m_errorErrno = 0;
    WorkerErrorOp m_errorOp = WorkerErrorOp::None;
    std::uint32_t m_step = 0;
    bool m_gaveUp = false; // the wait now ending timed out
    bool m_events = true; // state changes and steps into the slot's event ring
    bool m_locks = false; // and lock holds (recordLocks)
    bool m_lockRecorded = false; // the hold going on now was recorded: record its release
    std::uint64_t m_lockWindowNs = 0;
    std::uint32_t m_locksInWindow = 0;
    std::array<std::uint32_t, WorkerSlot::WaitSites> m_siteKeys {};
    std::size_t m_sitesUsed = 0;
};

// Lends a program step's timeout to an endpoint or semaphore: the wait ends at a stop request or at the deadline,
// and the caller tells the two apart by asking the worker's own hooks. Everything else goes to those hooks.
class DeadlineHooks final : public WaitHooks {
public:
    DeadlineHooks(SlotHooks& inner, std::optional<std::uint32_t> timeoutMs)
        : m_inner(inner)
        , m_deadline(timeoutMs ? monotonicNs() + std::uint64_t(*timeoutMs) * 1'000'000 : 0)
        , m_timed(timeoutMs.has_value())
    { }
    void enter(WorkerState state) override
    {
        m_blocked = m_blocked || isBlocked(state);
        m_inner.enter(state);
    }
    bool stopRequested() override { return m_inner.stopRequested() || (m_timed && monotonicNs() >= m_deadline); }
    Duration slice(Duration longest) override
    {
        if (!m_timed)
            return longest;
        const std::uint64_t now = monotonicNs();
        return std::min(longest, Duration(now >= m_deadline ? 0 : m_deadline - now));
    }
    void setPhase(std::uint32_t phase) override { m_inner.setPhase(phase); }
    void setPhaseIndex(std::uint64_t index) override { m_inner.setPhaseIndex(index); }
    void insideLock() override { m_inner.insideLock(); }
    void lockTaken() override { m_inner.lockTaken(); }
    void lockReleased() override { m_inner.lockReleased(); }
    void recoverableError(WorkerErrorOp op, int sysErrno) override { m_inner.recoverableError(op, sysErrno); }
    void connectionsHeld(std::uint32_t count) override { m_inner.connectionsHeld(count); }
    void gaveUp() override { m_inner.gaveUp(); }
    bool consumerEnded(std::uint32_t index) override { return m_inner.consumerEnded(index); }
    // True when the wait ended because the step's time ran out, not because the worker is stopping; then the wait
    // is counted as given up.
    bool timedOut()
    {
        const bool ranOut = !m_inner.stopRequested();
        // Only a wait this call was blocked in gave up: a call that may not wait (timeout 0) never blocked.
        if (ranOut && m_blocked)
            m_inner.gaveUp();
        return ranOut;
    }

private:
    SlotHooks& m_inner;
    std::uint64_t m_deadline;
    bool m_timed;
    bool m_blocked = false; // this call entered a blocked state
};

// Keeps a loop to the slot's rate control (messages or passes per second; 0 = as fast as it can).
class Pacer {
public:
    // True when the next message or pass is due at `now`. Otherwise it has slept towards it, at most 100 ms so a
    // stop or a rate change is seen promptly, and the caller goes round its loop again.
    bool due(const WorkerSlot& slot, SlotHooks& hooks, std::uint64_t now)
    {
        const std::uint64_t rateMilli = slot.ctlRateMilli.load(std::memory_order_relaxed);
        if (rateMilli == 0)
            return true;
        if (now == 0) // the caller read no clock (SendStamps): the rate came on since it looked
            now = monotonicNs();
        if (now < m_nextDue) {
            // Not due yet: asleep for its rate, which the window tells from running and from blocking. Sleeps under
            // 200 us (rates above 5000 a second) stay "running": two events a message would overrun the event ring.
            const WorkerState asleep = m_nextDue - now >= 200'000 ? WorkerState::Sleeping : WorkerState::Running;
            if (hooks.state() != asleep)
                hooks.enter(asleep);
            sleepUntilNs(std::min(m_nextDue, now + 100'000'000));
            return false;
        }
        const std::uint64_t interval = 1'000'000'000'000ull / rateMilli;
        // After a long block, do not burst to catch up: the schedule restarts from now.
        m_nextDue = (now - m_nextDue > 100'000'000) ? now + interval : m_nextDue + interval;
        return true;
    }
    // After a pause: the schedule starts again from now.
    void restart() { m_nextDue = monotonicNs(); }

private:
    std::uint64_t m_nextDue = monotonicNs();
};

// Step mode's gate (WorkerSlot::ctlStepMode), passed before each step: a producer's put, a consumer's get, each step
// of a program. Off, passing costs one load. On, the worker waits here, paused, until the controller grants it a
// step, its step rate lets it go, step mode ends or a stop comes; then it takes the step: the real operation.
class StepGate {
public:
    StepGate(WorkerSlot& slot, SlotHooks& hooks)
        : m_slot(slot)
        , m_hooks(hooks)
        , m_taken(slot.stepsTaken.load(std::memory_order_relaxed))
    { }
    // False when a stop came while it waited: the step is not taken. After a wait, `now` is read again.
    bool pass(std::uint32_t step, std::uint64_t& now)
    {
        if (m_slot.ctlStepMode.load(std::memory_order_acquire) == 0)
            return true;
        const bool go = wait(step);
        now = monotonicNs();
        return go;
    }

private:
    bool wait(std::uint32_t step)
    {
        m_slot.gate.store(step + 1, std::memory_order_release);
        bool waited = false;
        bool go = false;
        bool counts = true; // a step taken in step mode (not one let go because step mode ended)
        while (!m_hooks.stopRequested()) {
            // The wake word first, then the controls: a change after these loads also changes the word, and the
            // futex then returns at once.
            const std::uint32_t wake = m_slot.ctlStepWake.load(std::memory_order_acquire);
            if (m_slot.ctlStepMode.load(std::memory_order_acquire) == 0) {
                go = true;
                counts = false;
                break;
            }
            if (std::int32_t(m_slot.ctlStepGrants.load(std::memory_order_acquire) - m_taken) > 0) {
                go = true;
                break;
            }
            const std::uint64_t now = monotonicNs();
            std::uint64_t sleepNs = 100'000'000; // so a stop is seen promptly
            if (const std::uint64_t rateMilli = m_slot.ctlStepRateMilli.load(std::memory_order_relaxed)) {
                const std::uint64_t interval = 1'000'000'000'000ull / rateMilli;
                if (now >= m_lastNs + interval) {
                    go = true;
                    break;
                }
                sleepNs = std::min(sleepNs, m_lastNs + interval - now);
            }
            if (!waited) {
                waited = true;
                m_before = m_hooks.state();
                m_hooks.enter(WorkerState::Paused);
            }
            detail::futexWait(m_slot.ctlStepWake, wake, sleepNs);
        }
        // Off the gate first, then the step counted: in the other order a sample between the two stores saw this
        // worker at its gate with the new step taken before the step's operation ran (CI, TSan: a producer "back at
        // its gate after step 2" with 1 message).
        m_slot.gate.store(0, std::memory_order_release);
        if (go && counts) {
            ++m_taken;
            m_slot.stepsTaken.store(m_taken, std::memory_order_release);
            m_lastNs = monotonicNs();
        }
        if (go && waited)
            m_hooks.enter(m_before == WorkerState::Paused ? WorkerState::Running : m_before);
        return go;
    }

    WorkerSlot& m_slot;
    SlotHooks& m_hooks;
    std::uint32_t m_taken;
    std::uint64_t m_lastNs = 0; // when the last step in step mode was let go (the step rate counts from there)
    WorkerState m_before = WorkerState::Running;
};

// The weight last, released: a sampler that reads it first (acquire) finds a sum at least as new.
void publishLatency(WorkerSlot& slot, const Counters& c)
{
    slot.latencyNsSum.store(c.latencyNsSum, std::memory_order_relaxed);
    slot.latencyStamps.store(c.latencyStamps, std::memory_order_relaxed);
    slot.latencyWeight.store(c.latencyWeight, std::memory_order_release);
}

void publish(WorkerSlot& slot, const Counters& c)
{
    slot.messages.store(c.messages, std::memory_order_relaxed);
    slot.bytes.store(c.bytes, std::memory_order_relaxed);
    slot.lastSeq.store(c.lastSeq, std::memory_order_relaxed);
    slot.gaps.store(c.gaps, std::memory_order_relaxed);
    slot.duplicated.store(c.duplicated, std::memory_order_relaxed);
    slot.outOfOrder.store(c.outOfOrder, std::memory_order_relaxed);
    slot.corrupt.store(c.corrupt, std::memory_order_relaxed);
    publishLatency(slot, c);
}

// Simulated work: sleeping, so a slow consumer on a 2-core machine does not starve the others of CPU.
void simulateWork(std::uint32_t us)
{
    if (us > 0)
        sleepUntilNs(monotonicNs() + std::uint64_t(us) * 1000);
}

// Counts a message taken at an mq priority into the slot's table (see WorkerSlot::priorityUsed). Only this worker
// writes its slot, so plain loads and stores do.
void tallyPriority(WorkerSlot& slot, unsigned priority, std::uint64_t latencyNs)
{
    const std::uint32_t used = slot.priorityUsed.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < used; ++i) {
        if (slot.priorityValue[i].load(std::memory_order_relaxed) == priority) {
            bump(slot.priorityCount[i]);
            bump(slot.priorityLatencyNs[i], latencyNs);
            return;
        }
    }
    if (used == WorkerSlot::PriorityKinds) {
        bump(slot.priorityOther);
        return;
    }
    slot.priorityValue[used].store(priority, std::memory_order_relaxed);
    slot.priorityCount[used].store(1, std::memory_order_relaxed);
    slot.priorityLatencyNs[used].store(latencyNs, std::memory_order_relaxed);
    slot.priorityUsed.store(used + 1, std::memory_order_release);
}

int fail(WorkerSlot& slot, SlotHooks& hooks, const Error& e, int status)
{
    std::fprintf(stderr, "ipclab-worker: %s\n", e.message().c_str());
    slot.exitError.store(std::uint32_t(e.code) + 1, std::memory_order_relaxed);
    hooks.enter(WorkerState::Dead);
    return status;
}

// CSP's poison into a channel (see TransportTraits::poison), waiting like any send for its reader to take it. A stop
// while it waits leaves it where it is.
Status sendPoison(ProducerEndpoint& out, std::uint32_t producer, std::span<std::byte> buffer, WaitHooks& hooks)
{
    const auto poison = buffer.first(FrameHeaderSize);
    buildFrame(poison, producer, PoisonSeq, monotonicNs());
    return out.send(poison, 0, hooks);
}

int runProducer(const WorkerArgs& args, WorkerSlot& slot, SlotHooks& hooks)
{
    ChannelAddress address { args.transport, args.object, args.capacity, args.objectMessageSize, -1 };
    address.consumers = args.consumers;
    address.consumerElsewhere = args.consumerElsewhere;
    auto endpoint = openProducer(address, hooks);
    if (!endpoint) {
        if (endpoint.error().code == ErrorCode::Interrupted)
            return 0;
        return fail(slot, hooks, endpoint.error(), 3);
    }
    std::vector<std::byte> frame(args.objectMessageSize);
    const bool lends = (*endpoint)->lends();
    hooks.crashInLoans(lends);
    Counters c;
    Pacer pacer;
    StepGate gate(slot, hooks);
    SendStamps stamps(traits(args.transport).priorities, args.slot);
    hooks.enter(WorkerState::Running);
    while (!hooks.stopRequested() && (args.spec.count == 0 || c.messages < args.spec.count)) {
        if (slot.ctlPaused.load(std::memory_order_relaxed)) {
            hooks.enter(WorkerState::Paused);
            sleepUntilNs(monotonicNs() + 10'000'000);
            pacer.restart();
            continue;
        }
        // The clock for this message's send time, or 0 (unstamped). A rate needs it for every message; step mode
        // reads it itself after its wait.
        std::uint64_t now = 0;
        if (stamps.due() || slot.ctlRateMilli.load(std::memory_order_relaxed) != 0)
            now = monotonicNs();
        if (!pacer.due(slot, hooks, now))
            continue;
        if (!gate.pass(0, now))
            break;
        if (now != 0)
            stamps.stamped(now);
        std::uint32_t size = slot.ctlMessageSize.load(std::memory_order_relaxed);
        size = std::clamp<std::uint32_t>(size, std::uint32_t(FrameHeaderSize), args.objectMessageSize);
        Status st;
        if (lends) {
            // Zero-copy: the frame is built in the object's free slot and published; written once, read once.
            auto loaned = (*endpoint)->loan(size, hooks);
            if (loaned) {
                buildFrame(*loaned, args.slot, c.lastSeq + 1, now, FrameStores::SharedSlot);
                hooks.insideLoan();
                slot.holding.store(1, std::memory_order_release); // in doubt until counted, as below
                (*endpoint)->commit();
            } else
                st = loaned.error();
        } else {
            const auto out = std::span(frame).first(size);
            buildFrame(out, args.slot, c.lastSeq + 1, now != 0 ? now + std::uint64_t(args.clockOffsetNs) : 0);
            // In doubt from here until counted: if this process is killed now, the message may or may not be out.
            slot.holding.store(1, std::memory_order_release);
            st = (*endpoint)->send(out, args.spec.priority, hooks);
        }
        if (!st) {
            slot.holding.store(0, std::memory_order_release);
            if (st.error().code == ErrorCode::Interrupted)
                break;
            publish(slot, c);
            return fail(slot, hooks, st.error(), 4);
        }
        ++c.messages;
        c.bytes += size;
        ++c.lastSeq;
        // Counted before the in-doubt flag drops, so a kill between the two never hides a message.
        if (args.telemetry) {
            publish(slot, c);
            if (now != 0)
                slot.heartbeatNs.store(now, std::memory_order_relaxed);
        } else
            slot.messages.store(c.messages, std::memory_order_relaxed);
        slot.holding.store(0, std::memory_order_release);
        if (hooks.state() != WorkerState::Running)
            hooks.enter(WorkerState::Running);
        simulateWork(slot.ctlWorkUs.load(std::memory_order_relaxed));
    }
    publish(slot, c);
    // A CSP channel: every message is out, so tell the reader there will be no more.
    if (traits(args.transport).poison && args.spec.count != 0 && c.messages == args.spec.count
        && sendPoison(**endpoint, args.slot, frame, hooks))
        slot.poison.store(WorkerSlot::PoisonSent, std::memory_order_relaxed);
    hooks.enter(WorkerState::Finished);
    return 0;
}

// Returns the receive time it read, so the caller's heartbeat needs no second clock read, or 0 when it read none: a
// frame that carries no send time (SendStamps) needs none.
std::uint64_t account(Counters& c, SequenceTracker& tracker, StampWeights& weights, std::span<const std::byte> frame)
{
    FrameHeader header;
    if (checkFrame(frame, header) != FrameCheck::Ok) {
        ++c.corrupt;
        return 0;
    }
    const std::uint64_t now = header.sendNs != 0 ? monotonicNs() : 0;
    std::uint64_t skipped = 0;
    switch (tracker.record(header.producer, header.seq, skipped)) {
    case SequenceTracker::Outcome::InOrder:
        break;
    case SequenceTracker::Outcome::Gap:
        c.gaps += skipped;
        break;
    case SequenceTracker::Outcome::Duplicate:
        ++c.duplicated;
        return now;
    case SequenceTracker::Outcome::OutOfOrder:
        ++c.outOfOrder;
        break;
    }
    ++c.messages;
    c.bytes += frame.size();
    if (header.sendNs != 0) {
        const std::uint64_t weight = weights.weigh(header.producer, header.seq);
        ++c.latencyStamps;
        c.latencyWeight += weight;
        if (now > header.sendNs)
            c.latencyNsSum += weight * (now - header.sendNs);
    }
    return now;
}

int runConsumer(const WorkerArgs& args, WorkerSlot& slot, SlotHooks& hooks)
{
    ChannelAddress address { args.transport, args.object, args.capacity, args.objectMessageSize, args.listenFd };
    address.bindAddress = args.bindAddress;
    address.consumers = args.consumers;
    address.consumerIndex = args.consumerIndex;
    auto endpoint = openConsumer(address);
    if (!endpoint)
        return fail(slot, hooks, endpoint.error(), 3);
    std::vector<std::byte> buffer(std::max<std::size_t>(args.objectMessageSize, 8192));
    const bool lends = (*endpoint)->lends();
    hooks.crashInLoans(lends);
    const bool tallyPriorities = traits(args.transport).priorities;
    Counters c;
    SequenceTracker tracker;
    StampWeights weights(tallyPriorities);
    StepGate gate(slot, hooks);
    std::uint64_t gateNs = 0; // unused: the receive time is read after the message is in
    std::uint64_t kernelBytesNs = 0; // when kernelBytes was last read
    std::uint32_t unstamped = 0; // messages since the clock was last read (for kernelBytes' cadence)
    hooks.enter(WorkerState::Running);
    while (!hooks.stopRequested() && (args.spec.count == 0 || c.messages < args.spec.count)) {
        if (slot.ctlPaused.load(std::memory_order_relaxed)) {
            hooks.enter(WorkerState::Paused);
            sleepUntilNs(monotonicNs() + 10'000'000);
            continue;
        }
        if (!gate.pass(0, gateNs))
            break;
        slot.holding.store(1 + hooks.readAhead(), std::memory_order_release);
        hooks.setFramesWanted(args.spec.count == 0 ? 0 : args.spec.count - c.messages);
        // Zero-copy where the object lends its slots: the frame is checked where it lies, and its slot given back
        // once it is counted in `c` (a kill before the slot is given back leaves it in the object, where the
        // runner counts it as left; after, `holding` says it may be lost).
        std::span<const std::byte> frame;
        Result<std::size_t> r = std::size_t(0);
        if (lends) {
            auto peeked = (*endpoint)->peek(hooks);
            if (peeked) {
                frame = *peeked;
                r = frame.size();
            } else
                r = peeked.error();
        } else {
            r = (*endpoint)->receive(buffer, hooks);
            if (r)
                frame = std::span(buffer).first(*r);
        }
        if (!r) {
            slot.holding.store(hooks.readAhead(), std::memory_order_release);
            const ErrorCode code = r.error().code;
            if (code == ErrorCode::Interrupted)
                break;
            // Every transport can go on after a damaged frame: message-based ones with the next message, a socket
            // consumer has dropped only the damaged connection, and a FIFO consumer has found the next frame.
            // EBADMSG: the object's own structure (ring indices) is damaged, not one message: stop, say so.
            if (code == ErrorCode::Corrupt && r.error().sysErrno != EBADMSG) {
                ++c.corrupt;
                if (args.telemetry)
                    publish(slot, c);
                continue;
            }
            ++c.corrupt;
            publish(slot, c);
            return fail(slot, hooks, r.error(), 4);
        }
        if (hooks.state() != WorkerState::Running)
            hooks.enter(WorkerState::Running);
        if (isPoison(frame)) {
            if (lends)
                (*endpoint)->release();
            slot.holding.store(hooks.readAhead(), std::memory_order_release);
            slot.poison.store(WorkerSlot::PoisonTaken, std::memory_order_relaxed);
            break; // its writer is done: so is this reader (CSP)
        }
        const std::uint64_t latencyBefore = c.latencyNsSum;
        std::uint64_t now = account(c, tracker, weights, frame);
        // A backlog of unstamped messages still reads the clock every 64, for the socket's waiting bytes below.
        if (now == 0 && args.telemetry && ++unstamped >= 64)
            now = monotonicNs();
        if (now != 0)
            unstamped = 0;
        if (lends) {
            hooks.insideLoan();
            (*endpoint)->release();
        }
        if (tallyPriorities)
            tallyPriority(slot, (*endpoint)->lastPriority(), c.latencyNsSum - latencyBefore);
        if (args.telemetry) {
            publish(slot, c);
            // A socket's waiting bytes, which only this process can see: one ioctl per connection every 20 ms (by
            // the clock as read above, at least every 64 messages).
            if (now != 0)
                slot.heartbeatNs.store(now, std::memory_order_relaxed);
            if (now != 0 && now - kernelBytesNs >= 20'000'000) {
                if (const std::int64_t waiting = (*endpoint)->kernelBytes(); waiting >= 0)
                    slot.kernelBytes.store(waiting, std::memory_order_relaxed);
                kernelBytesNs = now;
            }
        } else
            slot.messages.store(c.messages, std::memory_order_relaxed);
        slot.holding.store(hooks.readAhead(), std::memory_order_release);
        simulateWork(slot.ctlWorkUs.load(std::memory_order_relaxed));
    }
    // At a stop, take what can only be counted here: frames a FIFO consumer has already read out of the pipe into
    // its own buffer, socket connections this consumer accepted (they die with it), and the last value of a shared
    // value, not looked at yet. (Queues and rings keep their contents; the runner counts those as "left", and what
    // is still in a FIFO is counted by the runner's own read end.)
    while (args.spec.count == 0 || c.messages < args.spec.count) {
        auto r = (*endpoint)->takeReadAhead(buffer, hooks); // 0 at once for endpoints that do not read ahead
        if (!r) {
            ++c.corrupt; // damaged bytes: reported once, then the reader slides past them
            if (r.error().code != ErrorCode::Corrupt || r.error().sysErrno == ENODATA)
                break;
            continue;
        }
        if (*r == 0)
            break;
        (void)account(c, tracker, weights, std::span(buffer).first(*r));
        // Counted in the slot before the next take lowers `holding`, so a kill during the drain hides nothing.
        slot.messages.store(c.messages, std::memory_order_relaxed);
    }
    slot.holding.store(hooks.readAhead(), std::memory_order_release);
    if (args.transport == TransportKind::Socket || args.transport == TransportKind::ShmValue) {
        const std::uint64_t deadline = monotonicNs() + 2'000'000'000ull;
        while (monotonicNs() < deadline && (args.spec.count == 0 || c.messages < args.spec.count)) {
            auto r = (*endpoint)->tryReceive(buffer, hooks);
            if (!r) {
                ++c.corrupt;
                if (traits(args.transport).stream)
                    break;
                continue;
            }
            if (*r == 0)
                break;
            (void)account(c, tracker, weights, std::span(buffer).first(*r));
        }
    }
    publish(slot, c);
    hooks.enter(WorkerState::Finished);
    return 0;
}

// A program's passes: each step is one real operation on its object (see program.h). The slot says which step
// the worker is on, and counts per step what was done and what was missed (an acquire that timed out).
// How one map or apply call ended: every result back, stopped on the way, or a transfer failed.
struct PoolCall {
    bool finished = false;
    std::optional<Error> failed;
};

int runProgram(const WorkerArgs& args, WorkerSlot& slot, SlotHooks& hooks)
{
    const ProgramSteps& program = args.spec.program;
    std::vector<std::unique_ptr<ProgramTarget>> targets;
    std::vector<ProgramTarget*> stepTarget(program.size(), nullptr);
    std::vector<std::string> targetNames;
    for (std::size_t i = 0; i < program.size(); ++i) {
        const ProgramStep& step = program[i];
        if (step.op == StepOp::Work || step.op == StepOp::Put || step.op == StepOp::Get || isPoolCall(step.op)
            || step.op == StepOp::Request || step.op == StepOp::Serve)
            continue;
        const auto known = std::find(targetNames.begin(), targetNames.end(), step.object);
        if (known != targetNames.end()) {
            stepTarget[i] = targets[std::size_t(known - targetNames.begin())].get();
            continue;
        }
        const auto binding = std::find_if(args.bindings.begin(), args.bindings.end(),
            [&](const WorkerArgs::Binding& b) { return b.object == step.object; });
        if (binding == args.bindings.end())
            return fail(slot, hooks,
                Error { ErrorCode::InvalidArgument, 0, "run program", step.object,
                    "No --bind for this object; ipclab-worker is started by ipclab or ipclab-cli" },
                2);
        auto target = openProgramTarget(binding->address);
        if (!target)
            return fail(slot, hooks, target.error(), 3);
        targetNames.push_back(step.object);
        targets.push_back(std::move(*target));
        stepTarget[i] = targets.back().get();
    }
    // A write to a global (a copy in this process's memory) is published where the run can see it: its binding's
    // boundValue. SIZE_MAX for every other step.
    std::vector<std::size_t> publishAt(program.size(), SIZE_MAX);
    for (std::size_t i = 0; i < program.size(); ++i) {
        for (std::size_t k = 0; k < args.bindings.size() && k < WorkerSlot::MaxBound; ++k) {
            if (program[i].op == StepOp::Write && args.bindings[k].object == program[i].object
                && traits(args.bindings[k].address.transport).perProcess)
                publishAt[i] = k;
        }
    }
    // Messages: one sending and one receiving endpoint per object the steps put into or get from.
    auto boundIndex = [&](const std::string& object) -> std::size_t {
        for (std::size_t k = 0; k < args.bindings.size(); ++k) {
            if (args.bindings[k].object == object)
                return k;
        }
        return SIZE_MAX;
    };
    // `bound`: the object's place among the worker's bindings, where its sends and receives are counted.
    struct Sender {
        std::string object;
        std::unique_ptr<ProducerEndpoint> endpoint;
        std::uint32_t frameBytes = 0;
        std::uint64_t seq = 0;
        std::size_t bound = 0;
        bool poison = false; // a CSP channel: poison goes in when this program ends (TransportTraits::poison)
        bool requests = false; // a zmq object's requests and replies (openZmqRequests)
    };
    struct Receiver {
        std::string object;
        std::unique_ptr<ConsumerEndpoint> endpoint;
        bool priorities = false; // an mq: what it takes is counted per priority
        std::size_t bound = 0;
        bool requests = false; // a zmq object's requests and replies (openZmqRequests)
    };
    std::vector<Sender> senders;
    std::vector<Receiver> receivers;
    std::vector<std::size_t> endpointOf(program.size(), 0); // put, get, map/apply's tasks
    std::vector<std::size_t> resultsOf(program.size(), 0); // map/apply's results
    std::size_t largestFrame = TaskFrameSize;
    // Index of the endpoint for (object, sending or receiving), opened on first use; SIZE_MAX when it failed.
    std::optional<Error> openError;
    auto endpointFor = [&](const std::string& object, bool sending) -> std::size_t {
        const std::size_t bound = boundIndex(object);
        if (bound >= std::min(args.bindings.size(), WorkerSlot::MaxBound)) {
            openError = Error { ErrorCode::InvalidArgument, 0, "run program", object,
                "No --bind for this object; ipclab-worker is started by ipclab or ipclab-cli" };
            return SIZE_MAX;
        }
        const ChannelAddress* address = &args.bindings[bound].address;
        largestFrame = std::max<std::size_t>(largestFrame, address->messageSize);
        // Task, result, request and reply messages carry their ids after the header (validation checked they fit).
        const bool requests = std::any_of(program.begin(), program.end(),
            [](const ProgramStep& step) { return step.op == StepOp::Request || step.op == StepOp::Serve; });
        const auto least = std::uint32_t(requests ? RequestFrameSize : TaskFrameSize);
        const std::uint32_t bytes = std::clamp<std::uint32_t>(
            args.spec.messageSize, std::min(least, address->messageSize), address->messageSize);
        // A zmq object that requests go to: one socket both ways (openZmqRequests), so both endpoints open at once.
        const bool serves = std::any_of(program.begin(), program.end(),
            [&](const ProgramStep& step) { return step.op == StepOp::Serve && step.object == object; });
        const bool asks = std::any_of(program.begin(), program.end(),
            [&](const ProgramStep& step) { return step.op == StepOp::Request && step.object == object; });
        if (requestsOverConnections(address->transport) && (serves || asks)) {
            const auto known
                = std::find_if(senders.begin(), senders.end(), [&](const Sender& e) { return e.object == object; });
            if (known == senders.end()) {
                auto ends = openZmqRequests(*address, serves);
                if (!ends) {
                    openError = ends.error();
                    return SIZE_MAX;
                }
                senders.push_back({ object, std::move(ends->sending), bytes, 0, bound, false, true });
                receivers.push_back({ object, std::move(ends->receiving), false, bound, true });
            }
        }
        if (sending) {
            auto known
                = std::find_if(senders.begin(), senders.end(), [&](const Sender& e) { return e.object == object; });
            if (known != senders.end())
                return std::size_t(known - senders.begin());
            auto endpoint = openProducer(*address, hooks);
            if (!endpoint) {
                openError = endpoint.error();
                return SIZE_MAX;
            }
            senders.push_back({ object, std::move(*endpoint), bytes, 0, bound, traits(address->transport).poison });
            return senders.size() - 1;
        }
        auto known
            = std::find_if(receivers.begin(), receivers.end(), [&](const Receiver& e) { return e.object == object; });
        if (known != receivers.end())
            return std::size_t(known - receivers.begin());
        auto endpoint = openConsumer(*address);
        if (!endpoint) {
            openError = endpoint.error();
            return SIZE_MAX;
        }
        receivers.push_back({ object, std::move(*endpoint), traits(address->transport).priorities, bound });
        return receivers.size() - 1;
    };
    for (std::size_t i = 0; i < program.size(); ++i) {
        const ProgramStep& step = program[i];
        if (step.op != StepOp::Put && step.op != StepOp::Get && !isPoolCall(step.op) && step.op != StepOp::Request
            && step.op != StepOp::Serve)
            continue;
        endpointOf[i] = endpointFor(step.object, step.op != StepOp::Get && step.op != StepOp::Serve);
        if (endpointOf[i] != SIZE_MAX && (isPoolCall(step.op) || step.op == StepOp::Request))
            resultsOf[i] = endpointFor(step.results, false);
        if (openError) {
            if (openError->code == ErrorCode::Interrupted)
                return 0;
            return fail(slot, hooks, *openError, openError->code == ErrorCode::InvalidArgument ? 2 : 3);
        }
    }
    std::vector<std::byte> frame(largestFrame);
    Counters c; // what the gets' frames said: duplicates, gaps, corrupt frames and latency, over every object
    SequenceTracker tracker;
    StampWeights weights(true); // a program's latency is not shown: unweighted, as per priority
    // Like publish(), but `messages` stays the count of passes.
    auto publishFrames = [&] {
        slot.bytes.store(c.bytes, std::memory_order_relaxed);
        slot.gaps.store(c.gaps, std::memory_order_relaxed);
        slot.duplicated.store(c.duplicated, std::memory_order_relaxed);
        slot.outOfOrder.store(c.outOfOrder, std::memory_order_relaxed);
        slot.corrupt.store(c.corrupt, std::memory_order_relaxed);
        publishLatency(slot, c);
    };
    // One frame through a program's sender or receiver, waiting as `wait` allows. On Moved the slot's `holding`
    // stays 1 (in doubt): the caller counts what moved, then calls settle(), so a kill between the two never hides
    // a message. A received frame is in `frame`, checked and accounted in `c`.
    enum class Transfer { Moved, TimedOut, Stopped, Damaged, Failed };
    std::optional<Error> transferError; // what a Failed transfer ran into
    auto settle = [&] { slot.holding.store(0, std::memory_order_release); };
    auto sendFrame = [&](Sender& out, std::span<const std::byte> bytes, unsigned priority, DeadlineHooks& wait) {
        slot.holding.store(1, std::memory_order_release);
        Status st = out.endpoint->send(bytes, priority, wait);
        if (st) {
            ++out.seq;
            c.bytes += bytes.size(); // bytes moved, out (puts) and in (gets)
            bump(slot.boundSent[out.bound]);
            return Transfer::Moved;
        }
        settle();
        if (st.error().code != ErrorCode::Interrupted) {
            transferError = st.error();
            return Transfer::Failed;
        }
        return wait.timedOut() ? Transfer::TimedOut : Transfer::Stopped;
    };
    auto receiveFrame = [&](Receiver& in, DeadlineHooks& wait, std::size_t& size) {
        slot.holding.store(1, std::memory_order_release);
        auto r = in.endpoint->receive(frame, wait);
        if (!r) {
            settle();
            if (r.error().code == ErrorCode::Interrupted)
                return wait.timedOut() ? Transfer::TimedOut : Transfer::Stopped;
            if (in.requests && r.error().code == ErrorCode::PeerGone) { // the server's connection closed
                transferError = r.error();
                return Transfer::Failed;
            }
            ++c.corrupt;
            publishFrames();
            // A damaged message is counted and skipped; a damaged object (EBADMSG: its own structure) cannot go on.
            if (r.error().code == ErrorCode::Corrupt && r.error().sysErrno != EBADMSG)
                return Transfer::Damaged;
            transferError = r.error();
            return Transfer::Failed;
        }
        size = *r;
        (void)account(c, tracker, weights, std::span(frame).first(size));
        bump(slot.boundReceived[in.bound]);
        return Transfer::Moved;
    };

    // The release that gives back what each acquire took, so a stop in the middle of a pass can let go of what is
    // held, as leaving a `with` block does. An acquire without one consumes a signal: nothing is held after it.
    const std::vector<std::size_t> pairs = lockPairs(program);
    const auto paired = [&](std::size_t i) { return pairs[i] < program.size(); };
    std::vector<std::uint64_t> done(program.size(), 0), missed(program.size(), 0);
    auto count = [&](std::size_t i, std::vector<std::uint64_t>& counter, std::atomic<std::uint64_t>* published) {
        published[i].store(++counter[i], std::memory_order_relaxed);
    };
    // When the current step began. Steps run back to back: one clock read ends a step and begins the next (a put
    // also stamps its frame with it), so a pass costs a clock read per step (see passEnd for the pass's start).
    std::uint64_t stepStart = 0;
    // Step i is done: counted, with the time it took.
    auto finish = [&](std::size_t i) {
        count(i, done, slot.stepDone); // first: a write or acquire is counted as soon after it as can be
        const std::uint64_t now = monotonicNs();
        bump(slot.stepNs[i], now - stepStart);
        stepStart = now;
    };
    std::vector<std::size_t> held; // acquire steps whose release has not run yet in this pass
    // After a release: the slot says HasLock while any array lock is still held, and heldSteps which permits.
    auto updateLockPhase = [&] {
        std::uint32_t bits = 0;
        for (const std::size_t a : held)
            bits |= std::uint32_t(1) << a;
        slot.heldSteps.store(bits, std::memory_order_release);
        const bool locked
            = std::any_of(held.begin(), held.end(), [&](std::size_t a) { return stepTarget[a]->isLock(); });
        hooks.setPhase(locked ? RingPhase::HasLock : 0);
    };
    auto releaseHeld = [&]() -> Status {
        while (!held.empty()) {
            const std::size_t a = held.back();
            held.pop_back();
            if (Status st = stepTarget[a]->release(); !st)
                return st;
            updateLockPhase();
            count(pairs[a], done, slot.stepDone);
        }
        return {};
    };
    std::uint64_t passes = 0;
    bool poisoned = false; // a get took CSP poison
    std::int64_t value = 0; // the register a read fills and a write adds to
    // Pools. A worker's hand: the tasks its latest get took, answered by its next put. A caller's ids run on across
    // its calls, so a late result of an abandoned call can never pass for one of the next.
    std::optional<TaskRef> hand;
    std::uint64_t nextTask = 1;
    std::vector<bool> answered; // the current call's tasks whose result came back
    // One map or apply call: put the call's tasks (chunk per message) into the tasks object while collecting
    // results, until every task has its result. Puts never block, so a full task queue cannot keep the caller from
    // taking the results the pool's workers wait to put (Python's Pool runs a thread for each side instead).
    auto poolCall = [&](const ProgramStep& step, Sender& out, Receiver& in, std::uint64_t& next) {
        PoolCall call;
        const std::uint32_t n = step.tasks;
        const std::uint32_t chunk = step.op == StepOp::Apply ? 1 : step.chunk;
        const std::uint64_t first = next;
        next += n; // even when stopped: ids are never reused
        answered.assign(n, false);
        std::uint32_t submitted = 0, collected = 0;
        std::uint64_t latestFirst = 0;
        const auto taskBytes = std::span(frame).first(out.frameBytes);
        while (collected < n) {
            if (hooks.stopRequested())
                return call;
            bool sent = false;
            if (submitted < n) {
                const TaskRef ref { TaskMagic, args.slot, std::min(chunk, n - submitted), 0, first + submitted };
                buildTaskFrame(taskBytes, args.slot, out.seq + 1, monotonicNs(), ref);
                DeadlineHooks once(hooks, 0u);
                const Transfer t = sendFrame(out, taskBytes, 0, once);
                if (t == Transfer::Failed) {
                    call.failed = transferError;
                    return call;
                }
                if (t == Transfer::Moved) {
                    // Running again, so that the next wait is a spell of its own (not the last one's going on).
                    if (hooks.state() != WorkerState::Running)
                        hooks.enter(WorkerState::Running);
                    submitted += ref.count;
                    bump(slot.tasksOut, ref.count);
                    bump(slot.poolFramesOut);
                    sent = true;
                    settle();
                }
            }
            // While tasks remain to be put: look for a result without waiting after a put, else for 1 ms (the
            // task queue is full until a worker takes one). With every task out: wait for results.
            std::optional<std::uint32_t> wait;
            if (submitted < n)
                wait = sent ? 0u : 1u;
            DeadlineHooks waitHooks(hooks, wait);
            std::size_t size = 0;
            const Transfer t = receiveFrame(in, waitHooks, size);
            if (t == Transfer::Failed) {
                call.failed = transferError;
                return call;
            }
            if (t != Transfer::Moved)
                continue; // nothing in time, a damaged message, or a stop (seen at the top)
            if (hooks.state() != WorkerState::Running)
                hooks.enter(WorkerState::Running);
            const auto got = std::span(frame).first(size);
            bump(slot.poolFramesIn);
            const auto tasks = frameTasks(got);
            if (tasks && tasks->caller != args.slot) {
                bump(slot.tasksOrphaned, tasks->count); // a caller before this one asked for them
            } else if (!tasks || tasks->first < first || tasks->count == 0 || tasks->count > n
                || tasks->first - first > n - tasks->count) { // (written so that nothing can overflow)
                bump(slot.tasksStray, tasks ? tasks->count : 1);
            } else {
                if (tasks->first < latestFirst)
                    bump(slot.tasksOutOfOrder, tasks->count);
                latestFirst = std::max(latestFirst, tasks->first);
                std::uint32_t fresh = 0;
                const auto from = std::uint32_t(tasks->first - first); // < n, checked above
                for (std::uint32_t k = from; k < from + tasks->count; ++k) {
                    if (answered[k]) {
                        bump(slot.tasksDuplicated);
                        continue;
                    }
                    answered[k] = true;
                    ++fresh;
                }
                collected += fresh;
                bump(slot.tasksIn, fresh);
            }
            publishFrames();
            settle();
        }
        call.finished = true;
        return call;
    };
    auto setHand = [&](std::optional<TaskRef> tasks) {
        if (hand && tasks)
            bump(slot.tasksDropped, hand->count); // taken and never answered
        hand = tasks;
        slot.tasksInHand.store(hand ? hand->count : 0, std::memory_order_relaxed);
    };
    // Requests, a client's side: one call through a Manager proxy. The request carries this process's slot, the
    // next id and the step's reply address; replies for earlier ids (requests given up on) are stale and skipped.
    // The step's timeout bounds the whole call.
    std::uint64_t lastRequest = 0;
    auto request = [&](const ProgramStep& step, Sender& out, Receiver& in) {
        RequestRef ask;
        ask.magic = RequestMagic;
        ask.caller = args.slot;
        ask.id = ++lastRequest;
        ask.op = std::uint8_t(step.request);
        if (!stepLoads(step))
            ask.value = value + step.add;
        step.key.copy(ask.key, sizeof ask.key);
        step.results.copy(ask.replyTo, sizeof ask.replyTo);
        const auto bytes = std::span(frame).first(out.frameBytes);
        buildRequestFrame(bytes, args.slot, out.seq + 1, monotonicNs(), ask);
        DeadlineHooks wait(hooks, step.timeoutMs);
        Transfer t = sendFrame(out, bytes, 0, wait);
        if (t != Transfer::Moved)
            return t;
        bump(slot.requestsOut);
        settle();
        for (;;) {
            std::size_t size = 0;
            t = receiveFrame(in, wait, size);
            if (t == Transfer::Damaged)
                continue; // counted as corrupt; the reply may still come
            if (t != Transfer::Moved)
                return t;
            bump(slot.repliesIn);
            const auto reply = frameRequest(std::span(frame).first(size));
            const bool ours = reply && reply->magic == ReplyMagic && reply->caller == args.slot && reply->id == ask.id;
            if (!ours) {
                bump(slot.repliesStale);
                publishFrames();
                settle();
                continue;
            }
            if (stepLoads(step)) {
                value = reply->value;
                slot.registerValue.store(value, std::memory_order_relaxed);
            }
            publishFrames();
            settle();
            return Transfer::Moved;
        }
    };
    // Requests, the server's side: the dict and Namespace (at most MaxServerKeys keys each) and the list live in this
    // process's memory only, as in Python's Manager; of the list it keeps the length, which is all a request can
    // ask about. A request it cannot answer (not a request, or a reply address it has no binding for)
    // ends as TimedOut, which the step counts as missed.
    std::map<std::string, std::int64_t> dict, ns;
    std::int64_t listLength = 0;
    std::vector<std::string> shown; // the keys published in the slot, in order of first set
    auto show = [&](const std::string& key, std::int64_t v) {
        auto at = std::find(shown.begin(), shown.end(), key);
        if (at == shown.end()) {
            if (shown.size() == WorkerSlot::ServerKeys)
                return;
            char* name = slot.serverKey[shown.size()];
            std::memset(name, 0, sizeof slot.serverKey[0]);
            key.copy(name, sizeof slot.serverKey[0] - 1);
            slot.serverValue[shown.size()].store(v, std::memory_order_relaxed);
            shown.push_back(key);
            slot.serverKeyCount.store(std::uint32_t(shown.size()), std::memory_order_release);
            return;
        }
        slot.serverValue[std::size_t(at - shown.begin())].store(v, std::memory_order_relaxed);
    };
    auto apply = [&](RequestRef& r) {
        const std::string key(r.key, strnlen(r.key, sizeof r.key));
        auto& table = key.starts_with("ns.") ? ns : dict;
        switch (RequestOp(r.op)) {
        case RequestOp::Get: {
            const auto it = table.find(key);
            r.found = it != table.end();
            r.value = r.found ? it->second : 0;
            break;
        }
        case RequestOp::Set:
            r.found = table.size() < ProgramLimits::MaxServerKeys || table.count(key);
            if (r.found) {
                table[key] = r.value;
                show(key, r.value);
            }
            break;
        case RequestOp::Append:
            ++listLength;
            slot.serverListLength.store(listLength, std::memory_order_relaxed);
            r.found = 1;
            break;
        case RequestOp::Len:
            r.value = listLength;
            r.found = 1;
            break;
        }
        r.magic = ReplyMagic;
    };
    auto serve = [&](Receiver& in) {
        DeadlineHooks wait(hooks, std::nullopt);
        std::size_t size = 0;
        Transfer t = receiveFrame(in, wait, size);
        if (t != Transfer::Moved)
            return t == Transfer::Damaged ? Transfer::TimedOut : t;
        bump(slot.requestsIn);
        // From here until its reply is out, the request is this process's alone: killed, it dies with it.
        slot.requestInHand.store(1, std::memory_order_relaxed);
        publishFrames();
        settle();
        auto unanswered = [&] {
            bump(slot.requestsUnanswered);
            slot.requestInHand.store(0, std::memory_order_relaxed);
            return Transfer::TimedOut;
        };
        auto r = frameRequest(std::span(frame).first(size));
        if (!r || r->magic != RequestMagic)
            return unanswered();
        const std::string replyTo(r->replyTo, strnlen(r->replyTo, sizeof r->replyTo));
        const std::size_t out = boundIndex(replyTo) == SIZE_MAX ? SIZE_MAX : endpointFor(replyTo, true);
        if (out == SIZE_MAX) {
            openError.reset();
            return unanswered();
        }
        apply(*r);
        Sender& sender = senders[out];
        const auto bytes = std::span(frame).first(sender.frameBytes);
        buildRequestFrame(bytes, args.slot, sender.seq + 1, monotonicNs(), *r);
        t = sendFrame(sender, bytes, 0, wait);
        if (t != Transfer::Moved) {
            if (t == Transfer::Stopped)
                (void)unanswered(); // stopped while the reply queue was full
            if (t == Transfer::Failed && sender.requests && transferError->code == ErrorCode::PeerGone) {
                transferError.reset(); // the client has closed its connection; the server goes on
                return unanswered();
            }
            return t;
        }
        bump(slot.repliesOut);
        slot.requestInHand.store(0, std::memory_order_relaxed);
        publishFrames();
        settle();
        return Transfer::Moved;
    };
    Pacer pacer;
    StepGate gate(slot, hooks);
    // The end of a whole pass with no work after it: the next pass starts then, with no clock read of its own (a
    // one-step program then reads the clock once a message, as the producer and consumer loops do). 0 otherwise.
    std::uint64_t passEnd = 0;
    hooks.enter(WorkerState::Running);
    while (!hooks.stopRequested() && (args.spec.count == 0 || passes < args.spec.count)) {
        if (slot.ctlPaused.load(std::memory_order_relaxed)) {
            hooks.enter(WorkerState::Paused);
            sleepUntilNs(monotonicNs() + 10'000'000);
            pacer.restart();
            passEnd = 0;
            continue;
        }
        stepStart = passEnd != 0 ? passEnd : monotonicNs();
        passEnd = 0;
        if (!pacer.due(slot, hooks, stepStart))
            continue;
        bool completed = true;
        for (std::size_t i = 0; i < program.size() && completed; ++i) {
            // In step mode the step begins at its gate, so a wait there belongs to the step it waits to take (the
            // timeline says "paused, step 2: work"). A wait still open belongs to the step before (a stop or a pause
            // inside it): it ends as the next step begins, counted there.
            const bool stepping = slot.ctlStepMode.load(std::memory_order_relaxed) != 0;
            if (stepping) {
                if (hooks.state() != WorkerState::Running)
                    hooks.enter(WorkerState::Running);
                hooks.beginStep(std::uint32_t(i), stepStart);
            }
            if (hooks.stopRequested() || !gate.pass(std::uint32_t(i), stepStart)) {
                completed = false;
                break;
            }
            const ProgramStep& step = program[i];
            slot.step.store(std::uint32_t(i), std::memory_order_relaxed);
            slot.stepSinceNs.store(stepStart, std::memory_order_relaxed);
            if (hooks.state() != WorkerState::Running)
                hooks.enter(WorkerState::Running);
            if (!stepping)
                hooks.beginStep(std::uint32_t(i), stepStart);
            switch (step.op) {
            case StepOp::Acquire: {
                slot.holding.store(1, std::memory_order_release); // in doubt: killed now, it may hold it
                std::optional<Duration> timeout;
                if (step.timeoutMs)
                    timeout = std::chrono::milliseconds(*step.timeoutMs);
                auto got = stepTarget[i]->acquire(timeout, hooks);
                if (!got) {
                    slot.holding.store(0, std::memory_order_release);
                    if (got.error().code == ErrorCode::Interrupted) {
                        completed = false;
                        break;
                    }
                    (void)releaseHeld();
                    return fail(slot, hooks, got.error(), 4);
                }
                if (!*got) {
                    slot.holding.store(0, std::memory_order_release);
                    count(i, missed, slot.stepMissed);
                    completed = false; // the rest of the pass is skipped, and the pass is not counted
                    break;
                }
                if (stepTarget[i]->isLock())
                    hooks.setPhase(RingPhase::HasLock); // before `holding` drops: a kill between is still seen
                finish(i);
                if (paired(i)) { // held from the end of this step (stepStart, set by finish) to its release's end
                    held.push_back(i);
                    slot.heldSinceNs[i].store(stepStart, std::memory_order_relaxed);
                    slot.heldSteps.store(slot.heldSteps.load(std::memory_order_relaxed) | std::uint32_t(1) << i,
                        std::memory_order_release);
                }
                slot.holding.store(0, std::memory_order_release);
                break;
            }
            case StepOp::Release: {
                // A hold ends as the release begins: once it has run, another process may hold the object (and
                // this one may be preempted before it reads the clock again), so the holds of a lock never overlap.
                const std::uint64_t letGo = paired(i) ? monotonicNs() : 0;
                if (paired(i)) { // no longer shown held once another may take it (the phase waits: see below)
                    std::erase(held, pairs[i]);
                    slot.heldSteps.store(
                        slot.heldSteps.load(std::memory_order_relaxed) & ~(std::uint32_t(1) << pairs[i]),
                        std::memory_order_release);
                }
                if (Status st = stepTarget[i]->release(); !st) {
                    (void)releaseHeld();
                    return fail(slot, hooks, st.error(), 4);
                }
                updateLockPhase();
                finish(i);
                if (paired(i))
                    hooks.recordHold(
                        std::uint32_t(pairs[i]), letGo - slot.heldSinceNs[pairs[i]].load(std::memory_order_relaxed));
                break;
            }
            case StepOp::Read:
                value = stepTarget[i]->read(step.cell);
                slot.registerValue.store(value, std::memory_order_relaxed);
                finish(i);
                break;
            case StepOp::Write:
                slot.holding.store(1, std::memory_order_release); // killed now, the store may or may not be in
                stepTarget[i]->write(step.cell, value + step.add);
                if (publishAt[i] != SIZE_MAX)
                    slot.boundValue[publishAt[i]].store(value + step.add, std::memory_order_relaxed);
                finish(i);
                slot.holding.store(0, std::memory_order_release);
                break;
            case StepOp::Work:
                if (step.perTask && hand) {
                    // One stretch for the whole chunk (a sleep per task would add the kernel's timer slack, about
                    // 50 us, to each), in slices of at most 100 ms so a stop is seen.
                    std::uint64_t us = std::uint64_t(step.us) * hand->count;
                    while (us > 0 && !hooks.stopRequested()) {
                        const std::uint64_t slice = std::min<std::uint64_t>(us, 100'000);
                        simulateWork(std::uint32_t(slice));
                        us -= slice;
                    }
                } else
                    simulateWork(step.us);
                finish(i);
                break;
            case StepOp::Map:
            case StepOp::Apply: {
                const PoolCall call = poolCall(step, senders[endpointOf[i]], receivers[resultsOf[i]], nextTask);
                publishFrames();
                if (call.failed)
                    return fail(slot, hooks, *call.failed, 4);
                if (!call.finished) {
                    completed = false; // stopped in the middle of the call: its missing results never come
                    break;
                }
                finish(i);
                break;
            }
            case StepOp::Put: {
                Sender& out = senders[endpointOf[i]];
                const auto bytes = std::span(frame).first(out.frameBytes);
                if (hand && bytes.size() >= TaskFrameSize)
                    buildTaskFrame(bytes, args.slot, out.seq + 1, stepStart, *hand); // the answer to the tasks
                else
                    buildFrame(bytes, args.slot, out.seq + 1, stepStart);
                DeadlineHooks wait(hooks, step.timeoutMs);
                const Transfer t = sendFrame(out, bytes, step.priority, wait);
                if (t == Transfer::Failed) {
                    (void)releaseHeld();
                    return fail(slot, hooks, *transferError, 4);
                }
                if (t != Transfer::Moved) {
                    if (t == Transfer::TimedOut)
                        count(i, missed, slot.stepMissed); // queue.Full
                    completed = false;
                    break;
                }
                publishFrames();
                if (hand) {
                    bump(slot.tasksOut, hand->count);
                    hand.reset();
                    slot.tasksInHand.store(0, std::memory_order_relaxed);
                }
                finish(i);
                settle();
                break;
            }
            case StepOp::Get: {
                Receiver& in = receivers[endpointOf[i]];
                DeadlineHooks wait(hooks, step.timeoutMs);
                const std::uint64_t latencyBefore = c.latencyNsSum;
                std::size_t size = 0;
                const Transfer t = receiveFrame(in, wait, size);
                if (t == Transfer::Failed) {
                    (void)releaseHeld();
                    return fail(slot, hooks, *transferError, 4);
                }
                if (t != Transfer::Moved) {
                    if (t == Transfer::TimedOut)
                        count(i, missed, slot.stepMissed); // queue.Empty
                    completed = false; // and a damaged message was counted: the pass starts again
                    break;
                }
                if (isPoison(std::span(frame).first(size))) {
                    settle();
                    poisoned = true; // its writer is done: so is this program, once it has passed the news on
                    completed = false;
                    break;
                }
                if (in.priorities)
                    tallyPriority(slot, in.endpoint->lastPriority(), c.latencyNsSum - latencyBefore);
                if (auto tasks = frameTasks(std::span(frame).first(size))) {
                    bump(slot.tasksIn, tasks->count);
                    setHand(tasks);
                }
                finish(i);
                publishFrames();
                settle();
                break;
            }
            case StepOp::Request: {
                const Transfer t = request(step, senders[endpointOf[i]], receivers[resultsOf[i]]);
                if (t == Transfer::Failed) {
                    (void)releaseHeld();
                    return fail(slot, hooks, *transferError, 4);
                }
                if (t != Transfer::Moved) {
                    if (t == Transfer::TimedOut)
                        count(i, missed, slot.stepMissed); // no reply in time
                    completed = false;
                    break;
                }
                finish(i);
                break;
            }
            case StepOp::Serve: {
                const Transfer t = serve(receivers[endpointOf[i]]);
                if (t == Transfer::Failed) {
                    (void)releaseHeld();
                    return fail(slot, hooks, *transferError, 4);
                }
                if (t != Transfer::Moved) {
                    if (t == Transfer::TimedOut)
                        count(i, missed, slot.stepMissed); // a request it could not answer
                    completed = false;
                    break;
                }
                finish(i);
                break;
            }
            }
        }
        if (!completed) {
            // A timed-out acquire ends the pass (its later steps are skipped); a stop ends the loop. Either way
            // what this pass holds is given back.
            if (Status st = releaseHeld(); !st)
                return fail(slot, hooks, st.error(), 4);
            if (poisoned)
                break;
            continue;
        }
        ++passes;
        slot.messages.store(passes, std::memory_order_relaxed);
        if (args.telemetry)
            slot.heartbeatNs.store(stepStart, std::memory_order_relaxed); // the last step's end
        const std::uint32_t workUs = slot.ctlWorkUs.load(std::memory_order_relaxed);
        simulateWork(workUs);
        if (workUs == 0)
            passEnd = stepStart;
    }
    if (Status st = releaseHeld(); !st)
        return fail(slot, hooks, st.error(), 4);
    slot.messages.store(passes, std::memory_order_relaxed);
    // CSP: a program that took poison, or did all its passes, poisons the channels it writes to, so the processes
    // after it in a pipeline end too (PyCSP's retire and poison). Not at a stop: the whole run is ending then.
    if (poisoned || (args.spec.count != 0 && passes == args.spec.count)) {
        std::uint32_t news = poisoned ? WorkerSlot::PoisonTaken : 0;
        for (Sender& out : senders) {
            if (out.poison && sendPoison(*out.endpoint, args.slot, frame, hooks))
                news |= WorkerSlot::PoisonSent;
        }
        slot.poison.store(news, std::memory_order_relaxed);
    }
    hooks.enter(WorkerState::Finished);
    return 0;
}

template <typename T> bool parseNumber(std::string_view text, T& out)
{
    char* end = nullptr;
    const std::string s(text);
    errno = 0;
    if constexpr (std::is_floating_point_v<T>) {
        const double v = std::strtod(s.c_str(), &end);
        out = T(v);
    } else {
        const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
        out = T(v);
        if (s.empty() || s[0] == '-')
            return false;
    }
    return errno == 0 && end && *end == '\0' && !s.empty();
}

} // namespace

std::vector<std::string> workerCommandLine(const std::string& executable, const WorkerArgs& a)
{
    std::vector<std::string> argv { executable, "--board", a.board, "--slot", std::to_string(a.slot), "--role",
        roleName(a.spec.role), "--transport", transportName(a.transport), "--object", a.object, "--object-size",
        std::to_string(a.objectMessageSize), "--capacity", std::to_string(a.capacity), "--size",
        std::to_string(a.spec.messageSize), "--rate", std::to_string(a.spec.rate), "--work-us",
        std::to_string(a.spec.workUs), "--count", std::to_string(a.spec.count), "--priority",
        std::to_string(a.spec.priority), "--name", a.spec.name };
    if (a.spec.crashInLockAfter > 0) {
        argv.push_back("--crash-in-lock-after");
        argv.push_back(std::to_string(a.spec.crashInLockAfter));
    }
    if (a.spec.role == Role::Program) {
        argv.push_back("--program");
        argv.push_back(programText(a.spec.program));
        for (const WorkerArgs::Binding& b : a.bindings) {
            argv.push_back("--bind");
            argv.push_back(b.object + "=" + transportName(b.address.transport) + ":"
                + std::to_string(b.address.capacity) + ":" + std::to_string(b.address.messageSize) + ":"
                + b.address.name);
        }
    }
    if (a.listenFd >= 0) {
        argv.push_back("--listen-fd");
        argv.push_back(std::to_string(a.listenFd));
    }
    if (!a.bindAddress.empty()) {
        argv.push_back("--bind-address");
        argv.push_back(a.bindAddress);
    }
    if (a.consumers != 1) {
        argv.push_back("--consumers");
        argv.push_back(std::to_string(a.consumers));
    }
    if (a.consumerIndex != 0) {
        argv.push_back("--consumer-index");
        argv.push_back(std::to_string(a.consumerIndex));
    }
    if (a.consumerElsewhere)
        argv.push_back("--consumers-elsewhere");
    if (a.clockOffsetNs != 0) {
        argv.push_back("--clock-offset-ns");
        argv.push_back(std::to_string(a.clockOffsetNs));
    }
    if (!a.telemetry)
        argv.push_back("--no-telemetry");
    if (!a.events)
        argv.push_back("--no-events");
    return argv;
}

Result<WorkerArgs> parseWorkerCommandLine(int argc, char** argv)
{
    WorkerArgs a;
    auto bad = [](const std::string& what) {
        return Error { ErrorCode::InvalidArgument, 0, "ipclab-worker", "",
            what + ". ipclab-worker is started by ipclab or ipclab-cli; run those instead" };
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view key = argv[i];
        if (key == "--no-telemetry") {
            a.telemetry = false;
            continue;
        }
        if (key == "--no-events") {
            a.events = false;
            continue;
        }
        if (key == "--consumers-elsewhere") {
            a.consumerElsewhere = true;
            continue;
        }
        if (i + 1 >= argc)
            return bad("Option " + std::string(key) + " needs a value");
        const std::string_view value = argv[++i];
        bool ok = true;
        if (key == "--board")
            a.board = value;
        else if (key == "--slot")
            ok = parseNumber(value, a.slot);
        else if (key == "--role") {
            ok = value == "producer" || value == "consumer" || value == "program";
            a.spec.role = value == "consumer" ? Role::Consumer : value == "program" ? Role::Program : Role::Producer;
        } else if (key == "--program") {
            auto program = parseProgramText(value);
            if (!program)
                return bad("Bad --program: " + program.error().hint);
            a.spec.program = std::move(*program);
        } else if (key == "--bind") {
            // NAME=TRANSPORT:CAPACITY:MESSAGE_SIZE:OSNAME (the OS name may hold ':', the fields before it do not)
            const std::size_t eq = value.find('=');
            const std::size_t c1 = eq == std::string_view::npos ? eq : value.find(':', eq + 1);
            const std::size_t c2 = c1 == std::string_view::npos ? c1 : value.find(':', c1 + 1);
            const std::size_t c3 = c2 == std::string_view::npos ? c2 : value.find(':', c2 + 1);
            ok = c3 != std::string_view::npos;
            if (ok) {
                WorkerArgs::Binding b;
                b.object = std::string(value.substr(0, eq));
                auto t = parseTransport(value.substr(eq + 1, c1 - eq - 1));
                ok = t.has_value() && parseNumber(value.substr(c1 + 1, c2 - c1 - 1), b.address.capacity)
                    && parseNumber(value.substr(c2 + 1, c3 - c2 - 1), b.address.messageSize)
                    && b.address.messageSize >= FrameHeaderSize && b.address.messageSize <= MaxFrameSize;
                if (t)
                    b.address.transport = *t;
                b.address.name = std::string(value.substr(c3 + 1));
                a.bindings.push_back(std::move(b));
            }
        } else if (key == "--transport") {
            auto t = parseTransport(value);
            ok = t.has_value();
            if (t)
                a.transport = *t;
        } else if (key == "--object")
            a.object = value;
        else if (key == "--object-size")
            ok = parseNumber(value, a.objectMessageSize);
        else if (key == "--capacity")
            ok = parseNumber(value, a.capacity);
        else if (key == "--size")
            ok = parseNumber(value, a.spec.messageSize);
        else if (key == "--rate")
            ok = parseNumber(value, a.spec.rate) && a.spec.rate >= 0;
        else if (key == "--work-us")
            ok = parseNumber(value, a.spec.workUs);
        else if (key == "--count")
            ok = parseNumber(value, a.spec.count);
        else if (key == "--priority")
            ok = parseNumber(value, a.spec.priority);
        else if (key == "--name")
            a.spec.name = value;
        else if (key == "--crash-in-lock-after")
            ok = parseNumber(value, a.spec.crashInLockAfter);
        else if (key == "--listen-fd") {
            unsigned fd = 0;
            ok = parseNumber(value, fd);
            a.listenFd = int(fd);
        } else if (key == "--bind-address")
            a.bindAddress = value;
        else if (key == "--consumers")
            ok = parseNumber(value, a.consumers) && a.consumers >= 1;
        else if (key == "--consumer-index")
            ok = parseNumber(value, a.consumerIndex) && a.consumerIndex < a.consumers;
        else if (key == "--clock-offset-ns") {
            const std::string text(value);
            char* end = nullptr;
            errno = 0;
            a.clockOffsetNs = std::strtoll(text.c_str(), &end, 10);
            ok = errno == 0 && end && *end == '\0' && !text.empty();
        } else
            return bad("Unknown option " + std::string(key));
        if (!ok)
            return bad("Bad value '" + std::string(value) + "' for " + std::string(key));
    }
    if (a.spec.role == Role::Program) {
        if (a.board.empty() || a.spec.program.empty())
            return bad("--board and --program are required for a program");
        a.role = a.spec.role;
        return a;
    }
    if (a.board.empty() || a.object.empty())
        return bad("--board and --object are required");
    if (a.objectMessageSize < FrameHeaderSize || a.objectMessageSize > MaxFrameSize)
        return bad("--object-size must be 32.." + std::to_string(MaxFrameSize));
    a.role = a.spec.role;
    return a;
}

int runWorker(const WorkerArgs& args)
{
    // A write to a pipe whose reader is gone must be an EPIPE error, not a silent death.
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa { };
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: a stop interrupts sleeps at once
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    auto board = TelemetryBoard::open(args.board);
    if (!board) {
        std::fprintf(stderr, "ipclab-worker: %s\n", board.error().message().c_str());
        return 3;
    }
    if (args.slot >= board->slotCount()) {
        std::fprintf(stderr, "ipclab-worker: slot %u is outside the board (%u slots)\n", args.slot, board->slotCount());
        return 2;
    }
    WorkerSlot& slot = board->slot(args.slot);
    slot.pid.store(getpid(), std::memory_order_relaxed);
    slot.role.store(std::uint32_t(args.role), std::memory_order_relaxed);
    SlotHooks hooks(slot);
    hooks.recordEvents(args.events);
    hooks.recordLocks(args.role != Role::Program && args.transport == TransportKind::ShmRing);
    hooks.crashInLockAfter(args.spec.crashInLockAfter);
    // Tests only (tst_runner): a producer killed between taking a lock and publishing that it holds it.
    if (const char* n = std::getenv("IPCLAB_TEST_PRODUCER_DIES_TAKING_LOCK"); n && args.role == Role::Producer)
        hooks.dieTakingLockAt(std::strtoull(n, nullptr, 10));
    switch (args.role) {
    case Role::Producer:
        return runProducer(args, slot, hooks);
    case Role::Consumer:
        return runConsumer(args, slot, hooks);
    case Role::Program:
        return runProgram(args, slot, hooks);
    }
    return 2;
}

namespace {
constexpr const char* WorkerUsage
    = "ipclab-worker: one producer, consumer or program process of IPC Lab.\n"
      "\n"
      "ipclab and ipclab-cli start one for each worker of a scenario, with the names of the run's IPC object and\n"
      "telemetry board; run those instead of starting it by hand. It moves checksummed frames through the object,\n"
      "publishes its counters and state in its slot of the board, reads its live controls (rate, size, pause)\n"
      "from there, and exits on SIGTERM, on the board's stop control, or when its controller dies.\n"
      "\n"
      "Usage: ipclab-worker --board NAME --object NAME [options]\n"
      "  --board NAME            the run's telemetry board (a POSIX shared memory name)\n"
      "  --slot N                its slot in the board, also the producer id in its frames (default 0)\n"
      "  --role ROLE             producer (default), consumer or program\n"
      "  --program STEPS         a program's steps, e.g. \"read counter[0]; write counter[0] +1\"\n"
      "  --bind NAME=KIND:N:SIZE:OS  where a program's object NAME lives (kind; capacity in messages, cells or\n"
      "                          permits; largest message; OS name)\n"
      "  --transport KIND        mq (default), fifo, socket, shm-ring, shm-value or shm-spsc\n"
      "  --object NAME           the object's POSIX name (mq, shm-*) or path (fifo, socket)\n"
      "  --object-size BYTES     the object's largest frame, 32..1048576 (default 64)\n"
      "  --capacity N            slots of a shm-ring or shm-spsc\n"
      "  --size BYTES            size of the frames it sends\n"
      "  --rate N                messages per second, 0 = as fast as it can (default)\n"
      "  --work-us N             simulated work per message, in microseconds\n"
      "  --count N               stop after N messages (programs: passes), 0 = no limit (default)\n"
      "  --priority N            mq priority of what it sends\n"
      "  --name NAME             the worker's name in the scenario\n"
      "  --listen-fd FD          socket consumer: the inherited listening descriptor\n"
      "  --crash-in-lock-after N fault injection: die holding a shm-ring's lock at its Nth entry\n"
      "  --no-telemetry          publish counters only at exit (to measure what publishing costs)\n"
      "  --no-events             record no state changes in the event ring (to measure what they cost)\n"
      "  --help, --version       print this text or the version, and exit\n"
      "\n"
      "Exit status: 0 after a normal stop, 2 bad command line, 3 the objects cannot be opened, 4 a transfer "
      "failed.\n";
} // namespace

int runWorkerMain(int argc, char** argv)
{
    // Looked for before parsing, where `--help` would be an option missing its value; walked as the parser walks,
    // so a value that happens to read "--help" (a worker's --name) is still a value.
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(WorkerUsage, stdout);
            return 0;
        }
        if (arg == "--version") {
            std::printf("ipclab-worker %s\n", versionString());
            return 0;
        }
        if (arg != "--no-telemetry" && arg != "--no-events" && arg != "--consumers-elsewhere")
            ++i;
    }
    auto args = parseWorkerCommandLine(argc, argv);
    if (!args) {
        std::fprintf(stderr, "%s\n", args.error().message().c_str());
        return 2;
    }
    return runWorker(*args);
}

} // namespace ipccore

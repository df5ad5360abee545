#pragma once

// The telemetry board: one shared-memory object per run with a slot per worker. A worker is the only writer of its
// counters and state; the controller is the only writer of the controls. Every field is a lock-free atomic, so
// publishing costs a plain store per message (no lock, no system call), and a reader sees each field untorn.

#include "ipccore/contention.h"
#include "ipccore/program.h"
#include "ipccore/result.h"
#include "ipccore/shared_memory.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ipccore {

// Producer and consumer move messages through one object; a program runs its own steps over several (program.h).
enum class Role : std::uint32_t { Producer = 0, Consumer = 1, Program = 2 };

enum class WorkerState : std::uint32_t {
    Starting = 0,
    Running, // doing work or moving a message
    BlockedFull, // waiting for room: the queue/buffer/pipe is full
    BlockedEmpty, // waiting for data: the queue/buffer/pipe is empty
    WaitingLock, // waiting for the buffer's mutex
    Paused, // paused by the controller (control flag or SIGSTOP)
    Finished, // exited normally
    Dead, // killed by a signal or exited with an error
    // Added after the others so the numbers above keep their meaning in a board or a trace already written.
    Sleeping, // asleep until its rate lets the next message or pass go (not waiting on any object)
    Spinning, // on the CPU, waiting for data or room by yielding before it sleeps in the kernel (shm-spsc)
};

inline constexpr std::size_t WorkerStateCount = std::size_t(WorkerState::Spinning) + 1;
// The state as an index into a table of WorkerStateCount entries (an unknown value, from a newer worker, is 0).
constexpr std::size_t stateIndex(WorkerState state)
{
    return std::size_t(state) < WorkerStateCount ? std::size_t(state) : 0;
}

const char* workerStateName(WorkerState state);
// Waiting on the object: for room, for data or for its lock (not paused, which the controller chose).
bool isBlocked(WorkerState state);

// Tokens a worker holds on a shm-ring (and, for HasLock, a shm-value writer inside the seqlock), published before
// and after each semaphore operation so the runner can give back what a killed worker took with it.
namespace RingPhase {
constexpr std::uint32_t HasSlot = 1; // producer: an "empty" token; consumer: a "full" token
constexpr std::uint32_t HasLock = 2; // holds "mutex" (shm-value: sequence is odd because of this writer)
constexpr std::uint32_t Moved = 4; // the index was advanced: the slot was published (producer) or taken
} // namespace RingPhase
const char* roleName(Role role);

// An operation a worker failed at and went on after (see WorkerSlot::errorCount).
enum class WorkerErrorOp : std::uint32_t { None = 0, Accept = 1 };
const char* workerErrorOpName(WorkerErrorOp op); // the system call, e.g. "accept4"

struct alignas(64) WorkerSlot {
    // Written by the worker.
    std::atomic<std::int32_t> pid;
    std::atomic<std::uint32_t> role;
    std::atomic<std::uint32_t> state;
    std::atomic<std::uint32_t> exitError; // ErrorCode + 1 when the worker stopped on an error, else 0
    std::atomic<std::uint64_t> stateSinceNs; // CLOCK_MONOTONIC when `state` was entered
    std::atomic<std::uint64_t> blockedNs; // total time in BlockedFull/BlockedEmpty/WaitingLock, finished spells
    std::atomic<std::uint64_t> messages; // sent (producer) or received (consumer)
    std::atomic<std::uint64_t> bytes;
    std::atomic<std::uint64_t> lastSeq; // producer: last sequence number sent
    std::atomic<std::uint64_t> gaps; // consumer: sequence numbers skipped (overwritten values on shm-value)
    std::atomic<std::uint64_t> duplicated;
    std::atomic<std::uint64_t> outOfOrder;
    std::atomic<std::uint64_t> corrupt;
    // A consumer's mean latency is latencyNsSum / latencyWeight: the messages that carried their send time (at high
    // rates about one in 64), each weighted by the messages its producer sent since its last stamped one.
    // latencyStamps: how many carried one. The worker writes latencyWeight last (release).
    std::atomic<std::uint64_t> latencyNsSum;
    std::atomic<std::uint64_t> latencyWeight;
    std::atomic<std::uint64_t> latencyStamps;
    std::atomic<std::uint64_t> heartbeatNs;
    // A socket consumer: the bytes waiting for it in the kernel on all its connections (FIONREAD), read at most
    // every 20 ms while it receives. Only a socket's consumers write it, and the runner reads it only for them.
    std::atomic<std::int64_t> kernelBytes;
    // A socket consumer: the connections it has accepted and reads from. A socket's messages go only to the consumer
    // that accepted their producer's connection, so one with none waits however much the others have.
    std::atomic<std::uint32_t> connections;
    // What a worker holds at this instant, so the runner can tell what died with it (see RingPhase).
    // Messages in hand and not yet counted (in doubt if killed): 1 around a send or receive, plus the frames a FIFO
    // consumer has read ahead into its own buffer.
    std::atomic<std::uint32_t> holding;
    std::atomic<std::uint32_t> phase; // RingPhase bits on shm-ring / shm-value, 0 elsewhere
    std::atomic<std::uint64_t> phaseIndex; // ring index (head or tail) read inside the lock
    // Errors the worker survived and went on after (a socket consumer's accept4 failing with EMFILE): a run with
    // them is not exact, even when its counts balance, because they hide work that was not done. Written once per
    // error, never per message. errorErrno, errorOperation and errorLimit describe the latest one (errorLimit: the
    // limit it ran into as the worker saw it, e.g. RLIMIT_NOFILE for EMFILE; 0 when none applies); errorCount is
    // stored last with release order, so a reader that sees the count sees the rest.
    std::atomic<std::uint32_t> errorErrno;
    std::atomic<std::uint32_t> errorOperation; // WorkerErrorOp
    std::atomic<std::uint64_t> errorLimit;
    std::atomic<std::uint64_t> errorCount;
    // Programs (Role::Program): the step it is on and since when, and per step how often it was done and how often
    // it ended without doing it (an acquire that timed out or found the semaphore taken). A pass through the whole
    // program counts as one of `messages`. `holding` is 1 while a write or an acquire is in doubt: a worker killed
    // then may or may not have done it.
    std::atomic<std::uint32_t> step;
    std::atomic<std::uint64_t> stepSinceNs;
    // Step mode (see the ctlStep* controls): the steps it has taken while in step mode, and the step it waits at the
    // gate before (its index + 1; 0 when not at a gate).
    std::atomic<std::uint32_t> stepsTaken;
    std::atomic<std::uint32_t> gate;
    // A program's register: the value its last read (or Manager get) took, which its next write adds to (the x of
    // x = counter[0]; counter[0] = x + 1). What makes a lost update visible, step by step.
    std::atomic<std::int64_t> registerValue;
    std::atomic<std::uint64_t> stepDone[ProgramLimits::MaxSteps];
    std::atomic<std::uint64_t> stepMissed[ProgramLimits::MaxSteps];
    // Time spent in each step's completed runs, so step time = stepNs / stepDone (a request's round trip beside a
    // shared-memory write's few nanoseconds).
    std::atomic<std::uint64_t> stepNs[ProgramLimits::MaxSteps];
    // Requests (Python's Manager). A client counts the requests it put, the replies it took and, of those, the
    // stale ones (for a request it had given up waiting for); its request steps' stepDone counts the round trips
    // that completed. A server counts the requests it took, the replies it put, and the requests it could not
    // answer (a reply address it has no binding for, or a frame that is no request); it holds one request between
    // taking it and putting its reply (requestInHand).
    std::atomic<std::uint64_t> requestsOut;
    std::atomic<std::uint64_t> repliesIn;
    std::atomic<std::uint64_t> repliesStale;
    std::atomic<std::uint64_t> requestsIn;
    std::atomic<std::uint64_t> repliesOut;
    std::atomic<std::uint64_t> requestsUnanswered;
    std::atomic<std::uint32_t> requestInHand;
    // A server's data as it holds it, so the run can compare `d['count']` with the increments its clients made: the
    // first ServerKeys keys of its dict and Namespace ("d[count]", "ns.x"; NUL-padded, each written once before
    // serverKeyCount counts it, with release order) and their values now, and the length of its list.
    static constexpr std::size_t ServerKeys = 8;
    char serverKey[ServerKeys][24];
    std::atomic<std::int64_t> serverValue[ServerKeys];
    std::atomic<std::uint32_t> serverKeyCount;
    std::atomic<std::int64_t> serverListLength;
    // CSP (TransportTraits::poison): PoisonTaken when a read took poison, PoisonSent once it has poisoned the channels
    // it writes to; the runner names them when the worker finishes.
    static constexpr std::uint32_t PoisonTaken = 1, PoisonSent = 2;
    std::atomic<std::uint32_t> poison;
    // Messages a program put into and took out of each object it is bound to, in the order of its bindings (the
    // runner's order of the worker's objects), so the ledger of each object sees what a server sent to each
    // client's reply queue.
    static constexpr std::size_t MaxBound = ProgramLimits::MaxObjects;
    std::atomic<std::uint64_t> boundSent[MaxBound];
    std::atomic<std::uint64_t> boundReceived[MaxBound];
    // Globals (TransportTraits::perProcess) among the bound objects: this process's own copy, stored after each write
    // (the copy itself lives in the worker's memory; this is where the run sees it).
    std::atomic<std::int64_t> boundValue[MaxBound];
    // Pools, counted in tasks (a message carries a chunk of them; framing.h's TaskRef). The caller of map or apply
    // counts what it submitted and the distinct tasks whose result came back; a pool worker counts the tasks it
    // took and those whose result it put, and holds tasksInHand in between (a worker stopped or killed then drops
    // them). Results for a task already answered, for no task of the current call, and tasks a worker dropped by
    // taking new ones before putting the old ones' result, are what an exact pool never has.
    std::atomic<std::uint64_t> tasksOut; // caller: submitted; pool worker: answered
    std::atomic<std::uint64_t> tasksIn; // caller: collected (distinct); pool worker: taken
    std::atomic<std::uint64_t> tasksDuplicated;
    std::atomic<std::uint64_t> tasksStray;
    std::atomic<std::uint64_t> tasksOrphaned; // caller: results of an earlier caller, killed or stopped, it replaced
    std::atomic<std::uint64_t> tasksDropped;
    std::atomic<std::uint64_t> tasksOutOfOrder; // caller: results that came back before an earlier task's
    std::atomic<std::uint64_t> poolFramesOut; // caller: task messages put
    std::atomic<std::uint64_t> poolFramesIn; // caller: result messages taken
    std::atomic<std::uint32_t> tasksInHand;
    // Consumers (and programs' gets) on a message queue: messages taken per mq priority, for the first
    // PriorityKinds priorities seen (later ones add up in priorityOther), with the sum of their latencies. An
    // entry's value is stored before priorityUsed counts it (release), so a reader that sees the count sees it.
    static constexpr std::size_t PriorityKinds = 4;
    std::atomic<std::uint32_t> priorityUsed;
    std::atomic<std::uint32_t> priorityValue[PriorityKinds];
    std::atomic<std::uint64_t> priorityCount[PriorityKinds];
    std::atomic<std::uint64_t> priorityLatencyNs[PriorityKinds];
    std::atomic<std::uint64_t> priorityOther;
    // Every wait that ended (a spell in BlockedFull, BlockedEmpty or WaitingLock), added up per place: the program
    // step it was in (0 for a producer or consumer) and the state. A site's key is (step << 8 | state) + 1, stored
    // with release order before its first counts; 0 marks it unused. Waits that timed out have sites of their own. A
    // wait at a place beyond the WaitSites a slot has is still in blockedNs, and counted in waitsUntracked, never
    // silently dropped.
    struct WaitSite {
        std::atomic<std::uint32_t> key;
        std::atomic<std::uint64_t> waits;
        std::atomic<std::uint64_t> totalNs;
        std::atomic<std::uint64_t> maxNs;
        std::atomic<std::uint64_t> histogram[WaitHistogram::Buckets];
    };
    static constexpr std::size_t WaitSites = 8;
    static constexpr std::uint32_t WaitGaveUp = 0x40; // in a key's state byte: the wait timed out
    // In a key's state byte: not a wait but the holds of a program's acquire step, from its end to the start of
    // the release that pairs with it (lock hold times, as `perf lock` gives them).
    static constexpr std::uint32_t SiteHold = 0x80;
    static constexpr std::uint32_t waitSiteKey(std::uint32_t step, WorkerState state, bool gaveUp = false)
    {
        return (step << 8 | std::uint32_t(state) | (gaveUp ? WaitGaveUp : 0)) + 1;
    }
    static constexpr std::uint32_t holdSiteKey(std::uint32_t step) { return (step << 8 | SiteHold) + 1; }
    WaitSite waitSites[WaitSites];
    std::atomic<std::uint64_t> waitsUntracked;
    // Programs: the acquire steps whose permit it holds now, one bit per step index (a philosopher's fork), so the
    // runner can name who holds what a blocked process waits for.
    std::atomic<std::uint32_t> heldSteps;
    // When each held acquire step ended (CLOCK_MONOTONIC), stored before its bit in heldSteps (release order).
    std::atomic<std::uint64_t> heldSinceNs[ProgramLimits::MaxSteps];
    // Every state change and every program step begun, with its CLOCK_MONOTONIC time, for the trace: a ring the
    // runner drains at each sample. The worker alone writes. It counts an event as begun (eventsBegun, then a
    // release fence), stores it, then counts it written (eventsWritten, release); a reader that copied entries and
    // then (after an acquire fence) reads eventsBegun knows which of them may have been overwritten meanwhile. Events
    // older than the ring holds are lost to the reader, which counts them: never silently. No lock, no system call.
    struct Event {
        std::atomic<std::uint64_t> ns;
        std::atomic<std::uint64_t> what; // eventWhat()
    };
    static constexpr std::size_t EventCapacity = 1024;
    // EventLock: a producer's or consumer's channel lock (a ring's mutex) taken (step field 1) or released (0), for
    // the timeline's lock lane; the holds are too short for any sample to see. At most LocksPerWindow holds are
    // recorded per LockWindowNs, so that a fast ring cannot flood the events; the rest are counted in
    // holdsNotRecorded.
    enum EventKind : std::uint64_t { EventState = 1, EventStep = 2, EventLock = 3 };
    static constexpr std::uint64_t LockWindowNs = 10'000'000;
    static constexpr std::uint32_t LocksPerWindow = 32;
    static constexpr std::uint64_t eventWhat(EventKind kind, WorkerState state, std::uint32_t step)
    {
        return std::uint64_t(kind) | std::uint64_t(state) << 8 | std::uint64_t(step) << 16;
    }
    alignas(64) std::atomic<std::uint64_t> eventsBegun;
    std::atomic<std::uint64_t> eventsWritten;
    std::atomic<std::uint64_t> holdsNotRecorded; // lock holds over the budget above, with no EventLock
    Event events[EventCapacity];
    void recordEvent(std::uint64_t ns, std::uint64_t what)
    {
        const std::uint64_t n = eventsBegun.load(std::memory_order_relaxed);
        eventsBegun.store(n + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        Event& e = events[n % EventCapacity];
        e.ns.store(ns, std::memory_order_relaxed);
        e.what.store(what, std::memory_order_relaxed);
        eventsWritten.store(n + 1, std::memory_order_release);
    }
    // Written by the controller, read by the worker before each message.
    alignas(64) std::atomic<std::uint64_t> ctlRateMilli; // messages per 1000 s; 0 = as fast as possible
    std::atomic<std::uint32_t> ctlMessageSize; // bytes per frame
    std::atomic<std::uint32_t> ctlPaused;
    std::atomic<std::uint32_t> ctlStop;
    std::atomic<std::uint32_t> ctlWorkUs;
    // Step mode, for teaching: while ctlStepMode is set, the worker waits at a gate before each step (a producer's
    // put, a consumer's get, each step of a program) until ctlStepGrants is ahead of its stepsTaken, or until its
    // step rate lets it go (ctlStepRateMilli steps per 1000 s; 0 = granted steps only). After changing any of the
    // three the controller bumps ctlStepWake, a futex word the gate sleeps on, and wakes it: the gate reads the word
    // before the controls, so no wake-up is lost. Off, a gate costs one load.
    std::atomic<std::uint32_t> ctlStepMode;
    std::atomic<std::uint32_t> ctlStepGrants;
    std::atomic<std::uint64_t> ctlStepRateMilli;
    std::atomic<std::uint32_t> ctlStepWake;
    // A broadcast's producer (zmq-pub, zmq-pub-tcp): the subscribers, by their endpoint's index
    // (ChannelAddress::consumerIndex), that have ended, set by the controller once it has reaped them. A producer waits
    // for each subscriber's subscription before its first message; one that has ended no longer needs to subscribe.
    std::atomic<std::uint64_t> ctlConsumersEnded[2];
    static constexpr std::uint32_t MaxEndedConsumers = 128;
    bool consumerEnded(std::uint32_t index) const
    {
        return index < MaxEndedConsumers
            && (ctlConsumersEnded[index / 64].load(std::memory_order_acquire) >> (index % 64) & 1) != 0;
    }
    void markConsumerEnded(std::uint32_t index)
    {
        if (index < MaxEndedConsumers)
            ctlConsumersEnded[index / 64].fetch_or(std::uint64_t(1) << (index % 64), std::memory_order_release);
    }
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::int32_t>::is_always_lock_free);

// An event as the runner drained it from a slot (WorkerSlot::Event).
struct WorkerEvent {
    std::uint64_t ns = 0;
    std::uint64_t what = 0;
    WorkerSlot::EventKind kind() const { return WorkerSlot::EventKind(what & 0xff); }
    WorkerState state() const { return WorkerState((what >> 8) & 0xff); }
    std::uint32_t step() const { return std::uint32_t(what >> 16); }
};

// Appends the events written since `from` (how many were drained before) to `out`, adds those the ring no longer
// held (or that were overwritten while they were copied) to `lost`, and returns the new `from`.
std::uint64_t drainEvents(
    const WorkerSlot& slot, std::uint64_t from, std::vector<WorkerEvent>& out, std::uint64_t& lost);

// Single-writer counter bump: a relaxed load and store, not a locked read-modify-write.
inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1)
{
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

class TelemetryBoard {
public:
    static constexpr std::uint32_t Magic = 0x49504c42; // "IPLB"
    // 2: error fields; 3: program fields; 4: pool fields; 5: priorities; 6: step times, requests, bound objects;
    // 7: globals' copies; 8: wait sites; 9: hold sites and heldSinceNs; 10: events;
    // 11: step mode; 12: lock events; 13: a broadcast's ended subscribers; 14: sampled latency's weight and stamps
    static constexpr std::uint32_t Version = 14;
    static constexpr std::uint32_t MaxSlots = 4096; // a run may respawn workers many times (the soak does)

    // Creates the board (owned: unlinked on destruction). slots 1..MaxSlots.
    static Result<TelemetryBoard> create(const std::string& name, std::uint32_t slots);
    // Opens an existing board read-write (workers) and checks magic, version and size.
    static Result<TelemetryBoard> open(const std::string& name);

    std::uint32_t slotCount() const { return m_slots; }
    // index < slotCount(). A slot is zero until claimed; claim it (the runner does, before it starts a worker on it)
    // before anyone writes to it.
    WorkerSlot& slot(std::uint32_t index) const;
    // Constructs slot `index` afresh (all zero). A new board constructs none: its pages stay untouched, so a board of
    // MaxSlots costs memory only for the slots a run uses.
    WorkerSlot& claim(std::uint32_t index);
    const std::string& name() const { return m_shm.name(); }
    void release() { m_shm.release(); }

private:
    TelemetryBoard(SharedMemory shm, std::uint32_t slots)
        : m_shm(std::move(shm))
        , m_slots(slots)
    { }
    SharedMemory m_shm;
    std::uint32_t m_slots = 0; // copied at open: the shared header is not trusted after that
};

} // namespace ipccore

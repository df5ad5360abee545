#pragma once

// What went into an object and what came out, in the object's own terms: messages for queues and streams,
// writes and lost updates for a shared array, acquires and releases for a semaphore. The runner fills one per
// object while a run goes and a final one at stop; `exact` says the books balance.

#include "ipccore/program.h"
#include "ipccore/scenario.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ipccore {

// A pool's books, counted in tasks, kept on the object the tasks go into (see WorkerSlot's task counters).
// submitted = collected + orphaned + inTaskQueue + inResultQueue + heldAtStop + diedWithWorkers + dropped, where
//   orphaned      results of a caller that was killed or stopped, taken by the caller started in its place,
//   inTaskQueue   tasks put and not taken (what the messages left in the task queue carry),
//   inResultQueue results put and not collected,
//   heldAtStop    tasks stopped pool workers held (Python's terminate() drops them the same way),
//   diedWithWorkers tasks killed pool workers held: the call waiting for them never finishes (Python's Pool.map
//                 hangs for ever there; concurrent.futures raises BrokenProcessPool instead),
//   dropped       tasks a worker took and replaced with new ones before putting their result (a program bug).
struct PoolLedger {
    bool present = false; // some worker calls map or apply into this object
    std::uint64_t submitted = 0;
    std::uint64_t collected = 0; // distinct tasks whose result came back
    std::uint64_t taken = 0; // by the pool's workers
    std::uint64_t answered = 0; // results the pool's workers put
    std::uint64_t inTaskQueue = 0;
    std::uint64_t inResultQueue = 0;
    std::uint64_t heldAtStop = 0;
    std::uint64_t diedWithWorkers = 0;
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0; // results for a task that already had one
    std::uint64_t stray = 0; // results for no task of the caller's current call
    std::uint64_t orphaned = 0;
    std::uint64_t outOfOrder = 0; // results that came back before an earlier task's (informational)
    // At stop: every task accounted for once, no duplicate, stray or dropped task, and the messages left in each
    // queue can carry what the counts say is there (at least one task each, at most a chunk).
    bool exact = false;
};

// A server's books (Python's Manager), kept on the object its requests go into, counted in requests:
//   sent     = taken + inRequestQueue            (what the clients put, and what the server took or is still there)
//   taken    = answered + unanswered + diedWithServer
//   answered = returned + stale + inReplyQueues  (what the clients took back, and what waits in their reply queues)
// where unanswered are requests the server took and could not answer (no request, an unknown reply address, or
// stopped while the reply queue was full), diedWithServer the request a killed server held (Python's clients get
// EOFError or BrokenPipeError from their connection then; over a queue they wait for the reply that never comes),
// returned the round trips that completed and stale the replies to requests whose client had given up waiting.
// Every request got exactly one reply when the three balance and nothing was unanswered.
// One entry of a server's data: its value in the server now, what its clients' sets added to it (each set stores the
// value its get read plus N, so it adds N), and the difference. `d['count'] += 1` through a proxy is a get and a set,
// two requests: another client's set between them is overwritten, and lost = increments - value counts those (0 when
// the value is ahead: a set applied whose reply its stopped client never took).
// The list's length ("len(l)") grows by one per append, a single request, so nothing is lost there.
struct ServerKeyBook {
    std::string key; // "d[count]", "ns.x", "l"
    std::int64_t value = 0;
    std::int64_t increments = 0;
    std::int64_t lost = 0;
    // Some set on it adds a negative number: a lost one leaves the value above the increments, so a value above
    // them no longer tells a set applied whose reply was not taken.
    bool negativeAdds = false;
};

struct RequestLedger {
    bool present = false; // some worker serves this object
    std::uint64_t sent = 0;
    std::uint64_t taken = 0;
    std::uint64_t answered = 0;
    std::uint64_t unanswered = 0;
    std::uint64_t returned = 0;
    std::uint64_t stale = 0;
    std::uint64_t inRequestQueue = 0;
    std::uint64_t inReplyQueues = 0;
    std::uint64_t diedWithServer = 0;
    // Killed members that were moving a request or reply when they died: each may make one equation off by one.
    std::uint64_t inDoubt = 0;
    bool exact = false; // judged at stop only
    std::vector<ServerKeyBook> keys; // the server's data that its clients' sets and appends changed
};

// One worker's request counters as the slot published them (see WorkerSlot): a client's requests out, replies in
// and stale replies; a server's requests in, replies out, unanswered requests and the request in its hand.
struct RequestCounts {
    std::uint64_t requestsOut = 0, repliesIn = 0, stale = 0;
    std::uint64_t requestsIn = 0, repliesOut = 0, unanswered = 0;
    std::uint32_t inHand = 0;
};

struct RequestMember {
    RequestCounts counts;
    bool server = false;
    bool killed = false;
    bool inDoubtAtDeath = false; // killed inside a put or get: a message may have moved without being counted
    bool ended = false; // ended before the stop (killed, terminated, its count done, or an error)
};

// A server's data as its slot shows it: a key and its value now.
struct ServerEntry {
    std::string key;
    std::int64_t value = 0;
};

// The books from the members' counts and what the request queue and the reply queues held (at stop, final: the
// runner's count; while running, their depth). `repliesOnConnections`: a zmq object (DEALER/ROUTER), whose replies
// go back on each client's connection; a client that ends with its request out (killed, or terminated) closes it,
// and ZeroMQ refuses the reply (the server counts that request unanswered), so each client that ended before the
// stop may leave one unanswered request.
RequestLedger requestLedger(std::span<const RequestMember> members, std::uint64_t inRequestQueue,
    std::uint64_t inReplyQueues, bool final, bool repliesOnConnections = false);

// A message queue's traffic at one mq priority: sent by the producers that use it, taken by the consumers, and how
// long those waited in the queue on average (the consumer counts per priority; WorkerSlot::priorityCount).
struct PriorityShare {
    std::uint32_t priority = 0;
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    double meanLatencyUs = 0;
};

struct Ledger {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t left = 0; // still in the object at stop
    std::uint64_t lost = 0; // queues: sent - received - left when positive; shm-value: overwritten values
    std::uint64_t duplicated = 0;
    std::uint64_t corrupt = 0;
    std::uint64_t outOfOrder = 0; // informational (several consumers, priorities)
    // Messages that died with killed workers: a consumer killed with a message in hand (at most one per kill).
    std::uint64_t lostWithDeadWorkers = 0;
    // Messages a producer sent but was killed before counting (at most one per kill); included in `sent`.
    std::uint64_t sentByDeadUncounted = 0;
    // Errors the workers on the object went on after (a socket consumer's accept4 failing with EMFILE). The counts
    // can balance while such a worker did only part of its work, so any error makes the ledger not exact.
    std::uint64_t workerErrors = 0;
    // Programs' objects (see programObjectLedger). shm-array: the writes done, what they added up to (each write's
    // +N), the sum of the cells, and the difference: updates lost because read-modify-writes overlapped.
    // Semaphores: acquires, releases, acquires that timed out or found no permit, the value now, and the permits
    // killed workers took with them (a POSIX semaphore has no undo).
    std::uint64_t writes = 0;
    std::int64_t increments = 0;
    std::int64_t cellSum = 0;
    std::int64_t largestCell = 0; // a global: the most any one process's copy holds (no process holds cellSum)
    std::int64_t lostUpdates = 0;
    std::uint64_t acquires = 0;
    std::uint64_t releases = 0;
    std::uint64_t timeouts = 0;
    std::int64_t permits = -1; // the semaphore's value now (at stop, final); -1 where there is none
    std::uint64_t permitsHeldByDead = 0;
    // Queues: sent == received + left + lostWithDeadWorkers, with lostWithDeadWorkers within what the killed
    // consumers can have held, nothing duplicated or corrupt, and no worker error.
    bool exact = false;
    PoolLedger pool; // the object a pool's tasks go into
    RequestLedger requests; // the object a server's requests go into
    // mq: per priority, highest first; `receivedOtherPriorities` counts what consumers took at priorities beyond the
    // first four each of them saw.
    std::vector<PriorityShare> priorities;
    std::uint64_t receivedOtherPriorities = 0;
    // An object between machines (zmq-tcp, its producers here and its consumers on worker hosts): each machine's
    // runner counts its half, unjudged (halfLedger), with the most its killed workers can have held or sent
    // uncounted (MessageParty's mayHaveTakenUncounted and mayHaveSentUncounted, added up); the controller joins the
    // halves into the object's books (joinHalves).
    bool half = false;
    std::uint64_t mostDiedWithKilled = 0;
    std::uint64_t mostSentUncountedByKilled = 0;
    // Sent but neither received nor accounted for yet. Live counters are read a moment apart, so a consumer can be
    // seen counting a message before its producer has: never shown below zero.
    std::int64_t inFlight() const
    {
        return std::max<std::int64_t>(
            0, std::int64_t(sent) - std::int64_t(received) - std::int64_t(lost) - std::int64_t(lostWithDeadWorkers));
    }
};

// Adds an object's books to a run's totals (what Snapshot::ledger and Report::integrity add up); `exact` is left
// alone. A global's copies are in no one place, so its writes and sums add to no total of what shared memory holds.
void addToTotal(Ledger& total, const Ledger& object, TransportKind transport);

// One program worker as its object's ledger needs it: its steps, what its slot counted per step, and, if it was
// killed, the step it died on and whether that step was in doubt (a write or an acquire that may have happened
// without being counted).
struct ProgramCounts {
    const ProgramSteps* program = nullptr;
    std::vector<std::uint64_t> done; // per step
    std::vector<std::uint64_t> missed; // per step
    bool killed = false;
    std::uint32_t stepAtDeath = 0;
    bool inDoubtAtDeath = false;
    std::uint64_t errors = 0;
};

// One worker that puts messages into an object or takes them out (a producer, a consumer, or a program's puts and
// gets on it), with what it counted and, if it was killed, what it may have had in hand without counting it.
struct MessageParty {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t duplicated = 0, corrupt = 0, outOfOrder = 0, gaps = 0, errors = 0;
    bool producer = false; // it sends into the object (shm-value's gap check needs to know there is one)
    bool killed = false;
    std::uint64_t mayHaveSentUncounted = 0; // killed inside a send: the message may be in the object
    // Killed with messages taken out and not counted yet; on ZeroMQ, killed with messages in its own queues and
    // connections (a producer's counted as sent): the most that can have died with it.
    std::uint64_t mayHaveTakenUncounted = 0;
    // A FIFO reader killed inside a frame leaves the rest of it in the pipe; the next reader skips those bytes and
    // reports one damaged frame, which is this reader's frame, not damage.
    bool diedMidFrame = false;
};

// The books of an object that carries messages, from its parties' counts and what the object still held (`left`:
// at stop counted by the runner; while running the sampled depth). Queues and streams balance when
// sent == received + left + died with killed workers, within what the killed ones can have held; a shm-value,
// whose readers only look, counts what nobody read as overwritten (lost). Only judged when final.
Ledger messageLedger(
    const TransportTraits& transport, std::span<const MessageParty> parties, std::uint64_t left, bool final);
// One machine's half of an object between machines: its parties' counts added up, nothing judged.
Ledger halfLedger(std::span<const MessageParty> parties, std::uint64_t left);
// The books of an object between machines from its halves (the producers' machine's, and each of its consumers'
// hosts'), judged once, as messageLedger judges one machine's.
Ledger joinHalves(const TransportTraits& transport, std::span<const Ledger> halves, bool final);

// One worker's task counters as the slot published them (see WorkerSlot).
struct TaskCounts {
    std::uint64_t out = 0, in = 0, duplicated = 0, stray = 0, orphaned = 0, dropped = 0, outOfOrder = 0;
    std::uint64_t framesOut = 0, framesIn = 0;
    std::uint32_t inHand = 0;
};

// A member of a pool: the caller of map/apply (caller) or one of the workers that get its tasks.
struct PoolMember {
    TaskCounts tasks;
    bool caller = false;
    bool killed = false;
    bool inDoubtAtDeath = false; // killed inside a put or get: a message may have moved without being counted
};

// A program's part in a pool, judged from its steps alone. Its counters cannot tell: a caller that has not put a
// task yet (or was stopped before it did) has counted nothing, and a pool's workers put messages too.
struct PoolPart {
    bool caller = false; // it calls map or apply; otherwise it is one of the workers that get the pool's tasks
    std::string taskObject; // the object the pool's tasks go into, which names the pool
};

// Whether a program calls map or apply: the caller of a pool.
bool callsPool(const ProgramSteps& program);

// Each program's part in a pool, in the order given: the caller of map or apply (its first call names the pool), a
// program that gets from an object some program here maps or applies into (a pool worker), or nullopt for one with
// no part in a pool (a producer's or consumer's empty program among them has none).
std::vector<std::optional<PoolPart>> poolParts(std::span<const ProgramSteps> programs);

// The pool's books from its members' counts and, at stop (final), the task and result messages left in the two
// queues. largestChunk: the most tasks one message carries.
PoolLedger poolLedger(std::span<const PoolMember> members, std::uint64_t taskFramesLeft, std::uint64_t resultFramesLeft,
    std::uint32_t largestChunk, bool final);

// The ledger of a shm-array or semaphore object, from the program workers' counts and the object as read now
// (`cells` for an array, `semaphoreValue` for a semaphore). With final set (every worker has exited) the books
// are judged: for an array, the cells may add up to less than the increments (lost updates), never to more than
// what in-doubt writes of killed workers explain; for a semaphore, its value must equal the initial permits minus
// what is still held, where only killed workers can still hold anything.
Ledger programObjectLedger(const ObjectSpec& object, std::span<const ProgramCounts> workers,
    std::span<const std::int64_t> cells, std::int64_t semaphoreValue, bool final);

// The books of each entry the clients' programs change (ProgramCounts: each client's program and per step done),
// against the server's entries; a key the server has not published (it shows at most 8) is left out.
std::vector<ServerKeyBook> serverKeyBooks(std::span<const ServerEntry> entries, std::span<const ProgramCounts> clients);

} // namespace ipccore

#pragma once

// A channel is one IPC object of a scenario seen through a single interface, whatever the transport:
//   ChannelObject     the runner's side: creates the OS objects (and owns/unlinks them), and reports depth and
//                     semaphore values without taking part in the traffic.
//   ProducerEndpoint  a worker's sending side.     ConsumerEndpoint  a worker's receiving side.
// Endpoints move whole frames (see framing.h). They wait in slices of at most 100 ms, telling WaitHooks what they
// wait for and asking it whether to stop, so a worker can always be stopped between messages.

#include "ipccore/clock.h"
#include "ipccore/result.h"
#include "ipccore/scenario.h"
#include "ipccore/semaphore_value.h"
#include "ipccore/telemetry.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ipccore {

struct ChannelAddress {
    TransportKind transport = TransportKind::Mq;
    std::string name; // OS name ("/ipclab-...-buffer") for mq and shm; filesystem path for fifo and socket
    std::uint32_t capacity = 8; // messages (mq, shm-ring)
    std::uint32_t messageSize = 64; // largest frame
    int listenFd = -1; // socket consumers: the runner's listening descriptor, inherited
    // zmq-tcp between machines (its consumers on worker hosts, its producers on the controller's machine). On a
    // consumers' machine: the address they listen on, the host's own (empty: 127.0.0.1 only). On the producers'
    // machine: `consumerElsewhere`, so the runner makes no keys; it writes the consumers' endpoints and public keys
    // when their hosts have told them (ChannelObject::publishReach), and `consumers` counts those on all hosts.
    std::string bindAddress {};
    bool consumerElsewhere = false;
    // zmq, zmq-tcp: how many consumers the object has, each binding an endpoint of its own that every producer
    // connects to (zmqEndpointPath), and which of them this is (a consumer's own address).
    std::uint32_t consumers = 1;
    std::uint32_t consumerIndex = 0;
    // zmq: programs' requests and their replies go through it (openZmqRequests), not producers' messages.
    bool requests = false;
};

// Every OS name a channel uses, in creation order (recorded in the run manifest before creation).
// Kinds: "mq", "shm", "sem", "path".
struct OsName {
    std::string kind;
    std::string name;
};
std::vector<OsName> channelOsNames(const ChannelAddress& address);
// Removes one recorded OS name; NotFound when it is already gone.
Status removeOsName(const OsName& name);

class WaitHooks {
public:
    virtual ~WaitHooks() = default;
    // Called before waiting: BlockedFull, BlockedEmpty or WaitingLock.
    virtual void enter(WorkerState state) = 0;
    virtual bool stopRequested() = 0;
    // How long the next wait may last, at most `longest`: a program step with a timeout shortens it to what is
    // left, so a 20 ms timeout is not stretched to a whole slice.
    virtual Duration slice(Duration longest) { return longest; }
    // Which RingPhase tokens are held now, and the index read inside the lock (shm-ring, shm-value writers).
    virtual void setPhase(std::uint32_t /*phase*/) { }
    virtual void setPhaseIndex(std::uint64_t /*index*/) { }
    // Called while holding the ring's lock; fault injection (a worker that dies holding the lock) hooks in here.
    virtual void insideLock() { }
    // Called the instant the lock is taken, before setPhase says so. A worker killed here holds the lock while its
    // phase does not show it; the runner must free that lock all the same. Fault injection for that case hooks in.
    virtual void lockTaken() { }
    // Called just before the lock taken above is released (its hold is drawn on the timeline from the two): after
    // the release, the next holder may take the lock and note the time before this process notes its own.
    virtual void lockReleased() { }
    // FIFO consumers read ahead: one read() takes every frame the pipe holds into the process's own buffer, and
    // those frames die with the process. Called with an upper bound just before such a read and with the exact
    // number of frames (whole or begun) after it, and whenever a frame leaves the buffer.
    virtual void setReadAhead(std::uint32_t /*frames*/) { }
    // How many more frames the caller will take (0: no limit). A reader that reads ahead takes no more than that
    // out of the object, so a consumer told to move N messages leaves the rest where the next reader finds them.
    virtual std::uint64_t framesWanted() { return 0; }
    // An operation failed and the endpoint went on without it (a socket consumer's accept4 with EMFILE: it keeps
    // the connections it has and tries again after a growing pause). Called once per failure, which the endpoint
    // keeps rare by backing off, so the worker may publish each one.
    virtual void recoverableError(WorkerErrorOp /*op*/, int /*sysErrno*/) { }
    // A socket consumer accepted a connection or lost one: how many it holds now.
    virtual void connectionsHeld(std::uint32_t /*count*/) { }
    // The wait now ending ends in vain: its time ran out (a timed acquire, put or get). Called before the state
    // leaves the wait, so the wait is counted apart from those that got what they waited for.
    virtual void gaveUp() { }
    // A broadcast's producer (zmq-pub, zmq-pub-tcp) waiting for subscriptions: whether subscriber `index` (its
    // endpoint's, ChannelAddress::consumerIndex) has ended, so that its subscription will never come.
    virtual bool consumerEnded(std::uint32_t /*index*/) { return false; }
};

class ProducerEndpoint {
public:
    virtual ~ProducerEndpoint() = default;
    // Sends one frame (priority: mq only). Interrupted when a stop was requested before the frame moved.
    virtual Status send(std::span<const std::byte> frame, unsigned priority, WaitHooks& hooks) = 0;

    // Zero-copy sending, where the object has slots in shared memory (shm-spsc, whose single producer owns the free
    // slots; shm-ring, whose producer holds the lock from loan to commit, so nothing between the two may wait):
    // loan waits for a free slot as send does and returns its first `size` bytes, to build the frame in place;
    // commit publishes it. Between the two the frame is not out yet (a stop or a kill loses nothing). Endpoints
    // that cannot lend return false from lends() and are used through send.
    virtual bool lends() const { return false; }
    virtual Result<std::span<std::byte>> loan(std::size_t /*size*/, WaitHooks& /*hooks*/)
    {
        return std::span<std::byte>();
    }
    virtual void commit() { }
};

class ConsumerEndpoint {
public:
    virtual ~ConsumerEndpoint() = default;
    // Receives one frame into buffer (>= the channel's messageSize) and returns its size. Interrupted when a stop
    // was requested while waiting; Corrupt when a frame's length is impossible (the stream cannot continue).
    virtual Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) = 0;
    // Receives a frame only if one is available now; 0 means none. hooks hears only of recoverable errors.
    virtual Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks& hooks) = 0;
    // Zero-copy receiving (shm-spsc; shm-ring, with its lock held until release): peek waits for the next frame as
    // receive does and returns it where it lies; it stays in the object, and its slot stays taken, until release(),
    // which must come before the next peek (a second peek on shm-ring would wait for its own lock). The producer may be
    // hostile: read the header once into a copy (checkFrame does) and trust only the copy. Errors as
    // receive's (a slot with an impossible length is given back before the error returns). Endpoints that cannot lend
    // return false from lends() and are used through receive.
    virtual bool lends() const { return false; }
    virtual Result<std::span<const std::byte>> peek(WaitHooks& /*hooks*/) { return std::span<const std::byte>(); }
    virtual void release() { }
    // The priority the last frame was sent with (mq); 0 where there are no priorities.
    virtual unsigned lastPriority() const { return 0; }
    // Bytes waiting for this consumer in the kernel where only it can see them (a socket's connections, FIONREAD);
    // -1 where the object itself can say (a FIFO) or there are no bytes to count.
    virtual std::int64_t kernelBytes() const { return -1; }
    // At a stop: the next frame this process has already taken out of the object without returning it yet (a FIFO
    // consumer's read-ahead; a frame begun is completed from the pipe). 0 when there is none.
    virtual Result<std::size_t> takeReadAhead(std::span<std::byte> /*buffer*/, WaitHooks& /*hooks*/)
    {
        return std::size_t(0);
    }
};

Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& address, WaitHooks& hooks);
Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& address);
// Requests and replies over a zmq or zmq-tcp object (programs' request and serve steps, ZeroMQ's DEALER/ROUTER;
// requestsOverConnections): one socket that sends and receives, seen as a producer and a consumer endpoint that
// share it. The server (`server`) binds a ROUTER where a consumer would bind (over tcp:// as the CURVE server, its
// port published as a consumer's is) and replies to whoever sent the request it received last; each client connects
// a DEALER (over tcp:// once the port is published) and gets its replies back on its own connection. A reply whose
// client has gone fails with PeerGone.
struct DuplexEndpoints {
    std::unique_ptr<ProducerEndpoint> sending;
    std::unique_ptr<ConsumerEndpoint> receiving;
};
Result<DuplexEndpoints> openZmqRequests(const ChannelAddress& address, bool server);
// Size of a FIFO or socket consumer's own read-ahead buffer (a killed consumer takes at most this much along).
std::size_t streamReadAheadBytes(std::size_t messageSize);
// ZeroMQ objects (TransportTraits::depthFromCounters): the most messages a killed worker of `role` can take with it,
// counted in the smallest frames. A producer: for each of the object's consumers, its queue toward it (the
// high-water mark), the batch its I/O thread is writing, and that connection's kernel buffers. A consumer: its own
// queue and batch, and for each of `producers` their queue toward it (ZMQ_IMMEDIATE drops it), batch and
// connection, all of which die with it.
std::uint64_t zmqMostLostWithKilled(const ChannelAddress& address, Role role, std::uint64_t producers);

class ChannelObject {
public:
    // Creates every OS object of the channel (O_EXCL, 0600). On error, whatever was made is removed again.
    static Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& address);
    virtual ~ChannelObject() = default; // unlinks everything it created

    const ChannelAddress& address() const { return m_address; }
    // Messages in the object now, or -1 when it cannot be seen without reading (sockets).
    virtual std::int64_t depth() = 0;
    virtual std::vector<SemaphoreValue> semaphores() { return {}; }
    // FIFOs: bytes waiting in the pipe and the pipe's size; -1 and 0 elsewhere.
    virtual std::int64_t bytesQueued() const { return -1; }
    virtual std::int64_t byteCapacity() const { return 0; }
    // After every worker has exited: takes out whatever frames are still inside and counts them. Only channels
    // whose contents die with their last descriptor (fifo, socket) need this; others report depth().
    virtual std::uint64_t drainLeftovers() { return 0; }
    // Listening descriptor to hand to socket consumers; -1 otherwise.
    virtual int listenFd() const { return -1; }
    // Anonymous transports (pipe, socketpair): the descriptor a worker inherits, by its role on a pipe (the write end
    // for a producer, the read end for a consumer) or by `end` (0 or 1) on a socketpair; -1 for named objects.
    virtual int endFd(Role /*role*/, int /*end*/) const { return -1; }
    // shm-array: the value of every cell now (read without the lock, as a reader in Python would); empty elsewhere.
    virtual std::vector<std::int64_t> cells() { return {}; }
    // What a worker blocked on this object (scenario name `name`) waits for, in the object's own terms, e.g.
    // "buffer: no empty slot (sem_wait on /ipclab-...-buffer.empty)". Empty when `state` is no wait.
    virtual std::string waitingOn(const std::string& name, WorkerState state) const
    {
        const char* kind = transportName(m_address.transport);
        if (state == WorkerState::BlockedFull)
            return name + ": full (" + kind + ")";
        if (state == WorkerState::BlockedEmpty)
            return name + ": empty (" + kind + ")";
        if (state == WorkerState::WaitingLock)
            return name + ": waiting for its lock (" + kind + ")";
        return {};
    }
    // A worker of `role` killed with `phase` (RingPhase bits at death) may hold the lock although its phase does
    // not say so: it died in the instant after taking the lock and before publishing it.
    virtual bool mayHaveJustTakenLock(Role /*role*/, std::uint32_t /*phase*/) const { return false; }

    // zmq-tcp between machines (ChannelAddress::bindAddress). On the consumers' machine, reach() is where its
    // consumers listen, as they published it: one entry per consumer in consumerIndex order, "tcp://ADDRESS:PORT",
    // or empty while that one has not bound; and the CURVE public key producers need (the consumers on one machine
    // share one key pair). Nothing until the first has bound. On the producers' machine, publishReach writes them
    // where the producers look for them: each endpoint not written before, its key just before it (each host sends
    // its own consumers' endpoints, at their places among all the object's consumers, the others empty).
    struct Reach {
        std::vector<std::string> endpoints;
        std::string publicKey;
        bool complete() const
        {
            return !endpoints.empty()
                && std::none_of(endpoints.begin(), endpoints.end(), [](const std::string& e) { return e.empty(); });
        }
    };
    virtual Reach reach() { return {}; }
    virtual Status publishReach(const Reach& /*reach*/)
    {
        return Error { ErrorCode::InvalidArgument, 0, "publish endpoint", m_address.name,
            "Only a zmq-tcp object between machines has an endpoint to publish" };
    }

    // Recovery after a worker died holding something (shm-ring, shm-value). The runner calls these only when the
    // object's `repair` is on, and only after it has checked that no live worker holds the lock.
    struct DeadHolder {
        Role role = Role::Producer;
        std::uint32_t phase = 0; // RingPhase bits at death
        std::uint64_t phaseIndex = 0;
    };
    // 1 when the lock is free, 0 when taken, -1 when the object has no lock.
    virtual int lockValue() { return -1; }
    // A number that changes whenever anyone gets through the lock (ring: head + tail; value: the sequence). While
    // a lock is really held by a dead process, it cannot change.
    virtual std::uint64_t lockProgress() { return 0; }
    // Frees a lock whose holder is dead. Returns what was done, for the event log.
    virtual std::string releaseDeadLock() { return {}; }
    // Gives back the slot token a dead worker held, judging from its phase and the ring's indices.
    virtual std::string returnTokens(const DeadHolder&) { return {}; }
    // Brings the counting semaphores back within what the ring's indices allow (after a repair).
    virtual std::string checkAgainstRing() { return {}; }

protected:
    explicit ChannelObject(ChannelAddress address)
        : m_address(std::move(address))
    { }
    ChannelAddress m_address;
};

// The objects programs use directly (shm-array, semaphore), as a worker's program step sees them. The waits are
// cut into slices like the endpoints' waits, so a stop is seen within 100 ms.
class ProgramTarget {
public:
    virtual ~ProgramTarget() = default;
    // Takes the array's lock or one permit of the semaphore. No timeout: waits until it gets it (or a stop, then
    // Interrupted). A timeout of 0 tries once; otherwise waits at most that long on CLOCK_MONOTONIC. Returns false
    // when it did not get it in time.
    virtual Result<bool> acquire(std::optional<Duration> timeout, WaitHooks& hooks) = 0;
    virtual Status release() = 0;
    // True when acquire takes a lock that guards data (a shared array's), which the worker announces in its slot
    // (RingPhase::HasLock) so the runner can give it back if the worker dies holding it.
    virtual bool isLock() const { return false; }
    // shm-array and global only (validation keeps other objects from these steps). cell < the object's cells.
    virtual std::int64_t read(std::uint32_t /*cell*/) { return 0; }
    virtual void write(std::uint32_t /*cell*/, std::int64_t /*value*/) { }
};
Result<std::unique_ptr<ProgramTarget>> openProgramTarget(const ChannelAddress& address);

// Layout of the shm-ring and shm-value objects, shared by the endpoints, the runner and the fault tests.
namespace shmlayout {
constexpr std::uint32_t RingMagic = 0x49504c52; // "IPLR"
constexpr std::uint32_t ValueMagic = 0x49504c56; // "IPLV"
constexpr std::uint32_t LayoutVersion = 1;

struct RingHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t capacity;
    std::uint32_t slotStride;
    alignas(64) std::atomic<std::uint64_t> head; // slots written so far (producers, under the mutex)
    alignas(64) std::atomic<std::uint64_t> tail; // slots read so far (consumers, under the mutex)
};
constexpr std::size_t RingHeaderBytes = 192;
static_assert(sizeof(RingHeader) <= RingHeaderBytes);
std::uint32_t ringSlotStride(std::uint32_t messageSize);
std::size_t ringBytes(std::uint32_t capacity, std::uint32_t messageSize);

struct ValueHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t slotSize;
    std::uint32_t reserved;
    alignas(64) std::atomic<std::uint64_t> sequence; // seqlock: odd while a writer is inside
    std::atomic<std::uint32_t> length;
};
constexpr std::size_t ValueHeaderBytes = 128;
static_assert(sizeof(ValueHeader) <= ValueHeaderBytes);
std::size_t valueBytes(std::uint32_t messageSize);

// shm-array: the header, then one 64-bit integer per cell, each loaded and stored as a whole (an atomic without
// read-modify-write, so an unlocked `x = a[0]; a[0] = x + 1` loses updates exactly as Python's does). The lock is
// the named semaphore "<name>.lock".
constexpr std::uint32_t ArrayMagic = 0x49504c41; // "IPLA"
struct ArrayHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t cells;
    std::uint32_t reserved;
    // Bumped by every holder of the lock just before it releases it, so the runner can tell a busy lock from one
    // stuck with a dead holder (ChannelObject::lockProgress).
    std::atomic<std::uint64_t> lockPasses;
};
constexpr std::size_t ArrayHeaderBytes = 64;
std::size_t arrayBytes(std::uint32_t cells);

constexpr std::uint32_t SpscMagic = 0x49504c53; // "IPLS"

// Each index has its own cache line so producer and consumer do not invalidate each other's lines on every
// message; the sleep flags are futex words, touched only when a side is about to sleep.
struct SpscHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t capacity;
    std::uint32_t slotStride;
    alignas(64) std::atomic<std::uint64_t> head; // written by the producer only
    alignas(64) std::atomic<std::uint64_t> tail; // written by the consumer only
    alignas(64) std::atomic<std::uint32_t> consumerSleeping;
    alignas(64) std::atomic<std::uint32_t> producerSleeping;
};
constexpr std::size_t SpscHeaderBytes = 320;
static_assert(sizeof(SpscHeader) <= SpscHeaderBytes);
std::size_t spscBytes(std::uint32_t capacity, std::uint32_t messageSize);
} // namespace shmlayout

} // namespace ipccore

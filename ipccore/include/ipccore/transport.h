#pragma once

// What IPC Lab knows about each transport, in one row per TransportKind. The runner, the worker loop, scenario
// validation, the reports and the UI ask the row instead of listing transports, so adding a transport means its
// family (a file of its own, see src/channel_family.h), its row here and its tests. tst_transport_table checks every
// row against the real transport.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ipccore {

enum class TransportKind : std::uint32_t {
    Mq = 0, // POSIX message queue
    Fifo, // named pipe
    Socket, // Unix domain stream socket
    ShmRing, // bounded buffer in shared memory guarded by three named semaphores (empty, full, mutex)
    ShmValue, // one shared slot that each write overwrites (multiprocessing.Value)
    ShmSpsc, // lock-free single-producer single-consumer ring in shared memory; sleeps on a futex only when idle
    Pipe, // an anonymous pipe (os.pipe, multiprocessing.Pipe(duplex=False)): a read end and a write end, inherited
    SocketPair, // a connected pair of Unix sockets (multiprocessing.Pipe()): each of two processes holds one end
    // Objects that programs use directly (see program.h); they carry no messages, so producers and consumers
    // cannot use them.
    ShmArray, // integers in shared memory with a lock beside them (multiprocessing.Array / Value)
    Semaphore, // a named counting semaphore on its own (posix_ipc.Semaphore)
    // A CSP channel (PyCSP's One2One / Any2One): unbuffered, so a sender waits until a receiver has taken its
    // message. A one-slot shm-ring whose sender then waits on the semaphore "taken".
    Rendezvous,
    // A module-level global variable (`counter = 0` in Python): each process has its own copy in its own memory,
    // so what one process writes the others never see. No OS object: it is there to be set beside a shared one.
    Global,
    // ZeroMQ (libzmq) PUSH/PULL over ipc://: the consumer binds a PULL socket at a path in the run's folder and the
    // producers connect PUSH sockets to it. Messages wait in each side's ZeroMQ queue (up to its high-water mark)
    // and in the kernel's socket buffers between them, where nobody outside the two processes can count them.
    Zmq,
    // The same over tcp:// on the loopback interface (127.0.0.1, never all interfaces), as between two hosts: the
    // consumer binds a port the kernel picks and publishes it in the run's folder, and both sides use CURVE
    // (encryption and authentication) with a key pair made for this run, so no other local user can take part.
    ZmqTcp,
    // ZeroMQ PUB/SUB over ipc://, the broadcast pattern (pyzmq's zmq.PUB and zmq.SUB): every consumer (subscriber)
    // gets a copy of every message. Each subscriber binds a SUB socket at a path of its own and subscribes to
    // everything; every producer connects an XPUB socket to them all, waits until each still running has
    // subscribed, and never drops (ZMQ_XPUB_NODROP: a subscriber at its high-water mark holds the producer back, as
    // a full queue does).
    ZmqPub,
    // The same broadcast over tcp:// on the loopback interface with CURVE, as zmq-tcp is to zmq: each subscriber
    // binds a port the kernel picks, publishes it in the run's folder and is a CURVE server with the object's key.
    ZmqPubTcp,
};

// What ObjectSpec::capacity means for a transport.
enum class CapacityUnit : std::uint8_t {
    Messages, // whole messages (mq depth, ring slots): a producer blocks when that many are inside
    KernelBytes, // ignored: the kernel buffers a byte stream (pipe or socket buffer) of its own size
    OneValue, // ignored: a single slot that each write replaces, so a writer never blocks for room
    Cells, // integers in a shared array (1 for a Value)
    Permits, // the semaphore's initial value: how many processes may hold it at once
    None, // must be 0: nothing waits in the channel, a sender waits for its receiver instead
};

struct TransportTraits {
    TransportKind kind;
    const char* name; // as written in scenario JSON and on the command line
    const char* description; // a few words for a person, e.g. "POSIX message queue"
    CapacityUnit capacity;
    // Producers and consumers move framed messages through it. Otherwise only programs use it, with their own
    // steps (read/write a cell, acquire/release), and message_size means nothing.
    bool carriesMessages;
    // A byte stream: frames are found again by their headers, a damaged frame cannot be skipped over, and the
    // object's depth in messages cannot be seen without reading it.
    bool stream;
    // Reading takes a message out. Otherwise readers only look (shm-value): what got through is what producers
    // wrote, and what nobody read was overwritten, not left.
    bool consumingReads;
    // The most workers of each role one object takes; 0 means no limit of the transport's own.
    std::uint32_t maxProducers;
    std::uint32_t maxConsumers;
    // Why a role is limited (maxProducers or maxConsumers is not 0): a clause that ends a refusal.
    const char* workerLimitWhy;
    // Several producers are allowed only with messages of at most PIPE_BUF bytes, which the kernel writes whole.
    bool severalProducersNeedAtomicWrites;
    // Which roles take a named lock (and may die holding it, so crash_in_lock_after applies and repair can act).
    bool producersLock;
    bool consumersLock;
    bool priorities; // messages carry a priority (mq_send's msg_prio)
    // Contents die with the last descriptor, so at stop the runner drains what is left and counts it; the other
    // transports keep their contents and report them as depth.
    bool drainedAtStop;
    // Lives in the file system at "<run folder>/<object><pathSuffix>"; nullptr for an OS name ("/ipclab-...").
    const char* pathSuffix;
    // Anonymous: no name anywhere, only two descriptors the runner makes and hands to the workers it starts
    // (ChannelObject::endName); a program's puts and gets use the end it was given. Duplex: both ends send and
    // receive, so a program may put and get on it.
    bool anonymous;
    bool duplex;
    // Each producer gets a connection of its own, which a consumer accepts and then alone holds: what sits in the
    // connections of a consumer that dies (in the kernel and in its read-ahead) dies with it, and nobody else can
    // read the rest of a frame it was in. Otherwise every reader shares the object's contents.
    bool consumersOwnConnections;
    // CSP's poison: a producer that has sent its count sends poison after its last message, and a reader that takes
    // it stops reading (a program passes it on into the channels it puts into, then ends), so a pipeline ends
    // cleanly from its first process to its last.
    bool poison;
    // Not shared at all: each process that uses it has its own copy (a global variable), which it publishes in its
    // telemetry slot so the run can show every copy side by side.
    bool perProcess;
    // The object cannot say how many messages it holds (ZeroMQ keeps them inside the processes): its depth is what
    // its producers counted as sent less what its consumers counted as received.
    bool depthFromCounters;
    // Every consumer receives every message (a copy each), rather than each message going to one consumer: the
    // ledger counts in copies, what producers sent times the consumers it was sent to.
    bool broadcast;
    // ZeroMQ over tcp:// with CURVE: each consumer binds a port the kernel picks and publishes it in the run's
    // folder, with a key pair made for the object. Only such an object can reach another machine (zmq-tcp so far).
    bool tcp;
};

// Every row, in TransportKind order.
std::span<const TransportTraits> transportTable();
// The transports that carry messages and whose reads consume, in table order: those with a throughput to race and
// a queue to watch.
std::vector<TransportKind> queueingTransports();
// The row of a transport (kind must be a TransportKind value).
const TransportTraits& traits(TransportKind kind);

const char* transportName(TransportKind kind); // traits(kind).name
std::optional<TransportKind> parseTransport(std::string_view text);
// True when consumers take messages out (every message transport but shm-value, whose readers only look).
bool transportConsumes(TransportKind kind);
// ZeroMQ: each consumer binds an endpoint of its own, which every producer connects to, so an object's consumers
// are the ones its run starts with; one that ends leaves its endpoint to a consumer added in its place (not for a
// broadcast: a subscriber that joins late would miss what was sent before, so one is added during a run only to an
// object that has none yet, whose producers are still waiting for it; Runner::addWorker).
inline bool consumersFixedAtStart(TransportKind kind)
{
    return kind == TransportKind::Zmq || kind == TransportKind::ZmqTcp || kind == TransportKind::ZmqPub
        || kind == TransportKind::ZmqPubTcp;
}
// The ZeroMQ objects a Manager's requests may go through (DEALER/ROUTER, openZmqRequests), each reply coming back on
// its request's own connection: zmq over ipc://, and zmq-tcp over tcp:// with CURVE, as a Python Manager listens
// on a TCP address when given one. Not a broadcast.
inline bool requestsOverConnections(TransportKind kind)
{
    return kind == TransportKind::Zmq || kind == TransportKind::ZmqTcp;
}
inline bool hasLock(const TransportTraits& t)
{
    return t.producersLock || t.consumersLock;
}
// ObjectSpec::capacity counts messages for this transport.
inline bool capacityInMessages(TransportKind kind)
{
    return traits(kind).capacity == CapacityUnit::Messages;
}

} // namespace ipccore

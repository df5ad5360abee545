#include "ipccore/transport.h"

#include <array>

namespace ipccore {

namespace {

using enum CapacityUnit;

constexpr const char* FifoLimit
    = "several readers would split messages between them. Use mq or shm-ring for several consumers";
constexpr const char* ValueLimit = "IPC Lab counts the values a single reader missed";
constexpr const char* ArrayNoMessages = "it carries no messages; give the worker role \"program\" and steps "
                                        "that use it (read, write, acquire, release)";
constexpr const char* SemaphoreNoMessages = "it carries no messages; give the worker role \"program\" and steps "
                                            "that use it (acquire, release)";
constexpr const char* GlobalNoMessages = "it carries no messages; give the worker role \"program\" and steps "
                                         "that use it (read, write)";
constexpr const char* PipeLimit = "an anonymous pipe has one write end and one read end, each held by one process "
                                  "(multiprocessing.Pipe gives two Connection objects); use fifo or mq for more";
constexpr const char* PairLimit = "a socketpair has two ends, each held by one process; use socket or mq for more";
constexpr const char* SpscLimit = "each side owns one index of the ring, which is safe for one producer and one "
                                  "consumer only; use shm-ring or mq for more";

// clang-format off
constexpr std::array<TransportTraits, 16> Table { {
    // kind                    name          description                                       capacity     msgs   stream consumes maxP maxC why         pipeBuf lockP  lockC  prio   drain  pathSuffix anon   duplex conns  poison perProc counted bcast  tcp
    { TransportKind::Mq,        "mq",         "POSIX message queue",                            Messages,    true,  false, true,    0,   0,   nullptr,    false,  false, false, true,  false, nullptr,   false, false, false, false, false, false, false, false },
    { TransportKind::Fifo,      "fifo",       "named pipe (FIFO)",                              KernelBytes, true,  true,  true,    0,   1,   FifoLimit,  true,   false, false, false, true,  ".fifo",   false, false, false, false, false, false, false, false },
    { TransportKind::Socket,    "socket",     "Unix stream socket",                             KernelBytes, true,  true,  true,    0,   0,   nullptr,    false,  false, false, false, true,  ".sock",   false, false, true, false, false, false, false, false },
    { TransportKind::ShmRing,   "shm-ring",   "shared-memory ring buffer",                      Messages,    true,  false, true,    0,   0,   nullptr,    false,  true,  true,  false, false, nullptr,   false, false, false, false, false, false, false, false },
    { TransportKind::ShmValue,  "shm-value",  "shared value (each write overwrites)",           OneValue,    true,  false, false,   0,   1,   ValueLimit, false,  true,  false, false, false, nullptr,   false, false, false, false, false, false, false, false },
    { TransportKind::ShmSpsc,   "shm-spsc",   "lock-free SPSC ring in shared memory",           Messages,    true,  false, true,    1,   1,   SpscLimit,  false,  false, false, false, false, nullptr,   false, false, false, false, false, false, false, false },
    { TransportKind::Pipe,      "pipe",       "anonymous pipe (one way)",                       KernelBytes, true,  true,  true,    1,   1,   PipeLimit,  false,  false, false, false, true,  nullptr,   true,  false, false, false, false, false, false, false },
    { TransportKind::SocketPair,"socketpair", "socketpair (duplex, one message per record)",    KernelBytes, true,  false, true,    1,   1,   PairLimit,  false,  false, false, false, true,  nullptr,   true,  true,  false, false, false, false, false, false },
    { TransportKind::ShmArray,  "shm-array",  "shared array of integers with a lock",           Cells,       false, false, false,   0,   0,   ArrayNoMessages,     false,  false, false, false, false, nullptr, false, false, false, false, false, false, false, false },
    { TransportKind::Semaphore, "semaphore",  "named counting semaphore",                       Permits,     false, false, false,   0,   0,   SemaphoreNoMessages, false,  false, false, false, false, nullptr, false, false, false, false, false, false, false, false },
    { TransportKind::Rendezvous,"rendezvous", "CSP channel (a sender waits for its receiver)",  None,        true,  false, true,    0,   0,   nullptr,    false,  true,  true,  false, false, nullptr,   false, false, false, true, false, false, false, false },
    { TransportKind::Global,    "global",     "global variable, not shared",                   Cells,       false, false, false,   0,   0,   GlobalNoMessages,    false,  false, false, false, false, nullptr, false, false, false, false, true, false, false, false },
    { TransportKind::Zmq,       "zmq",        "ZeroMQ PUSH/PULL over ipc://",                   Messages,    true,  false, true,    0,   0,   nullptr,    false,  false, false, false, false, ".zmq",    false, false, false, false, false, true, false, false },
    { TransportKind::ZmqTcp,    "zmq-tcp",    "ZeroMQ PUSH/PULL over tcp:// (CURVE)",           Messages,    true,  false, true,    0,   0,   nullptr,    false,  false, false, false, false, ".zmq",    false, false, false, false, false, true, false, true },
    { TransportKind::ZmqPub,    "zmq-pub",    "ZeroMQ PUB/SUB over ipc:// (each subscriber gets all)", Messages, true, false, true, 0,   0,   nullptr,    false,  false, false, false, false, ".zmq",    false, false, false, false, false, true, true, false },
    { TransportKind::ZmqPubTcp, "zmq-pub-tcp", "ZeroMQ PUB/SUB over tcp:// (CURVE; each subscriber gets all)", Messages, true, false, true, 0, 0, nullptr, false, false, false, false, false, ".zmq", false, false, false, false, false, true, true, true },
} };
// clang-format on

constexpr bool rowsInKindOrder()
{
    for (std::size_t i = 0; i < Table.size(); ++i) {
        if (std::size_t(Table[i].kind) != i)
            return false;
    }
    return true;
}
static_assert(rowsInKindOrder(), "traits() indexes the table by TransportKind");

} // namespace

std::span<const TransportTraits> transportTable()
{
    return Table;
}

std::vector<TransportKind> queueingTransports()
{
    std::vector<TransportKind> kinds;
    for (const TransportTraits& t : Table) {
        if (t.carriesMessages && t.consumingReads)
            kinds.push_back(t.kind);
    }
    return kinds;
}

const TransportTraits& traits(TransportKind kind)
{
    return Table.at(std::size_t(kind));
}

const char* transportName(TransportKind kind)
{
    return std::size_t(kind) < Table.size() ? Table[std::size_t(kind)].name : "?";
}

std::optional<TransportKind> parseTransport(std::string_view text)
{
    for (const TransportTraits& t : Table) {
        if (text == t.name)
            return t.kind;
    }
    return std::nullopt;
}

bool transportConsumes(TransportKind kind)
{
    return traits(kind).consumingReads;
}

} // namespace ipccore

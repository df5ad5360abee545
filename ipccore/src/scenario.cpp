#include "ipccore/scenario.h"

#include "host_wire.h"

#include "ipccore/channel.h"
#include "ipccore/framing.h"
#include "ipccore/names.h"
#include "json_file.h"
#include "sys_error.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace ipccore {

namespace detail {
const std::vector<std::pair<std::string_view, std::string_view>>& bundledScenarioTexts();
}

namespace {

using nlohmann::json;

Error fieldError(std::string_view source, const std::string& field, const std::string& why)
{
    return detail::makeError(ErrorCode::InvalidArgument, "load scenario", std::string(source), field + ": " + why);
}

// A number as a person writes it: whole ones in full ("1000000", not the stream's "1e+06").
std::string str(double v)
{
    if (v == std::floor(v) && std::fabs(v) <= 1e15)
        return std::to_string(static_cast<long long>(v));
    std::ostringstream out;
    out << v;
    return out.str();
}

// "1 byte", "64 bytes".
std::string bytesCount(std::uint64_t n)
{
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

std::string bytesText(std::uint64_t bytes)
{
    return detail::byteCountText(bytes);
}

std::uint64_t roundUpToPage(std::uint64_t bytes)
{
    const long page = sysconf(_SC_PAGESIZE);
    const std::uint64_t p = page > 0 ? std::uint64_t(page) : 4096;
    return (bytes + p - 1) / p * p;
}

const detail::JsonFileWords& scenarioWords()
{
    static const detail::JsonFileWords words { "scenario", "run 'ipclab-cli list' for the bundled scenarios" };
    return words;
}

} // namespace

std::uint64_t objectSlotBytes(const ObjectSpec& o)
{
    switch (o.transport) {
    case TransportKind::Mq:
        return mqQueueCost(o.capacity, o.messageSize);
    case TransportKind::ShmRing:
    case TransportKind::ShmSpsc:
        return std::uint64_t(o.capacity) * shmlayout::ringSlotStride(o.messageSize);
    case TransportKind::ShmValue:
    case TransportKind::Rendezvous: // one slot
        return o.messageSize;
    case TransportKind::ShmArray:
        return std::uint64_t(o.capacity) * sizeof(std::int64_t);
    case TransportKind::Global: // in each process's own memory, not in the system
    case TransportKind::Zmq: // in the processes' ZeroMQ queues
    case TransportKind::ZmqPub:
    case TransportKind::ZmqTcp:
    case TransportKind::ZmqPubTcp:
    case TransportKind::Fifo:
    case TransportKind::Socket:
    case TransportKind::Pipe:
    case TransportKind::SocketPair:
    case TransportKind::Semaphore:
        return 0;
    }
    return 0;
}

std::uint64_t objectShmBytes(const ObjectSpec& o)
{
    std::uint64_t region = 0;
    switch (o.transport) {
    case TransportKind::ShmRing:
        region = shmlayout::ringBytes(o.capacity, o.messageSize);
        break;
    case TransportKind::Rendezvous:
        region = shmlayout::ringBytes(1, o.messageSize);
        break;
    case TransportKind::ShmSpsc:
        region = shmlayout::spscBytes(o.capacity, o.messageSize);
        break;
    case TransportKind::ShmValue:
        region = shmlayout::valueBytes(o.messageSize);
        break;
    case TransportKind::ShmArray:
        region = shmlayout::arrayBytes(o.capacity);
        break;
    case TransportKind::Semaphore:
        break; // only its semaphore, counted below
    case TransportKind::Global:
    case TransportKind::Zmq:
    case TransportKind::ZmqPub:
    case TransportKind::ZmqTcp:
    case TransportKind::ZmqPubTcp:
    case TransportKind::Mq:
    case TransportKind::Fifo:
    case TransportKind::Socket:
    case TransportKind::Pipe:
    case TransportKind::SocketPair:
        return 0;
    }
    // Each named semaphore is a small file in /dev/shm, and tmpfs gives every file at least one page.
    ChannelAddress address;
    address.transport = o.transport;
    address.name = "/x";
    std::uint64_t semaphores = 0;
    for (const OsName& name : channelOsNames(address))
        semaphores += name.kind == "sem" ? 1 : 0;
    return roundUpToPage(region) + semaphores * roundUpToPage(1);
}

bool countsThroughput(TransportKind transport, Role role)
{
    if (role == Role::Program)
        return true; // its passes
    return role == (traits(transport).consumingReads ? Role::Consumer : Role::Producer);
}

std::vector<bool> countedInTotal(const std::vector<ThroughputParty>& workers)
{
    const bool messagesCount = std::any_of(workers.begin(), workers.end(),
        [](const ThroughputParty& w) { return w.role != Role::Program && countsThroughput(w.transport, w.role); });
    std::vector<bool> counted;
    counted.reserve(workers.size());
    for (const ThroughputParty& w : workers)
        counted.push_back(countsThroughput(w.transport, w.role) && !(messagesCount && w.role == Role::Program));
    return counted;
}

std::uint32_t displayedCapacity(const ObjectSpec& o)
{
    switch (traits(o.transport).capacity) {
    case CapacityUnit::Messages:
    case CapacityUnit::Cells:
    case CapacityUnit::Permits:
        return o.capacity;
    case CapacityUnit::OneValue:
        return 1;
    case CapacityUnit::KernelBytes:
    case CapacityUnit::None:
        return 0;
    }
    return 0;
}

std::uint32_t maxWorkers(TransportKind transport, Role role)
{
    const TransportTraits& t = traits(transport);
    return role == Role::Producer ? t.maxProducers : t.maxConsumers;
}

std::string workerLimitProblem(const ObjectSpec& o, Role role, std::uint32_t workers)
{
    const std::uint32_t most = maxWorkers(o.transport, role);
    if (most == 0 || workers <= most)
        return {};
    const TransportTraits& t = traits(o.transport);
    const std::string roles = most == 1 ? std::string("only one ") + roleName(role)
                                        : "at most " + std::to_string(most) + " " + roleName(role) + "s";
    return std::string("a ") + t.description + " ('" + o.name + "') can have " + roles + ": "
        + (t.workerLimitWhy ? t.workerLimitWhy : "");
}

Status validateObject(const ObjectSpec& o, const MqLimits& limits, std::string_view field)
{
    const std::string f(field);
    auto bad = [&](const std::string& sub, const std::string& why) {
        return detail::makeError(ErrorCode::InvalidArgument, "validate", o.name, f + sub + ": " + why);
    };
    if (Status st = validateShortName(o.name, f + ".name"); !st)
        return bad(".name", st.error().hint);
    const std::uint32_t minSize = ScenarioLimits::MinMessageSize;
    switch (o.transport) {
    case TransportKind::Mq:
        if (o.capacity < 1 || long(o.capacity) > limits.msgMax)
            return detail::makeError(ErrorCode::LimitReached, "validate", o.name,
                f + ".capacity: " + std::to_string(o.capacity) + " messages is outside 1.."
                    + std::to_string(limits.msgMax)
                    + " (the limit is /proc/sys/fs/mqueue/msg_max = " + std::to_string(limits.msgMax)
                    + "). Use a smaller capacity, or raise it as root: sysctl fs.mqueue.msg_max="
                    + std::to_string(std::max<std::uint32_t>(o.capacity, 1)));
        if (o.messageSize < minSize || long(o.messageSize) > limits.msgsizeMax)
            return detail::makeError(ErrorCode::LimitReached, "validate", o.name,
                f + ".message_size: " + bytesCount(o.messageSize) + " is outside " + std::to_string(minSize) + ".."
                    + std::to_string(limits.msgsizeMax) + " (the maximum is /proc/sys/fs/mqueue/msgsize_max = "
                    + std::to_string(limits.msgsizeMax) + "; the minimum is the 32-byte frame header)");
        if (auto st = checkMqAttributes(o.name, o.capacity, o.messageSize, limits); !st)
            return bad(".capacity", st.error().hint);
        break;
    case TransportKind::Fifo:
    case TransportKind::Socket:
        if (o.messageSize < minSize || o.messageSize > ScenarioLimits::MaxStreamMessageSize)
            return bad(".message_size",
                bytesCount(o.messageSize) + " is outside " + std::to_string(minSize) + ".."
                    + std::to_string(ScenarioLimits::MaxStreamMessageSize));
        break;
    case TransportKind::Pipe:
        // Up to PIPE_BUF the kernel writes a message whole or not at all, so a producer killed in a write never
        // leaves half a message in the pipe for the consumer to stumble on.
        if (o.messageSize < minSize || o.messageSize > PipeAtomicBytes)
            return bad(".message_size",
                bytesCount(o.messageSize) + " is outside " + std::to_string(minSize) + ".."
                    + std::to_string(PipeAtomicBytes)
                    + " (PIPE_BUF: a pipe writes at most that much in one piece); for larger messages use a fifo or "
                      "socket (up to "
                    + std::to_string(ScenarioLimits::MaxStreamMessageSize) + " bytes)");
        break;
    case TransportKind::SocketPair:
        // Each message is one record; the default socket buffer (/proc/sys/net/core/wmem_default, 208 KiB)
        // holds a few of the largest.
        if (o.messageSize < minSize || o.messageSize > ScenarioLimits::MaxRecordMessageSize)
            return bad(".message_size",
                bytesCount(o.messageSize) + " is outside " + std::to_string(minSize) + ".."
                    + std::to_string(ScenarioLimits::MaxRecordMessageSize)
                    + " (a socketpair sends each message as one record)");
        break;
    case TransportKind::ShmRing:
    case TransportKind::ShmSpsc:
        if (o.capacity < 1 || o.capacity > ScenarioLimits::MaxRingCapacity)
            return bad(".capacity",
                std::to_string(o.capacity) + " slots is outside 1.." + std::to_string(ScenarioLimits::MaxRingCapacity));
        [[fallthrough]];
    case TransportKind::Rendezvous:
        if (o.transport == TransportKind::Rendezvous && o.capacity != 0)
            return bad(".capacity",
                std::to_string(o.capacity)
                    + ": a rendezvous holds nothing, so its capacity is 0 (a sender waits until a receiver takes its "
                      "message); for a buffered channel use shm-ring or mq");
        [[fallthrough]];
    case TransportKind::ShmValue:
        if (o.messageSize < minSize || o.messageSize > ScenarioLimits::MaxShmMessageSize)
            return bad(".message_size",
                bytesCount(o.messageSize) + " is outside " + std::to_string(minSize) + ".."
                    + std::to_string(ScenarioLimits::MaxShmMessageSize));
        break;
    case TransportKind::Zmq:
    case TransportKind::ZmqPub:
    case TransportKind::ZmqTcp:
    case TransportKind::ZmqPubTcp:
        // The capacity is the high-water mark of each side's queue (ZMQ_SNDHWM, ZMQ_RCVHWM).
        if (o.capacity < 1 || o.capacity > ScenarioLimits::MaxRingCapacity)
            return bad(".capacity",
                std::to_string(o.capacity) + " messages is outside 1.."
                    + std::to_string(ScenarioLimits::MaxRingCapacity)
                    + " (the high-water mark of each side's ZeroMQ queue)");
        if (o.messageSize < minSize || o.messageSize > ScenarioLimits::MaxStreamMessageSize)
            return bad(".message_size",
                bytesCount(o.messageSize) + " is outside " + std::to_string(minSize) + ".."
                    + std::to_string(ScenarioLimits::MaxStreamMessageSize));
        break;
    case TransportKind::ShmArray:
        if (o.capacity < 1 || o.capacity > ScenarioLimits::MaxArrayCells)
            return bad(".capacity",
                std::to_string(o.capacity) + " cells is outside 1.." + std::to_string(ScenarioLimits::MaxArrayCells)
                    + " (a shared Value is an array of 1 cell)");
        break;
    case TransportKind::Global:
        if (o.capacity != 1)
            return bad(".capacity",
                std::to_string(o.capacity)
                    + ": a global is one integer, as `counter = 0` is in Python; leave capacity out (or make it 1), "
                      "and declare one global per variable");
        break;
    case TransportKind::Semaphore:
        if (o.capacity > ScenarioLimits::MaxPermits)
            return bad(".capacity",
                std::to_string(o.capacity) + " permits is outside 0.." + std::to_string(ScenarioLimits::MaxPermits)
                    + " (the semaphore's initial value)");
        break;
    }
    // Each field may be in range while their product is not (4096 slots of 1 MiB): refuse it here, naming the
    // field, rather than in shm_open with the OS name the user never wrote.
    if (const std::uint64_t bytes = objectSlotBytes(o); bytes > ScenarioLimits::MaxObjectBytes) {
        const bool queue = o.transport == TransportKind::Mq;
        const std::uint64_t perSlot = (bytes + o.capacity - 1) / std::max<std::uint32_t>(o.capacity, 1);
        return detail::makeError(ErrorCode::LimitReached, "validate", o.name,
            f + ".capacity: " + std::to_string(o.capacity) + (queue ? " messages" : " slots") + " of "
                + std::to_string(o.messageSize) + " bytes need " + bytesText(bytes)
                + (queue ? " of kernel memory" : " of shared memory") + "; one object may take at most "
                + bytesText(ScenarioLimits::MaxObjectBytes) + ". Use a capacity of at most "
                + std::to_string(ScenarioLimits::MaxObjectBytes / std::max<std::uint64_t>(perSlot, 1))
                + " at this size, or a smaller " + f + ".message_size");
    }
    return {};
}

Status validateWorker(const WorkerSpec& w, const ObjectSpec& o, std::string_view field)
{
    const std::string f(field);
    auto bad = [&](const std::string& sub, const std::string& why) {
        return detail::makeError(ErrorCode::InvalidArgument, "validate", w.name, f + sub + ": " + why);
    };
    if (Status st = validateShortName(w.name, f + ".name"); !st)
        return bad(".name", st.error().hint);
    const char* perSecond = w.role == Role::Program ? " passes/s" : " messages/s";
    if (!std::isfinite(w.rate) || w.rate < 0 || w.rate > ScenarioLimits::MaxRate)
        return bad(".rate",
            str(w.rate) + perSecond + " is outside 0.." + str(ScenarioLimits::MaxRate)
                + " (0 means as fast as possible)");
    if (w.rate > 0 && w.rate < 0.001)
        return bad(".rate", str(w.rate) + perSecond + " is below the smallest rate 0.001 (use 0 for unlimited)");
    if (w.workUs > ScenarioLimits::MaxWorkUs)
        return bad(".work_us",
            std::to_string(w.workUs) + " us is above the maximum " + std::to_string(ScenarioLimits::MaxWorkUs));
    const TransportTraits& t = traits(o.transport);
    if (w.role == Role::Program)
        return {}; // its steps are checked against every object by validateProgram
    if (!t.carriesMessages)
        return bad(".role",
            std::string("a ") + roleName(w.role) + " moves messages, but object '" + o.name + "' is a " + t.description
                + ": " + t.workerLimitWhy);
    if (w.messageSize < ScenarioLimits::MinMessageSize || w.messageSize > o.messageSize)
        return bad(".message_size",
            bytesCount(w.messageSize) + " is outside " + std::to_string(ScenarioLimits::MinMessageSize) + ".."
                + std::to_string(o.messageSize) + " (object '" + o.name + "' carries at most "
                + std::to_string(o.messageSize) + " bytes per message)");
    if (w.priority > 32767)
        return bad(".priority", std::to_string(w.priority) + " is outside 0..32767");
    if (w.crashInLockAfter != 0 && !(w.role == Role::Producer ? t.producersLock : t.consumersLock))
        return bad(".crash_in_lock_after",
            "only shm-ring workers and shm-value writers take a lock; object '" + o.name + "' is "
                + transportName(o.transport));
    if (w.priority != 0 && !t.priorities)
        return bad(".priority",
            "only message queues (mq) have priorities; object '" + o.name + "' is " + transportName(o.transport));
    return {};
}

Status validateProgram(const WorkerSpec& w, const std::vector<ObjectSpec>& objects, std::string_view field)
{
    const std::string f(field);
    auto bad = [&](const std::string& sub, const std::string& why) {
        return detail::makeError(ErrorCode::InvalidArgument, "validate", w.name, f + sub + ": " + why);
    };
    if (w.program.empty())
        return bad(
            ".program", "a program needs at least one step, e.g. [\"read counter[0]\", \"write counter[0] +1\"]");
    if (w.program.size() > ProgramLimits::MaxSteps)
        return bad(".program",
            std::to_string(w.program.size()) + " steps; a program has at most "
                + std::to_string(ProgramLimits::MaxSteps));
    if (!w.object.empty())
        return bad(".object", "a program names its objects in its steps; remove \"object\"");
    if (w.priority != 0)
        return bad(".priority", "only producers on a message queue send with a priority");
    if (w.crashInLockAfter != 0)
        return bad(".crash_in_lock_after", "only shm-ring workers and shm-value writers have this fault injection");
    auto find = [&](const std::string& name) {
        return std::find_if(objects.begin(), objects.end(), [&](const ObjectSpec& o) { return o.name == name; });
    };
    std::vector<std::string> held; // acquired and not yet released, in order
    for (std::size_t i = 0; i < w.program.size(); ++i) {
        const ProgramStep& step = w.program[i];
        const std::string sf = ".program[" + std::to_string(i) + "]";
        const std::string text = "'" + stepText(step) + "': ";
        if (step.op == StepOp::Work) {
            if (step.us > ProgramLimits::MaxWorkUs)
                return bad(sf,
                    text + std::to_string(step.us) + " us is above the maximum "
                        + std::to_string(ProgramLimits::MaxWorkUs));
            continue;
        }
        auto unknown = [&](const std::string& name) {
            std::string known;
            for (const ObjectSpec& o : objects)
                known += (known.empty() ? "'" : ", '") + o.name + "'";
            return bad(sf, text + "no object is named '" + name + "'; the objects are " + known);
        };
        // Pools and Managers send ids with their messages: through a message queue, large enough for them.
        // `zmqToo`: a zmq or zmq-tcp object will do as well (requests, whose replies come back on their own
        // connection).
        auto messageQueueFor = [&](const ObjectSpec& q, const char* what, const char* message, std::size_t bytes,
                                   bool zmqToo = false) -> Status {
            if (q.transport != TransportKind::Mq && !(zmqToo && requestsOverConnections(q.transport)))
                return bad(sf,
                    text + what + " travel through message queues (mq)"
                        + (zmqToo ? " or a zmq or zmq-tcp object (DEALER/ROUTER)" : "") + "; '" + q.name + "' is a "
                        + traits(q.transport).description
                        + (zmqToo && traits(q.transport).depthFromCounters
                                ? ": give it \"transport\": \"zmq\" or \"zmq-tcp\""
                                : ""));
            if (q.messageSize < bytes)
                return bad(sf,
                    text + "'" + q.name + "' carries messages of at most " + std::to_string(q.messageSize) + " bytes; "
                        + message + " needs " + std::to_string(bytes) + " (give it a message_size of at least that)");
            return {};
        };
        auto it = find(step.object);
        if (it == objects.end())
            return unknown(step.object);
        const ObjectSpec& o = *it;
        const bool array = o.transport == TransportKind::ShmArray;
        const bool semaphore = o.transport == TransportKind::Semaphore;
        const bool global = traits(o.transport).perProcess;
        switch (step.op) {
        case StepOp::Read:
        case StepOp::Write:
            if (!array && !global)
                return bad(sf,
                    text + "only a shared array (shm-array) or a global has cells to " + stepOpName(step.op) + "; '"
                        + o.name + "' is a " + traits(o.transport).description);
            if (step.cell >= o.capacity)
                return bad(sf,
                    text + "cell " + std::to_string(step.cell) + " is outside 0.." + std::to_string(o.capacity - 1)
                        + " ('" + o.name + "' has " + std::to_string(o.capacity)
                        + (o.capacity == 1 ? " cell)" : " cells)"));
            // A write stores the value read plus N: without a read of that cell before it in the program, it
            // would store N into the cell for ever and the ledger would call every write but the first lost.
            if (step.op == StepOp::Write
                && std::none_of(w.program.begin(), w.program.begin() + std::ptrdiff_t(i), [&](const ProgramStep& r) {
                       return r.op == StepOp::Read && r.object == step.object && r.cell == step.cell;
                   }))
                return bad(sf,
                    text + "a write stores the value read plus " + std::to_string(step.add)
                        + ", but no step before it reads " + step.object + "[" + std::to_string(step.cell)
                        + "]; add \"read " + step.object + "[" + std::to_string(step.cell) + "]\" before it");
            break;
        case StepOp::Acquire:
            if (global)
                return bad(sf,
                    text + "a global has no lock: each process has its own copy of '" + o.name
                        + "', so there is nothing to guard; to share a counter, make it a shm-array and acquire that");
            if (!array && !semaphore)
                return bad(sf,
                    text + "only a semaphore or a shared array's lock can be acquired; '" + o.name + "' is a "
                        + traits(o.transport).description);
            if (step.timeoutMs && *step.timeoutMs > ProgramLimits::MaxTimeoutMs)
                return bad(sf,
                    text + "the timeout is above the maximum " + std::to_string(ProgramLimits::MaxTimeoutMs)
                        + " ms (leave it out to wait for as long as it takes)");
            held.push_back(o.name);
            break;
        case StepOp::Release: {
            // A semaphore may be released without being acquired: that posts a signal (a producer's
            // full.release()). An array's lock is a mutex: only its holder may unlock it.
            auto h = std::find(held.rbegin(), held.rend(), o.name);
            if (h == held.rend() && array)
                return bad(sf,
                    text + "nothing acquired '" + o.name
                        + "' earlier in the program; its lock is given back only by the process that took it");
            if (h != held.rend())
                held.erase(std::next(h).base());
            break;
        }
        case StepOp::Put:
        case StepOp::Get: {
            // These transports keep whole messages and need nothing handed over at start (a socket consumer needs
            // the runner's listening descriptor, a FIFO reader reads ahead), which is what program steps support.
            const bool supported = o.transport == TransportKind::Mq || o.transport == TransportKind::ShmRing
                || o.transport == TransportKind::ShmSpsc || o.transport == TransportKind::SocketPair
                || o.transport == TransportKind::Rendezvous;
            if (!supported)
                return bad(sf,
                    text + "a program can put into and get from an mq, shm-ring, shm-spsc, socketpair or rendezvous; '"
                        + o.name + "' is a " + traits(o.transport).description
                        + (requestsOverConnections(o.transport)
                                ? " (use producer and consumer workers for it, or request and serve steps for a "
                                  "Manager over it; an object a Manager's requests use carries nothing else)"
                                : traits(o.transport).carriesMessages ? " (use a producer or consumer worker for it)"
                                : o.transport == TransportKind::ShmArray
                                ? " (use read, write, acquire and release on it)"
                                : global ? " (use read and write on it)"
                                         : " (use acquire and release on it)"));
            if (step.timeoutMs && *step.timeoutMs > ProgramLimits::MaxTimeoutMs)
                return bad(sf,
                    text + "the timeout is above the maximum " + std::to_string(ProgramLimits::MaxTimeoutMs)
                        + " ms (leave it out to wait for as long as it takes)");
            if (step.priority > 32767)
                return bad(sf, text + "the priority " + std::to_string(step.priority) + " is outside 0..32767");
            if (step.priority != 0 && !traits(o.transport).priorities)
                return bad(sf,
                    text + "only message queues (mq) have priorities; '" + o.name + "' is "
                        + transportName(o.transport));
            break;
        }
        case StepOp::Map:
        case StepOp::Apply: {
            auto r = find(step.results);
            if (r == objects.end())
                return unknown(step.results);
            if (step.results == step.object)
                return bad(sf, text + "the tasks and their results need two objects; name a second queue");
            if (std::count_if(w.program.begin(), w.program.end(), [](const ProgramStep& p) { return isPoolCall(p.op); })
                > 1)
                return bad(sf, text + "a program calls map or apply once; give each call its own worker");
            // The caller both puts and gets inside one step; on a message queue nothing it holds at a kill needs
            // repair, which is what lets the ledger judge a killed caller.
            for (const ObjectSpec* q : { &o, &*r }) {
                if (Status st
                    = messageQueueFor(*q, "a pool's tasks and results", "a task or result message", TaskFrameSize);
                    !st)
                    return st;
            }
            if (step.tasks > ProgramLimits::MaxPoolTasks)
                return bad(sf,
                    text + std::to_string(step.tasks) + " tasks; one call takes at most "
                        + std::to_string(ProgramLimits::MaxPoolTasks));
            if (step.chunk > step.tasks)
                return bad(sf,
                    text + "the chunk of " + std::to_string(step.chunk) + " is larger than the "
                        + std::to_string(step.tasks) + " tasks; use a chunk from 1 to " + std::to_string(step.tasks));
            break;
        }
        case StepOp::Request:
        case StepOp::Serve: {
            // A zmq object (DEALER/ROUTER) brings each reply back on its request's own connection: a request to
            // it names no reply queue (results is the object itself). Over mq the replies need a queue of their own.
            const bool overZmq = requestsOverConnections(o.transport);
            std::vector<const ObjectSpec*> queues { &o };
            if (step.op == StepOp::Request) {
                // Over zmq the reply queue is told to go before it is looked for: whether or not it was declared,
                // the remedy is to leave it out.
                if (overZmq && step.results != step.object) {
                    ProgramStep own = step;
                    own.results = step.object;
                    return bad(sf,
                        text + "'" + o.name + "' is a " + transportName(o.transport)
                            + " object, whose replies come back on each request's own connection "
                              "(DEALER/ROUTER); leave the reply queue out: '"
                            + stepText(own) + "'");
                }
                auto r = find(step.results);
                if (r == objects.end())
                    return unknown(step.results);
                if (!overZmq && step.results == step.object)
                    return bad(sf,
                        text
                            + "requests and their replies need two objects; name a queue of this worker's own for "
                              "the replies (or make '"
                            + o.name
                            + "' a zmq or zmq-tcp object, whose replies come back on each request's own connection)");
                if (!overZmq)
                    queues.push_back(&*r);
                if (step.timeoutMs && *step.timeoutMs > ProgramLimits::MaxTimeoutMs)
                    return bad(sf,
                        text + "the timeout is above the maximum " + std::to_string(ProgramLimits::MaxTimeoutMs)
                            + " ms (leave it out to wait for as long as it takes)");
                // Like a write, a set or append stores the register plus N: something must have filled it.
                const bool stores = step.request == RequestOp::Set || step.request == RequestOp::Append;
                if (stores
                    && std::none_of(w.program.begin(), w.program.begin() + std::ptrdiff_t(i),
                        [](const ProgramStep& earlier) { return stepLoads(earlier); })) {
                    ProgramStep read = step;
                    read.request = RequestOp::Get;
                    read.key = step.request == RequestOp::Set ? step.key : "d[count]";
                    read.timeoutMs.reset();
                    return bad(sf,
                        text + "it stores the value read plus " + std::to_string(step.add)
                            + ", but no step before it reads one; add e.g. \"" + stepText(read) + "\" before it");
                }
            }
            // Over zmq a program's one socket on the object is a ROUTER if it serves and a DEALER if it asks, and its
            // request counters are kept per program: it talks to one such object, as a client or as its server.
            if (overZmq) {
                for (const ProgramStep& other : w.program) {
                    const bool talks = other.op == StepOp::Request || other.op == StepOp::Serve;
                    if (talks && other.object != step.object)
                        return bad(sf,
                            text
                                + "a program that sends requests to or serves a zmq object talks to that one "
                                  "object only, and '"
                                + other.object + "' is another; give the other requests a program of their own");
                    if (talks && other.op != step.op)
                        return bad(sf,
                            text + "the same program both serves '" + o.name
                                + "' and sends requests to it; its server and its clients are separate processes "
                                  "(a Manager's server is one, each proxy's process another)");
                }
            }
            for (const ObjectSpec* q : queues) {
                if (Status st
                    = messageQueueFor(*q, "requests and replies", "a request or reply", RequestFrameSize, q == &o);
                    !st)
                    return st;
            }
            break;
        }
        case StepOp::Work:
            break;
        }
    }
    // A semaphore acquired for good consumes a signal (a consumer's full.acquire()); an array's lock must be let go.
    const auto kept = std::find_if(held.begin(), held.end(), [&](const std::string& name) {
        const auto o = find(name);
        return o != objects.end() && o->transport == TransportKind::ShmArray;
    });
    if (kept != held.end())
        return bad(".program",
            "the lock of '" + *kept + "' is acquired but never released; add \"release " + *kept
                + "\" after the steps it guards");
    return {};
}

// Every object a worker uses: a producer's or consumer's one, a program's bound ones.
static std::vector<std::string> objectsUsedBy(const Scenario& s, const WorkerSpec& w)
{
    return w.role == Role::Program ? workerObjects(s, w) : std::vector<std::string> { w.object };
}

// Worker hosts: each named once and reachable as tcp://ADDRESS:PORT, each worker's host one of them, and every
// object on one machine (its workers all on the same host, or all here).
static Status validateHosts(const Scenario& s)
{
    auto bad = [&](const std::string& field, const std::string& why) {
        return detail::makeError(ErrorCode::InvalidArgument, "validate scenario", s.name, field + ": " + why);
    };
    if (s.hosts.size() > ScenarioLimits::MaxHosts)
        return bad(
            "hosts", std::to_string(s.hosts.size()) + " hosts; at most " + std::to_string(ScenarioLimits::MaxHosts));
    std::set<std::string> hostNames;
    std::map<std::string, std::string> hostAt; // endpoint -> the host named there first
    for (std::size_t i = 0; i < s.hosts.size(); ++i) {
        const HostSpec& h = s.hosts[i];
        const std::string f = "hosts[" + std::to_string(i) + "]";
        if (Status st = validateShortName(h.name, "name"); !st)
            return bad(f + ".name", st.error().hint);
        if (!hostNames.insert(h.name).second)
            return bad(f + ".name", "'" + h.name + "' is used twice");
        if (auto where = detail::parseTcpEndpoint(h.endpoint, false, "endpoint"); !where)
            return bad(f + ".endpoint", "'" + h.endpoint + "': " + where.error().hint);
        // One 'ipclab-cli host' listens on an endpoint, and it runs one run at a time.
        if (const auto [first, fresh] = hostAt.emplace(h.endpoint, h.name); !fresh)
            return bad(f + ".endpoint",
                "'" + h.endpoint + "' is host '" + first->second
                    + "''s endpoint too: each host is an 'ipclab-cli host' of its own, listening on its own address "
                      "or port");
        if (h.keyFile.empty())
            return bad(f + ".key", "name the host's public key file (the .pub file its --keygen wrote)");
        if (h.keyFile.ends_with(".key"))
            return bad(f + ".key",
                "'" + h.keyFile
                    + "' is a secret key file; give the host's public .pub file (a secret key never "
                      "leaves its machine)");
    }
    if (s.controllerKey.ends_with(".pub"))
        return bad("controller_key",
            "'" + s.controllerKey
                + "' is a public key file; name this controller's secret .key file (its .pub goes to the host's "
                  "--allow file)");
    for (std::size_t i = 0; i < s.workers.size(); ++i) {
        const WorkerSpec& w = s.workers[i];
        const std::string f = "workers[" + std::to_string(i) + "].host";
        if (w.host.empty())
            continue;
        if (!hostNames.count(w.host)) {
            std::string known;
            for (const HostSpec& h : s.hosts)
                known += (known.empty() ? "'" : ", '") + h.name + "'";
            return bad(f,
                "no host is named '" + w.host + "'; "
                    + (known.empty() ? "list it under \"hosts\" with its endpoint and key" : "the hosts are " + known));
        }
        if (w.role == Role::Program)
            return bad(
                f, "'" + w.name + "' is a program; programs run on this machine only for now (leave out \"host\")");
        if (s.controllerKey.empty())
            return bad("controller_key",
                "workers run on hosts, so name this controller's secret key file (make a pair with 'ipclab-cli host "
                "--keygen controller' and give the host controller.pub with --allow)");
    }
    const std::vector<std::string> between = objectsBetweenMachines(s);
    auto where = [](const std::string& h) { return h.empty() ? std::string("this machine") : "host '" + h + "'"; };
    for (const ObjectSpec& o : s.objects) {
        if (std::find(between.begin(), between.end(), o.name) == between.end())
            continue;
        // Only ZeroMQ over tcp:// reaches another machine, and only as built: its consumers on worker hosts (one or
        // several), the producers here (programs do not use ZeroMQ).
        const WorkerSpec* first = nullptr;
        for (const WorkerSpec& w : s.workers) {
            const auto bound = objectsUsedBy(s, w);
            if (std::find(bound.begin(), bound.end(), o.name) == bound.end())
                continue;
            if (o.transport != TransportKind::ZmqTcp) {
                // A broadcast over tcp:// could reach further, but a broadcast across machines is not built yet.
                const char* why = traits(o.transport).tcp
                    ? " object does not reach between machines yet (a broadcast across machines is not built), so put "
                      "every worker of it on the same machine, or use a zmq-tcp object between machines"
                    : " object lives on one machine, so put every worker of it on the same host (only a zmq-tcp object "
                      "reaches between machines)";
                if (first && w.host != first->host)
                    return bad("workers",
                        "'" + o.name + "' is used by '" + first->name + "' on " + where(first->host) + " and by '"
                            + w.name + "' on " + where(w.host) + ": a " + transportName(o.transport) + why);
                first = first ? first : &w;
                continue;
            }
            if (w.role == Role::Consumer && w.host.empty())
                return bad("workers",
                    "'" + o.name + "' reaches between machines, and its consumer '" + w.name
                        + "' runs on this machine: put its consumers on a worker host and its producers here "
                          "(consumers on "
                          "this machine of an object between machines are not built yet)");
            if (w.role == Role::Producer && !w.host.empty())
                return bad("workers",
                    "'" + o.name + "' reaches between machines, and its producer '" + w.name + "' runs on "
                        + where(w.host)
                        + ": put its producers on this machine and its consumers on worker hosts (producers on a "
                          "worker host are not built yet)");
        }
        // Consumers on two hosts and nobody here: nothing would reach between the machines.
        if (o.transport == TransportKind::ZmqTcp
            && std::none_of(s.workers.begin(), s.workers.end(),
                [&](const WorkerSpec& w) { return w.role == Role::Producer && w.host.empty() && w.object == o.name; }))
            return bad("workers",
                "'" + o.name
                    + "' has consumers on several hosts and no producer: give it a producer on this machine, which "
                      "reaches them all, or give each host an object of its own");
    }
    return {};
}

std::vector<std::string> objectsBetweenMachines(const Scenario& s)
{
    std::vector<std::string> between;
    for (const ObjectSpec& o : s.objects) {
        std::set<std::string> machines;
        for (const WorkerSpec& w : s.workers) {
            const auto bound = objectsUsedBy(s, w);
            if (std::find(bound.begin(), bound.end(), o.name) != bound.end())
                machines.insert(w.host);
        }
        if (machines.size() > 1)
            between.push_back(o.name);
    }
    return between;
}

std::vector<std::string> hostsInUse(const Scenario& s)
{
    std::vector<std::string> used;
    for (const HostSpec& h : s.hosts) {
        if (std::any_of(s.workers.begin(), s.workers.end(), [&](const WorkerSpec& w) { return w.host == h.name; }))
            used.push_back(h.name);
    }
    return used;
}

std::vector<std::string> objectHosts(const Scenario& s)
{
    std::vector<std::string> hosts(s.objects.size());
    for (const std::string& host : hostsInUse(s)) {
        const Scenario there = scenarioPart(s, host);
        for (std::size_t k = 0; k < s.objects.size(); ++k) {
            if (std::any_of(there.objects.begin(), there.objects.end(),
                    [&](const ObjectSpec& o) { return o.name == s.objects[k].name; }))
                hosts[k] += (hosts[k].empty() ? "" : "+") + host;
        }
    }
    return hosts;
}

Scenario scenarioPart(const Scenario& s, const std::string& host)
{
    Scenario part = s;
    part.hosts.clear();
    part.controllerKey.clear();
    part.workers.clear();
    part.objects.clear();
    std::set<std::string> used;
    for (const WorkerSpec& w : s.workers) {
        if (w.host != host)
            continue;
        part.workers.push_back(w);
        part.workers.back().host.clear();
        for (const std::string& o : objectsUsedBy(s, w))
            used.insert(o);
    }
    for (const ObjectSpec& o : s.objects) {
        const bool usedAnywhere = std::any_of(s.workers.begin(), s.workers.end(), [&](const WorkerSpec& w) {
            const auto bound = objectsUsedBy(s, w);
            return std::find(bound.begin(), bound.end(), o.name) != bound.end();
        });
        if (used.count(o.name) || (host.empty() && !usedAnywhere))
            part.objects.push_back(o);
    }
    return part;
}

Status validateScenario(const Scenario& s, const MqLimits& limits)
{
    return validateScenario(s, limits, readShmFreeBytes());
}

Status validateScenario(const Scenario& s, const MqLimits& limits, std::optional<std::uint64_t> shmFreeBytes)
{
    auto bad = [&](const std::string& field, const std::string& why) {
        return detail::makeError(ErrorCode::InvalidArgument, "validate scenario", s.name, field + ": " + why);
    };
    if (Status st = validateShortName(s.name, "name"); !st)
        return bad("name", st.error().hint);
    if (s.objects.empty())
        return bad("objects", "a scenario needs at least one object");
    if (s.objects.size() > ScenarioLimits::MaxObjects)
        return bad("objects",
            std::to_string(s.objects.size()) + " objects; at most " + std::to_string(ScenarioLimits::MaxObjects));
    if (s.workers.size() > ScenarioLimits::MaxWorkers)
        return bad("workers",
            std::to_string(s.workers.size()) + " workers; at most " + std::to_string(ScenarioLimits::MaxWorkers));
    if (!std::isfinite(s.durationS) || s.durationS <= 0 || s.durationS > ScenarioLimits::MaxDurationS)
        return bad("duration_s", str(s.durationS) + " is outside (0, " + str(ScenarioLimits::MaxDurationS) + "]");
    if (!std::isfinite(s.sampleHz) || s.sampleHz < 1 || s.sampleHz > ScenarioLimits::MaxSampleHz)
        return bad("sample_hz", str(s.sampleHz) + " is outside 1.." + str(ScenarioLimits::MaxSampleHz));
    std::set<std::string> names;
    // Running totals: the objects must fit together, and the one that tips the total over is the one named.
    std::uint64_t shmTotal = 0;
    std::uint64_t mqTotal = 0;
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
        const ObjectSpec& o = s.objects[i];
        const std::string f = "objects[" + std::to_string(i) + "]";
        // An object on a worker host is made there, within that machine's limits, which the host checks when it
        // is sent its part; here only the kernel's own ceilings apply.
        const bool elsewhere = std::any_of(s.workers.begin(), s.workers.end(), [&](const WorkerSpec& w) {
            const auto used = objectsUsedBy(s, w);
            return !w.host.empty() && std::find(used.begin(), used.end(), o.name) != used.end();
        });
        MqLimits kernelCeilings = limits;
        kernelCeilings.msgMax = std::max(limits.msgMax, 65536L); // HARD_MSGMAX
        kernelCeilings.msgsizeMax = std::max(limits.msgsizeMax, 16L << 20); // HARD_MSGSIZEMAX
        if (Status st = validateObject(o, elsewhere ? kernelCeilings : limits, f); !st)
            return st;
        if (!names.insert(o.name).second)
            return bad(f + ".name", "'" + o.name + "' is used twice");
        if (elsewhere)
            continue;
        const std::string sizeField
            = f + (traits(o.transport).capacity == CapacityUnit::OneValue ? ".message_size" : ".capacity");
        const std::uint64_t shm = objectShmBytes(o);
        shmTotal += shm;
        if (shm > 0 && shmFreeBytes && shmTotal > *shmFreeBytes)
            return detail::makeError(ErrorCode::LimitReached, "validate scenario", s.name,
                sizeField + ": this " + transportName(o.transport) + " needs " + bytesText(shm) + " of /dev/shm"
                    + (shmTotal > shm ? " (" + bytesText(shmTotal) + " with the objects before it)" : "")
                    + ", but /dev/shm has only " + bytesText(*shmFreeBytes)
                    + " free (df /dev/shm). Use a smaller capacity or message_size, or free space in /dev/shm "
                      "('ipclab-cli cleanup' removes what crashed runs left)");
        if (o.transport == TransportKind::Mq) {
            const std::uint64_t cost = mqQueueCost(o.capacity, o.messageSize);
            mqTotal += cost;
            if (mqTotal > limits.rlimitMsgqueue)
                return detail::makeError(ErrorCode::LimitReached, "validate scenario", s.name,
                    sizeField + ": the message queues up to this one need " + bytesText(mqTotal)
                        + " of the per-user RLIMIT_MSGQUEUE, which is " + bytesText(limits.rlimitMsgqueue)
                        + " in all (ulimit -q). Use fewer or smaller queues, or raise 'ulimit -q'");
        }
    }
    std::set<std::string> workerNames;
    for (std::size_t i = 0; i < s.workers.size(); ++i) {
        const WorkerSpec& w = s.workers[i];
        const std::string f = "workers[" + std::to_string(i) + "]";
        if (w.role == Role::Program) {
            if (Status st = validateWorker(w, s.objects.front(), f); !st)
                return st;
            if (Status st = validateProgram(w, s.objects, f); !st)
                return st;
            if (!workerNames.insert(w.name).second)
                return bad(f + ".name", "'" + w.name + "' is used twice");
            if (const std::size_t n = workerObjects(s, w).size(); n > ProgramLimits::MaxObjects)
                return bad(f + ".program",
                    "the program uses " + std::to_string(n)
                        + " objects (a server counts each client's reply queue); at most "
                        + std::to_string(ProgramLimits::MaxObjects));
            continue;
        }
        auto it
            = std::find_if(s.objects.begin(), s.objects.end(), [&](const ObjectSpec& o) { return o.name == w.object; });
        if (it == s.objects.end()) {
            std::string known;
            for (const ObjectSpec& o : s.objects)
                known += (known.empty() ? "'" : ", '") + o.name + "'";
            return bad(f + ".object", "no object is named '" + w.object + "'; the objects are " + known);
        }
        if (Status st = validateWorker(w, *it, f); !st)
            return st;
        if (!workerNames.insert(w.name).second)
            return bad(f + ".name", "'" + w.name + "' is used twice");
    }
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
        const ObjectSpec& o = s.objects[i];
        int producers = 0, consumers = 0, ends = 0;
        bool poolResults = false; // a map or apply collects its results here
        std::vector<std::size_t> bothEnds; // programs that put into and get from this rendezvous
        for (std::size_t k = 0; k < s.workers.size(); ++k) {
            const WorkerSpec& w = s.workers[k];
            if (w.role == Role::Program) {
                poolResults = poolResults
                    || std::any_of(w.program.begin(), w.program.end(),
                        [&](const ProgramStep& st) { return isPoolCall(st.op) && st.results == o.name; });
                // A program that puts into the object is one of its producers, one that gets from it a consumer.
                bool puts = false, gets = false;
                for (const ProgramStep& step : w.program) {
                    puts = puts
                        || ((step.op == StepOp::Put || isPoolCall(step.op) || step.op == StepOp::Request)
                            && step.object == o.name);
                    gets = gets || ((step.op == StepOp::Get || step.op == StepOp::Serve) && step.object == o.name)
                        || ((isPoolCall(step.op) || step.op == StepOp::Request) && step.results == o.name);
                }
                // A server puts into the reply queue of every client that sends it requests.
                if (!puts && !gets) {
                    const auto bound = workerObjects(s, w);
                    puts = std::find(bound.begin(), bound.end(), o.name) != bound.end();
                }
                if (puts && gets && traits(o.transport).poison)
                    bothEnds.push_back(k);
                if (traits(o.transport).duplex)
                    ends += puts || gets; // one end, both ways
                else {
                    producers += puts;
                    consumers += gets;
                }
            } else if (w.object == o.name) {
                (w.role == Role::Producer ? producers : consumers)++;
                ends += traits(o.transport).duplex;
            }
        }
        if (ends > 2)
            return bad("objects[" + std::to_string(i) + "]",
                "'" + o.name + "' is a socketpair: it has two ends, each held by one process, and "
                    + std::to_string(ends) + " workers use it. Use socket or mq for more");
        const std::string f = "objects[" + std::to_string(i) + "]";
        // A map or apply returns only when every task has its result: someone must take the tasks and put results.
        for (std::size_t k = 0; k < s.workers.size(); ++k) {
            for (const ProgramStep& step : s.workers[k].program) {
                if (!isPoolCall(step.op) || step.object != o.name)
                    continue;
                bool taken = false, answered = false;
                for (const WorkerSpec& other : s.workers) {
                    for (const ProgramStep& st : other.program) {
                        taken = taken || (st.op == StepOp::Get && st.object == o.name);
                        answered = answered || (st.op == StepOp::Put && st.object == step.results);
                    }
                }
                if (!taken || !answered)
                    return bad("workers[" + std::to_string(k) + "].program",
                        "'" + stepText(step) + "' would never return: no worker "
                            + (taken ? "puts into '" + step.results + "'" : "gets from '" + o.name + "'")
                            + ". Add pool workers, e.g. {\"role\": \"program\", \"program\": [\"get " + o.name
                            + "\", \"work 10us each\", \"put " + step.results + "\"]}");
            }
        }
        // Requests: exactly one server per request queue, and each reply queue read by its one client only.
        std::size_t servers = 0, clients = 0;
        std::vector<std::string> replyQueues;
        for (const WorkerSpec& w : s.workers) {
            bool asks = false;
            for (const ProgramStep& st : w.program) {
                servers += st.op == StepOp::Serve && st.object == o.name;
                asks = asks || (st.op == StepOp::Request && st.object == o.name);
            }
            clients += asks;
        }
        if (clients > 0 && servers == 0)
            return bad(f,
                "requests are sent to '" + o.name
                    + "' but no worker answers them, so every request would wait for ever. Add a server, e.g. "
                      "{\"name\": \"server\", \"role\": \"program\", \"program\": [\"serve "
                    + o.name + "\"]}");
        // A program on both ends of a CSP channel needs another writer and another reader: with none, its put waits
        // for a receiver that can only be itself (or its get for a sender), which is waiting.
        for (const std::size_t k : bothEnds) {
            if (producers > 1 && consumers > 1)
                continue;
            const bool noOtherReader = consumers <= 1;
            return bad("workers[" + std::to_string(k) + "].program",
                "'" + s.workers[k].name + "' both puts into and gets from the rendezvous channel '" + o.name
                    + "', and no other process " + (noOtherReader ? "gets from it" : "puts into it") + ", so its "
                    + (noOtherReader ? "put would wait for a receiver" : "get would wait for a sender")
                    + " that is itself; a CSP process reads one channel and writes another (e.g. get " + o.name
                    + "; put " + o.name + "-out, with a second rendezvous object)");
        }
        // Unbuffered: a writer waits until a reader takes each message, so either side alone waits for ever.
        if (traits(o.transport).poison && (producers == 0) != (consumers == 0))
            return bad(f,
                "'" + o.name + "' is a rendezvous channel and "
                    + (producers == 0 ? "nobody puts into it" : "nobody gets from it") + ", so its "
                    + (producers == 0 ? "readers" : "writers")
                    + " would wait for ever (a rendezvous holds nothing). Add a "
                    + (producers == 0 ? "producer, or a program step \"put " : "consumer, or a program step \"get ")
                    + o.name + "\"");
        if (servers > 1)
            return bad(f,
                std::to_string(servers) + " workers serve '" + o.name
                    + "'; a Manager is one server process that owns its data, so keep one");
        bool replies = false; // requests name this object as their reply address
        for (const WorkerSpec& w : s.workers) {
            replies = replies || std::any_of(w.program.begin(), w.program.end(), [&](const ProgramStep& st) {
                return st.op == StepOp::Request && st.results == o.name;
            });
        }
        // A zmq object that carries requests carries their replies too, and nothing else.
        if (requestsOverConnections(o.transport) && (servers > 0 || clients > 0)) {
            for (const WorkerSpec& w : s.workers) {
                const bool other = (w.role != Role::Program && w.object == o.name)
                    || std::any_of(w.program.begin(), w.program.end(), [&](const ProgramStep& st) {
                           const bool named = st.object == o.name || (isPoolCall(st.op) && st.results == o.name);
                           return named && st.op != StepOp::Request && st.op != StepOp::Serve;
                       });
                if (other)
                    return bad(f,
                        "'" + o.name + "' carries requests and their replies (DEALER/ROUTER), and '" + w.name
                            + "' would send or take other messages through it; give those an object of their own");
            }
        }
        if (replies && consumers > 1 && !requestsOverConnections(o.transport))
            return bad(f,
                "'" + o.name
                    + "' is the reply address of requests, so only the client that sends them may get from it ("
                    + std::to_string(consumers) + " workers do); give each client its own reply queue");
        if (poolResults && consumers > 1)
            return bad(f,
                "'" + o.name
                    + "' brings a pool's results back to the process that called map or apply, so nothing "
                      "else may get from it ("
                    + std::to_string(consumers)
                    + " workers do); give each caller its own "
                      "results queue");
        for (const Role role : { Role::Producer, Role::Consumer }) {
            const std::string why
                = workerLimitProblem(o, role, std::uint32_t(role == Role::Producer ? producers : consumers));
            if (!why.empty())
                return bad(f, why);
        }
        if (traits(o.transport).severalProducersNeedAtomicWrites && producers > 1 && o.messageSize > PipeAtomicBytes)
            return bad(f + ".message_size",
                "with several producers on a FIFO each message must fit in PIPE_BUF (" + std::to_string(PipeAtomicBytes)
                    + " bytes) so writes do not interleave; it is " + std::to_string(o.messageSize));
    }
    return validateHosts(s);
}

static Result<Scenario> fromJson(const json& j, std::string_view source)
{
    Scenario s;
    auto err = [&](const std::string& field, const std::string& why) { return fieldError(source, field, why); };
    if (!j.is_object())
        return err("(top level)", "a scenario must be a JSON object {...}");

    // Reads an optional field of the expected type; wrong types are reported with the field's path.
    auto getString = [&](const json& obj, const char* key, const std::string& path, std::string& out,
                         bool required) -> std::optional<Error> {
        if (!obj.contains(key))
            return required ? std::optional<Error>(err(path + key, "is missing (expected a string)")) : std::nullopt;
        if (!obj[key].is_string())
            return err(path + key, "expected a string, found " + std::string(obj[key].type_name()));
        out = obj[key].get<std::string>();
        return std::nullopt;
    };
    auto getNumber
        = [&](const json& obj, const char* key, const std::string& path, double& out) -> std::optional<Error> {
        if (!obj.contains(key))
            return std::nullopt;
        if (!obj[key].is_number())
            return err(path + key, "expected a number, found " + std::string(obj[key].type_name()));
        out = obj[key].get<double>();
        return std::nullopt;
    };
    auto getUnsigned = [&](const json& obj, const char* key, const std::string& path, auto& out,
                           double max) -> std::optional<Error> {
        double v = double(out);
        if (auto e = getNumber(obj, key, path, v))
            return e;
        if (v < 0 || v != std::floor(v) || v > max)
            return err(path + key, "expected a whole number from 0 to " + str(max) + ", found " + str(v));
        out = static_cast<std::remove_reference_t<decltype(out)>>(v);
        return std::nullopt;
    };
    auto checkKeys = [&](const json& obj, const std::string& path,
                         std::initializer_list<const char*> allowed) -> std::optional<Error> {
        if (auto problem = detail::unknownField(obj, path, allowed))
            return err(problem->field, problem->why);
        return std::nullopt;
    };

    if (auto e = checkKeys(j, "",
            { "name", "title", "description", "duration_s", "sample_hz", "objects", "workers", "hosts",
                "controller_key" }))
        return *e;
    if (auto e = getString(j, "name", "", s.name, true))
        return *e;
    if (auto e = getString(j, "title", "", s.title, false))
        return *e;
    if (auto e = getString(j, "description", "", s.description, false))
        return *e;
    if (auto e = getNumber(j, "duration_s", "", s.durationS))
        return *e;
    if (auto e = getNumber(j, "sample_hz", "", s.sampleHz))
        return *e;
    if (auto e = getString(j, "controller_key", "", s.controllerKey, false))
        return *e;
    if (j.contains("hosts") && !j["hosts"].is_array())
        return err("hosts",
            "expected a list [...] of hosts, e.g. [{\"name\": \"lab2\", \"endpoint\": \"tcp://192.168.1.20:5555\", "
            "\"key\": \"lab2.pub\"}]");
    if (j.contains("hosts")) {
        std::size_t k = 0;
        for (const json& jh : j["hosts"]) {
            const std::string path = "hosts[" + std::to_string(k++) + "].";
            if (!jh.is_object())
                return err(path.substr(0, path.size() - 1), "expected an object {...}");
            if (auto e = checkKeys(jh, path, { "name", "endpoint", "key" }))
                return *e;
            HostSpec h;
            if (auto e = getString(jh, "name", path, h.name, true))
                return *e;
            if (auto e = getString(jh, "endpoint", path, h.endpoint, true))
                return *e;
            if (auto e = getString(jh, "key", path, h.keyFile, true))
                return *e;
            s.hosts.push_back(h);
        }
    }
    if (!j.contains("objects") || !j["objects"].is_array())
        return err("objects", "is missing or not a list [...] of objects");
    if (j.contains("workers") && !j["workers"].is_array())
        return err("workers", "expected a list [...] of workers");

    std::size_t i = 0;
    for (const json& jo : j["objects"]) {
        const std::string path = "objects[" + std::to_string(i++) + "].";
        if (!jo.is_object())
            return err(path.substr(0, path.size() - 1), "expected an object {...}");
        if (auto e = checkKeys(jo, path, { "name", "transport", "capacity", "message_size", "repair" }))
            return *e;
        ObjectSpec o;
        std::string transport;
        if (auto e = getString(jo, "name", path, o.name, true))
            return *e;
        if (auto e = getString(jo, "transport", path, transport, true))
            return *e;
        auto kind = parseTransport(transport);
        if (!kind) {
            std::string known;
            for (const TransportTraits& t : transportTable())
                known += (known.empty() ? "" : ", ") + std::string(t.name);
            return err(path + "transport", "'" + transport + "' is not a transport (use " + known + ")");
        }
        o.transport = *kind;
        const CapacityUnit unit = traits(o.transport).capacity;
        if (unit == CapacityUnit::None || unit == CapacityUnit::KernelBytes || unit == CapacityUnit::OneValue)
            o.capacity = 0; // unused, or (None) must be 0, which validation checks when it is written
        if (traits(o.transport).perProcess)
            o.capacity = 1; // one variable
        if (auto e = getUnsigned(jo, "capacity", path, o.capacity, 1e6))
            return *e;
        if (auto e = getUnsigned(jo, "message_size", path, o.messageSize, 1e9))
            return *e;
        if (jo.contains("repair")) {
            if (!jo["repair"].is_boolean())
                return err(path + "repair", "expected true or false, found " + std::string(jo["repair"].type_name()));
            o.repair = jo["repair"].get<bool>();
        }
        s.objects.push_back(o);
    }
    i = 0;
    if (j.contains("workers")) {
        for (const json& jw : j["workers"]) {
            const std::string path = "workers[" + std::to_string(i++) + "].";
            if (!jw.is_object())
                return err(path.substr(0, path.size() - 1), "expected an object {...}");
            if (auto e = checkKeys(jw, path,
                    { "name", "role", "object", "program", "rate", "message_size", "work_us", "count", "priority",
                        "crash_in_lock_after", "host" }))
                return *e;
            WorkerSpec w;
            std::string role;
            if (auto e = getString(jw, "name", path, w.name, true))
                return *e;
            if (auto e = getString(jw, "role", path, role, true))
                return *e;
            if (role != "producer" && role != "consumer" && role != "program")
                return err(path + "role", "'" + role + "' is not a role (use producer, consumer or program)");
            w.role = role == "producer" ? Role::Producer : role == "consumer" ? Role::Consumer : Role::Program;
            if (auto e = getString(jw, "object", path, w.object, w.role != Role::Program))
                return *e;
            if (jw.contains("program")) {
                if (w.role != Role::Program)
                    return err(path + "program", "only a worker with role \"program\" runs steps");
                const json& jp = jw["program"];
                if (!jp.is_array())
                    return err(path + "program",
                        "expected a list of steps, e.g. [\"read counter[0]\", \"write counter[0] +1\"]");
                for (std::size_t k = 0; k < jp.size(); ++k) {
                    const std::string sp = path + "program[" + std::to_string(k) + "]";
                    if (!jp[k].is_string())
                        return err(sp, "expected a step as a string, e.g. \"acquire pool 100ms\"");
                    const std::string text = jp[k].get<std::string>();
                    auto step = parseStepText(text);
                    if (!step)
                        return err(sp, "'" + text + "': " + step.error().hint);
                    w.program.push_back(std::move(*step));
                }
            } else if (w.role == Role::Program)
                return err(path + "program", "is missing (a program worker needs its list of steps)");
            // A worker's message size defaults to its object's.
            for (const ObjectSpec& o : s.objects) {
                if (o.name == w.object)
                    w.messageSize = o.messageSize;
            }
            if (auto e = getNumber(jw, "rate", path, w.rate))
                return *e;
            if (auto e = getUnsigned(jw, "message_size", path, w.messageSize, 1e9))
                return *e;
            if (auto e = getUnsigned(jw, "work_us", path, w.workUs, 1e9))
                return *e;
            if (auto e = getUnsigned(jw, "count", path, w.count, 1e15))
                return *e;
            if (auto e = getUnsigned(jw, "priority", path, w.priority, 1e9))
                return *e;
            if (auto e = getUnsigned(jw, "crash_in_lock_after", path, w.crashInLockAfter, 1e15))
                return *e;
            if (auto e = getString(jw, "host", path, w.host, false))
                return *e;
            s.workers.push_back(w);
        }
    }
    if (Status st = validateScenario(s, readMqLimits()); !st) {
        Error e = st.error();
        e.operation = "load scenario";
        e.object = std::string(source);
        return e;
    }
    return s;
}

Result<Scenario> parseScenario(std::string_view jsonText, std::string_view source)
{
    if (jsonText.size() > ScenarioLimits::MaxFileBytes)
        return detail::jsonFileTooLarge(
            std::string(source), bytesText(jsonText.size()), ScenarioLimits::MaxFileBytes, scenarioWords());
    if (jsonText.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return detail::makeError(ErrorCode::InvalidArgument, "load scenario", std::string(source),
            "The file is empty. A scenario is a JSON object with \"objects\" and \"workers\"; "
            "`ipclab-cli show bounded-buffer-3x2` prints one to start from");
    auto parsed = detail::parseJsonText(jsonText, std::string(source), scenarioWords());
    if (!parsed)
        return parsed.error();
    const json& j = *parsed;
    try {
        return fromJson(j, source);
    } catch (const json::exception& e) {
        // ipccore throws nothing across its API, whatever the file holds.
        return detail::makeError(ErrorCode::InvalidArgument, "load scenario", std::string(source),
            std::string("A value cannot be read: ") + e.what());
    }
}

Result<Scenario> loadScenarioFile(const std::string& path)
{
    auto text = detail::readJsonFile(path, ScenarioLimits::MaxFileBytes, scenarioWords());
    if (!text)
        return text.error();
    auto scenario = parseScenario(*text, path);
    if (!scenario)
        return scenario;
    // Key files are named from the scenario file's folder, as a user writes them beside it.
    const std::size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
        const std::string folder = path.substr(0, slash + 1);
        auto resolve = [&](std::string& file) {
            if (!file.empty() && file.front() != '/')
                file = folder + file;
        };
        for (HostSpec& h : scenario->hosts)
            resolve(h.keyFile);
        resolve(scenario->controllerKey);
    }
    return scenario;
}

std::string scenarioToJson(const Scenario& s)
{
    json j;
    j["name"] = s.name;
    j["title"] = s.title;
    j["description"] = s.description;
    j["duration_s"] = s.durationS;
    j["sample_hz"] = s.sampleHz;
    j["objects"] = json::array();
    for (const ObjectSpec& o : s.objects) {
        // Only the fields that mean something for the transport, so a shown scenario does not suggest that a
        // socketpair holds 8 messages or that a semaphore has a message size.
        const TransportTraits& t = traits(o.transport);
        json object { { "name", o.name }, { "transport", t.name } };
        const bool counted = t.capacity == CapacityUnit::Messages || t.capacity == CapacityUnit::Cells
            || t.capacity == CapacityUnit::Permits;
        if (counted && !t.perProcess)
            object["capacity"] = o.capacity;
        if (t.carriesMessages)
            object["message_size"] = o.messageSize;
        if (!o.repair)
            object["repair"] = false;
        j["objects"].push_back(object);
    }
    j["workers"] = json::array();
    const WorkerSpec unset; // what the parser gives a field that is not written
    for (const WorkerSpec& w : s.workers) {
        // The fields that say something: a worker's own settings, not the defaults it would get anyway.
        json worker { { "name", w.name }, { "role", roleName(w.role) } };
        if (w.role == Role::Program) {
            json steps = json::array();
            for (const ProgramStep& step : w.program)
                steps.push_back(stepText(step));
            worker["program"] = steps;
        } else
            worker["object"] = w.object;
        auto put = [&](const char* key, auto value, auto none) {
            if (value != none)
                worker[key] = value;
        };
        put("rate", w.rate, unset.rate);
        put("message_size", w.messageSize, unset.messageSize);
        put("work_us", w.workUs, unset.workUs);
        put("count", w.count, unset.count);
        put("priority", w.priority, unset.priority);
        put("crash_in_lock_after", w.crashInLockAfter, unset.crashInLockAfter);
        if (!w.host.empty())
            worker["host"] = w.host;
        j["workers"].push_back(worker);
    }
    if (!s.hosts.empty()) {
        j["hosts"] = json::array();
        for (const HostSpec& h : s.hosts)
            j["hosts"].push_back({ { "name", h.name }, { "endpoint", h.endpoint }, { "key", h.keyFile } });
    }
    if (!s.controllerKey.empty())
        j["controller_key"] = s.controllerKey;
    return j.dump(2) + "\n";
}

namespace {
// Why a file could not be written, in a file's words (the generic hints speak of IPC objects).
Error saveError(const std::string& path, int err)
{
    const char* hint = err == ENOENT    ? "The folder does not exist. Save into an existing folder, or create it first"
        : err == EACCES || err == EPERM ? "You may not write there. Save into a folder of your own, such as your home"
        : err == EISDIR                 ? "That is a folder. Give a file name, such as my-scenario.json"
        : err == EROFS                  ? "That file system is read-only. Save somewhere else, such as your home"
        : err == ENOSPC                 ? "The disk is full. Free some space or save somewhere else"
                                        : "";
    return detail::sysError("save scenario", path, err, hint);
}
} // namespace

Status saveScenarioFile(const Scenario& s, const std::string& path)
{
    if (Status st = validateScenario(s, readMqLimits()); !st)
        return st;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        return saveError(path, errno ? errno : EACCES);
    out << scenarioToJson(s);
    if (!out)
        return saveError(path, errno ? errno : EIO);
    return {};
}

const std::vector<BundledScenario>& bundledScenarios()
{
    static const std::vector<BundledScenario> list = [] {
        std::vector<BundledScenario> out;
        for (const auto& [name, text] : detail::bundledScenarioTexts()) {
            json j = json::parse(text, nullptr, false);
            BundledScenario b;
            b.name = std::string(name);
            b.title = j.is_object() ? j.value("title", "") : "";
            b.description = j.is_object() ? j.value("description", "") : "";
            b.json = std::string(text);
            out.push_back(std::move(b));
        }
        return out;
    }();
    return list;
}

Result<Scenario> resolveScenario(const std::string& nameOrPath)
{
    // Old names of renamed scenarios, so command lines and notes that use them keep working.
    static const std::pair<std::string_view, std::string_view> aliases[] = {
        { "shared-value-lost-updates", "shared-value-overwritten" }, // it shows overwritten values, not lost updates
    };
    std::string_view name = nameOrPath;
    for (const auto& [old, current] : aliases) {
        if (name == old)
            name = current;
    }
    for (const BundledScenario& b : bundledScenarios()) {
        if (b.name == name)
            return parseScenario(b.json, b.name);
    }
    // A path, a .json name, or any file that exists (whatever its name ends with) is read as a file.
    if (nameOrPath.find('/') != std::string::npos || nameOrPath.ends_with(".json")
        || access(nameOrPath.c_str(), F_OK) == 0)
        return loadScenarioFile(nameOrPath);
    std::string names;
    for (const BundledScenario& b : bundledScenarios())
        names += (names.empty() ? "" : ", ") + b.name;
    return detail::makeError(ErrorCode::NotFound, "find scenario", nameOrPath,
        "There is no bundled scenario of that name and no such .json file. Bundled scenarios: " + names);
}

std::vector<std::string> workerObjects(const Scenario& scenario, const WorkerSpec& worker)
{
    std::vector<std::string> out = programObjects(worker.program);
    for (const ProgramStep& step : worker.program) {
        if (step.op != StepOp::Serve)
            continue;
        for (const WorkerSpec& client : scenario.workers) {
            for (const ProgramStep& st : client.program) {
                if (st.op == StepOp::Request && st.object == step.object
                    && std::find(out.begin(), out.end(), st.results) == out.end())
                    out.push_back(st.results);
            }
        }
    }
    return out;
}

} // namespace ipccore

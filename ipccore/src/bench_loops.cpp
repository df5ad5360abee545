#include "bench_internal.h"
#include "channel_family.h"

#include "ipccore/channel.h"
#include "ipccore/checksum.h"
#include "ipccore/clock.h"
#include "ipccore/framing.h"
#include "ipccore/runner.h"
#include "ipccore/telemetry.h"
#include "ipccore/worker.h"
#include "run_directory.h"
#include "sys_error.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

namespace ipccore::bench {

namespace {

std::atomic<std::uint32_t> g_nameCounter { 0 };
std::atomic<std::uint64_t> g_nameToken { 0 }; // 0: not drawn yet

// The unpredictable part of this process's bench names, drawn from getrandom once and again after a collision.
std::uint64_t nameToken()
{
    std::uint64_t token = g_nameToken.load();
    if (token == 0) {
        if (getrandom(&token, sizeof token, 0) != ssize_t(sizeof token))
            token = monotonicNs() * 0x9e3779b97f4a7c15ull ^ std::uint64_t(getpid());
        token |= 1; // never 0
        std::uint64_t expected = 0;
        if (!g_nameToken.compare_exchange_strong(expected, token))
            token = expected;
    }
    return token;
}

void renewNameToken()
{
    g_nameToken.store(0);
}

// Runs `make` (which names and creates an object) again under fresh names while the name is taken. The names are
// unpredictable, so a collision means someone saw or guessed them; after the last try the error says so.
template <typename Make> auto createUnderFreshName(Make make) -> decltype(make())
{
    constexpr int Tries = 4;
    for (int attempt = 1;; ++attempt) {
        auto made = make();
        if (made || made.error().code != ErrorCode::AlreadyExists)
            return made;
        if (attempt == Tries) {
            Error error = made.error();
            error.hint = "Another process already holds this name, although every bench name carries a random "
                         "part and "
                + std::to_string(Tries)
                + " fresh names were tried. Someone may be taking the "
                  "names as they appear: look for their owner with ls -l /dev/shm (and /dev/mqueue)";
            return error;
        }
        renewNameToken();
    }
}

// Generous: the slowest run of the default bench takes about a second.
constexpr std::uint64_t RunTimeoutNs = 120'000'000'000ull;

// Shared between the bench process and its two children (anonymous shared memory: nothing to unlink).
struct PairControl {
    std::atomic<std::uint64_t> startNs; // producer, just after the barrier
    std::atomic<std::uint64_t> endNs; // consumer, after its last message
    std::atomic<std::uint32_t> stop;
    std::atomic<std::uint32_t> errorSet;
    std::atomic<int> ranOn[2]; // a pinned pair: the CPU each side was on when its loop ended (sched_getcpu)
    char error[512];
    std::uint64_t latencyCapacity;
    std::uint64_t latencies[1]; // latencyCapacity entries (the mapping is sized for them)
};

class SharedBlock {
public:
    explicit SharedBlock(std::size_t bytes)
        : m_bytes(bytes)
    {
        m_data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m_data == MAP_FAILED)
            m_data = nullptr;
    }
    ~SharedBlock()
    {
        if (m_data)
            munmap(m_data, m_bytes);
    }
    SharedBlock(const SharedBlock&) = delete;
    SharedBlock& operator=(const SharedBlock&) = delete;
    void* data() const { return m_data; }

private:
    void* m_data = nullptr;
    std::size_t m_bytes;
};

struct ControlBlock {
    explicit ControlBlock(std::uint64_t latencies)
        : block(sizeof(PairControl) + latencies * sizeof(std::uint64_t))
    {
        if (block.data()) {
            ctl = new (block.data()) PairControl {};
            ctl->latencyCapacity = latencies;
        }
    }
    SharedBlock block;
    PairControl* ctl = nullptr;
};

void childError(PairControl& ctl, const std::string& text)
{
    if (ctl.errorSet.exchange(1) == 0) {
        std::strncpy(ctl.error, text.c_str(), sizeof ctl.error - 1);
        ctl.error[sizeof ctl.error - 1] = '\0';
    }
}

int childFail(PairControl& ctl, const std::string& what, int err)
{
    childError(ctl, what + ": " + std::strerror(err));
    return 4;
}

using ChildBody = std::function<int(PairControl&)>;

int g_pinned[2] = { -1, -1 }; // setPinning: the CPU of a pair's first and second process

[[noreturn]] void childMain(
    int barrierRead, int barrierWrite, pid_t parent, int index, const ChildBody& body, PairControl& ctl)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    const int cpu = g_pinned[index];
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            _exit(childFail(ctl, "sched_setaffinity to CPU " + std::to_string(cpu) + " (--pin)", errno));
    }
    // Ctrl-C reaches the whole process group; the bench process decides how its children end.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGPIPE, SIG_IGN);
    close(barrierWrite);
    char c = 0;
    while (read(barrierRead, &c, 1) < 0 && errno == EINTR) { }
    close(barrierRead);
    const int status = body(ctl);
    if (cpu >= 0)
        ctl.ranOn[index].store(sched_getcpu());
    _exit(status);
}

int pidfdOpen(pid_t pid)
{
#ifdef SYS_pidfd_open
    return int(syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

// Forks the two sides, releases them together (closing the barrier pipe) and waits for both. Returns the seconds
// between the producer's start and the consumer's end, as the children measured them.
Result<double> runPair(const ChildBody& producer, const ChildBody& consumer, PairControl& ctl,
    const std::atomic<bool>* cancel, const std::string& what)
{
    int barrier[2];
    if (pipe2(barrier, O_CLOEXEC) != 0)
        return detail::sysError("pipe2", what, errno);
    const pid_t parent = getpid();
    pid_t pids[2] = { -1, -1 };
    int statuses[2] = { 0, 0 };
    bool alive[2] = { false, false };
    int pidfds[2] = { -1, -1 };
    auto killAll = [&] {
        for (int i = 0; i < 2; ++i) {
            if (alive[i]) {
                kill(pids[i], SIGKILL);
                detail::retryOnEintr([&] { return waitpid(pids[i], &statuses[i], 0); });
                alive[i] = false;
            }
            if (pidfds[i] >= 0)
                close(pidfds[i]);
            pidfds[i] = -1;
        }
    };
    for (int i = 0; i < 2; ++i) {
        const pid_t pid = fork();
        if (pid < 0) {
            const int err = errno;
            close(barrier[0]);
            close(barrier[1]);
            killAll();
            return detail::sysError("fork", what, err, "The system refused a new process (too many processes?)");
        }
        if (pid == 0)
            childMain(barrier[0], barrier[1], parent, i, i == 0 ? producer : consumer, ctl);
        pids[i] = pid;
        alive[i] = true;
        pidfds[i] = pidfdOpen(pid);
    }
    close(barrier[0]);
    close(barrier[1]); // both children see end-of-file and start now

    const std::uint64_t deadline = monotonicNs() + RunTimeoutNs;
    while (alive[0] || alive[1]) {
        pollfd fds[2];
        nfds_t n = 0;
        for (int i = 0; i < 2; ++i) {
            if (alive[i] && pidfds[i] >= 0)
                fds[n++] = { pidfds[i], POLLIN, 0 };
        }
        // Waking rarely keeps the bench process off the two cores the children measure on.
        poll(fds, n, n > 0 ? 50 : 5);
        for (int i = 0; i < 2; ++i) {
            if (alive[i] && waitpid(pids[i], &statuses[i], WNOHANG) == pids[i])
                alive[i] = false;
        }
        if (cancel && cancel->load()) {
            killAll();
            return detail::makeError(ErrorCode::Interrupted, "bench", what, "The bench was cancelled");
        }
        if (monotonicNs() > deadline) {
            killAll();
            return detail::makeError(ErrorCode::TimedOut, "bench", what,
                "A run took longer than 120 s; the machine may be overloaded. Use fewer --messages");
        }
    }
    killAll(); // closes the pidfds
    for (int i = 0; i < 2; ++i) {
        const int st = statuses[i];
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            std::string text = ctl.errorSet.load() ? std::string(ctl.error)
                : WIFSIGNALED(st)                  ? "killed by signal " + std::to_string(WTERMSIG(st))
                                                   : "exited " + std::to_string(WEXITSTATUS(st)) + " (see its stderr)";
            return detail::makeError(ErrorCode::Unexpected, "bench", what,
                std::string(i == 0 ? "the producer" : "the consumer") + " failed: " + text);
        }
    }
    for (int i = 0; i < 2; ++i) { // the pinning held: each side ended on its CPU
        if (g_pinned[i] >= 0 && ctl.ranOn[i].load() != g_pinned[i])
            return detail::makeError(ErrorCode::Unexpected, "bench", what,
                std::string(i == 0 ? "the producer" : "the consumer") + " was pinned to CPU "
                    + std::to_string(g_pinned[i]) + " but ended on CPU " + std::to_string(ctl.ranOn[i].load()));
    }
    const std::uint64_t start = ctl.startNs.load();
    const std::uint64_t end = ctl.endNs.load();
    if (start == 0 || end <= start)
        return detail::makeError(ErrorCode::Unexpected, "bench", what, "The run recorded no time window");
    return double(end - start) / 1e9;
}

// Removes one OS name on every path out of a measurement.
class Unlinker {
public:
    explicit Unlinker(std::function<void()> remove)
        : m_remove(std::move(remove))
    { }
    ~Unlinker() { m_remove(); }
    Unlinker(const Unlinker&) = delete;
    Unlinker& operator=(const Unlinker&) = delete;

private:
    std::function<void()> m_remove;
};

class BenchHooks final : public WaitHooks {
public:
    explicit BenchHooks(PairControl& ctl)
        : m_ctl(ctl)
    { }
    void enter(WorkerState) override { }
    bool stopRequested() override { return m_ctl.stop.load(std::memory_order_relaxed) != 0; }

private:
    PairControl& m_ctl;
};

std::string sizeText(TransportKind t, std::uint32_t size)
{
    return std::string(transportName(t)) + " " + std::to_string(size) + " B";
}

bool writeAll(int fd, const std::byte* p, std::size_t n)
{
    while (n > 0) {
        const ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= std::size_t(w);
    }
    return true;
}

bool readExact(int fd, std::byte* p, std::size_t n)
{
    while (n > 0) {
        const ssize_t r = read(fd, p, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return false;
        }
        p += r;
        n -= std::size_t(r);
    }
    return true;
}

// Spins while the other side is expected within a microsecond, then yields the core (as shm-spsc does), so a side
// that shares a core with its peer on a busy 2-core machine does not hold it for a long spin.
inline void backoff(int& spins)
{
    if (++spins < 64)
        detail::cpuRelax();
    else
        sched_yield();
}

std::uint32_t slotStride(std::uint32_t size)
{
    return (size + 63u) & ~63u;
}

struct BareRingHeader {
    alignas(64) std::atomic<std::uint64_t> head;
    alignas(64) std::atomic<std::uint64_t> tail;
    alignas(64) sem_t empty;
    alignas(64) sem_t full;
};
constexpr std::size_t BareRingHeaderBytes = 256;
static_assert(sizeof(BareRingHeader) <= BareRingHeaderBytes);

void fillMessage(std::vector<std::byte>& message)
{
    for (std::size_t i = 0; i < message.size(); ++i)
        message[i] = std::byte(i * 131u);
}

Result<double> bareMq(std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    auto made = createUnderFreshName([&]() -> Result<std::string> {
        const std::string queue = queueName("bare-mq");
        mq_attr attr {};
        attr.mq_maxmsg = MqDepth;
        attr.mq_msgsize = long(size);
        const mqd_t q = mq_open(queue.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
        if (q == mqd_t(-1))
            return detail::sysError("mq_open", queue, errno);
        mq_close(q);
        return queue;
    });
    if (!made)
        return made.error();
    const std::string name = *made;
    Unlinker unlink([&] { mq_unlink(name.c_str()); });
    ControlBlock cb(0);
    if (!cb.ctl)
        return detail::sysError("mmap", name, errno);
    auto producer = [&](PairControl& ctl) {
        ctl.startNs.store(monotonicNs());
        const mqd_t w = mq_open(name.c_str(), O_WRONLY);
        if (w == mqd_t(-1))
            return childFail(ctl, "mq_open", errno);
        std::vector<std::byte> msg(size);
        fillMessage(msg);
        for (std::uint64_t i = 0; i < messages; ++i) {
            std::memcpy(msg.data(), &i, sizeof i);
            while (mq_send(w, reinterpret_cast<const char*>(msg.data()), size, 0) != 0) {
                if (errno != EINTR)
                    return childFail(ctl, "mq_send", errno);
            }
        }
        return 0;
    };
    auto consumer = [&](PairControl& ctl) {
        const mqd_t r = mq_open(name.c_str(), O_RDONLY);
        if (r == mqd_t(-1))
            return childFail(ctl, "mq_open", errno);
        std::vector<std::byte> msg(size);
        for (std::uint64_t i = 0; i < messages; ++i) {
            ssize_t n;
            while ((n = mq_receive(r, reinterpret_cast<char*>(msg.data()), size, nullptr)) < 0) {
                if (errno != EINTR)
                    return childFail(ctl, "mq_receive", errno);
            }
            if (std::size_t(n) != size)
                return childFail(ctl, "mq_receive (short message)", EIO);
        }
        ctl.endNs.store(monotonicNs());
        return 0;
    };
    auto secs = runPair(producer, consumer, *cb.ctl, cancel, "bare mq");
    if (!secs)
        return secs.error();
    return double(messages) / *secs;
}

// One writer and one reader on a byte stream (FIFO or socket); the descriptors are opened by `open`.
Result<double> bareStream(std::uint32_t size, std::uint64_t messages, const std::function<int(bool writer)>& open,
    const std::atomic<bool>* cancel, const std::string& what)
{
    ControlBlock cb(0);
    if (!cb.ctl)
        return detail::sysError("mmap", what, errno);
    auto producer = [&](PairControl& ctl) {
        ctl.startNs.store(monotonicNs());
        const int fd = open(true);
        if (fd < 0)
            return childFail(ctl, what + " open", errno);
        std::vector<std::byte> msg(size);
        fillMessage(msg);
        for (std::uint64_t i = 0; i < messages; ++i) {
            std::memcpy(msg.data(), &i, sizeof i);
            if (!writeAll(fd, msg.data(), size))
                return childFail(ctl, what + " write", errno);
        }
        return 0;
    };
    auto consumer = [&](PairControl& ctl) {
        const int fd = open(false);
        if (fd < 0)
            return childFail(ctl, what + " open", errno);
        std::vector<std::byte> msg(size);
        for (std::uint64_t i = 0; i < messages; ++i) {
            if (!readExact(fd, msg.data(), size))
                return childFail(ctl, what + " read", errno ? errno : EIO);
        }
        ctl.endNs.store(monotonicNs());
        return 0;
    };
    auto secs = runPair(producer, consumer, *cb.ctl, cancel, what);
    if (!secs)
        return secs.error();
    return double(messages) / *secs;
}

Result<double> bareFifo(std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    auto path = createUnderFreshName([&]() -> Result<std::string> {
        auto made = pathName("bare.fifo");
        if (made && mkfifo(made->c_str(), 0600) != 0)
            return detail::sysError("mkfifo", *made, errno);
        return made;
    });
    if (!path)
        return path.error();
    Unlinker unlink([&] { ::unlink(path->c_str()); });
    return bareStream(
        size, messages, [&](bool writer) { return ::open(path->c_str(), writer ? O_WRONLY : O_RDONLY); }, cancel,
        "bare fifo");
}

// A bare libzmq PUSH/PULL pair: blocking zmq_send and zmq_recv, the PULL side bound, the PUSH side connected, each
// queue's high-water mark at the zmq rows' capacity. Over ipc://, or over tcp:// on 127.0.0.1 with CURVE as the
// zmq-tcp row has it (the PULL side binds a port the kernel picks and tells the PUSH side through shared memory).
Result<double> bareZmq(bool tcp, std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    auto path = createUnderFreshName([&]() -> Result<std::string> {
        auto made = pathName("bare.zmq");
        struct stat st { };
        if (made && lstat(made->c_str(), &st) == 0)
            return detail::makeError(ErrorCode::AlreadyExists, "bench", *made, "Taken");
        return made;
    });
    if (!path)
        return path.error();
    Unlinker unlink([&] { ::unlink(path->c_str()); });
    const int hwm = int(ringCapacity(size));
    const int second = 1000;
    const int reconnectMs = detail::ZmqReconnectMs; // as the lab's producers (zmq_setsockopt takes its address)
    ControlBlock cb(0);
    SharedBlock portBlock(sizeof(std::atomic<int>));
    if (!cb.ctl || !portBlock.data())
        return detail::sysError("mmap", "bare zmq", errno);
    auto* port = new (portBlock.data()) std::atomic<int>(0);
    char serverPublic[41] = {}, serverSecret[41] = {}, clientPublic[41] = {}, clientSecret[41] = {};
    if (tcp
        && (zmq_curve_keypair(serverPublic, serverSecret) != 0 || zmq_curve_keypair(clientPublic, clientSecret) != 0))
        return detail::sysError("zmq_curve_keypair", "bare zmq", errno);
    // The PULL side binds, and over tcp:// says which port; the PUSH side connects once it knows.
    auto attach = [&](PairControl& ctl, void* socket, bool pushing) -> int {
        if (!tcp) {
            const std::string endpoint = "ipc://" + *path;
            return pushing ? zmq_connect(socket, endpoint.c_str()) : zmq_bind(socket, endpoint.c_str());
        }
        const int one = 1;
        if (!pushing) {
            char bound[64] = {};
            std::size_t length = sizeof bound;
            if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof one) != 0
                || zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, serverSecret, 40) != 0
                || zmq_bind(socket, "tcp://127.0.0.1:*") != 0
                || zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, bound, &length) != 0)
                return -1;
            const char* colon = std::strrchr(bound, ':');
            if (!colon)
                return -1;
            port->store(std::atoi(colon + 1));
            return 0;
        }
        if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, serverPublic, 40) != 0
            || zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, clientPublic, 40) != 0
            || zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, clientSecret, 40) != 0)
            return -1;
        while (port->load() == 0 && ctl.errorSet.load() == 0)
            sleepUntilNs(monotonicNs() + 100'000);
        return zmq_connect(socket, ("tcp://127.0.0.1:" + std::to_string(port->load())).c_str());
    };
    // Each side makes its context after the fork (a context must not cross one) and closes it before returning.
    // The producer's clock starts before its context, as every other loop's starts before it opens its object and
    // the lab's producer before it opens its endpoint: ZeroMQ's set-up (its I/O thread, the connection and, over
    // tcp://, the CURVE handshake) is counted on both sides of the ratio, not on the lab's alone.
    auto side = [&](PairControl& ctl, bool pushing) {
        if (pushing)
            ctl.startNs.store(monotonicNs());
        void* context = zmq_ctx_new();
        void* socket = context ? zmq_socket(context, pushing ? ZMQ_PUSH : ZMQ_PULL) : nullptr;
        int rc = 0;
        if (!socket)
            rc = childFail(ctl, "zmq_socket", errno);
        else if (zmq_setsockopt(socket, pushing ? ZMQ_SNDHWM : ZMQ_RCVHWM, &hwm, sizeof hwm) != 0
            || zmq_setsockopt(socket, pushing ? ZMQ_SNDTIMEO : ZMQ_RCVTIMEO, &second, sizeof second) != 0
            || zmq_setsockopt(socket, ZMQ_RECONNECT_IVL, &reconnectMs, sizeof reconnectMs) != 0)
            rc = childFail(ctl, "zmq_setsockopt", errno);
        else if (attach(ctl, socket, pushing) != 0)
            rc = childFail(ctl, pushing ? "zmq_connect" : "zmq_bind", errno);
        std::vector<std::byte> msg(size);
        if (pushing)
            fillMessage(msg);
        for (std::uint64_t i = 0; rc == 0 && i < messages; ++i) {
            if (pushing)
                std::memcpy(msg.data(), &i, sizeof i);
            for (;;) {
                const int n = pushing ? zmq_send(socket, msg.data(), size, 0) : zmq_recv(socket, msg.data(), size, 0);
                if (n == int(size))
                    break;
                // Waits are cut at a second (ZMQ_SNDTIMEO, ZMQ_RCVTIMEO) to see whether the other side failed.
                if (n < 0 && (errno == EINTR || (errno == EAGAIN && ctl.errorSet.load() == 0)))
                    continue;
                rc = childFail(ctl, pushing ? "zmq_send" : "zmq_recv", n >= 0 ? EIO : errno);
                break;
            }
        }
        if (!pushing && rc == 0)
            ctl.endNs.store(monotonicNs());
        // The producer closes only once the consumer has everything: libzmq drops what a connection still holds in
        // the kernel when its sender hangs up while the receiver's queue is at its high-water mark.
        while (pushing && rc == 0 && ctl.endNs.load() == 0 && ctl.errorSet.load() == 0)
            sleepUntilNs(monotonicNs() + 1'000'000);
        if (socket)
            zmq_close(socket);
        if (context)
            zmq_ctx_term(context);
        return rc;
    };
    auto secs = runPair([&](PairControl& ctl) { return side(ctl, true); },
        [&](PairControl& ctl) { return side(ctl, false); }, *cb.ctl, cancel, "bare zmq");
    if (!secs)
        return secs.error();
    return double(messages) / *secs;
}

// One writer and one reader on a pair of connected descriptors (a pipe's or a socketpair's): `fds[writerEnd]` is
// written, the other read; each forked side closes the end it does not use.
Result<double> bareOnPair(std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel,
    const std::string& what, int fds[2], int writerEnd)
{
    Unlinker closeBoth([&] {
        close(fds[0]);
        close(fds[1]);
    });
    return bareStream(
        size, messages,
        [&](bool writer) {
            const int mine = writer ? writerEnd : 1 - writerEnd;
            close(fds[1 - mine]);
            return fds[mine];
        },
        cancel, what);
}

Result<double> bareSocket(std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return detail::sysError("socketpair", "bare socket", errno);
    return bareOnPair(size, messages, cancel, "bare socket", sv, 0);
}

Result<double> barePipe(std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return detail::sysError("pipe2", "bare pipe", errno);
    return bareOnPair(size, messages, cancel, "bare pipe", fds, 1);
}

// Each write one record, each read one record: the socketpair as IPC Lab's socketpair row makes it.
Result<double> bareSocketPair(std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return detail::sysError("socketpair", "bare socketpair", errno);
    return bareOnPair(size, messages, cancel, "bare socketpair", sv, 0);
}

// The rings live in anonymous shared memory: shared between the forked processes, nothing to unlink.
Result<double> bareRing(bool semaphores, std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    const std::uint32_t capacity = ringCapacity(size);
    const std::uint32_t stride = slotStride(size);
    SharedBlock ring(BareRingHeaderBytes + std::size_t(capacity) * stride);
    if (!ring.data())
        return detail::sysError("mmap", "bare ring", errno);
    auto* h = new (ring.data()) BareRingHeader {};
    std::byte* slots = static_cast<std::byte*>(ring.data()) + BareRingHeaderBytes;
    if (semaphores && (sem_init(&h->empty, 1, capacity) != 0 || sem_init(&h->full, 1, 0) != 0))
        return detail::sysError("sem_init", "bare ring", errno);
    ControlBlock cb(0);
    if (!cb.ctl)
        return detail::sysError("mmap", "bare ring", errno);
    auto semWait = [](sem_t* s) {
        while (sem_wait(s) != 0) {
            if (errno != EINTR)
                return false;
        }
        return true;
    };
    auto producer = [&](PairControl& ctl) {
        ctl.startNs.store(monotonicNs());
        std::vector<std::byte> msg(size);
        fillMessage(msg);
        std::uint64_t head = 0, cachedTail = 0;
        for (std::uint64_t i = 0; i < messages; ++i) {
            std::memcpy(msg.data(), &i, sizeof i);
            if (semaphores) {
                if (!semWait(&h->empty))
                    return childFail(ctl, "sem_wait", errno);
                std::memcpy(slots + (head++ % capacity) * stride, msg.data(), size);
                sem_post(&h->full);
                continue;
            }
            int spins = 0;
            while (head - cachedTail >= capacity) {
                cachedTail = h->tail.load(std::memory_order_acquire);
                if (head - cachedTail >= capacity)
                    backoff(spins);
            }
            std::memcpy(slots + (head % capacity) * stride, msg.data(), size);
            h->head.store(++head, std::memory_order_release);
        }
        return 0;
    };
    auto consumer = [&](PairControl& ctl) {
        std::vector<std::byte> msg(size);
        std::uint64_t tail = 0, cachedHead = 0, check = 0;
        for (std::uint64_t i = 0; i < messages; ++i) {
            if (semaphores) {
                if (!semWait(&h->full))
                    return childFail(ctl, "sem_wait", errno);
                std::memcpy(msg.data(), slots + (tail++ % capacity) * stride, size);
                sem_post(&h->empty);
            } else {
                int spins = 0;
                while (cachedHead == tail) {
                    cachedHead = h->head.load(std::memory_order_acquire);
                    if (cachedHead == tail)
                        backoff(spins);
                }
                std::memcpy(msg.data(), slots + (tail % capacity) * stride, size);
                h->tail.store(++tail, std::memory_order_release);
            }
            std::uint64_t seq = 0;
            std::memcpy(&seq, msg.data(), sizeof seq);
            check += seq;
        }
        ctl.endNs.store(monotonicNs());
        // The sum of 0..n-1 proves every message arrived once (and keeps the copies from being optimised away).
        if (messages > 0 && check != messages * (messages - 1) / 2)
            return childFail(ctl, "bare ring: messages lost or duplicated", EIO);
        return 0;
    };
    auto secs = runPair(producer, consumer, *cb.ctl, cancel, semaphores ? "bare semaphore ring" : "bare SPSC ring");
    if (semaphores) {
        sem_destroy(&h->empty);
        sem_destroy(&h->full);
    }
    if (!secs)
        return secs.error();
    return double(messages) / *secs;
}

ChannelAddress addressFor(TransportKind transport, std::uint32_t size);
Status nameAddress(ChannelAddress& a, const std::string& tag);

// Names the address after `tag` and creates its object, under a fresh name while the name is taken.
Result<std::unique_ptr<ChannelObject>> createChannel(ChannelAddress& address, const std::string& tag)
{
    return createUnderFreshName([&]() -> Result<std::unique_ptr<ChannelObject>> {
        if (Status st = nameAddress(address, tag); !st)
            return st.error();
        auto object = ChannelObject::create(address);
        if (object)
            address.listenFd = (*object)->listenFd();
        return object;
    });
}

ChannelAddress addressFor(TransportKind transport, std::uint32_t size)
{
    ChannelAddress a;
    a.transport = transport;
    a.messageSize = size;
    a.capacity = transport == TransportKind::Mq ? MqDepth : ringCapacity(size);
    return a;
}

Status nameAddress(ChannelAddress& a, const std::string& tag)
{
    if (const char* suffix = traits(a.transport).pathSuffix) {
        auto path = pathName(tag + suffix);
        if (!path)
            return path.error();
        a.name = *path;
    } else
        a.name = a.transport == TransportKind::Mq ? queueName(tag) : objectName(tag);
    return {};
}

} // namespace

std::string objectName(const std::string& tag)
{
    char token[17];
    std::snprintf(token, sizeof token, "%016llx", static_cast<unsigned long long>(nameToken()));
    return "/ipclab-b" + std::to_string(getpid()) + "-" + token + "-" + std::to_string(g_nameCounter.fetch_add(1)) + "-"
        + tag;
}

namespace {
// The runtime directory, made if missing, and only if it is this user's private (0700) directory.
Result<std::string> privateRuntimeDirectory()
{
    // /tmp is shared: a directory someone else made there could redirect our FIFOs and sockets.
    auto root = detail::openRuntimeRoot(true);
    if (!root)
        return root.error();
    return runtimeDirectory();
}

std::string queueListPath()
{
    return runtimeDirectory() + "/ipclab-b" + std::to_string(getpid()) + ".queues";
}
} // namespace

std::string queueName(const std::string& tag)
{
    const std::string name = objectName(tag);
    // Best effort: without the list, a queue of a bench killed mid-measurement stays until reboot where
    // /dev/mqueue is not mounted (with it, cleanupStaleRuns lists the queues itself).
    if (privateRuntimeDirectory()) {
        const int fd = open(queueListPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            const std::string line = name + "\n";
            (void)!write(fd, line.data(), line.size());
            close(fd);
        }
    }
    return name;
}

void forgetQueueNames()
{
    unlink(queueListPath().c_str());
}

Result<std::string> pathName(const std::string& tag)
{
    auto dir = privateRuntimeDirectory();
    if (!dir)
        return dir.error();
    return *dir + objectName(tag); // objectName starts with '/'
}

std::uint32_t ringCapacity(std::uint32_t size)
{
    // About 1 MiB of slots: deep enough that neither side waits on the other at small sizes, small enough to stay
    // in the caches at 64 KiB.
    const std::uint32_t slots = (1u << 20) / slotStride(size);
    return std::clamp<std::uint32_t>(slots, 8, 1024);
}

// The address one side opens. An anonymous transport (pipe, socketpair) has no name: the forked side inherits the
// descriptors, and its address names its end as the runner's workers get theirs ("fd:N").
ChannelAddress endAddress(const ChannelAddress& address, const ChannelObject& object, Role role)
{
    ChannelAddress end = address;
    if (traits(address.transport).anonymous)
        end.name = "fd:" + std::to_string(object.endFd(role, role == Role::Producer ? 0 : 1));
    return end;
}

Result<double> measureIpccore(TransportKind transport, std::uint32_t size, std::uint64_t messages, bool telemetry,
    const std::atomic<bool>* cancel, Loop loop, bool events)
{
    const std::string what = sizeText(transport, size) + (loop == Loop::Programs ? " (programs)" : " (ipccore)");
    ChannelAddress address = addressFor(transport, size);
    auto object = createChannel(address, "q");
    if (!object)
        return object.error();
    const ChannelAddress producerEnd = endAddress(address, **object, Role::Producer);
    const ChannelAddress consumerEnd = endAddress(address, **object, Role::Consumer);
    auto board = createUnderFreshName([] { return TelemetryBoard::create(objectName("board"), 2); });
    if (!board)
        return board.error();
    for (std::uint32_t i = 0; i < 2; ++i) {
        WorkerSlot& slot = board->claim(i);
        slot.ctlRateMilli.store(0);
        slot.ctlMessageSize.store(size);
        slot.ctlWorkUs.store(0);
        slot.ctlPaused.store(0);
        slot.ctlStop.store(0);
        slot.role.store(i);
    }
    WorkerArgs p;
    p.board = board->name();
    p.slot = 0;
    p.role = p.spec.role = Role::Producer;
    p.transport = transport;
    p.object = producerEnd.name;
    p.objectMessageSize = size;
    p.capacity = address.capacity;
    p.spec.name = "bench-producer";
    p.spec.object = "bench";
    p.spec.messageSize = size;
    p.spec.count = messages;
    p.telemetry = telemetry;
    p.events = events;
    WorkerArgs c = p;
    c.slot = 1;
    c.role = c.spec.role = Role::Consumer;
    c.spec.name = "bench-consumer";
    c.object = consumerEnd.name;
    c.listenFd = address.listenFd;
    if (loop == Loop::Programs) {
        // The same transfer written as programs: `put bench` and `get bench`, one step a pass.
        p.role = p.spec.role = c.role = c.spec.role = Role::Program;
        ProgramStep put;
        put.op = StepOp::Put;
        put.object = "bench";
        ProgramStep get = put;
        get.op = StepOp::Get;
        p.spec.program = { put };
        c.spec.program = { get };
        p.bindings = { { "bench", producerEnd } };
        c.bindings = { { "bench", consumerEnd } };
    }

    ControlBlock cb(0);
    if (!cb.ctl)
        return detail::sysError("mmap", what, errno);
    auto producer = [&](PairControl& ctl) {
        ctl.startNs.store(monotonicNs());
        return runWorker(p);
    };
    auto consumer = [&](PairControl& ctl) {
        const int rc = runWorker(c);
        ctl.endNs.store(monotonicNs());
        return rc;
    };
    auto secs = runPair(producer, consumer, *cb.ctl, cancel, what);
    if (!secs)
        return secs.error();
    const WorkerSlot& in = board->slot(1);
    const std::uint64_t received = in.messages.load();
    if (received != messages || in.corrupt.load() != 0 || in.gaps.load() != 0 || in.duplicated.load() != 0)
        return detail::makeError(ErrorCode::Corrupt, "bench", what,
            "The consumer counted " + std::to_string(received) + " of " + std::to_string(messages) + " messages, "
                + std::to_string(in.corrupt.load()) + " corrupt, " + std::to_string(in.gaps.load()) + " missing");
    return double(messages) / *secs;
}

const char* baselineName(TransportKind transport)
{
    switch (transport) {
    case TransportKind::Mq:
        return "bare mq_send/mq_receive";
    case TransportKind::Fifo:
        return "bare write/read on a FIFO";
    case TransportKind::Socket:
        return "bare send/recv on a Unix stream socket";
    case TransportKind::ShmRing:
        return "bare ring with two counting semaphores";
    case TransportKind::ShmSpsc:
        return "bare lock-free SPSC ring";
    case TransportKind::Pipe:
        return "bare write/read on a pipe";
    case TransportKind::SocketPair:
        return "bare send/recv on a SOCK_SEQPACKET socketpair";
    case TransportKind::Zmq:
        return "bare libzmq PUSH/PULL over ipc://";
    case TransportKind::ZmqTcp:
        return "bare libzmq PUSH/PULL over tcp:// (loopback, CURVE)";
    case TransportKind::ShmValue:
    case TransportKind::ShmArray:
    case TransportKind::Semaphore:
    case TransportKind::Rendezvous:
    case TransportKind::Global:
    case TransportKind::ZmqPub: // no bare loop of its own: PUB/SUB with one subscriber is PUSH/PULL's path
    case TransportKind::ZmqPubTcp:
        break;
    }
    return "";
}

Result<double> measureBare(
    TransportKind transport, std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel)
{
    switch (transport) {
    case TransportKind::Mq:
        return bareMq(size, messages, cancel);
    case TransportKind::Fifo:
        return bareFifo(size, messages, cancel);
    case TransportKind::Socket:
        return bareSocket(size, messages, cancel);
    case TransportKind::ShmRing:
        return bareRing(true, size, messages, cancel);
    case TransportKind::ShmSpsc:
        return bareRing(false, size, messages, cancel);
    case TransportKind::Pipe:
        return barePipe(size, messages, cancel);
    case TransportKind::SocketPair:
        return bareSocketPair(size, messages, cancel);
    case TransportKind::Zmq:
    case TransportKind::ZmqTcp:
        return bareZmq(transport == TransportKind::ZmqTcp, size, messages, cancel);
    case TransportKind::ShmValue:
    case TransportKind::ShmArray:
    case TransportKind::Semaphore:
    case TransportKind::Rendezvous:
    case TransportKind::Global:
    case TransportKind::ZmqPub:
    case TransportKind::ZmqPubTcp:
        break;
    }
    return detail::makeError(ErrorCode::NotSupported, "bench", transportName(transport), "No baseline");
}

Result<std::vector<std::uint64_t>> measurePingPong(
    TransportKind transport, std::uint32_t size, std::uint64_t pings, const std::atomic<bool>* cancel)
{
    const std::string what = sizeText(transport, size) + " (ping-pong)";
    ChannelAddress fwd = addressFor(transport, size);
    ChannelAddress back = addressFor(transport, size);
    auto fwdObject = createChannel(fwd, "ping");
    if (!fwdObject)
        return fwdObject.error();
    auto backObject = createChannel(back, "pong");
    if (!backObject)
        return backObject.error();
    ControlBlock cb(pings);
    if (!cb.ctl)
        return detail::sysError("mmap", what, errno);

    auto pinger = [&](PairControl& ctl) {
        BenchHooks hooks(ctl);
        auto out = openProducer(endAddress(fwd, **fwdObject, Role::Producer), hooks);
        if (!out)
            return (childError(ctl, out.error().message()), 4);
        auto in = openConsumer(endAddress(back, **backObject, Role::Consumer));
        if (!in)
            return (childError(ctl, in.error().message()), 4);
        std::vector<std::byte> frame(size);
        std::vector<std::byte> buffer(std::max<std::size_t>(size, 8192));
        ctl.startNs.store(monotonicNs());
        for (std::uint64_t i = 1; i <= pings; ++i) {
            buildFrame(frame, 0, i, monotonicNs());
            if (Status st = (*out)->send(frame, 0, hooks); !st)
                return (childError(ctl, st.error().message()), 4);
            auto r = (*in)->receive(buffer, hooks);
            if (!r)
                return (childError(ctl, r.error().message()), 4);
        }
        return 0;
    };
    auto ponger = [&](PairControl& ctl) {
        BenchHooks hooks(ctl);
        auto in = openConsumer(endAddress(fwd, **fwdObject, Role::Consumer));
        if (!in)
            return (childError(ctl, in.error().message()), 4);
        auto out = openProducer(endAddress(back, **backObject, Role::Producer), hooks);
        if (!out)
            return (childError(ctl, out.error().message()), 4);
        std::vector<std::byte> frame(size);
        std::vector<std::byte> buffer(std::max<std::size_t>(size, 8192));
        for (std::uint64_t i = 1; i <= pings; ++i) {
            auto r = (*in)->receive(buffer, hooks);
            if (!r)
                return (childError(ctl, r.error().message()), 4);
            const std::uint64_t now = monotonicNs();
            FrameHeader header;
            if (checkFrame(std::span(buffer).first(*r), header) != FrameCheck::Ok || header.seq != i)
                return (childError(ctl, "ping-pong: a frame arrived corrupt or out of order"), 4);
            ctl.latencies[i - 1] = now > header.sendNs ? now - header.sendNs : 0;
            buildFrame(frame, 1, i, now);
            if (Status st = (*out)->send(frame, 0, hooks); !st)
                return (childError(ctl, st.error().message()), 4);
        }
        ctl.endNs.store(monotonicNs());
        return 0;
    };
    auto secs = runPair(pinger, ponger, *cb.ctl, cancel, what);
    if (!secs)
        return secs.error();
    // The first round trips pay for cold caches and page faults; the steady state is what a user sees.
    const std::uint64_t skip = std::min<std::uint64_t>(pings / 10, 100);
    return std::vector<std::uint64_t>(cb.ctl->latencies + skip, cb.ctl->latencies + pings);
}

void setPinning(int producerCpu, int consumerCpu)
{
    g_pinned[0] = producerCpu;
    g_pinned[1] = consumerCpu;
}

CpuPair twoCpus()
{
    CpuPair pair;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return pair;
    pair.allowed = CPU_COUNT(&set);
    for (int cpu = 0; cpu < CPU_SETSIZE && pair.second < 0; ++cpu) {
        if (!CPU_ISSET(cpu, &set))
            continue;
        (pair.first < 0 ? pair.first : pair.second) = cpu;
    }
    return pair;
}

double measureMemcpy(std::uint32_t size)
{
    // Source larger than the copy, like a ring of slots; destination reused, like a consumer's buffer.
    const std::size_t blocks = std::max<std::size_t>(1, (std::size_t(1) << 20) / size);
    std::vector<std::byte> src(blocks * size, std::byte { 1 });
    std::vector<std::byte> dst(size);
    std::uint64_t copied = 0;
    const std::uint64_t start = monotonicNs();
    std::uint64_t now = start;
    for (std::size_t i = 0; now - start < 200'000'000ull; ++i) {
        std::memcpy(dst.data(), src.data() + (i % blocks) * size, size);
        asm volatile("" : : "r"(dst.data()) : "memory");
        copied += size;
        if ((i & 15) == 15)
            now = monotonicNs();
    }
    return double(copied) / (double(now - start) / 1e9);
}

const char* checkName(Check check)
{
    switch (check) {
    case Check::Xxh3:
        return "xxh3";
    case Check::Crc32c3Way:
        return "crc32c 3-way";
    case Check::Crc32c:
        return "crc32c";
    }
    return "?";
}

double measureCheck(Check check, std::uint32_t size)
{
    std::vector<std::byte> block(size);
    for (std::size_t i = 0; i < block.size(); ++i)
        block[i] = std::byte(i * 131 + 7);
    std::uint64_t checked = 0, sum = 0;
    const std::uint64_t start = monotonicNs();
    std::uint64_t now = start;
    for (std::size_t i = 0; now - start < 50'000'000ull; ++i) {
        block[i % size] ^= std::byte { 1 }; // a new message each time, as far as the compiler knows
        switch (check) {
        case Check::Xxh3:
            sum += xxh3(block);
            break;
        case Check::Crc32c3Way:
            sum += crc32c3Way(block);
            break;
        case Check::Crc32c:
            sum += crc32c(block);
            break;
        }
        checked += size;
        if ((i & 63) == 63)
            now = monotonicNs();
    }
    asm volatile("" : : "r"(sum));
    return double(checked) / (double(now - start) / 1e9);
}

} // namespace ipccore::bench

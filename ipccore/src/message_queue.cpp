#include "ipccore/message_queue.h"

#include "ipccore/names.h"
#include "sys_error.h"

#include <algorithm>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

namespace ipccore {

namespace {

int accessFlags(Access access)
{
    switch (access) {
    case Access::ReadOnly:
        return O_RDONLY;
    case Access::WriteOnly:
        return O_WRONLY;
    case Access::ReadWrite:
        return O_RDWR;
    }
    return O_RDWR;
}

int openDescriptorCount()
{
    int count = 0;
    if (DIR* dir = opendir("/proc/self/fd")) {
        while (readdir(dir))
            ++count;
        closedir(dir);
    }
    return count - 3; // ".", ".." and the directory's own descriptor
}

// mq_open's EMFILE has two causes that need different remedies: the descriptor limit, or the per-user byte
// budget RLIMIT_MSGQUEUE (posix_ipc issue #21 shows how confusing the plain text is).
Error mqOpenError(const std::string& name, int err, long capacity, long messageSize)
{
    const MqLimits limits = readMqLimits();
    if (err == EMFILE) {
        rlimit rl {};
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur != RLIM_INFINITY && openDescriptorCount() + 1 >= long(rl.rlim_cur))
            return detail::sysError("mq_open", name, err,
                "This process has reached its open-descriptor limit (ulimit -n = " + std::to_string(rl.rlim_cur)
                    + "). Close descriptors or raise 'ulimit -n'");
        return detail::sysError("mq_open", name, err,
            "The per-user message queue budget RLIMIT_MSGQUEUE (" + std::to_string(limits.rlimitMsgqueue)
                + " bytes, 'ulimit -q') is used up by this user's existing queues; this queue needs "
                + std::to_string(mqQueueCost(capacity, messageSize))
                + " bytes. Remove unused queues, use smaller ones, or raise 'ulimit -q'");
    }
    if (err == ENOSPC)
        return detail::sysError("mq_open", name, err,
            "The system-wide number of queues /proc/sys/fs/mqueue/queues_max = " + std::to_string(limits.queuesMax)
                + " is reached. Remove unused queues or raise it: sysctl fs.mqueue.queues_max=<more>");
    if (err == EINVAL && capacity > 0) {
        // The kernel's reason for EINVAL on create is nearly always a limit; name it.
        if (auto st = checkMqAttributes(name, capacity, messageSize, limits); !st) {
            Error e = st.error();
            e.sysErrno = err;
            return e;
        }
    }
    return detail::sysError("mq_open", name, err);
}

} // namespace

MessageQueue::MessageQueue(std::string name, int mqd, long capacity, long messageSize, Access access, bool owner)
    : m_name(std::move(name))
    , m_mqd(mqd)
    , m_capacity(capacity)
    , m_messageSize(messageSize)
    , m_access(access)
    , m_owner(owner)
{ }

MessageQueue::MessageQueue(MessageQueue&& other) noexcept
    : m_name(std::move(other.m_name))
    , m_mqd(std::exchange(other.m_mqd, -1))
    , m_capacity(other.m_capacity)
    , m_messageSize(other.m_messageSize)
    , m_access(other.m_access)
    , m_owner(std::exchange(other.m_owner, false))
{ }

MessageQueue& MessageQueue::operator=(MessageQueue&& other) noexcept
{
    if (this != &other) {
        reset();
        m_name = std::move(other.m_name);
        m_mqd = std::exchange(other.m_mqd, -1);
        m_capacity = other.m_capacity;
        m_messageSize = other.m_messageSize;
        m_access = other.m_access;
        m_owner = std::exchange(other.m_owner, false);
    }
    return *this;
}

MessageQueue::~MessageQueue()
{
    reset();
}

void MessageQueue::reset()
{
    if (m_mqd >= 0)
        mq_close(m_mqd);
    if (m_owner)
        mq_unlink(m_name.c_str());
    m_mqd = -1;
    m_owner = false;
}

Result<MessageQueue> MessageQueue::create(const std::string& name, long capacity, long messageSize, Access access)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    if (auto st = checkMqAttributes(name, capacity, messageSize, readMqLimits()); !st)
        return st.error();
    mq_attr attr {};
    attr.mq_maxmsg = capacity;
    attr.mq_msgsize = messageSize;
    const int mqd = mq_open(name.c_str(), accessFlags(access) | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
    if (mqd < 0)
        return mqOpenError(name, errno, capacity, messageSize);
    fchmod(mqd, 0600); // umask-proof
    return MessageQueue(name, mqd, capacity, messageSize, access, true);
}

Result<MessageQueue> MessageQueue::open(const std::string& name, Access access)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    const int mqd = mq_open(name.c_str(), accessFlags(access) | O_NONBLOCK | O_CLOEXEC);
    if (mqd < 0)
        return mqOpenError(name, errno, 0, 0);
    mq_attr attr {};
    mq_getattr(mqd, &attr);
    return MessageQueue(name, mqd, attr.mq_maxmsg, attr.mq_msgsize, access, false);
}

Result<MessageQueue> MessageQueue::openOrCreate(const std::string& name, long capacity, long messageSize, Access access)
{
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto created = create(name, capacity, messageSize, access);
        if (created || created.error().code != ErrorCode::AlreadyExists)
            return created;
        auto opened = open(name, access);
        if (opened || opened.error().code != ErrorCode::NotFound)
            return opened;
        // Someone unlinked it between our two calls; try again.
    }
    return detail::makeError(ErrorCode::Unexpected, "mq_open", name,
        "The queue kept appearing and disappearing; another program is racing on this name");
}

Status MessageQueue::unlink(const std::string& name)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    if (mq_unlink(name.c_str()) != 0)
        return detail::sysError("mq_unlink", name, errno);
    return {};
}

// timeoutNs < 0 waits for ever, 0 does not wait.
Status MessageQueue::sendImpl(std::span<const std::byte> data, unsigned priority, long long timeoutNs)
{
    if (m_access == Access::ReadOnly)
        return detail::makeError(ErrorCode::InvalidArgument, "mq_send", m_name,
            "This queue was opened read-only; open it WriteOnly or ReadWrite to send", EBADF);
    if (long(data.size()) > m_messageSize)
        return detail::makeError(ErrorCode::MessageTooLarge, "mq_send", m_name,
            "The message has " + std::to_string(data.size()) + " bytes but the queue takes at most "
                + std::to_string(m_messageSize),
            EMSGSIZE);
    if (priority >= 32768)
        return detail::makeError(ErrorCode::InvalidArgument, "mq_send", m_name,
            "Priority " + std::to_string(priority) + " is out of range; use 0..32767", EINVAL);
    const std::uint64_t deadline = timeoutNs > 0 ? monotonicNs() + std::uint64_t(timeoutNs) : 0;
    for (;;) {
        // An empty span may carry a null pointer, which mq_send must not get even for 0 bytes.
        static const char none = 0;
        const char* bytes = data.empty() ? &none : reinterpret_cast<const char*>(data.data());
        if (mq_send(m_mqd, bytes, data.size(), priority) == 0)
            return {};
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return detail::sysError("mq_send", m_name, errno);
        if (timeoutNs == 0)
            return detail::makeError(ErrorCode::WouldBlock, "mq_send", m_name,
                "The queue is full (" + std::to_string(m_capacity) + " messages); a consumer must receive first",
                EAGAIN);
        pollfd pfd { m_mqd, POLLOUT, 0 };
        timespec wait {};
        timespec* waitPtr = nullptr;
        if (timeoutNs > 0) {
            const std::uint64_t now = monotonicNs();
            if (now >= deadline)
                return detail::makeError(
                    ErrorCode::TimedOut, "mq_send", m_name, "The queue stayed full for the whole timeout", ETIMEDOUT);
            wait = toTimespec(deadline - now);
            waitPtr = &wait;
        }
        if (ppoll(&pfd, 1, waitPtr, nullptr) < 0 && errno != EINTR)
            return detail::sysError("poll", m_name, errno);
    }
}

Result<Received> MessageQueue::receiveImpl(std::span<std::byte> buffer, long long timeoutNs)
{
    if (m_access == Access::WriteOnly)
        return detail::makeError(ErrorCode::InvalidArgument, "mq_receive", m_name,
            "This queue was opened write-only; open it ReadOnly or ReadWrite to receive", EBADF);
    if (long(buffer.size()) < m_messageSize)
        return detail::makeError(ErrorCode::InvalidArgument, "mq_receive", m_name,
            "The receive buffer has " + std::to_string(buffer.size()) + " bytes but messages may have up to "
                + std::to_string(m_messageSize),
            EMSGSIZE);
    const std::uint64_t deadline = timeoutNs > 0 ? monotonicNs() + std::uint64_t(timeoutNs) : 0;
    for (;;) {
        unsigned prio = 0;
        const ssize_t n = mq_receive(m_mqd, reinterpret_cast<char*>(buffer.data()), buffer.size(), &prio);
        if (n >= 0)
            return Received { std::size_t(n), prio };
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return detail::sysError("mq_receive", m_name, errno);
        if (timeoutNs == 0)
            return detail::makeError(
                ErrorCode::WouldBlock, "mq_receive", m_name, "The queue is empty; a producer must send first", EAGAIN);
        pollfd pfd { m_mqd, POLLIN, 0 };
        timespec wait {};
        timespec* waitPtr = nullptr;
        if (timeoutNs > 0) {
            const std::uint64_t now = monotonicNs();
            if (now >= deadline)
                return detail::makeError(ErrorCode::TimedOut, "mq_receive", m_name,
                    "The queue stayed empty for the whole timeout", ETIMEDOUT);
            wait = toTimespec(deadline - now);
            waitPtr = &wait;
        }
        if (ppoll(&pfd, 1, waitPtr, nullptr) < 0 && errno != EINTR)
            return detail::sysError("poll", m_name, errno);
    }
}

Status MessageQueue::send(std::span<const std::byte> data, unsigned priority)
{
    return sendImpl(data, priority, -1);
}
Status MessageQueue::trySend(std::span<const std::byte> data, unsigned priority)
{
    return sendImpl(data, priority, 0);
}
Status MessageQueue::sendFor(std::span<const std::byte> data, unsigned priority, Duration timeout)
{
    return sendImpl(data, priority, std::max<long long>(timeout.count(), 0));
}

Result<Received> MessageQueue::receive(std::span<std::byte> buffer)
{
    return receiveImpl(buffer, -1);
}
Result<Received> MessageQueue::tryReceive(std::span<std::byte> buffer)
{
    return receiveImpl(buffer, 0);
}
Result<Received> MessageQueue::receiveFor(std::span<std::byte> buffer, Duration timeout)
{
    return receiveImpl(buffer, std::max<long long>(timeout.count(), 0));
}

Result<MqAttributes> MessageQueue::attributes() const
{
    mq_attr attr {};
    if (mq_getattr(m_mqd, &attr) != 0)
        return detail::sysError("mq_getattr", m_name, errno);
    return MqAttributes { attr.mq_maxmsg, attr.mq_msgsize, attr.mq_curmsgs };
}

} // namespace ipccore

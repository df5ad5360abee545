#include "ipccore/limits.h"

#include "sys_error.h"

#include <algorithm>
#include <fstream>
#include <sys/resource.h>
#include <sys/statvfs.h>

namespace ipccore {

static long readLong(const char* path, long fallback)
{
    std::ifstream in(path);
    long value = 0;
    if (in >> value)
        return value;
    return fallback;
}

MqLimits readMqLimits()
{
    MqLimits limits;
    limits.msgMax = readLong("/proc/sys/fs/mqueue/msg_max", limits.msgMax);
    limits.msgsizeMax = readLong("/proc/sys/fs/mqueue/msgsize_max", limits.msgsizeMax);
    limits.queuesMax = readLong("/proc/sys/fs/mqueue/queues_max", limits.queuesMax);
    rlimit rl {};
    if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0)
        limits.rlimitMsgqueue = rl.rlim_cur == RLIM_INFINITY ? ~0ul : rl.rlim_cur;
    return limits;
}

std::optional<std::uint64_t> readShmFreeBytes()
{
    struct statvfs st { };
    if (detail::retryOnEintr([&] { return statvfs("/dev/shm", &st); }) != 0)
        return std::nullopt;
    return std::uint64_t(st.f_bavail) * std::uint64_t(st.f_frsize);
}

unsigned long mqQueueCost(long depth, long messageSize)
{
    // ipc/mqueue.c: maxmsg * sizeof(struct msg_msg) + min(maxmsg, MQ_PRIO_MAX) * sizeof(posix_msg_tree_node)
    // + maxmsg * msgsize; both structs are 48 bytes on 64-bit Linux.
    const unsigned long d = static_cast<unsigned long>(std::max(depth, 0l));
    const unsigned long s = static_cast<unsigned long>(std::max(messageSize, 0l));
    return d * 48ul + std::min(d, 32768ul) * 48ul + d * s;
}

Status checkMqAttributes(const std::string& name, long depth, long messageSize, const MqLimits& limits)
{
    if (depth < 1)
        return detail::makeError(ErrorCode::InvalidArgument, "mq_open", name,
            "The queue capacity is " + std::to_string(depth) + "; it must be at least 1 message");
    if (messageSize < 1)
        return detail::makeError(ErrorCode::InvalidArgument, "mq_open", name,
            "The message size is " + std::to_string(messageSize) + "; it must be at least 1 byte");
    if (depth > limits.msgMax)
        return detail::makeError(ErrorCode::LimitReached, "mq_open", name,
            "A capacity of " + std::to_string(depth) + " messages exceeds /proc/sys/fs/mqueue/msg_max = "
                + std::to_string(limits.msgMax) + ". Use a capacity of at most " + std::to_string(limits.msgMax)
                + ", or raise the limit as root: sysctl fs.mqueue.msg_max=" + std::to_string(depth));
    if (messageSize > limits.msgsizeMax)
        return detail::makeError(ErrorCode::LimitReached, "mq_open", name,
            "A message size of " + std::to_string(messageSize) + " bytes exceeds /proc/sys/fs/mqueue/msgsize_max = "
                + std::to_string(limits.msgsizeMax) + ". Use at most " + std::to_string(limits.msgsizeMax)
                + " bytes, or raise the limit as root: sysctl fs.mqueue.msgsize_max=" + std::to_string(messageSize));
    const unsigned long cost = mqQueueCost(depth, messageSize);
    if (cost > limits.rlimitMsgqueue)
        return detail::makeError(ErrorCode::LimitReached, "mq_open", name,
            "This queue needs " + std::to_string(cost) + " bytes of the per-user RLIMIT_MSGQUEUE, which is "
                + std::to_string(limits.rlimitMsgqueue)
                + " bytes in all (ulimit -q). Use a smaller capacity or message size, or raise 'ulimit -q'");
    return {};
}

} // namespace ipccore

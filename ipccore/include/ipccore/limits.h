#pragma once

// System limits that users run into, read at run time from /proc (they differ between machines and
// containers), and the checks that turn a bare EINVAL/EMFILE into a sentence naming the limit and its file.

#include "ipccore/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ipccore {

struct MqLimits {
    long msgMax = 10; // /proc/sys/fs/mqueue/msg_max
    long msgsizeMax = 8192; // /proc/sys/fs/mqueue/msgsize_max
    long queuesMax = 256; // /proc/sys/fs/mqueue/queues_max
    unsigned long rlimitMsgqueue = 819200; // RLIMIT_MSGQUEUE soft limit in bytes (ulimit -q)
};

// Reads the values in force now; falls back to the Linux defaults when a file is missing.
MqLimits readMqLimits();

// Bytes the kernel charges against RLIMIT_MSGQUEUE for one queue (ipc/mqueue.c mqueue_get_inode accounting).
unsigned long mqQueueCost(long depth, long messageSize);

// Checks a queue's depth and message size against the limits before any mq_open, so the error names the limit,
// its current value and the sysctl that raises it.
Status checkMqAttributes(const std::string& name, long depth, long messageSize, const MqLimits& limits);

// Bytes this process may still allocate in /dev/shm (statvfs: f_bavail x f_frsize), where POSIX shared memory and
// named semaphores live; std::nullopt when /dev/shm cannot be examined. A snapshot: other programs change it.
std::optional<std::uint64_t> readShmFreeBytes();

// Largest single write the kernel keeps atomic on a pipe or FIFO (PIPE_BUF).
constexpr std::size_t PipeAtomicBytes = 4096;

// Upper bounds ipccore accepts for shared memory regions it creates (guards against typos like 10 GiB).
constexpr std::size_t MaxShmBytes = std::size_t(1) << 30;

} // namespace ipccore

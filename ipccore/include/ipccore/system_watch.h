#pragma once

// A few of the machine's POSIX objects read many times a second, without listing the rest or looking through /proc:
// a queue's depth, a semaphore's value and waiters, a segment's size. What `ipclab-cli watch` prints.
//
// It disturbs nothing, like scanSystemIpc() (system_ipc.h): a queue is held open O_RDONLY for mq_getattr only, a
// semaphore's file is held open O_RDONLY and read with pread (never mapped), a segment is only stat()ed, and nothing
// is created or unlinked. A name removed and made again is followed: each sample checks that the name still leads to
// the inode held and opens it again when not, so a program restarted under the same names is watched on.
//
// One thread at a time; sample() blocks only on those reads (a few system calls per object).

#include "ipccore/system_ipc.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore {

struct WatchTarget {
    SystemObjectKind kind = SystemObjectKind::MessageQueue;
    std::string name; // "/jobs"

    friend bool operator==(const WatchTarget&, const WatchTarget&) = default;
};

struct WatchReading {
    bool present = false; // the name exists now
    std::optional<long> depth; // queue
    std::optional<long> capacity; // queue
    std::optional<std::uint32_t> value; // semaphore
    std::optional<std::uint32_t> waiters; // semaphore
    std::uint64_t sizeBytes = 0; // segment
    std::string problem; // why it exists but could not be read ("no permission ..."); empty otherwise
};

// The most objects one watch follows (it holds a descriptor for each).
constexpr std::size_t MaxWatchTargets = 64;

class SystemWatch {
public:
    explicit SystemWatch(std::vector<WatchTarget> targets);
    ~SystemWatch();
    SystemWatch(const SystemWatch&) = delete;
    SystemWatch& operator=(const SystemWatch&) = delete;

    const std::vector<WatchTarget>& targets() const { return m_targets; }
    // One reading per target, in the targets' order.
    std::vector<WatchReading> sample();

private:
    struct Held {
        int fd = -1; // the semaphore's file, or the queue's descriptor
        std::uint64_t inode = 0;
    };
    WatchReading readQueue(std::size_t i);
    WatchReading readSemaphore(std::size_t i);
    WatchReading readSegment(std::size_t i);
    void release(std::size_t i);

    std::vector<WatchTarget> m_targets;
    std::vector<Held> m_held;
    int m_shmDir = -1;
    int m_mqueueDir = -1; // -1 when /dev/mqueue is not mounted: queues are then opened by name at each sample
};

// The first `count` bytes (at most MaxSegmentPeek) of the segment `name` ("/stats"), read with pread from /dev/shm:
// never mapped (a segment its owner shrinks meanwhile would kill a reader that maps it with SIGBUS), never through a
// symbolic link. Fewer when the segment is smaller. On failure: nullopt and `problem` says why and what would help.
constexpr std::size_t MaxSegmentPeek = 4096;
std::optional<std::string> readSegmentStart(const std::string& name, std::size_t count, std::string& problem);
// "00000000  48 65 6c 6c 6f 00 00 00  00 00 00 00 00 00 00 00  |Hello...........|": 16 bytes a line, as hexdump -C
// prints them (bytes outside printable ASCII as '.').
std::string hexDumpText(std::string_view bytes);

// "10 of 10", "value 0 (2 waiting)", "4 KiB", "gone", "no permission": one cell of `ipclab-cli watch`.
std::string watchReadingText(const WatchTarget& target, const WatchReading& reading);

// `ipclab-cli watch NAME... [--hz HZ] [--seconds S] [--json]`; returns the exit status.
int runWatchCommand(int argc, char** argv);

} // namespace ipccore

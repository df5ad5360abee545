#pragma once

// Monotonic time helpers. ipccore never waits on CLOCK_REALTIME: a wall-clock step must not shorten or stretch a
// timeout.

#include <chrono>
#include <cstdint>
#include <ctime>

namespace ipccore {

using Duration = std::chrono::nanoseconds;

inline std::uint64_t monotonicNs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000ull + std::uint64_t(ts.tv_nsec);
}

inline timespec toTimespec(std::uint64_t ns)
{
    timespec ts {};
    ts.tv_sec = time_t(ns / 1000000000ull);
    ts.tv_nsec = long(ns % 1000000000ull);
    return ts;
}

// Sleeps until an absolute CLOCK_MONOTONIC time; returns early only when a signal handler ran (EINTR).
void sleepUntilNs(std::uint64_t deadlineNs);

} // namespace ipccore

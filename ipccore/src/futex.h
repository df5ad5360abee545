#pragma once

// A futex on a 32-bit word in shared memory (FUTEX_WAIT/FUTEX_WAKE without FUTEX_PRIVATE_FLAG, so processes that
// map the same object wake each other). Linux only, as the rest of the library.

#include "ipccore/clock.h"

#include <linux/futex.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <sys/syscall.h>
#include <unistd.h>

namespace ipccore::detail {

// Sleeps while `word` holds `expected`, for at most `timeoutNs`; returns at once when it does not. Any return may be
// spurious (a signal, a wake for another reason): the caller checks its condition again.
inline long futexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::uint64_t timeoutNs)
{
    const timespec ts = toTimespec(timeoutNs);
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

inline void futexWake(std::atomic<std::uint32_t>& word, int waiters = 1)
{
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, waiters, nullptr, nullptr, 0);
}

inline void futexWakeAll(std::atomic<std::uint32_t>& word)
{
    futexWake(word, INT_MAX);
}

} // namespace ipccore::detail

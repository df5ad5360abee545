#include "ipccore/clock.h"

namespace ipccore {

void sleepUntilNs(std::uint64_t deadlineNs)
{
    const timespec ts = toTimespec(deadlineNs);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

} // namespace ipccore

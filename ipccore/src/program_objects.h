#pragma once

// The runner's side of the objects programs use directly (shm-array, semaphore); channel.cpp's factories hand
// those transports to these two functions. The worker's side is openProgramTarget in channel.h.

#include "ipccore/channel.h"

namespace ipccore::detail {

std::vector<OsName> programObjectOsNames(const ChannelAddress& address);
Result<std::unique_ptr<ChannelObject>> createProgramObject(const ChannelAddress& address);

} // namespace ipccore::detail

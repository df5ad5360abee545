#pragma once

// Private: where Linux keeps POSIX IPC objects as files, for the machine-wide listing (system_ipc.cpp) and the
// watch (system_watch.cpp).

#include <string_view>
#include <sys/types.h>

namespace ipccore::detail {

constexpr long MqueueMagic = 0x19800202; // statfs().f_type of the mqueue file system (linux/magic.h)
constexpr std::string_view SemPrefix = "sem."; // glibc keeps semaphore /NAME as /dev/shm/sem.NAME
constexpr off_t SemFileBytes = 32; // sizeof(sem_t) with glibc on a 64-bit machine

} // namespace ipccore::detail

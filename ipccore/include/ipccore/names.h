#pragma once

// Validation of POSIX IPC object names before they reach the OS, so the same bad name gives the same message on
// every libc (glibc strips extra slashes for sem/shm but mq_open rejects them).

#include "ipccore/result.h"

#include <string>
#include <string_view>

namespace ipccore {

// Longest name ipccore accepts, leading slash excluded. The kernel allows 255 (251 for semaphores).
constexpr std::size_t MaxNameLength = 200;

// Accepts "/" followed by 1..MaxNameLength characters from [A-Za-z0-9_.-], not "." or "..", and not starting with
// "sem." (that prefix is where glibc keeps named semaphores in /dev/shm).
Status validateObjectName(std::string_view name);

// Accepts a scenario-level short name (object or worker): 1..48 characters from [A-Za-z0-9_-]. `field` names the
// scenario field in the message.
Status validateShortName(std::string_view name, std::string_view field);

} // namespace ipccore

#pragma once

// One named semaphore of an object as sampled: which part it plays and its value. Its own header so a channel can
// report semaphores without including the runner that samples them.

#include <string>

namespace ipccore {

struct SemaphoreValue {
    std::string role; // "empty", "full", "mutex"
    std::string osName;
    int value = 0;
};

} // namespace ipccore

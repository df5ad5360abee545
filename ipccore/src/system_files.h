#pragma once

// Private: where Linux keeps POSIX IPC objects as files, and how /proc and /dev are read, for the machine-wide
// listing (system_ipc.cpp), the watch (system_watch.cpp) and the processes (system_process.cpp).

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unistd.h>

namespace ipccore::detail {

constexpr long MqueueMagic = 0x19800202; // statfs().f_type of the mqueue file system (linux/magic.h)
constexpr std::string_view SemPrefix = "sem."; // glibc keeps semaphore /NAME as /dev/shm/sem.NAME
constexpr off_t SemFileBytes = 32; // sizeof(sem_t) with glibc on a 64-bit machine

// A descriptor closed when it goes out of scope.
class Fd {
public:
    explicit Fd(int fd = -1)
        : m_fd(fd)
    { }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }

private:
    int m_fd;
};

// At most `limit` bytes of the file `name` in the directory `dir`, never through a symbolic link and never waiting
// on a FIFO; nullopt with errno set when it cannot be opened.
inline std::optional<std::string> readSmallFile(int dir, const char* name, std::size_t limit)
{
    Fd fd(openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd)
        return std::nullopt;
    std::string text;
    char buffer[4096];
    while (text.size() < limit) {
        const ssize_t n = read(fd.get(), buffer, std::min(sizeof buffer, limit - text.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buffer, std::size_t(n));
    }
    return text;
}

} // namespace ipccore::detail

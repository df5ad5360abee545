#include "ipccore/stream.h"

#include "sys_error.h"

#include <algorithm>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace ipccore {

namespace {
// How long one wait lasts before the cancel predicate is asked again.
constexpr int SliceMs = 100;

bool cancelled(const CancelCheck& cancel)
{
    return cancel && cancel();
}
} // namespace

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1))
{ }

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            close(m_fd);
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

FileDescriptor::~FileDescriptor()
{
    if (m_fd >= 0)
        close(m_fd);
}

int FileDescriptor::release()
{
    return std::exchange(m_fd, -1);
}

Status Stream::writeAll(
    std::span<const std::byte> data, const CancelCheck& cancel, const std::function<void()>& onBlocked)
{
    std::size_t done = 0;
    bool reportedBlocked = false;
    while (done < data.size()) {
        // MSG_NOSIGNAL is not available for pipes, so workers ignore SIGPIPE and get EPIPE here instead.
        const ssize_t n = write(m_fd.get(), data.data() + done, data.size() - done);
        if (n > 0) {
            done += std::size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            return detail::sysError("write", m_name, errno);
        if (done == 0 && cancelled(cancel))
            return detail::makeError(ErrorCode::Interrupted, "write", m_name, "Stopped while waiting for room");
        if (!reportedBlocked && onBlocked) {
            onBlocked();
            reportedBlocked = true;
        }
        pollfd pfd { m_fd.get(), POLLOUT, 0 };
        poll(&pfd, 1, SliceMs);
        if (pfd.revents & (POLLERR | POLLHUP))
            return detail::makeError(ErrorCode::PeerGone, "write", m_name, "The reader has closed its end", EPIPE);
    }
    return {};
}

Status Stream::readExact(std::span<std::byte> buffer, const CancelCheck& cancel, const std::function<void()>& onBlocked)
{
    std::size_t done = 0;
    bool reportedBlocked = false;
    while (done < buffer.size()) {
        const ssize_t n = read(m_fd.get(), buffer.data() + done, buffer.size() - done);
        if (n > 0) {
            done += std::size_t(n);
            continue;
        }
        if (n == 0) {
            if (done == 0)
                return detail::makeError(ErrorCode::PeerGone, "read", m_name, "The writer has closed its end");
            // ENODATA marks "the writer went away mid-message", which a reader handles unlike damaged bytes.
            return detail::makeError(ErrorCode::Corrupt, "read", m_name,
                "Truncated message: the writer closed after " + std::to_string(done) + " of "
                    + std::to_string(buffer.size()) + " bytes",
                ENODATA);
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return detail::sysError("read", m_name, errno);
        if (done == 0 && cancelled(cancel))
            return detail::makeError(ErrorCode::Interrupted, "read", m_name, "Stopped while waiting for data");
        if (!reportedBlocked && onBlocked) {
            onBlocked();
            reportedBlocked = true;
        }
        pollfd pfd { m_fd.get(), POLLIN, 0 };
        poll(&pfd, 1, SliceMs);
    }
    return {};
}

Result<std::size_t> Stream::readAvailable(std::span<std::byte> buffer)
{
    for (;;) {
        const ssize_t n = read(m_fd.get(), buffer.data(), buffer.size());
        if (n > 0)
            return std::size_t(n);
        if (n == 0)
            return detail::makeError(ErrorCode::PeerGone, "read", m_name, "The writer has closed its end");
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return std::size_t(0);
        return detail::sysError("read", m_name, errno);
    }
}

bool Stream::waitReadable(Duration timeout) const
{
    pollfd pfd { m_fd.get(), POLLIN, 0 };
    const timespec ts = toTimespec(std::uint64_t(std::max<long long>(timeout.count(), 0)));
    return ppoll(&pfd, 1, &ts, nullptr) > 0;
}

namespace Fifo {

Status create(const std::string& path)
{
    if (mkfifo(path.c_str(), 0600) != 0)
        return detail::sysError("mkfifo", path, errno);
    chmod(path.c_str(), 0600);
    return {};
}

Result<Stream> openReader(const std::string& path)
{
    // O_RDWR on a FIFO is Linux-specific but keeps the reader from seeing end-of-file between writers.
    const int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return detail::sysError("open", path, errno);
    struct stat st { };
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        return detail::makeError(
            ErrorCode::PermissionDenied, "open", path, "This path is not a FIFO of this user; refusing to use it");
    }
    return Stream(FileDescriptor(fd), path);
}

Result<Stream> openWriter(const std::string& path, Duration timeout, const CancelCheck& cancel)
{
    const std::uint64_t deadline = monotonicNs() + std::uint64_t(timeout.count());
    for (;;) {
        const int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            struct stat st { };
            if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
                close(fd);
                return detail::makeError(ErrorCode::PermissionDenied, "open", path,
                    "This path is not a FIFO of this user; refusing to use it");
            }
            return Stream(FileDescriptor(fd), path);
        }
        if (errno != ENXIO && errno != EINTR)
            return detail::sysError("open", path, errno);
        if (monotonicNs() >= deadline)
            return detail::makeError(ErrorCode::TimedOut, "open", path,
                "No reader opened the FIFO within the timeout; start a consumer for it", ENXIO);
        if (cancelled(cancel))
            return detail::makeError(ErrorCode::Interrupted, "open", path, "Stopped while waiting for a reader");
        usleep(2000);
    }
}

} // namespace Fifo

namespace UnixSocket {

static Result<sockaddr_un> makeAddress(const std::string& path)
{
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return detail::makeError(ErrorCode::InvalidArgument, "bind", path,
            "A Unix socket path may have at most " + std::to_string(sizeof addr.sun_path - 1)
                + " characters; use a shorter directory",
            ENAMETOOLONG);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

Result<FileDescriptor> listen(const std::string& path, int backlog)
{
    auto addr = makeAddress(path);
    if (!addr)
        return addr.error();
    FileDescriptor fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return detail::sysError("socket", path, errno);
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) != 0)
        return detail::sysError("bind", path, errno);
    chmod(path.c_str(), 0600);
    if (::listen(fd.get(), backlog) != 0) {
        const int err = errno;
        unlink(path.c_str());
        return detail::sysError("listen", path, err);
    }
    return fd;
}

Result<FileDescriptor> tryAccept(int listenFd)
{
    for (;;) {
        const int fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return FileDescriptor(fd);
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN)
            return FileDescriptor();
        return detail::sysError("accept", "", errno);
    }
}

Result<Stream> connect(const std::string& path, Duration timeout, const CancelCheck& cancel)
{
    auto addr = makeAddress(path);
    if (!addr)
        return addr.error();
    const std::uint64_t deadline = monotonicNs() + std::uint64_t(timeout.count());
    for (;;) {
        FileDescriptor fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd.valid())
            return detail::sysError("socket", path, errno);
        if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) == 0) {
            fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
            return Stream(std::move(fd), path);
        }
        const int err = errno;
        if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN && err != EINTR)
            return detail::sysError("connect", path, err);
        if (monotonicNs() >= deadline)
            return detail::makeError(ErrorCode::TimedOut, "connect", path,
                "No listener accepted the connection within the timeout; is the consumer side running?", err);
        if (cancelled(cancel))
            return detail::makeError(ErrorCode::Interrupted, "connect", path, "Stopped while connecting");
        usleep(2000);
    }
}

} // namespace UnixSocket

Status removePath(const std::string& path)
{
    if (::unlink(path.c_str()) != 0)
        return detail::sysError("unlink", path, errno);
    return {};
}

} // namespace ipccore

#pragma once

// Byte streams over a file descriptor: named pipes (FIFOs) and Unix domain stream sockets.
//
// Ownership: Fifo::create and UnixListener::listen make a filesystem entry that the caller removes with
// removePath() (the runner records every such path and removes it at stop). A Stream owns only its descriptor.
//
// Blocking: descriptors are O_NONBLOCK; writeAll/readExact wait with poll in slices and call the cancel predicate
// between slices, so a worker can stop between messages. A message is never abandoned half-written unless the
// peer is gone (PeerGone) or cancel is set before any byte of it moved (Interrupted).

#include "ipccore/clock.h"
#include "ipccore/result.h"

#include <cstddef>
#include <functional>
#include <span>
#include <string>

namespace ipccore {

// Called between waits; returns true to abandon the wait.
using CancelCheck = std::function<bool()>;

class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd)
        : m_fd(fd)
    { }
    FileDescriptor(FileDescriptor&& other) noexcept;
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor();

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release();

private:
    int m_fd = -1;
};

class Stream {
public:
    explicit Stream(FileDescriptor fd, std::string name)
        : m_fd(std::move(fd))
        , m_name(std::move(name))
    { }

    // Writes every byte. Blocks while the pipe/socket is full; onBlocked() is called once before the first wait.
    Status writeAll(
        std::span<const std::byte> data, const CancelCheck& cancel = {}, const std::function<void()>& onBlocked = {});
    // Reads exactly buffer.size() bytes. PeerGone on end of stream before the first byte; Corrupt with sysErrno
    // ENODATA ("truncated") on end of stream in the middle. Interrupted if cancel fired before the first byte.
    Status readExact(
        std::span<std::byte> buffer, const CancelCheck& cancel = {}, const std::function<void()>& onBlocked = {});
    // Reads what is available now without waiting; 0 means nothing available, PeerGone means end of stream.
    Result<std::size_t> readAvailable(std::span<std::byte> buffer);
    // Waits up to timeout for data or end of stream; true when readable.
    bool waitReadable(Duration timeout) const;

    int nativeHandle() const { return m_fd.get(); }
    const std::string& name() const { return m_name; }

private:
    FileDescriptor m_fd;
    std::string m_name;
};

namespace Fifo {
// mkfifo with mode 0600. AlreadyExists if the path exists.
Status create(const std::string& path);
// Opens the reading side. It also holds a write reference, so end of stream never happens by accident while
// producers come and go; the reader stops on request instead.
Result<Stream> openReader(const std::string& path);
// Opens the writing side; waits (up to timeout) for a reader to exist (ENXIO is retried). TimedOut when none
// came, Interrupted when cancel fired.
Result<Stream> openWriter(const std::string& path, Duration timeout, const CancelCheck& cancel = {});
} // namespace Fifo

namespace UnixSocket {
// socket + bind + listen on path (mode 0600). Returns the listening descriptor.
Result<FileDescriptor> listen(const std::string& path, int backlog = 64);
// Accepts one pending connection without waiting; an invalid descriptor means none pending.
Result<FileDescriptor> tryAccept(int listenFd);
// Connects; waits (up to timeout) while the listener is not there yet. TimedOut when none came, Interrupted
// when cancel fired.
Result<Stream> connect(const std::string& path, Duration timeout, const CancelCheck& cancel = {});
} // namespace UnixSocket

// Removes a FIFO or socket path created above. NotFound if missing.
Status removePath(const std::string& path);

} // namespace ipccore

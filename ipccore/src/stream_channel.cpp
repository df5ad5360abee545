// Byte streams: a named pipe (FIFO), a Unix domain stream socket and an anonymous pipe; and a socketpair, whose
// records are whole messages. Frames are found again by their headers; a consumer reads ahead into its own buffer.
// The anonymous ones (pipe, socketpair) have no name: the runner makes the descriptors and each worker inherits the
// end it uses, named "fd:N" in its address.

#include "channel_family.h"

#include "ipccore/framing.h"
#include "ipccore/stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>
#include <unistd.h>

namespace ipccore {

namespace {

using detail::isCode;
using detail::NoHooks;
using detail::stopped;
constexpr Duration Slice = detail::WaitSlice;
using detail::ConnectTimeout;

// ---- Streams: FIFO and Unix socket ---------------------------------------------------------------------------

// Counts the complete frames in a byte stream read until it is empty or ends.
std::uint64_t countFrames(int fd)
{
    std::uint64_t frames = 0;
    std::vector<std::byte> pending;
    std::byte chunk[65536];
    for (;;) {
        const ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        pending.insert(pending.end(), chunk, chunk + n);
    }
    std::size_t pos = 0;
    while (pending.size() - pos >= FrameHeaderSize) {
        FrameHeader header;
        std::memcpy(&header, pending.data() + pos, sizeof header);
        if (header.magic != FrameMagic || header.length < FrameHeaderSize || header.length > pending.size() - pos)
            break;
        pos += header.length;
        ++frames;
    }
    return frames;
}

class StreamProducer final : public ProducerEndpoint {
public:
    // reconnectPath: for sockets, where to connect again when the consumer holding this connection dies.
    StreamProducer(Stream stream, std::string reconnectPath = {})
        : m_stream(std::move(stream))
        , m_reconnectPath(std::move(reconnectPath))
    { }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        for (;;) {
            Status st = m_stream.writeAll(
                frame, [&] { return hooks.stopRequested(); }, [&] { hooks.enter(WorkerState::BlockedFull); });
            if (st || st.error().code != ErrorCode::PeerGone || m_reconnectPath.empty())
                return st;
            // The consumer died with this connection (and whatever part of the frame it had read). The runner's
            // listener is still there: connect again and send the whole frame on the new connection.
            hooks.enter(WorkerState::BlockedFull);
            auto again = UnixSocket::connect(m_reconnectPath, ConnectTimeout, [&] { return hooks.stopRequested(); });
            if (!again)
                return again.error();
            m_stream = std::move(*again);
        }
    }

private:
    Stream m_stream;
    std::string m_reconnectPath;
};

// Reads frames out of a byte stream through a user-space buffer: one read() brings in as many frames as the kernel
// has (up to 64 KiB), so a busy consumer makes far fewer system calls than one read for the header and one for the
// body of every frame. Waiting happens only between frames, never inside one (a started frame is finished).
// What sits in that buffer is gone if the process is killed; given hooks, the reader keeps them told how much.
class FrameReader {
public:
    // records: each read() returns one whole message (a SOCK_SEQPACKET socket), so a read is never cut short to
    // limit the read-ahead (the rest of a record would be lost), and there is no read-ahead beyond it anyway.
    FrameReader(Stream stream, std::size_t maxFrame, bool records = false)
        : m_stream(std::move(stream))
        , m_maxFrame(maxFrame)
        , m_buffer(streamReadAheadBytes(maxFrame))
        , m_records(records)
    { }

    enum class Fill { Data, Empty, Ended };

    // Returns the next complete frame if the buffer holds one, after at most one non-blocking read(). 0 means no
    // complete frame yet; PeerGone means the stream ended between frames; Corrupt with ENODATA means it ended
    // inside a frame (its writer was killed); Corrupt otherwise means damaged bytes (once; the reader then slides
    // to the next frame boundary by itself).
    Result<std::size_t> tryNext(std::span<std::byte> out, WaitHooks* hooks = nullptr)
    {
        for (int attempt = 0; attempt < 2; ++attempt) {
            auto framed = takeBuffered(out);
            if (framed && *framed > 0 && hooks)
                hooks->setReadAhead(m_ahead);
            if (!framed || *framed > 0)
                return framed;
            if (attempt == 1)
                break;
            const Fill fill = fillOnce(hooks, readLimit(hooks ? hooks->framesWanted() : 0));
            if (fill == Fill::Ended)
                return ended();
            if (fill == Fill::Empty)
                break;
        }
        return std::size_t(0);
    }

    // At a stop: the frames already read ahead, one by one, finishing a begun frame from the stream (its writer
    // wrote it whole, so the rest is there or comes at once). Reads nothing beyond that frame.
    Result<std::size_t> takeReadAhead(std::span<std::byte> out, WaitHooks& hooks)
    {
        const std::uint64_t deadline = monotonicNs() + 1'000'000'000ull;
        for (;;) {
            auto framed = takeBuffered(out);
            if (framed && *framed > 0)
                hooks.setReadAhead(m_ahead);
            if (!framed || *framed > 0)
                return framed;
            const std::size_t rest = restOfBegunFrame();
            if (rest == 0 || monotonicNs() > deadline)
                return std::size_t(0);
            const Fill fill = fillOnce(&hooks, rest);
            if (fill == Fill::Ended)
                return ended();
            if (fill == Fill::Empty)
                waitReadable(std::chrono::milliseconds(10));
        }
    }

    // Waits until the stream may have more to read (or the timeout passes).
    void waitReadable(Duration timeout) const { (void)m_stream.waitReadable(timeout); }
    int nativeHandle() const { return m_stream.nativeHandle(); }
    const std::string& name() const { return m_stream.name(); }

private:
    std::size_t buffered() const { return m_end - m_begin; }

    static bool plausible(const FrameHeader& h, std::size_t maxFrame, std::size_t outSize)
    {
        return h.magic == FrameMagic && h.length >= FrameHeaderSize && h.length <= maxFrame && h.length <= outSize;
    }

    Result<std::size_t> takeBuffered(std::span<std::byte> out)
    {
        while (buffered() >= FrameHeaderSize) {
            FrameHeader header;
            std::memcpy(&header, m_buffer.data() + m_begin, sizeof header);
            if (!plausible(header, m_maxFrame, out.size())) {
                // Slide one byte at a time to the next plausible header; report the damage once per episode.
                ++m_begin;
                ++m_skipped;
                clampAhead();
                if (!m_resyncing) {
                    m_resyncing = true;
                    return detail::makeError(ErrorCode::Corrupt, "read frame", name(),
                        "A frame header is damaged (magic or length " + std::to_string(header.length)
                            + "); skipping to the next frame boundary");
                }
                continue;
            }
            if (buffered() < header.length)
                return std::size_t(0);
            m_resyncing = false;
            std::memcpy(out.data(), m_buffer.data() + m_begin, header.length);
            m_begin += header.length;
            if (m_ahead > 0)
                --m_ahead;
            clampAhead();
            return std::size_t(header.length);
        }
        return std::size_t(0);
    }

    // Past a damaged header m_ahead is a guess (a frame per 32 bytes); it can never exceed what is left.
    void clampAhead()
    {
        m_ahead = std::min(m_ahead, std::uint32_t((buffered() + FrameHeaderSize - 1) / FrameHeaderSize));
    }

    // Bytes still missing from the frame begun at the front of the buffer (its header first); 0 when none is
    // begun, or when its header is damaged (then nothing about it is known).
    std::size_t restOfBegunFrame() const
    {
        if (buffered() == 0)
            return 0;
        if (buffered() < FrameHeaderSize)
            return FrameHeaderSize - buffered();
        const FrameHeader header = headerAt(m_begin);
        if (!plausible(header, m_maxFrame, m_maxFrame))
            return 0;
        return header.length > buffered() ? header.length - buffered() : 0;
    }

    // How much one read may take when the caller wants only `wanted` more frames (0: no limit): the rest of the
    // begun frame, plus one smallest frame's worth per frame still wanted, so no more frames than that can begin.
    std::size_t readLimit(std::uint64_t wanted) const
    {
        if (wanted == 0 || m_records)
            return SIZE_MAX;
        const std::uint64_t more = wanted > m_ahead ? wanted - m_ahead : 0;
        return restOfBegunFrame()
            + std::size_t(std::min<std::uint64_t>(more, SIZE_MAX / 2 / FrameHeaderSize)) * FrameHeaderSize;
    }

    Fill fillOnce(WaitHooks* hooks, std::size_t limit)
    {
        if (m_begin > 0 && (m_end == m_begin || m_buffer.size() - m_end < m_maxFrame)) {
            std::memmove(m_buffer.data(), m_buffer.data() + m_begin, buffered());
            m_end -= m_begin;
            m_begin = 0;
        }
        const std::size_t space = std::min(m_buffer.size() - m_end, limit);
        if (space == 0)
            return Fill::Empty;
        // Killed inside the read or just after it, the process takes at most this many frames with it.
        if (hooks)
            hooks->setReadAhead(std::uint32_t(m_ahead + 1 + space / FrameHeaderSize));
        for (;;) {
            const ssize_t n = read(m_stream.nativeHandle(), m_buffer.data() + m_end, space);
            if (n > 0) {
                m_end += std::size_t(n);
                m_ahead = countAhead();
                if (hooks)
                    hooks->setReadAhead(m_ahead);
                return Fill::Data;
            }
            if (n == 0)
                return Fill::Ended;
            if (errno == EINTR)
                continue;
            if (hooks)
                hooks->setReadAhead(m_ahead);
            return Fill::Empty; // EAGAIN, or an error that the next poll will show as hang-up
        }
    }

    // Frames whole or begun in the buffer. A fill starts only when no whole frame is buffered, so this walk is
    // over new frames only. It parses as takeBuffered will: a damaged stretch (the rest of a frame a killed reader
    // began) counts as one, and the walk goes on from the next plausible header.
    std::uint32_t countAhead() const
    {
        std::uint32_t frames = 0;
        std::size_t at = m_begin;
        while (at < m_end) {
            if (m_end - at < FrameHeaderSize)
                return frames + 1;
            ++frames;
            const FrameHeader header = headerAt(at);
            if (plausible(header, m_maxFrame, m_maxFrame)) {
                at += header.length;
                continue;
            }
            do
                ++at;
            while (m_end - at >= FrameHeaderSize && !plausible(headerAt(at), m_maxFrame, m_maxFrame));
        }
        return frames;
    }
    FrameHeader headerAt(std::size_t at) const
    {
        FrameHeader header;
        std::memcpy(&header, m_buffer.data() + at, sizeof header);
        return header;
    }

    Result<std::size_t> ended()
    {
        if (buffered() == 0)
            return detail::makeError(ErrorCode::PeerGone, "read", name(), "The writer has closed its end");
        return detail::makeError(ErrorCode::Corrupt, "read", name(),
            "Truncated message: the writer closed after " + std::to_string(buffered()) + " bytes of a frame", ENODATA);
    }

    Stream m_stream;
    std::size_t m_maxFrame;
    std::vector<std::byte> m_buffer;
    std::size_t m_begin = 0, m_end = 0;
    std::uint32_t m_ahead = 0; // frames whole or begun between m_begin and m_end (an upper bound while resyncing)
    bool m_resyncing = false;
    std::uint64_t m_skipped = 0;
    bool m_records = false;
};

class FifoConsumer final : public ConsumerEndpoint {
public:
    FifoConsumer(Stream stream, std::size_t maxFrame, bool records = false)
        : m_reader(std::move(stream), maxFrame, records)
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        bool reported = false;
        for (;;) {
            auto r = m_reader.tryNext(buffer, &hooks);
            if (!r || *r > 0)
                return r;
            if (hooks.stopRequested())
                return stopped(m_reader.name());
            if (!reported) {
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
            m_reader.waitReadable(Slice);
        }
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        return m_reader.tryNext(buffer);
    }
    Result<std::size_t> takeReadAhead(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        return m_reader.takeReadAhead(buffer, hooks);
    }

private:
    FrameReader m_reader; // the descriptor is O_RDWR, so the stream never ends while this reader lives
};

class FifoObject final : public ChannelObject {
public:
    FifoObject(ChannelAddress address, FileDescriptor holder)
        : ChannelObject(std::move(address))
        , m_holder(std::move(holder))
    { }
    ~FifoObject() override { (void)removePath(m_address.name); }
    std::int64_t depth() override { return -1; }
    std::int64_t bytesQueued() const override
    {
        int bytes = 0;
        return ioctl(m_holder.get(), FIONREAD, &bytes) == 0 ? bytes : -1;
    }
    std::int64_t byteCapacity() const override { return fcntl(m_holder.get(), F_GETPIPE_SZ); }
    std::uint64_t drainLeftovers() override { return countFrames(m_holder.get()); }

private:
    FileDescriptor m_holder; // a read end kept open so data survives the consumer and can be counted at stop
};

class SocketConsumer final : public ConsumerEndpoint {
public:
    SocketConsumer(int listenFd, std::string path, std::size_t maxFrame)
        : m_listenFd(listenFd)
        , m_path(std::move(path))
        , m_maxFrame(maxFrame)
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        bool reported = false;
        for (;;) {
            auto r = takeFromAny(buffer);
            tellConnections(hooks);
            if (!r || *r > 0)
                return r;
            if (hooks.stopRequested())
                return stopped(m_path);
            if (!reported) {
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
            waitAny(int(std::chrono::duration_cast<std::chrono::milliseconds>(Slice).count()), hooks);
            tellConnections(hooks);
        }
    }
    // At a stop: producers have exited, so everything they sent is in the connections (or still queued at the
    // listener). Take it all, connection by connection, until nothing is left.
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        acceptPending(hooks);
        for (int round = 0; round < 4; ++round) {
            auto r = takeFromAny(buffer);
            tellConnections(hooks);
            if (!r || *r > 0)
                return r;
        }
        return std::size_t(0);
    }

private:
    void tellConnections(WaitHooks& hooks)
    {
        if (m_connections.size() != m_told) {
            m_told = m_connections.size();
            hooks.connectionsHeld(std::uint32_t(m_told));
        }
    }

    // A refused accept4 (EMFILE when this process has no descriptor left) leaves the connection in the listener's
    // backlog, so the listener stays readable: polling it again at once spun a core at thousands of failures a
    // second. Instead the listener is left out of the poll for a pause that doubles with each failure up to a
    // second, while the connections already accepted are served; one of them closing frees a descriptor and ends
    // the pause.
    static constexpr std::uint64_t FirstAcceptPauseNs = 10'000'000ull;
    static constexpr std::uint64_t MaxAcceptPauseNs = 1'000'000'000ull;

    void acceptPending(WaitHooks& hooks)
    {
        if (monotonicNs() < m_acceptResumeNs)
            return;
        for (;;) {
            auto fd = UnixSocket::tryAccept(m_listenFd);
            if (!fd) {
                hooks.recoverableError(WorkerErrorOp::Accept, fd.error().sysErrno);
                m_acceptResumeNs = monotonicNs() + m_acceptPauseNs;
                m_acceptPauseNs = std::min(m_acceptPauseNs * 2, MaxAcceptPauseNs);
                return;
            }
            if (!fd->valid())
                return;
            m_acceptPauseNs = FirstAcceptPauseNs;
            m_connections.emplace_back(Stream(std::move(*fd), m_path), m_maxFrame);
        }
    }
    void waitAny(int timeoutMs, WaitHooks& hooks)
    {
        std::vector<pollfd> fds;
        const std::uint64_t now = monotonicNs();
        const bool listening = now >= m_acceptResumeNs;
        if (listening)
            fds.push_back({ m_listenFd, POLLIN, 0 });
        else
            timeoutMs = std::min<int>(timeoutMs, int((m_acceptResumeNs - now + 999'999) / 1'000'000));
        for (const FrameReader& c : m_connections)
            fds.push_back({ c.nativeHandle(), POLLIN, 0 });
        if (poll(fds.data(), fds.size(), timeoutMs) > 0 && listening && (fds[0].revents & POLLIN))
            acceptPending(hooks);
    }

public:
    std::int64_t kernelBytes() const override
    {
        std::int64_t total = 0;
        for (const FrameReader& c : m_connections) {
            int bytes = 0;
            if (ioctl(c.nativeHandle(), FIONREAD, &bytes) == 0)
                total += bytes;
        }
        return total;
    }

private:
    // One frame from the connections in turn (round robin, so no producer is starved); 0 when none has one now.
    Result<std::size_t> takeFromAny(std::span<std::byte> buffer)
    {
        for (std::size_t k = 0; k < m_connections.size(); ++k) {
            const std::size_t i = (m_next + k) % m_connections.size();
            auto r = m_connections[i].tryNext(buffer);
            if (r && *r == 0)
                continue;
            if (!r) {
                // Ended (its producer exited or was killed mid-frame: that frame was never counted as sent), or
                // damaged: either way this connection is finished. Only damage is reported.
                const Error e = r.error();
                m_connections.erase(m_connections.begin() + long(i));
                m_acceptResumeNs = 0; // a descriptor is free again: a waiting connection can be accepted now
                if (e.code == ErrorCode::PeerGone || (e.code == ErrorCode::Corrupt && e.sysErrno == ENODATA))
                    return takeFromAny(buffer);
                return e;
            }
            m_next = i + 1;
            return r;
        }
        return std::size_t(0);
    }

    int m_listenFd;
    std::string m_path;
    std::size_t m_maxFrame;
    std::vector<FrameReader> m_connections;
    std::size_t m_next = 0;
    std::size_t m_told = 0; // the connection count last told to the hooks (the slot starts at 0)
    std::uint64_t m_acceptResumeNs = 0; // the listener is left alone until then (see acceptPending)
    std::uint64_t m_acceptPauseNs = FirstAcceptPauseNs;
};

class SocketObject final : public ChannelObject {
public:
    SocketObject(ChannelAddress address, FileDescriptor listener)
        : ChannelObject(std::move(address))
        , m_listener(std::move(listener))
    { }
    ~SocketObject() override { (void)removePath(m_address.name); }
    std::int64_t depth() override { return -1; }
    int listenFd() const override { return m_listener.get(); }
    // Connections that no consumer accepted still hold their data in the listener's backlog.
    std::uint64_t drainLeftovers() override
    {
        std::uint64_t frames = 0;
        for (;;) {
            auto fd = UnixSocket::tryAccept(m_listener.get());
            if (!fd || !fd->valid())
                return frames;
            frames += countFrames(fd->get());
        }
    }

private:
    FileDescriptor m_listener;
};

// An anonymous pipe or socketpair, kept open by the runner for the whole run: what a dead worker's end held stays
// there for the next one and is counted at stop, and nobody sees end of stream or EPIPE because a worker died (as
// in Python when the parent keeps both ends of a Pipe open).
class AnonymousObject final : public ChannelObject {
public:
    AnonymousObject(ChannelAddress address, FileDescriptor end0, FileDescriptor end1)
        : ChannelObject(std::move(address))
        , m_ends { std::move(end0), std::move(end1) }
    { }
    std::int64_t depth() override { return -1; }
    bool pipe() const { return m_address.transport == TransportKind::Pipe; }
    std::int64_t bytesQueued() const override
    {
        int bytes = 0;
        return pipe() && ioctl(m_ends[0].get(), FIONREAD, &bytes) == 0 ? bytes : -1;
    }
    std::int64_t byteCapacity() const override { return pipe() ? fcntl(m_ends[0].get(), F_GETPIPE_SZ) : 0; }
    // A pipe's data waits at its read end; a socketpair's at each end, sent from the other.
    std::uint64_t drainLeftovers() override
    {
        return countFrames(m_ends[0].get()) + (pipe() ? 0 : countFrames(m_ends[1].get()));
    }
    int endFd(Role role, int end) const override
    {
        if (pipe())
            return m_ends[role == Role::Producer ? 1 : 0].get();
        return end == 0 || end == 1 ? m_ends[end].get() : -1;
    }

private:
    FileDescriptor m_ends[2]; // pipe: read, write; socketpair: end 0, end 1
};

// The descriptor an anonymous transport's address names ("fd:N"), duplicated so the endpoint owns its own copy.
Result<Stream> inheritedEnd(const ChannelAddress& a)
{
    int fd = -1;
    if (a.name.rfind("fd:", 0) == 0) {
        char* end = nullptr;
        const long n = std::strtol(a.name.c_str() + 3, &end, 10);
        if (end && *end == '\0' && n >= 0 && n < 1 << 20)
            fd = int(n);
    }
    if (fd < 0)
        return detail::makeError(ErrorCode::InvalidArgument, "open channel", a.name,
            std::string("A ") + transportName(a.transport)
                + " has no name; its ends are descriptors the runner hands to the workers it starts (fd:N)");
    const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        return detail::sysError("fcntl(F_DUPFD_CLOEXEC)", a.name, errno);
    return Stream(FileDescriptor(copy), std::string(transportName(a.transport)) + " end " + a.name);
}

class StreamFamily final : public detail::ChannelFamily {
public:
    std::vector<OsName> osNames(const ChannelAddress& a) const override
    {
        if (traits(a.transport).anonymous)
            return {}; // nothing to record or remove: the ends close with the processes
        return { { "path", a.name } };
    }
    Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& a) const override
    {
        if (a.transport == TransportKind::Pipe || a.transport == TransportKind::SocketPair) {
            int fds[2] = { -1, -1 };
            const bool ok = a.transport == TransportKind::Pipe
                ? pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0
                : socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0;
            if (!ok)
                return detail::sysError(a.transport == TransportKind::Pipe ? "pipe2" : "socketpair", a.name, errno);
            return std::unique_ptr<ChannelObject>(
                new AnonymousObject(a, FileDescriptor(fds[0]), FileDescriptor(fds[1])));
        }
        if (a.transport == TransportKind::Socket) {
            auto listener = UnixSocket::listen(a.name);
            if (!listener)
                return listener.error();
            return std::unique_ptr<ChannelObject>(new SocketObject(a, std::move(*listener)));
        }
        if (Status st = Fifo::create(a.name); !st)
            return st.error();
        const int fd = ::open(a.name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            const int err = errno;
            (void)removePath(a.name);
            return detail::sysError("open", a.name, err);
        }
        return std::unique_ptr<ChannelObject>(new FifoObject(a, FileDescriptor(fd)));
    }
    Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks& hooks) const override
    {
        if (traits(a.transport).anonymous) {
            auto s = inheritedEnd(a);
            if (!s)
                return s.error();
            return std::unique_ptr<ProducerEndpoint>(new StreamProducer(std::move(*s)));
        }
        auto cancel = [&] { return hooks.stopRequested(); };
        if (a.transport == TransportKind::Socket) {
            auto s = UnixSocket::connect(a.name, ConnectTimeout, cancel);
            if (!s)
                return s.error();
            return std::unique_ptr<ProducerEndpoint>(new StreamProducer(std::move(*s), a.name));
        }
        auto s = Fifo::openWriter(a.name, ConnectTimeout, cancel);
        if (!s)
            return s.error();
        return std::unique_ptr<ProducerEndpoint>(new StreamProducer(std::move(*s)));
    }
    Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const override
    {
        if (traits(a.transport).anonymous) {
            auto s = inheritedEnd(a);
            if (!s)
                return s.error();
            return std::unique_ptr<ConsumerEndpoint>(
                new FifoConsumer(std::move(*s), a.messageSize, a.transport == TransportKind::SocketPair));
        }
        if (a.transport == TransportKind::Socket) {
            if (a.listenFd < 0)
                return detail::makeError(ErrorCode::InvalidArgument, "open channel", a.name,
                    "A socket consumer needs the runner's listening descriptor (--listen-fd)");
            return std::unique_ptr<ConsumerEndpoint>(new SocketConsumer(a.listenFd, a.name, a.messageSize));
        }
        auto s = Fifo::openReader(a.name);
        if (!s)
            return s.error();
        return std::unique_ptr<ConsumerEndpoint>(new FifoConsumer(std::move(*s), a.messageSize));
    }
};

} // namespace

const detail::ChannelFamily& detail::streamFamily()
{
    static const StreamFamily family;
    return family;
}
} // namespace ipccore

// Streams: FIFOs and Unix domain sockets carrying frames between two processes, waiting for the peer, end of stream
// (PeerGone) and a frame cut short (Corrupt).
#include "child_process.h"
#include "test_support.h"

#include "ipccore/framing.h"
#include "ipccore/stream.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QtTest>

#include <csignal>
#include <poll.h>
#include <sys/socket.h>

using namespace ipccore;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(ipccore::ErrorCode)

namespace {

constexpr std::size_t FrameBytes = 100;
constexpr int Frames = 50;

std::vector<std::byte> frame(std::uint64_t seq)
{
    std::vector<std::byte> f(FrameBytes);
    buildFrame(f, 3, seq, 0);
    return f;
}

// Child side of the transfer tests: sends Frames frames and exits 0 when every write succeeded.
int writeFrames(Stream& stream)
{
    for (int seq = 1; seq <= Frames; ++seq) {
        if (!stream.writeAll(frame(std::uint64_t(seq))))
            return 10 + seq;
    }
    return 0;
}

// Parent side: reads and verifies Frames frames.
void readFrames(Stream& stream)
{
    std::vector<std::byte> buffer(FrameBytes);
    for (int seq = 1; seq <= Frames; ++seq) {
        const Status st = stream.readExact(buffer);
        QVERIFY2(st, st ? "" : st.error().message().c_str());
        FrameHeader header {};
        QCOMPARE(checkFrame(buffer, header), FrameCheck::Ok);
        QCOMPARE(header.seq, std::uint64_t(seq));
        QCOMPARE(header.producer, 3u);
    }
}

// Accepts one connection, waiting at most 10 s (liveness bound, not a timing assertion).
FileDescriptor acceptWithin(int listenFd)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 10000) {
        auto fd = UnixSocket::tryAccept(listenFd);
        if (!fd || fd->valid())
            return fd ? std::move(*fd) : FileDescriptor();
        pollfd pfd { listenFd, POLLIN, 0 };
        poll(&pfd, 1, 100);
    }
    return FileDescriptor();
}

} // namespace

class TestStream : public QObject {
    Q_OBJECT

    std::vector<std::string> m_paths;

    std::string path(const std::string& tag)
    {
        m_paths.push_back(ipctest::uniquePath(tag));
        return m_paths.back();
    }

private slots:
    void initTestCase()
    {
        // As in the workers: a write to a pipe without a reader must be EPIPE, not a fatal signal.
        std::signal(SIGPIPE, SIG_IGN);
    }

    void cleanupTestCase()
    {
        for (const std::string& p : m_paths) {
            QVERIFY2(!QFileInfo::exists(QString::fromStdString(p)), p.c_str());
            QDir().rmdir(QFileInfo(QString::fromStdString(p)).path());
        }
        const QStringList left = ipctest::leftoversOfThisProcess();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void fifoCreateContract()
    {
        const std::string p = path("contract.fifo");
        QVERIFY(Fifo::create(p));
        QFileInfo info(QString::fromStdString(p));
        QVERIFY(info.exists());
        QCOMPARE(info.permissions() & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteOther), QFile::Permissions());
        const Status again = Fifo::create(p);
        QVERIFY(!again);
        QCOMPARE(again.error().code, ErrorCode::AlreadyExists);
        QVERIFY(removePath(p));
        QCOMPARE(removePath(p).error().code, ErrorCode::NotFound);
        QCOMPARE(Fifo::openReader(p).error().code, ErrorCode::NotFound);
    }

    void fifoRefusesRegularFile()
    {
        const std::string p = path("plain-file");
        QFile file(QString::fromStdString(p));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        const auto reader = Fifo::openReader(p);
        QVERIFY(removePath(p));
        QVERIFY(!reader);
        QCOMPARE(reader.error().code, ErrorCode::PermissionDenied);
    }

    void fifoFramesAcrossFork()
    {
        const std::string p = path("frames.fifo");
        QVERIFY(Fifo::create(p));
        const pid_t child = ipctest::forkChild([&] {
            auto writer = Fifo::openWriter(p, 10s);
            if (!writer)
                return 1;
            return writeFrames(*writer);
        });
        QVERIFY(child > 0);
        auto reader = Fifo::openReader(p);
        QVERIFY(reader);
        readFrames(*reader);
        QCOMPARE(ipctest::waitChild(child), 0);
        // The reader holds a write reference too, so the writer leaving is not end of stream: nothing is readable.
        QVERIFY(!reader->waitReadable(50ms));
        std::vector<std::byte> buffer(8);
        QCOMPARE(*reader->readAvailable(buffer), std::size_t(0));
        QVERIFY(removePath(p));
    }

    void fifoWriterWaitsForReader()
    {
        const std::string p = path("late-reader.fifo");
        QVERIFY(Fifo::create(p));
        const pid_t parent = getpid();
        // The reader appears only once the parent is already waiting in openWriter (ENXIO, retried).
        const pid_t child = ipctest::forkChild([&] {
            ipctest::waitUntilSleeping(parent);
            auto reader = Fifo::openReader(p);
            if (!reader)
                return 1;
            std::vector<std::byte> buffer(FrameBytes);
            if (!reader->readExact(buffer))
                return 2;
            FrameHeader header {};
            return checkFrame(buffer, header) == FrameCheck::Ok && header.seq == 42 ? 0 : 3;
        });
        QVERIFY(child > 0);
        auto writer = Fifo::openWriter(p, 30s);
        QVERIFY2(writer, writer ? "" : writer.error().message().c_str());
        QVERIFY(writer->writeAll(frame(42)));
        QCOMPARE(ipctest::waitChild(child), 0);
        QVERIFY(removePath(p));
    }

    void fifoWriterTimesOutWithoutReader()
    {
        const std::string p = path("no-reader.fifo");
        QVERIFY(Fifo::create(p));
        QElapsedTimer timer;
        timer.start();
        const auto writer = Fifo::openWriter(p, 200ms);
        const qint64 elapsedMs = timer.elapsed();
        QVERIFY(removePath(p));
        QVERIFY(!writer);
        QCOMPARE(writer.error().sysErrno, ENXIO);
        QVERIFY2(elapsedMs >= 199, qPrintable(QString::number(elapsedMs)));
        QVERIFY2(elapsedMs < 10000, qPrintable(QString::number(elapsedMs)));
        // A wait that ran out is TimedOut, so a caller can tell "nobody came in time" from "the peer went away".
        QCOMPARE(writer.error().code, ErrorCode::TimedOut);
    }

    void fifoWriterCancelled()
    {
        const std::string p = path("cancel.fifo");
        QVERIFY(Fifo::create(p));
        const auto writer = Fifo::openWriter(p, 30s, [] { return true; });
        QVERIFY(removePath(p));
        QVERIFY(!writer);
        QCOMPARE(writer.error().code, ErrorCode::Interrupted);
    }

    void fifoWriteAfterReaderLeftIsPeerGone()
    {
        const std::string p = path("reader-left.fifo");
        QVERIFY(Fifo::create(p));
        std::optional<Stream> writer;
        {
            auto reader = Fifo::openReader(p);
            QVERIFY(reader);
            auto w = Fifo::openWriter(p, 1s);
            QVERIFY(w);
            writer.emplace(std::move(*w));
        }
        const Status st = writer->writeAll(frame(1));
        QVERIFY(removePath(p));
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::PeerGone);
    }

    void socketFramesAndPeerGone()
    {
        const std::string p = path("frames.sock");
        auto listener = UnixSocket::listen(p);
        QVERIFY2(listener, listener ? "" : listener.error().message().c_str());
        const pid_t child = ipctest::forkChild([&] {
            auto stream = UnixSocket::connect(p, 10s);
            if (!stream)
                return 1;
            return writeFrames(*stream); // exiting closes the connection
        });
        QVERIFY(child > 0);
        FileDescriptor accepted = acceptWithin(listener->get());
        QVERIFY(accepted.valid());
        Stream stream(std::move(accepted), p);
        readFrames(stream);
        QCOMPARE(ipctest::waitChild(child), 0);
        std::vector<std::byte> buffer(FrameBytes);
        const Status end = stream.readExact(buffer);
        QVERIFY(!end);
        QCOMPARE(end.error().code, ErrorCode::PeerGone);
        QCOMPARE(stream.readAvailable(buffer).error().code, ErrorCode::PeerGone);
        QVERIFY(removePath(p));
    }

    void socketTruncatedFrameIsCorrupt()
    {
        const std::string p = path("cut.sock");
        auto listener = UnixSocket::listen(p);
        QVERIFY(listener);
        const pid_t child = ipctest::forkChild([&] {
            auto stream = UnixSocket::connect(p, 10s);
            if (!stream)
                return 1;
            const auto f = frame(1);
            return stream->writeAll(std::span(f).first(FrameBytes / 2)) ? 0 : 2;
        });
        QVERIFY(child > 0);
        FileDescriptor accepted = acceptWithin(listener->get());
        QVERIFY(accepted.valid());
        Stream stream(std::move(accepted), p);
        QCOMPARE(ipctest::waitChild(child), 0);
        std::vector<std::byte> buffer(FrameBytes);
        const Status st = stream.readExact(buffer);
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::Corrupt);
        QVERIFY2(QString::fromStdString(st.error().hint).contains("50 of 100"), st.error().hint.c_str());
        QVERIFY(removePath(p));
    }

    void socketConnectWaitsForListener()
    {
        const std::string p = path("late.sock");
        const pid_t parent = getpid();
        const pid_t child = ipctest::forkChild([&] {
            ipctest::waitUntilSleeping(parent);
            auto listener = UnixSocket::listen(p);
            if (!listener)
                return 1;
            pollfd pfd { listener->get(), POLLIN, 0 };
            if (poll(&pfd, 1, 10000) != 1)
                return 2;
            auto fd = UnixSocket::tryAccept(listener->get());
            if (!fd || !fd->valid())
                return 3;
            Stream s(std::move(*fd), p);
            std::vector<std::byte> buffer(FrameBytes);
            return s.readExact(buffer) ? 0 : 4;
        });
        QVERIFY(child > 0);
        auto stream = UnixSocket::connect(p, 30s);
        QVERIFY2(stream, stream ? "" : stream.error().message().c_str());
        QVERIFY(stream->writeAll(frame(1)));
        QCOMPARE(ipctest::waitChild(child), 0);
        QVERIFY(removePath(p));
    }

    void socketConnectTimesOut()
    {
        const std::string p = path("nobody.sock");
        QElapsedTimer timer;
        timer.start();
        const auto stream = UnixSocket::connect(p, 200ms);
        QVERIFY(!stream);
        QVERIFY(timer.elapsed() >= 199);
        QVERIFY(timer.elapsed() < 10000);
    }

    void socketListenContract()
    {
        const std::string p = path("busy.sock");
        auto first = UnixSocket::listen(p);
        QVERIFY(first);
        QFileInfo info(QString::fromStdString(p));
        QCOMPARE(info.permissions() & (QFile::ReadOther | QFile::WriteOther | QFile::WriteGroup), QFile::Permissions());
        auto second = UnixSocket::listen(p);
        QVERIFY(!second);
        QCOMPARE(second.error().code, ErrorCode::AlreadyExists);
        QCOMPARE(UnixSocket::tryAccept(first->get())->valid(), false); // nothing pending
        QVERIFY(removePath(p));
    }

    void socketPathTooLong()
    {
        const std::string p = "/tmp/" + std::string(200, 'x') + ".sock";
        const auto listener = UnixSocket::listen(p);
        QVERIFY(!listener);
        QCOMPARE(listener.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(UnixSocket::connect(p, 0ms).error().code, ErrorCode::InvalidArgument);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(p)));
    }
};

QTEST_GUILESS_MAIN(TestStream)
#include "tst_stream.moc"

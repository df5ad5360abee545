// The FIFO consumer reads ahead: one read() takes every frame the pipe holds into the process's own buffer. What it
// has taken must always be known (a kill takes it along), a consumer told to move N frames must not take more than
// N out of the pipe, and at a stop it must be able to hand over exactly what it took, finishing a begun frame.
// Real FIFOs, written to with plain write() so frames can be cut and garbage can be injected.
#include "test_support.h"

#include "ipccore/channel.h"
#include "ipccore/framing.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <unistd.h>

using namespace ipccore;

namespace {

constexpr std::uint32_t FrameBytes = 64;
constexpr std::uint32_t ObjectMessageSize = 256;

std::vector<std::byte> frame(std::uint64_t seq)
{
    std::vector<std::byte> f(FrameBytes);
    buildFrame(f, 1, seq, 0);
    return f;
}

// Remembers what the endpoint says it holds, and says how many frames the caller still wants.
class RecordingHooks final : public WaitHooks {
public:
    void enter(WorkerState) override { }
    bool stopRequested() override { return stop; }
    void setReadAhead(std::uint32_t frames) override
    {
        readAhead = frames;
        highest = std::max(highest, frames);
    }
    std::uint64_t framesWanted() override { return wanted; }

    bool stop = false;
    std::uint64_t wanted = 0;
    std::uint32_t readAhead = 0;
    std::uint32_t highest = 0;
};

} // namespace

class TestFifoReadAhead : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<ChannelObject> m_object;
    std::unique_ptr<ConsumerEndpoint> m_consumer;
    int m_writer = -1;
    std::vector<std::byte> m_buffer = std::vector<std::byte>(8192);

    void writeRaw(std::span<const std::byte> bytes)
    {
        QCOMPARE(write(m_writer, bytes.data(), bytes.size()), ssize_t(bytes.size()));
    }
    void writeFrames(std::uint64_t firstSeq, int count)
    {
        for (int i = 0; i < count; ++i)
            writeRaw(frame(firstSeq + std::uint64_t(i)));
    }
    // Receives one frame (the pipe already holds it) and returns its sequence number, or 0 on an error.
    std::uint64_t receiveSeq(RecordingHooks& hooks)
    {
        auto r = m_consumer->receive(m_buffer, hooks);
        if (!r || *r == 0)
            return 0;
        FrameHeader header;
        if (checkFrame(std::span(m_buffer).first(*r), header) != FrameCheck::Ok)
            return 0;
        return header.seq;
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        const ChannelAddress address { TransportKind::Fifo, m_dir.filePath("pipe").toStdString(), 8, ObjectMessageSize,
            -1 };
        auto object = ChannelObject::create(address);
        QVERIFY2(object, object ? "" : object.error().message().c_str());
        m_object = std::move(*object);
        auto consumer = openConsumer(address);
        QVERIFY2(consumer, consumer ? "" : consumer.error().message().c_str());
        m_consumer = std::move(*consumer);
        m_writer = open(address.name.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        QVERIFY(m_writer >= 0);
    }
    void cleanup()
    {
        if (m_writer >= 0)
            close(m_writer);
        m_writer = -1;
        m_consumer.reset();
        m_object.reset();
    }

    void everyFrameTakenIsAccountedFor()
    {
        writeFrames(1, 100);
        RecordingHooks hooks;
        QCOMPARE(receiveSeq(hooks), 1ull);
        QCOMPARE(m_object->bytesQueued(), 0); // one read took the whole pipe
        QCOMPARE(hooks.readAhead, 99u); // ... and the consumer says so
        // Before that read it claimed at least as much as the read could bring.
        QVERIFY2(hooks.highest >= 100u, qPrintable(QString::number(hooks.highest)));
        for (std::uint64_t seq = 2; seq <= 100; ++seq)
            QCOMPARE(receiveSeq(hooks), seq);
        QCOMPARE(hooks.readAhead, 0u);
    }

    void aCountedConsumerLeavesTheRestInThePipe()
    {
        writeFrames(1, 100);
        RecordingHooks hooks;
        for (std::uint64_t seq = 1; seq <= 10; ++seq) {
            hooks.wanted = 10 - (seq - 1);
            QCOMPARE(receiveSeq(hooks), seq);
        }
        QCOMPARE(hooks.readAhead, 0u);
        QCOMPARE(m_object->bytesQueued(), 90 * qint64(FrameBytes));
    }

    void garbageAtTheFrontCountsAsOneAndTheFramesAfterItExactly()
    {
        // What a reader killed half-way through a frame leaves behind: the rest of that frame.
        const std::vector<std::byte> cut = frame(7);
        writeRaw(std::span(cut).subspan(24));
        writeFrames(8, 5);
        RecordingHooks hooks;
        auto r = m_consumer->receive(m_buffer, hooks);
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::Corrupt);
        QCOMPARE(hooks.readAhead, 6u); // the damaged stretch and five frames, not one per 32 bytes
        for (std::uint64_t seq = 8; seq <= 12; ++seq)
            QCOMPARE(receiveSeq(hooks), seq);
        QCOMPARE(hooks.readAhead, 0u);
        // With nothing buffered any more, a counted consumer still reads (no stale guess blocks it).
        writeFrames(13, 1);
        hooks.wanted = 1;
        QCOMPARE(receiveSeq(hooks), 13ull);
    }

    void atAStopTheReadAheadIsHandedOverAndABegunFrameFinished()
    {
        writeFrames(1, 3);
        const std::vector<std::byte> fourth = frame(4);
        writeRaw(std::span(fourth).first(40));
        RecordingHooks hooks;
        QCOMPARE(receiveSeq(hooks), 1ull);
        QCOMPARE(m_object->bytesQueued(), 0);
        QCOMPARE(hooks.readAhead, 3u); // frames 2 and 3, and the begun 4
        // The writer finishes frame 4 and sends a fifth, which must stay in the pipe.
        writeRaw(std::span(fourth).subspan(40));
        writeFrames(5, 1);
        std::vector<std::uint64_t> handed;
        for (;;) {
            auto r = m_consumer->takeReadAhead(m_buffer, hooks);
            QVERIFY(r);
            if (*r == 0)
                break;
            FrameHeader header;
            QCOMPARE(checkFrame(std::span(m_buffer).first(*r), header), FrameCheck::Ok);
            handed.push_back(header.seq);
        }
        QCOMPARE(handed, (std::vector<std::uint64_t> { 2, 3, 4 }));
        QCOMPARE(hooks.readAhead, 0u);
        QCOMPARE(m_object->bytesQueued(), qint64(FrameBytes)); // frame 5
    }
};

QTEST_GUILESS_MAIN(TestFifoReadAhead)
#include "tst_fifo_read_ahead.moc"

// TelemetryBoard: creation bounds, a worker process publishing into its slot while the controller reads it, and
// open() refusing a board whose header is not one ipccore wrote.
#include "child_process.h"
#include "test_support.h"

#include "ipccore/telemetry.h"

#include <QtTest>

#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/mman.h>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::ErrorCode)

class TestTelemetry : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase()
    {
        const QStringList left = ipctest::leftoversOfThisProcess();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    // The event ring keeps the latest EventCapacity events; a reader that comes late gets those and counts the rest
    // as lost, never silently; one that keeps up gets every event once, in order.
    void eventRingCountsWhatItLost()
    {
        auto slot = std::make_unique<WorkerSlot>();
        const std::uint64_t n = WorkerSlot::EventCapacity * 3 + 5;
        for (std::uint64_t i = 0; i < n; ++i)
            slot->recordEvent(1000 + i, WorkerSlot::eventWhat(WorkerSlot::EventStep, WorkerState::Running, 7));
        std::vector<WorkerEvent> events;
        std::uint64_t lost = 0;
        std::uint64_t read = drainEvents(*slot, 0, events, lost);
        QCOMPARE(read, n);
        QCOMPARE(events.size(), WorkerSlot::EventCapacity);
        QCOMPARE(lost, n - WorkerSlot::EventCapacity);
        QCOMPARE(events.front().ns, 1000 + n - WorkerSlot::EventCapacity);
        QCOMPARE(events.back().ns, 1000 + n - 1);
        QCOMPARE(events.back().kind(), WorkerSlot::EventStep);
        QCOMPARE(events.back().state(), WorkerState::Running);
        QCOMPARE(events.back().step(), 7u);
        // Keeping up: what is new, and nothing lost.
        events.clear();
        for (std::uint64_t i = 0; i < 10; ++i)
            slot->recordEvent(5000 + i, WorkerSlot::eventWhat(WorkerSlot::EventState, WorkerState::BlockedFull, 0));
        read = drainEvents(*slot, read, events, lost);
        QCOMPARE(read, n + 10);
        QCOMPARE(events.size(), std::size_t(10));
        QCOMPARE(lost, n - WorkerSlot::EventCapacity);
        QCOMPARE(events[3].ns, 5003u);
        QCOMPARE(events[3].state(), WorkerState::BlockedFull);
        QCOMPARE(drainEvents(*slot, read, events, lost), read); // nothing new
        QCOMPARE(events.size(), std::size_t(10));
    }

    void createSlotCounts_data()
    {
        QTest::addColumn<uint>("count");
        QTest::addColumn<bool>("ok");
        QTest::newRow("0") << 0u << false;
        QTest::newRow("1") << 1u << true;
        QTest::newRow("MaxSlots") << TelemetryBoard::MaxSlots << true;
        QTest::newRow("MaxSlots+1") << TelemetryBoard::MaxSlots + 1 << false;
    }

    void createSlotCounts()
    {
        QFETCH(uint, count);
        QFETCH(bool, ok);
        const std::string n = ipctest::uniqueName("board");
        auto board = TelemetryBoard::create(n, count);
        QCOMPARE(bool(board), ok);
        if (!ok) {
            QCOMPARE(board.error().code, ErrorCode::InvalidArgument);
            QVERIFY(ipctest::leftoverObjects(QString::fromStdString(n.substr(1))).isEmpty());
            return;
        }
        QCOMPARE(board->slotCount(), count);
        QCOMPARE(board->name(), n);
        // Claimed slots are zero: Starting, no counters, no controls, no waits.
        for (std::uint32_t i = 0; i < count; ++i) {
            const WorkerSlot& s = board->claim(i);
            QCOMPARE(s.waitSites[0].key.load(), 0u);
            QCOMPARE(s.waitsUntracked.load(), 0ull);
            QCOMPARE(s.state.load(), std::uint32_t(WorkerState::Starting));
            QCOMPARE(s.messages.load(), 0ull);
            QCOMPARE(s.ctlStop.load(), 0u);
        }
        auto opened = TelemetryBoard::open(n);
        QVERIFY2(opened, opened ? "" : opened.error().message().c_str());
        QCOMPARE(opened->slotCount(), count);
    }

    void openMissingIsNotFound()
    {
        auto board = TelemetryBoard::open(ipctest::uniqueName("no-board"));
        QVERIFY(!board);
        QCOMPARE(board.error().code, ErrorCode::NotFound);
    }

    void slotsSharedAcrossFork()
    {
        const std::string n = ipctest::uniqueName("board");
        auto board = TelemetryBoard::create(n, 4);
        QVERIFY(board);
        for (std::uint32_t i = 1; i <= 3; ++i)
            board->claim(i);
        board->slot(2).ctlRateMilli.store(123456);
        // The child plays a worker: it opens the board by name, reads its control and publishes counters.
        const pid_t child = ipctest::forkChild([&] {
            auto mine = TelemetryBoard::open(n);
            if (!mine || mine->slotCount() != 4)
                return 1;
            WorkerSlot& slot = mine->slot(2);
            if (slot.ctlRateMilli.load() != 123456)
                return 2;
            slot.pid.store(getpid());
            for (int i = 0; i < 1000; ++i) {
                bump(slot.messages);
                bump(slot.bytes, 64);
            }
            slot.lastSeq.store(1000);
            slot.state.store(std::uint32_t(WorkerState::Finished), std::memory_order_release);
            return 0;
        });
        QVERIFY(child > 0);
        QCOMPARE(ipctest::waitChild(child), 0);
        const WorkerSlot& slot = board->slot(2);
        QCOMPARE(slot.state.load(std::memory_order_acquire), std::uint32_t(WorkerState::Finished));
        QCOMPARE(slot.pid.load(), std::int32_t(child));
        QCOMPARE(slot.messages.load(), 1000ull);
        QCOMPARE(slot.bytes.load(), 64000ull);
        QCOMPARE(slot.lastSeq.load(), 1000ull);
        // Neighbouring slots are untouched.
        QCOMPARE(board->slot(1).messages.load(), 0ull);
        QCOMPARE(board->slot(3).messages.load(), 0ull);
    }

    // Header layout (telemetry.cpp): magic, version, slotCount, slotSize as four uint32 at offset 0.
    void openRejectsGarbageHeader_data()
    {
        QTest::addColumn<int>("word");
        QTest::addColumn<uint>("value");
        QTest::newRow("magic") << 0 << 0xDEADBEEFu;
        QTest::newRow("magic zero") << 0 << 0u;
        QTest::newRow("version") << 1 << TelemetryBoard::Version + 1;
        QTest::newRow("slot count 0") << 2 << 0u;
        QTest::newRow("slot count larger than the object") << 2 << 5u;
        QTest::newRow("slot count above MaxSlots") << 2 << TelemetryBoard::MaxSlots + 1;
        QTest::newRow("slot size") << 3 << uint(sizeof(WorkerSlot) + 64);
    }

    void openRejectsGarbageHeader()
    {
        QFETCH(int, word);
        QFETCH(uint, value);
        const std::string n = ipctest::uniqueName("garbage");
        auto board = TelemetryBoard::create(n, 4);
        QVERIFY(board);
        {
            // A second mapping of the same object, as a faulty or hostile process would have.
            auto raw = SharedMemory::open(n, Access::ReadWrite);
            QVERIFY(raw);
            std::memcpy(static_cast<std::byte*>(raw->data()) + word * 4, &value, 4);
        }
        auto opened = TelemetryBoard::open(n);
        QVERIFY(!opened);
        QCOMPARE(opened.error().code, ErrorCode::Corrupt);
    }

    void openRejectsRandomHeader()
    {
        const std::string n = ipctest::uniqueName("random");
        auto board = TelemetryBoard::create(n, 2);
        QVERIFY(board);
        {
            auto raw = SharedMemory::open(n, Access::ReadWrite);
            QVERIFY(raw);
            auto* p = static_cast<unsigned char*>(raw->data());
            for (int i = 0; i < 64; ++i)
                p[i] = static_cast<unsigned char>(i * 37 + 11);
        }
        QCOMPARE(TelemetryBoard::open(n).error().code, ErrorCode::Corrupt);
    }

    void openRejectsTooSmallObject()
    {
        const std::string n = ipctest::uniqueName("tiny");
        auto shm = SharedMemory::create(n, 16);
        QVERIFY(shm);
        auto opened = TelemetryBoard::open(n);
        QVERIFY(!opened);
        QCOMPARE(opened.error().code, ErrorCode::Corrupt);
    }

    void ownerUnlinksBoard()
    {
        const std::string n = ipctest::uniqueName("owned");
        {
            auto board = TelemetryBoard::create(n, 1);
            QVERIFY(board);
            auto opened = TelemetryBoard::open(n);
            QVERIFY(opened);
        }
        QCOMPARE(TelemetryBoard::open(n).error().code, ErrorCode::NotFound);
    }

    void stateAndRoleNames()
    {
        QCOMPARE(QString(workerStateName(WorkerState::BlockedFull)), QString("blocked (full)"));
        QCOMPARE(QString(workerStateName(WorkerState::Dead)), QString("dead"));
        QCOMPARE(QString(roleName(Role::Producer)), QString("producer"));
        QCOMPARE(QString(roleName(Role::Consumer)), QString("consumer"));
    }
};

QTEST_GUILESS_MAIN(TestTelemetry)
#include "tst_telemetry.moc"

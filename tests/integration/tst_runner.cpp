// Runner end to end: real ipclab-worker processes on every transport, the integrity ledger, a worker killed or
// paused mid-run, runs that end by themselves, cleanup at stop, and removal of a dead controller's objects.
#include "test_support.h"

#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <ctime>
#include <unistd.h>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::TransportKind)

namespace {

constexpr int FlowTimeoutMs = 30000; // liveness bound on a busy 2-core machine, not a performance goal

Scenario pairScenario(TransportKind transport, double producerRate, std::uint32_t capacity = 8)
{
    Scenario s;
    s.name = std::string("t-") + transportName(transport);
    s.title = "test";
    // A rendezvous holds nothing: its capacity is always 0.
    s.objects = { { "chan", transport, traits(transport).capacity == CapacityUnit::None ? 0 : capacity, 64 } };
    WorkerSpec producer { "producer", Role::Producer, "chan", producerRate, 64, 0, 0, 0 };
    WorkerSpec consumer { "consumer", Role::Consumer, "chan", 0, 64, 0, 0, 0 };
    s.workers = { producer, consumer };
    s.sampleHz = 50;
    return s;
}

// "/ipclab-<runId>-" -> "<runId>"
QString runIdOf(const std::string& prefix)
{
    return QString::fromStdString(prefix.substr(8, prefix.size() - 9));
}

QString describe(const Ledger& l)
{
    return QStringLiteral("sent %1 received %2 left %3 lost %4 duplicated %5 corrupt %6 exact %7")
        .arg(l.sent)
        .arg(l.received)
        .arg(l.left)
        .arg(l.lost)
        .arg(l.duplicated)
        .arg(l.corrupt)
        .arg(l.exact);
}

} // namespace

class TestRunner : public QObject {
    Q_OBJECT

    // The run directories (locks, manifests) go to a private XDG_RUNTIME_DIR, so cleanupStaleRuns() here only ever
    // sees this test's runs and other tests running in parallel cannot remove this test's dead run first.
    QTemporaryDir m_runtime;

    // After stop: nothing with the run's prefix in /dev/shm (or /dev/mqueue), and no run directory.
    void verifyNothingLeft(const std::string& prefix)
    {
        QVERIFY(prefix.rfind("/ipclab-", 0) == 0);
        const QStringList left = ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1)));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
        QVERIFY2(
            !QDir(QString::fromStdString(runtimeDirectory())).exists(runIdOf(prefix)), qPrintable(runIdOf(prefix)));
    }

    void verifyReaped(const Report& report)
    {
        for (const WorkerSummary& w : report.workers) {
            QVERIFY(w.pid > 0);
            // Reaped: not even a zombie remains under this pid.
            QVERIFY2(kill(w.pid, 0) != 0 && errno == ESRCH, w.name.c_str());
        }
    }

    // The ZeroMQ rows, as test data; with `broadcast`, zmq-pub and zmq-pub-tcp too (for tests of one consumer, which
    // they serve as PUSH/PULL does).
    static void zmqRows(bool broadcast = false)
    {
        QTest::addColumn<TransportKind>("transport");
        QTest::newRow("zmq") << TransportKind::Zmq;
        QTest::newRow("zmq-tcp") << TransportKind::ZmqTcp;
        if (broadcast) {
            QTest::newRow("zmq-pub") << TransportKind::ZmqPub;
            QTest::newRow("zmq-pub-tcp") << TransportKind::ZmqPubTcp;
        }
    }
    // The broadcast rows: over ipc:// and over tcp:// with CURVE.
    static void broadcastRows()
    {
        QTest::addColumn<TransportKind>("transport");
        QTest::newRow("zmq-pub") << TransportKind::ZmqPub;
        QTest::newRow("zmq-pub-tcp") << TransportKind::ZmqPubTcp;
    }
    // A scenario of one ZeroMQ object, "chan", sampled at 50 Hz; the test adds its workers.
    static Scenario zmqScenario(const char* name, TransportKind transport, std::uint32_t capacity, std::uint32_t size)
    {
        Scenario s;
        s.name = name;
        s.title = "test";
        s.sampleHz = 50;
        s.objects = { { "chan", transport, capacity, size } };
        return s;
    }

    // A broadcast "chan" of 128-byte messages over `transport` (zmq-pub or zmq-pub-tcp): `producers` producers at
    // `rate` a second (0: unpaced), named producer-0..., and a subscriber-0... for each of `workUs`, which works that
    // long on each message.
    static Scenario broadcastScenario(TransportKind transport, const char* name, int producers, double rate,
        std::initializer_list<std::uint32_t> workUs)
    {
        Scenario s = zmqScenario(name, transport, 8, 128);
        for (int i = 0; i < producers; ++i)
            s.workers.push_back({ "producer-" + std::to_string(i), Role::Producer, "chan", rate, 128, 0, 0, 0 });
        int i = 0;
        for (const std::uint32_t work : workUs)
            s.workers.push_back({ "subscriber-" + std::to_string(i++), Role::Consumer, "chan", 0, 128, work, 0, 0 });
        return s;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
        QCOMPARE(QString::fromStdString(runtimeDirectory()), m_runtime.filePath("ipclab"));
        QVERIFY2(QFileInfo(ipctest::workerPath()).isExecutable(), qPrintable(ipctest::workerPath()));
    }

    void cleanupTestCase()
    {
        const QStringList left = ipctest::leftoverObjects(QStringLiteral("ipclab-%1-").arg(getpid()));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
        QVERIFY(ipctest::leftoversOfThisProcess().isEmpty());
    }

    void transportEndToEnd_data()
    {
        QTest::addColumn<TransportKind>("transport");
        for (const TransportTraits& t : transportTable()) {
            if (t.carriesMessages)
                QTest::newRow(t.name) << t.kind;
        }
    }

    void transportEndToEnd()
    {
        QFETCH(TransportKind, transport);
        auto runner = Runner::start(pairScenario(transport, 2000));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QVERIFY(QDir(QString::fromStdString(runtimeDirectory())).exists(runIdOf(prefix)));
        // About a second of traffic at 2000/s; the bound only guards against a hang.
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().ledger.received >= 1500, FlowTimeoutMs);
        const Snapshot live = (*runner)->sample();
        QCOMPARE(live.workers.size(), std::size_t(2));
        for (const WorkerStatus& w : live.workers) {
            QVERIFY2(w.alive, w.name.c_str());
            QVERIFY(w.messages > 0);
        }
        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY(l.sent > 0);
        QVERIFY(l.received > 0);
        QCOMPARE(l.duplicated, 0ull);
        QCOMPARE(l.corrupt, 0ull);
        if (traits(transport).consumingReads)
            QCOMPARE(l.sent, l.received + l.left);
        for (const WorkerSummary& w : report.workers)
            QVERIFY2(w.exitText == "exited 0", qPrintable(QString::fromStdString(w.name + ": " + w.exitText)));
        QVERIFY(!report.cleanup.empty());
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // ZeroMQ with its queues full: three unpaced producers, a consumer that works 50 us per message, 4 KiB frames
    // (so the kernel's socket buffer between them holds dozens). The depth, counted from the workers, climbs past
    // the high-water mark; at the stop nothing in flight is lost, whether a producer ended by itself (its count
    // sent, waiting for its connection to be read before closing) or was stopped (held until the consumer has
    // caught up). Without either wait, libzmq dropped what the kernel held when a producer hung up. Over ipc:// and
    // over tcp:// with CURVE (whose 4 KiB messages are larger on the wire than the channel's frames).
    void zmqFullQueuesStopExactly_data() { zmqRows(true); }
    void zmqFullQueuesStopExactly()
    {
        QFETCH(TransportKind, transport);
        Scenario s = zmqScenario("t-zmq-full", transport, 4, 4096);
        for (int i = 0; i < 3; ++i)
            s.workers.push_back({ "producer-" + std::to_string(i), Role::Producer, "chan", 0, 4096, 0, 0, 0 });
        s.workers[0].count = 3000; // ends by itself, long before the others
        s.workers.push_back({ "consumer", Role::Consumer, "chan", 0, 4096, 50, 0, 0 });
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        std::int64_t deepest = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                deepest = std::max(deepest, snap.objects.at(0).depth);
                return snap.workers.at(0).state == WorkerState::Finished && deepest > 4;
            }(),
            FlowTimeoutMs);
        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QCOMPARE(report.workers.at(0).messages, 3000ull);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A ZeroMQ consumer paused by the user (SIGSTOP) while producers fill its queues: Stop lets it run again first,
    // so it catches up before the producers close, and the books are exact. (Left stopped, the producers' close
    // found the queues full, and what the kernel held was lost.)
    void zmqStopWithAPausedConsumerIsExact_data() { zmqRows(true); }
    void zmqStopWithAPausedConsumerIsExact()
    {
        QFETCH(TransportKind, transport);
        Scenario s = pairScenario(transport, 0, 4);
        s.objects[0].messageSize = 4096;
        for (WorkerSpec& w : s.workers)
            w.messageSize = 4096;
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().ledger.received >= 1000, FlowTimeoutMs);
        QVERIFY((*runner)->pauseWorker(1)); // the consumer
        // The producer fills what ZeroMQ and the kernel hold, then waits. Latched: QTRY evaluates its condition
        // again after it first holds, and a sample is a new instant (CI under TSan saw it hold, then not).
        bool filled = false;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                if (!filled) {
                    const Snapshot snap = (*runner)->sample();
                    filled = snap.workers.at(0).state == WorkerState::BlockedFull && snap.objects.at(0).depth > 4;
                }
                return filled;
            }(),
            FlowTimeoutMs);
        const Report report = (*runner)->stop();
        QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // Several consumers of one ZeroMQ object: each binds an endpoint of its own, every producer connects to all of
    // them, and PUSH deals the messages out among them. A consumer added during the run takes the place of one that
    // ended (its endpoint, which the producers are still connected to) and is refused while all of them run; the
    // books stay exact, what the killed one's queue held counted as died with it, and a terminated one's too.
    void zmqSeveralConsumersShareAnObject_data() { zmqRows(); }
    void zmqSeveralConsumersShareAnObject()
    {
        QFETCH(TransportKind, transport);
        Scenario s = zmqScenario("t-zmq-many", transport, 8, 256);
        for (int i = 0; i < 2; ++i)
            s.workers.push_back({ "producer-" + std::to_string(i), Role::Producer, "chan", 2000, 256, 0, 0, 0 });
        for (int i = 0; i < 3; ++i)
            s.workers.push_back({ "consumer-" + std::to_string(i), Role::Consumer, "chan", 0, 256, 0, 0, 0 });
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        const auto eachHasAtLeast = [&](std::size_t from, std::size_t to, std::uint64_t n) {
            const Snapshot snap = (*runner)->sample();
            for (std::size_t i = from; i < to; ++i)
                if (snap.workers.at(i).messages < n)
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(eachHasAtLeast(2, 5, 100), FlowTimeoutMs);
        // Each bound its own endpoint (over tcp://, the file it published it in).
        const QDir run(QDir(QString::fromStdString(runtimeDirectory())).filePath(runIdOf(prefix)));
        for (const char* endpoint : { "chan.zmq", "chan.zmq.1", "chan.zmq.2" })
            QVERIFY2(run.exists(QString::fromLatin1(endpoint)), qPrintable(run.entryList().join(", ")));

        const WorkerSpec another { "consumer-3", Role::Consumer, "chan", 0, 256, 0, 0, 0 };
        auto refused = (*runner)->addWorker(another);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message().find("take the place of one that has ended") != std::string::npos,
            refused.error().message().c_str());
        QVERIFY((*runner)->killWorker(3));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(3).alive, FlowTimeoutMs);
        auto added = (*runner)->addWorker(another);
        QVERIFY2(added, added ? "" : added.error().message().c_str());
        QTRY_VERIFY_WITH_TIMEOUT(eachHasAtLeast(*added, *added + 1, 100), FlowTimeoutMs);
        // One ended with Terminate while the producers run: what its queue held went with it, counted so.
        QVERIFY((*runner)->terminateWorker(4));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(4).alive, FlowTimeoutMs);

        const Report report = (*runner)->stop();
        QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
        std::uint64_t received = 0;
        for (const WorkerSummary& w : report.workers)
            received += w.role == Role::Consumer ? w.messages : 0;
        QCOMPARE(report.integrity.received, received);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A broadcast (zmq-pub, zmq-pub-tcp): every subscriber receives every message, once and in order (each consumer
    // checks every producer's sequence), and the ledger counts in copies. Two producers and three subscribers, one of
    // them slow, which holds the producers back rather than missing messages (ZMQ_XPUB_NODROP), and a fourth that ends
    // by itself after 200 messages (its copies end there). A subscriber cannot be added during the run (it would miss
    // what came before).
    void zmqBroadcastEverySubscriberGetsEveryMessage_data() { broadcastRows(); }
    void zmqBroadcastEverySubscriberGetsEveryMessage()
    {
        QFETCH(TransportKind, transport);
        Scenario s = broadcastScenario(transport, "t-zmq-pub", 2, 2000, { 0, 0, 600, 0 });
        s.workers.back().count = 200;
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                for (std::size_t i = 2; i < 5; ++i)
                    if (snap.workers.at(i).messages < 500)
                        return false;
                return true;
            }(),
            FlowTimeoutMs);
        // The slow one (600 us a message against 4,000 a second sent) is named as the one furthest behind, by more
        // than a queue holds, and by no more than it has yet to receive (the producers' sent less its received).
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                const ObjectStatus& chan = snap.objects.at(0);
                const std::int64_t sent = std::int64_t(snap.workers.at(0).messages + snap.workers.at(1).messages);
                return chan.furthestBehind == "subscriber-2" && chan.furthestBehindBy > 8
                    && chan.furthestBehindBy <= sent - std::int64_t(snap.workers.at(4).messages);
            }(),
            FlowTimeoutMs);
        const QDir run(QDir(QString::fromStdString(runtimeDirectory())).filePath(runIdOf(prefix)));
        for (const char* endpoint : { "chan.zmq", "chan.zmq.1", "chan.zmq.2", "chan.zmq.3" })
            QVERIFY2(run.exists(QString::fromLatin1(endpoint)), qPrintable(run.entryList().join(", ")));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(5).alive, FlowTimeoutMs); // its count received
        auto refused = (*runner)->addWorker({ "subscriber-4", Role::Consumer, "chan", 0, 128, 0, 0, 0 });
        QVERIFY(!refused);
        QVERIFY2(refused.error().message().find("broadcast") != std::string::npos, refused.error().message().c_str());

        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        const std::uint64_t sent = report.workers.at(0).messages + report.workers.at(1).messages;
        QVERIFY(sent >= 500);
        for (std::size_t i = 2; i < 5; ++i)
            QCOMPARE(report.workers.at(i).messages, sent);
        QCOMPARE(report.workers.at(5).messages, 200ull);
        // The one that ended was due its 200 and what its queue held when it went, which went with it.
        QCOMPARE(l.received, 3 * sent + 200);
        QCOMPARE(l.sent, 3 * sent + 200 + l.lostWithDeadWorkers);
        QCOMPARE(l.outOfOrder, 0ull);
        QCOMPARE(l.duplicated, 0ull);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A subscriber killed mid-run with its queue full drops out of the producers' fan-out: the others go on and
    // receive every message, the copies its queue and connections held are counted as died with it, and the books
    // stay exact. A producer added after that does not wait for the dead one's subscription.
    void zmqBroadcastSurvivesAKilledSubscriber_data() { broadcastRows(); }
    void zmqBroadcastSurvivesAKilledSubscriber()
    {
        QFETCH(TransportKind, transport);
        const Scenario s = broadcastScenario(transport, "t-zmq-pub-kill", 1, 0, { 0, 0, 1000 });
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        // The slow one (1000 us a message) holds the unpaced producer to its pace: its queue and socket buffer fill.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                return snap.workers.at(3).messages >= 300 && snap.objects.at(0).depth > 8;
            }(),
            FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(3));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(3).alive, FlowTimeoutMs);
        // Freed of the slow one, the producer goes as fast as the others take: many more copies than the dead one's
        // queue and connections could have held, so they count only if they were counted as due to it.
        const std::uint64_t atKill = (*runner)->sample().workers.at(1).messages;
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(2).messages >= atKill + 50'000, FlowTimeoutMs);
        // Live, the object's depth and the books' "in flight" are one figure: what the dead one's queue held is in
        // both until the stop counts it as died with it.
        const Snapshot live = (*runner)->sample();
        QCOMPARE(live.objects.at(0).depth, live.ledger.inFlight());
        QVERIFY(live.objects.at(0).depth > 0);
        // A producer added now does not wait for the dead one's subscription: it sends to the two still there.
        auto added = (*runner)->addWorker({ "producer-1", Role::Producer, "chan", 1000, 128, 0, 0, 0 });
        QVERIFY2(added, added ? "" : added.error().message().c_str());
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(*added).messages >= 200, FlowTimeoutMs);

        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        const std::uint64_t sent = report.workers.at(0).messages + report.workers.at(*added).messages;
        const std::uint64_t killed = report.workers.at(3).messages;
        QCOMPARE(report.workers.at(1).messages, sent);
        QCOMPARE(report.workers.at(2).messages, sent);
        QVERIFY(killed < sent);
        QVERIFY2(l.lostWithDeadWorkers > 0, qPrintable(describe(l))); // its queue was full
        QCOMPARE(l.sent, 2 * sent + killed + l.lostWithDeadWorkers);
        QCOMPARE(l.received, 2 * sent + killed);
        QCOMPARE(l.outOfOrder, 0ull);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A broadcast's producer waits for each subscriber's subscription before its first message, and knows whose
    // came in. One added while subscriber-1 cannot subscribe (stopped: its thread never attaches the new
    // connection) waits for it, and still waits when subscriber-0, which had subscribed, is killed (counting
    // subscriptions and ended subscribers would let it start, and subscriber-1 would miss messages). When
    // subscriber-1 ends too, the runner tells the producer, which then sends to the one still there.
    void zmqBroadcastProducerDoesNotWaitForAnEndedSubscriber_data() { broadcastRows(); }
    void zmqBroadcastProducerDoesNotWaitForAnEndedSubscriber()
    {
        QFETCH(TransportKind, transport);
        const Scenario s = broadcastScenario(transport, "t-zmq-pub-late", 1, 2000, { 0, 0, 0 });
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(3).messages >= 100, FlowTimeoutMs);
        QVERIFY((*runner)->pauseWorker(2)); // SIGSTOP
        auto added = (*runner)->addWorker({ "producer-1", Role::Producer, "chan", 2000, 128, 0, 0, 0 });
        QVERIFY2(added, added ? "" : added.error().message().c_str());
        auto sentByAdded = [&] { return (*runner)->sample().workers.at(*added).messages; };
        QTRY_VERIFY_WITH_TIMEOUT(
            (*runner)->sample().workers.at(*added).state == WorkerState::BlockedFull, FlowTimeoutMs);
        QTest::qWait(300); // subscriber-0 and subscriber-2 subscribe meanwhile
        QCOMPARE(sentByAdded(), 0ull);
        QVERIFY((*runner)->killWorker(1));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(1).alive, FlowTimeoutMs);
        QTest::qWait(300);
        QCOMPARE(sentByAdded(), 0ull); // subscriber-1 has not subscribed yet
        QVERIFY((*runner)->killWorker(2));
        QTRY_VERIFY_WITH_TIMEOUT(sentByAdded() >= 500, FlowTimeoutMs);

        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        const std::uint64_t sent = report.workers.at(0).messages + report.workers.at(*added).messages;
        QCOMPARE(report.workers.at(3).messages, sent);
        QCOMPARE(l.received, sent + report.workers.at(1).messages + report.workers.at(2).messages);
        QCOMPARE(l.outOfOrder, 0ull);
        QCOMPARE(l.duplicated, 0ull);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A broadcast's producer killed mid-run: the copies in its queues toward each subscriber die with it (ZeroMQ
    // keeps them inside the process), the other producer goes on, and the books in copies stay exact.
    void zmqBroadcastSurvivesAKilledProducer_data() { broadcastRows(); }
    void zmqBroadcastSurvivesAKilledProducer()
    {
        QFETCH(TransportKind, transport);
        const Scenario s = broadcastScenario(transport, "t-zmq-pub-kill-p", 2, 0, { 0, 200 });
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(3).messages >= 500, FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(0));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(0).alive, FlowTimeoutMs);
        const std::uint64_t atKill = (*runner)->sample().workers.at(3).messages;
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(3).messages >= atKill + 500, FlowTimeoutMs);
        // After the kill the slow subscriber (200 us a message, the producer unpaced) is still named as furthest
        // behind, by what the other subscriber received and it did not.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                const ObjectStatus& chan = snap.objects.at(0);
                return chan.furthestBehind == "subscriber-1"
                    && chan.furthestBehindBy
                    == std::int64_t(snap.workers.at(2).messages) - std::int64_t(snap.workers.at(3).messages);
            }(),
            FlowTimeoutMs);

        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        const std::uint64_t sent = report.workers.at(0).messages + report.workers.at(1).messages;
        QCOMPARE(l.sent, 2 * sent);
        QCOMPARE(l.received, report.workers.at(2).messages + report.workers.at(3).messages);
        // Each subscriber got all that the live producer sent, and at most what the killed one had counted.
        for (std::size_t i = 2; i < 4; ++i) {
            QVERIFY(report.workers.at(i).messages >= report.workers.at(1).messages);
            QVERIFY(report.workers.at(i).messages <= sent);
        }
        QCOMPARE(l.outOfOrder, 0ull);
        QCOMPARE(l.duplicated, 0ull);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A worker added to a running object meets the same limits as a scenario's workers, from the transport's row.
    void addedWorkersMeetTheTransportsLimits_data()
    {
        QTest::addColumn<TransportKind>("transport");
        for (const TransportTraits& t : transportTable()) {
            if (t.maxProducers != 0 || t.maxConsumers != 0)
                QTest::newRow(t.name) << t.kind;
        }
    }
    void addedWorkersMeetTheTransportsLimits()
    {
        QFETCH(TransportKind, transport);
        auto runner = Runner::start(pairScenario(transport, 200));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        for (const Role role : { Role::Producer, Role::Consumer }) {
            const WorkerSpec extra { std::string("extra-") + roleName(role), role, "chan", 200, 64, 0, 0, 0 };
            auto added = (*runner)->addWorker(extra);
            // The scenario has one of each, so a limit of one refuses the second.
            QCOMPARE(bool(added), maxWorkers(transport, role) == 0);
            if (!added)
                QVERIFY2(added.error().hint.find("only one") != std::string::npos, added.error().hint.c_str());
        }
        const Report report = (*runner)->stop();
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // What waits in a socket's connections only its consumer can see: it measures the bytes (FIONREAD) and the
    // object's status reports them. A consumer 2 ms per message behind a producer as fast as it can go: the
    // connection's buffer fills, so the bytes waiting reach many frames; a run whose consumer keeps up shows few.
    void socketConsumerMeasuresTheBytesWaiting()
    {
        Scenario s = pairScenario(TransportKind::Socket, 0);
        s.workers[1].workUs = 2000;
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        std::int64_t most = -1;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 3000 && most < 64 * 64) {
            const Snapshot snap = (*runner)->sample();
            QCOMPARE(snap.objects.size(), std::size_t(1));
            most = std::max(most, snap.objects.front().bytesQueued);
            QTest::qWait(20);
        }
        QVERIFY2(most >= 64 * 64, qPrintable(QStringLiteral("at most %1 bytes seen waiting").arg(most)));
        const Report report = (*runner)->stop();
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    void boundedBuffer3x2()
    {
        auto scenario = resolveScenario("bounded-buffer-3x2");
        QVERIFY(scenario);
        auto runner = Runner::start(*scenario);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().t >= 2.0, FlowTimeoutMs);
        const Snapshot live = (*runner)->sample();
        QCOMPARE(live.objects.size(), std::size_t(1));
        QCOMPARE(live.objects[0].semaphores.size(), std::size_t(3)); // empty, full, mutex
        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY(l.received > 0);
        QCOMPARE(l.sent, l.received + l.left);
        QCOMPARE(l.lost, 0ull);
        QCOMPARE(l.duplicated, 0ull);
        QCOMPARE(l.corrupt, 0ull);
        int producersThatSent = 0, consumersThatReceived = 0;
        for (const WorkerSummary& w : report.workers)
            (w.role == Role::Producer ? producersThatSent : consumersThatReceived) += w.messages > 0 ? 1 : 0;
        QCOMPARE(producersThatSent, 3);
        QCOMPARE(consumersThatReceived, 2);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    void sharedValueSlowReaderCountsMissedValues()
    {
        Scenario s = pairScenario(TransportKind::ShmValue, 2000);
        s.workers[1].workUs = 2000; // reads at most ~500 values a second
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().ledger.sent >= 1500, FlowTimeoutMs);
        const Report report = (*runner)->stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.lost > 0, qPrintable(describe(l)));
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY(l.received > 0);
        QCOMPARE(l.sent, l.received + l.lost);
        verifyNothingLeft(prefix);
    }

    void killedConsumerIsReportedDead()
    {
        auto runner = Runner::start(pairScenario(TransportKind::Mq, 2000, 4));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().ledger.received >= 200, FlowTimeoutMs);
        const std::size_t consumer = ipctest::workerIndex(r.sample(), "consumer");
        const pid_t pid = r.sample().workers[consumer].pid;
        QVERIFY(r.killWorker(consumer));

        std::vector<RunEvent> events;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                Snapshot snap = r.sample();
                events.insert(events.end(), snap.events.begin(), snap.events.end());
                const WorkerStatus& w = snap.workers[consumer];
                return !w.alive && w.state == WorkerState::Dead && w.termSignal == SIGKILL;
            }(),
            5000);
        const Snapshot snap = r.sample();
        QCOMPARE(snap.workers[consumer].pid, pid);
        QVERIFY(QString::fromStdString(snap.workers[consumer].exitText).contains("SIGKILL"));
        const bool announced = std::any_of(events.begin(), events.end(), [](const RunEvent& e) {
            return e.kind != RunEvent::Kind::Info && e.text.find("SIGKILL") != std::string::npos;
        });
        QVERIFY(announced);
        // The producer goes on until the queue is full, then waits; the dead consumer is not controllable.
        QVERIFY(snap.workers[ipctest::workerIndex(snap, "producer")].alive);
        QCOMPARE(r.killWorker(consumer).error().code, ErrorCode::NotFound);

        QElapsedTimer timer;
        timer.start();
        const Report report = r.stop();
        QVERIFY2(timer.elapsed() < 20000, "stop() must not hang on a dead consumer");
        const Ledger& l = report.integrity;
        // A consumer killed between mq_receive and publishing its counter takes at most one message with it.
        QVERIFY2(l.sent >= l.received + l.left && l.sent - l.received - l.left <= 1, qPrintable(describe(l)));
        QCOMPARE(l.duplicated, 0ull);
        QCOMPARE(l.corrupt, 0ull);
        QCOMPARE(QString::fromStdString(report.workers[consumer].exitText), QString("killed by SIGKILL"));
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A producer killed in the instant between taking the lock and publishing that it holds it: its phase says only
    // that it was on its way in. The runner must still find the lock stuck with no live holder, free it, and let the
    // consumer go on; before, the mutex stayed 0 for ever. The worker's fault injection does the killing.
    void producerKilledTakingTheLockIsRepaired_data()
    {
        QTest::addColumn<TransportKind>("transport");
        for (const TransportTraits& t : transportTable()) {
            if (t.producersLock)
                QTest::newRow(t.name) << t.kind;
        }
    }
    void producerKilledTakingTheLockIsRepaired()
    {
        QFETCH(TransportKind, transport);
        qputenv("IPCLAB_TEST_PRODUCER_DIES_TAKING_LOCK", "300"); // inherited by the workers spawned by start()
        auto runner = Runner::start(pairScenario(transport, 0, 8));
        qunsetenv("IPCLAB_TEST_PRODUCER_DIES_TAKING_LOCK");
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        const std::size_t producer = ipctest::workerIndex(r.sample(), "producer");

        std::vector<RunEvent> events;
        auto repaired = [&] {
            Snapshot snap = r.sample();
            events.insert(events.end(), snap.events.begin(), snap.events.end());
            return std::any_of(events.begin(), events.end(),
                [](const RunEvent& e) { return e.text.find("died taking it") != std::string::npos; });
        };
        QTRY_VERIFY_WITH_TIMEOUT(repaired(), FlowTimeoutMs);
        Snapshot snap = r.sample();
        QVERIFY(!snap.workers[producer].alive);
        QCOMPARE(snap.workers[producer].termSignal, SIGKILL);
        // The consumer got through the freed lock to everything the producer left in the ring.
        if (transport == TransportKind::ShmRing)
            QTRY_COMPARE_WITH_TIMEOUT(r.sample().objects[0].depth, std::int64_t(0), FlowTimeoutMs); // drained

        const Report report = r.stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY2(l.sent >= 299, qPrintable(describe(l)));
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A socket's messages go to the consumer that accepted their producer's connection: with one producer and two
    // consumers, one consumer reads everything and the other holds no connection, which its status says.
    void socketConsumerWithoutAConnectionIsSeen()
    {
        Scenario s = pairScenario(TransportKind::Socket, 1000);
        s.workers.push_back({ "consumer-2", Role::Consumer, "chan", 0, 64, 0, 0, 0 });
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().ledger.received >= 300, FlowTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = r.sample();
                int reading = 0;
                int idle = 0;
                for (const WorkerStatus& w : snap.workers) {
                    if (w.role != Role::Consumer && w.connections != -1)
                        return false; // only a socket's consumers hold connections
                    if (w.role != Role::Consumer)
                        continue;
                    if (w.connections == 1 && w.messages > 0)
                        ++reading;
                    else if (w.connections == 0 && w.messages == 0 && w.state == WorkerState::BlockedEmpty)
                        ++idle;
                }
                return reading == 1 && idle == 1;
            }(),
            FlowTimeoutMs);
        const Report report = r.stop();
        QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A shm-ring of 16 KiB slots lends them: its workers build and check frames in the slot with the lock held,
    // from the loan to the commit. A producer and a consumer die there (the workers' fault injection kills a lending
    // worker after its frame is built in the slot, or checked there, before it is given back): the runner frees the
    // lock and hands back their tokens, the survivors go on, and the books balance exactly. (That such a ring
    // lends is checked in tst_transport_table.)
    void workersKilledWhileLendingRingSlots()
    {
        Scenario s;
        s.name = "t-ring-loans";
        s.title = "test";
        s.objects = { { "chan", TransportKind::ShmRing, 4, 16384 } };
        for (const char* name : { "producer-1", "producer-2" })
            s.workers.push_back({ name, Role::Producer, "chan", 0, 16384, 0, 0, 0 });
        for (const char* name : { "consumer-1", "consumer-2" })
            s.workers.push_back({ name, Role::Consumer, "chan", 0, 16384, 0, 0, 0 });
        s.workers[0].crashInLockAfter = 300;
        s.workers[2].crashInLockAfter = 500;
        s.sampleHz = 50;
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        std::vector<RunEvent> events;
        auto sample = [&] {
            Snapshot snap = r.sample();
            events.insert(events.end(), snap.events.begin(), snap.events.end());
            return snap;
        };
        auto repairs = [&] {
            return std::count_if(events.begin(), events.end(),
                [](const RunEvent& e) { return e.text.find("died holding its lock") != std::string::npos; });
        };
        QTRY_VERIFY_WITH_TIMEOUT((sample(), repairs() == 2), FlowTimeoutMs);
        const Snapshot dead = sample();
        QCOMPARE(dead.workers[0].termSignal, SIGKILL);
        QCOMPARE(dead.workers[2].termSignal, SIGKILL);
        const std::uint64_t afterKills = dead.ledger.received;
        QTRY_VERIFY_WITH_TIMEOUT(sample().ledger.received >= afterKills + 2000, FlowTimeoutMs);
        QCOMPARE(repairs(), 2);

        const Report report = r.stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QCOMPARE(l.duplicated, 0ull);
        QCOMPARE(l.corrupt, 0ull);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A FIFO consumer reads ahead: one read() takes everything in the pipe into its own buffer. Killed while working
    // through that buffer, it takes hundreds of frames with it; the ledger must say so, not call them lost.
    void killedFifoReaderTakesItsReadAheadAlong()
    {
        Scenario s = pairScenario(TransportKind::Fifo, 0);
        s.workers[1].workUs = 2000; // at most 500 frames/s, so the 64 KiB pipe fills and a read brings ~1000 frames
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        const std::size_t consumer = ipctest::workerIndex(r.sample(), "consumer");
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[consumer].messages >= 50, FlowTimeoutMs);
        // The pipe full first: from then on every read brings many frames. Before, a slow producer (under
        // ThreadSanitizer) could leave one frame in the pipe for each read, and the kill found one read ahead.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto pipe = r.sample().objects.front();
                return pipe.byteCapacity > 0 && pipe.bytesQueued >= pipe.byteCapacity * 3 / 4;
            }(),
            FlowTimeoutMs);
        QVERIFY(r.killWorker(consumer));
        QTRY_VERIFY_WITH_TIMEOUT(!r.sample().workers[consumer].alive, 5000);

        const Report report = r.stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY2(
            l.lostWithDeadWorkers > 1, qPrintable(QString("lost with the dead reader: %1").arg(l.lostWithDeadWorkers)));
        QCOMPARE(l.sent, l.received + l.left + l.lostWithDeadWorkers);
        QCOMPARE(report.deadWorkers.size(), std::size_t(1));
        QVERIFY2(QString::fromStdString(report.deadWorkers[0]).contains("read ahead"), report.deadWorkers[0].c_str());
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // What a FIFO consumer has read ahead is its own: at a stop it counts those frames before exiting, and a consumer
    // told to move N messages takes no more than N out of the pipe. Both used to vanish from the ledger as "lost".
    void fifoReadAheadIsCountedAtStopAndCapped_data()
    {
        QTest::addColumn<std::uint64_t>("count");
        QTest::newRow("stopped") << std::uint64_t(0);
        QTest::newRow("count 300") << std::uint64_t(300);
    }
    void fifoReadAheadIsCountedAtStopAndCapped()
    {
        QFETCH(std::uint64_t, count);
        Scenario s = pairScenario(TransportKind::Fifo, 0);
        // The 64 KiB pipe fills, so every read could bring hundreds of frames. Slow enough that the consumer cannot
        // empty the pipe while stop() waits for the producer to exit (at 500 us a frame it once did under
        // ThreadSanitizer, whose processes are slow to exit).
        s.workers[1].workUs = 2000;
        s.workers[1].count = count;
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        const std::size_t consumer = ipctest::workerIndex(r.sample(), "consumer");
        if (count > 0)
            QTRY_VERIFY_WITH_TIMEOUT((r.sample(), !r.sample().workers[consumer].alive), FlowTimeoutMs);
        else
            QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[consumer].messages >= 300, FlowTimeoutMs);
        const Report report = r.stop();
        const Ledger& l = report.integrity;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY2(l.left > 0, qPrintable(describe(l))); // the pipe was full at the stop
        if (count > 0)
            QCOMPARE(l.received, count);
        verifyReaped(report);
        verifyNothingLeft(prefix);
    }

    // A worker sending 200 small messages a second uses a percent or so of a core. Clock ticks (10 ms) read every
    // 250 ms would show it as 0 or 4 %, flickering; the scheduler's nanosecond account shows what it really uses.
    void cpuShareOfALightWorkerIsSeen()
    {
        if (clockid_t clock {}; clock_getcpuclockid(getpid(), &clock) != 0)
            QSKIP("this system gives no process CPU clock; CPU % falls back to 10 ms clock ticks");
        auto runner = Runner::start(pairScenario(TransportKind::Mq, 200, 8));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::size_t producer = ipctest::workerIndex(r.sample(), "producer");
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[producer].messages >= 100, FlowTimeoutMs);
        int nonZero = 0;
        double highest = 0;
        for (int i = 0; i < 8; ++i) {
            QTest::qWait(300); // longer than the 250 ms between CPU readings
            const double cpu = r.sample().workers[producer].cpuPercent;
            nonZero += cpu > 0;
            highest = std::max(highest, cpu);
        }
        (void)r.stop();
        QVERIFY2(nonZero == 8, qPrintable(QString("%1 of 8 readings above 0").arg(nonZero)));
        QVERIFY2(highest < 50, qPrintable(QString("highest reading %1 %").arg(highest)));
    }

    void countLimitedRunEndsByItself()
    {
        Scenario s = pairScenario(TransportKind::Mq, 2000, 4);
        s.workers[0].count = 300;
        s.workers[1].count = 300;
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        QTRY_VERIFY_WITH_TIMEOUT((r.sample(), r.allWorkersExited()), FlowTimeoutMs);
        const Snapshot snap = r.sample();
        for (const WorkerStatus& w : snap.workers) {
            QCOMPARE(w.state, WorkerState::Finished);
            QCOMPARE(w.exitCode, 0);
            QCOMPARE(w.messages, 300ull);
        }
        const Report report = r.stop();
        QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
        QCOMPARE(report.integrity.sent, 300ull);
        QCOMPARE(report.integrity.received, 300ull);
        QCOMPARE(report.integrity.left, 0ull);
        verifyNothingLeft(prefix);
    }

    // A consumer's latency is the mean over the messages that carry their send time: every message of a producer
    // slower than about 100,000 a second, of one under a rate control and of any mq producer (latency per priority
    // counts each message); about one in 64 of a faster one (reading the clock at each end cost a fast transport a
    // quarter or more of its speed at 64 B).
    void fastProducersTimeASampleOfTheirMessages()
    {
        enum class Expect { Sampled, Nearly, Every };
        struct Case {
            TransportKind transport;
            double rate;
            std::uint32_t consumerWorkUs;
            std::uint64_t count;
            Expect timed;
        };
        // Held back by a consumer that works 50 us a message, an unpaced producer stamps every message once its
        // ring is full. Not all: whenever the consumer got ahead (its producer descheduled on a loaded machine: 250 of
        // 300 in one run), the producer refills the ring fast and skips some. Far more than one in 64, then,
        // which would time about 5.
        for (const Case c : { Case { TransportKind::ShmSpsc, 0, 0, 200'000, Expect::Sampled },
                 Case { TransportKind::ShmSpsc, 0, 50, 300, Expect::Nearly },
                 Case { TransportKind::ShmSpsc, 2000, 0, 200, Expect::Every },
                 Case { TransportKind::Mq, 0, 0, 20'000, Expect::Every } }) {
            Scenario s = pairScenario(c.transport, c.rate, 8);
            s.workers[0].count = c.count;
            s.workers[1].count = c.count;
            s.workers[1].workUs = c.consumerWorkUs;
            auto runner = Runner::start(s);
            QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
            Runner& r = **runner;
            const std::string prefix = r.prefix();
            QTRY_VERIFY_WITH_TIMEOUT((r.sample(), r.allWorkersExited()), FlowTimeoutMs);
            const WorkerStatus consumer = r.sample().workers.at(1);
            const Report report = r.stop();
            QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
            verifyNothingLeft(prefix);
            QCOMPARE(consumer.messages, c.count);
            QVERIFY(consumer.meanLatencyUs > 0);
            const double perSecond = report.workers.at(0).msgsPerS;
            qInfo("%s, producer at %.0f a second: %llu of %llu messages timed, mean latency %.2f us",
                transportName(c.transport), perSecond, static_cast<unsigned long long>(consumer.timedMessages),
                static_cast<unsigned long long>(c.count), consumer.meanLatencyUs);
            switch (c.timed) {
            case Expect::Sampled:
                QVERIFY(consumer.timedMessages > 0 && consumer.timedMessages <= c.count);
                // Sampling needs the messages to go out faster than 100,000 a second for a while: over the whole
                // life (its start included) 500,000 a second means they did, even under a sanitizer.
                if (perSecond > 500'000)
                    QVERIFY2(consumer.timedMessages < c.count / 8, "a fast producer stamps about one in 64");
                break;
            case Expect::Nearly:
                QVERIFY(consumer.timedMessages > c.count / 4 && consumer.timedMessages <= c.count);
                break;
            case Expect::Every:
                QCOMPARE(consumer.timedMessages, c.count);
                break;
            }
        }
    }

    // The live books never show more received than sent, even at full speed through shared memory (hundreds of
    // thousands of messages a second): a sample reads the consumers' counts before the producers', and a message
    // counted received before its producer counted it sent is counted sent (messageLedger).
    void liveLedgerNeverReceivesMoreThanSent()
    {
        auto runner = Runner::start(pairScenario(TransportKind::ShmSpsc, 0, 64));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().ledger.received >= 1000, FlowTimeoutMs);
        for (int i = 0; i < 2000; ++i) {
            const Snapshot snap = r.sample();
            QVERIFY2(snap.ledger.received <= snap.ledger.sent,
                qPrintable(QStringLiteral("sample %1: received %2 > sent %3")
                               .arg(i)
                               .arg(snap.ledger.received)
                               .arg(snap.ledger.sent)));
        }
        const Report report = r.stop();
        QVERIFY(report.integrity.exact);
    }

    void pausedConsumerBlocksProducers()
    {
        Scenario s = pairScenario(TransportKind::Mq, 500, 4);
        s.workers.insert(s.workers.begin() + 1, WorkerSpec { "producer-2", Role::Producer, "chan", 500, 64, 0, 0, 0 });
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().ledger.received >= 100, FlowTimeoutMs);
        const std::size_t consumer = ipctest::workerIndex(r.sample(), "consumer");
        QVERIFY(r.pauseWorker(consumer));

        auto allProducersBlocked = [&](const Snapshot& snap) {
            for (const WorkerStatus& w : snap.workers) {
                if (w.role == Role::Producer && (w.state != WorkerState::BlockedFull || w.waitingOn.empty()))
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allProducersBlocked(r.sample()), FlowTimeoutMs);
        Snapshot paused = r.sample();
        QCOMPARE(paused.workers[consumer].state, WorkerState::Paused);
        QCOMPARE(paused.objects[0].depth, 4); // the queue is full
        const std::uint64_t receivedWhilePaused = paused.ledger.received;

        QVERIFY(r.resumeWorker(consumer));
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().ledger.received >= receivedWhilePaused + 200, FlowTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[consumer].state != WorkerState::Paused, FlowTimeoutMs);
        const Report report = r.stop();
        QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
        QCOMPARE(report.integrity.lost, 0ull);
        verifyNothingLeft(prefix);
    }

    void liveControlsAreValidated()
    {
        auto runner = Runner::start(pairScenario(TransportKind::ShmRing, 1000));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        // Stopping a worker that has not reached exec() yet hits an ipccore race (see the report), so the controls
        // are tried on running workers.
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().ledger.received > 0, FlowTimeoutMs);
        QCOMPARE(r.setRate(0, -1).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(r.setMessageSize(0, 31).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(r.setMessageSize(0, 65).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(r.pauseWorker(99).error().code, ErrorCode::InvalidArgument);
        QVERIFY(r.setRate(0, 250));
        QVERIFY(r.setMessageSize(0, 48));
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[0].rate == 250 && r.sample().workers[0].messageSize == 48, 30000);
        const Report report = r.stop();
        QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
    }

    void invalidScenarioLeavesNothing()
    {
        Scenario s = pairScenario(TransportKind::Mq, 100);
        s.objects[0].capacity = 11;
        const auto before
            = QDir(QString::fromStdString(runtimeDirectory())).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        auto runner = Runner::start(s);
        QVERIFY(!runner);
        QVERIFY(QString::fromStdString(runner.error().message()).contains("msg_max"));
        QCOMPARE(QDir(QString::fromStdString(runtimeDirectory())).entryList(QDir::Dirs | QDir::NoDotAndDotDot), before);

        RunOptions missingWorker;
        missingWorker.workerPath = "/nonexistent/ipclab-worker";
        auto noWorker = Runner::start(pairScenario(TransportKind::Mq, 100), missingWorker);
        QVERIFY(!noWorker);
        QVERIFY(QString::fromStdString(noWorker.error().message()).contains("ipclab-worker"));
        QCOMPARE(QDir(QString::fromStdString(runtimeDirectory())).entryList(QDir::Dirs | QDir::NoDotAndDotDot), before);
    }

    void staleRunOfKilledControllerIsRemoved()
    {
        // A live run of this process, which cleanup must leave alone.
        auto live = Runner::start(pairScenario(TransportKind::ShmRing, 1000));
        QVERIFY2(live, live ? "" : live.error().message().c_str());
        Runner& liveRunner = **live;
        const std::string livePrefix = liveRunner.prefix();
        QTRY_VERIFY_WITH_TIMEOUT(liveRunner.sample().ledger.received > 0, FlowTimeoutMs);

        // A controller that dies without cleaning up: ipclab-cli killed with SIGKILL mid-run.
        QProcess cli;
        cli.setProcessChannelMode(QProcess::MergedChannels);
        cli.start(ipctest::cliPath(), { "run", "producer-consumer-mq", "--duration", "120" });
        QVERIFY2(cli.waitForStarted(10000), qPrintable(cli.errorString()));
        const QString deadRunPrefix = QStringLiteral("ipclab-%1-").arg(cli.processId());
        const QDir runtime(QString::fromStdString(runtimeDirectory()));
        auto deadRunDirs
            = [&] { return runtime.entryList({ QStringLiteral("%1-*").arg(cli.processId()) }, QDir::Dirs); };
        // Running means: its run directory, its board in /dev/shm and its workers' counters moving.
        QTRY_VERIFY_WITH_TIMEOUT(deadRunDirs().size() == 1, FlowTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(ipctest::leftoverObjects(deadRunPrefix).size() >= 1, FlowTimeoutMs);
        QByteArray output;
        QTRY_VERIFY_WITH_TIMEOUT((output += cli.readAll()).contains("Running"), FlowTimeoutMs);
        const QString deadRunId = deadRunDirs().first();
        cli.kill();
        QVERIFY(cli.waitForFinished(10000));
        QCOMPARE(cli.exitStatus(), QProcess::CrashExit);
        QVERIFY(!ipctest::leftoverObjects(deadRunPrefix).isEmpty()); // nobody cleaned up

        // Its workers die a moment after it (PR_SET_PDEATHSIG; longer under ThreadSanitizer), and while one lives
        // the run counts as live and is left alone: clean until the dead run's queue has gone, keeping every line.
        QStringList lines;
        const QString deadPrefix = "/ipclab-" + deadRunId + "-";
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
            for (const std::string& line : cleanupStaleRuns())
                lines << QString::fromStdString(line);
            return !lines.filter("mq " + deadPrefix + "jobs").isEmpty();
        })(),
            FlowTimeoutMs);
        // The dead run's queue and board, each named in the report, and nothing of the live run.
        QVERIFY2(lines.filter("mq " + deadPrefix + "jobs").size() == 1, qPrintable(lines.join("\n")));
        QVERIFY2(lines.filter("shm " + deadPrefix + "board").size() == 1, qPrintable(lines.join("\n")));
        QVERIFY2(lines.filter(deadRunId).size() == lines.size(), qPrintable(lines.join("\n")));
        QVERIFY(lines.filter(QString::fromStdString(livePrefix)).isEmpty());
        QVERIFY(ipctest::leftoverObjects(deadRunPrefix).isEmpty());
        QVERIFY(!runtime.exists(deadRunId));
        QVERIFY(cleanupStaleRuns().empty()); // nothing twice

        // The live run is untouched: its objects, its directory, and traffic still flowing.
        QVERIFY(!ipctest::leftoverObjects(QString::fromStdString(livePrefix.substr(1))).isEmpty());
        QVERIFY(runtime.exists(runIdOf(livePrefix)));
        const std::uint64_t receivedBefore = liveRunner.sample().ledger.received;
        QTRY_VERIFY_WITH_TIMEOUT(liveRunner.sample().ledger.received > receivedBefore + 100, FlowTimeoutMs);
        const Report report = liveRunner.stop();
        QVERIFY2(report.integrity.exact, qPrintable(describe(report.integrity)));
        verifyNothingLeft(livePrefix);
    }
};

QTEST_GUILESS_MAIN(TestRunner)
#include "tst_runner.moc"

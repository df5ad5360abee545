// Step mode end to end: real ipclab-worker processes that wait at a gate before each step, let go one step at a
// time. N steps of a producer are exactly N messages sent, a consumer's step past an empty object blocks in the
// kernel until a producer's step feeds it, the ledger at stop is exact, and stepping two processes of the counter
// race in the wrong interleaving loses exactly one update, every time.
#include "test_support.h"

#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <QtTest>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::TransportKind)

namespace {

constexpr int FlowTimeoutMs = 30000; // liveness bound on a busy 2-core machine, not a performance goal

Scenario pairScenario(TransportKind transport)
{
    Scenario s;
    s.name = std::string("step-") + transportName(transport);
    s.title = "test";
    s.objects = { { "chan", transport, 8, 64 } };
    WorkerSpec producer { "producer", Role::Producer, "chan", 0, 64, 0, 0, 0 };
    WorkerSpec consumer { "consumer", Role::Consumer, "chan", 0, 64, 0, 0, 0 };
    s.workers = { producer, consumer };
    s.sampleHz = 50;
    return s;
}

// Waits until worker `w` stands at its gate having taken `taken` steps; returns a sample taken after that one. A
// sample reads a worker's fields one by one while it runs: one may read its counters before its step ends and its
// gate after it is back there. Parked at its gate, it changes nothing more, so the next sample is whole.
Snapshot waitAtGate(Runner& runner, std::size_t w, std::uint64_t taken, bool& ok)
{
    Snapshot snap;
    QElapsedTimer timer;
    timer.start();
    do {
        snap = runner.sample();
        if (snap.workers[w].atGate && snap.workers[w].stepsTaken == taken) {
            ok = true;
            return runner.sample();
        }
        QTest::qWait(5);
    } while (timer.elapsed() < FlowTimeoutMs);
    ok = false;
    return snap;
}

} // namespace

class TestStepMode : public QObject {
    Q_OBJECT

private slots:
    void producerAndConsumerStepExactly_data()
    {
        QTest::addColumn<TransportKind>("transport");
        for (TransportKind t : { TransportKind::Mq, TransportKind::ShmRing, TransportKind::ShmSpsc, TransportKind::Fifo,
                 TransportKind::Socket })
            QTest::newRow(transportName(t)) << t;
    }

    void producerAndConsumerStepExactly()
    {
        QFETCH(TransportKind, transport);
        RunOptions options;
        options.workerPath = ipctest::workerPath().toStdString();
        options.stepMode = true;
        auto runner = Runner::start(pairScenario(transport), options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        bool ok = false;
        Snapshot snap = waitAtGate(r, 0, 0, ok);
        QVERIFY2(ok, "the producer never reached its first gate");
        snap = waitAtGate(r, 1, 0, ok);
        QVERIFY2(ok, "the consumer never reached its first gate");
        QVERIFY(snap.stepMode);
        QCOMPARE(snap.workers[0].messages, 0u);

        // N steps of the producer: exactly N messages, and it stands still between them.
        constexpr std::uint64_t N = 5;
        for (std::uint64_t k = 1; k <= N; ++k) {
            QCOMPARE(r.step({ 0 }), std::size_t(1));
            snap = waitAtGate(r, 0, k, ok);
            QVERIFY2(ok, qPrintable(QStringLiteral("the producer did not come back to its gate after step %1").arg(k)));
            QCOMPARE(snap.workers[0].messages, k);
        }
        QTest::qWait(200);
        snap = r.sample();
        QCOMPARE(snap.workers[0].messages, N);
        QCOMPARE(snap.workers[1].messages, 0u);
        QVERIFY(snap.workers[0].atGate);

        // Three steps of the consumer: exactly three messages taken.
        for (std::uint64_t k = 1; k <= 3; ++k) {
            QCOMPARE(r.step({ 1 }), std::size_t(1));
            snap = waitAtGate(r, 1, k, ok);
            QVERIFY2(ok, qPrintable(QStringLiteral("the consumer did not come back to its gate after step %1").arg(k)));
            QCOMPARE(snap.workers[1].messages, k);
        }
        QCOMPARE(snap.workers[0].messages, N);

        // Stop: the ledger is exact, and what was not taken is left.
        const Report report = r.stop();
        const Ledger& l = report.integrity;
        QCOMPARE(l.sent, N);
        QCOMPARE(l.received + l.left, N);
        QVERIFY(l.received >= 3); // a FIFO or socket consumer takes what it already read ahead at stop
        QCOMPARE(l.lost, 0u);
        QVERIFY(l.exact);
        QVERIFY(ipctest::leftoversOfThisProcess().isEmpty());
    }

    // A consumer let go on an empty queue blocks in the real receive, not at the gate; a step of the producer ends
    // the wait, and both come back to their gates.
    void consumerBlocksInTheKernelUntilFed()
    {
        RunOptions options;
        options.workerPath = ipctest::workerPath().toStdString();
        options.stepMode = true;
        auto runner = Runner::start(pairScenario(TransportKind::Mq), options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        bool ok = false;
        (void)waitAtGate(r, 0, 0, ok);
        QVERIFY(ok);
        (void)waitAtGate(r, 1, 0, ok);
        QVERIFY(ok);
        QCOMPARE(r.step({ 1 }), std::size_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[1].state == WorkerState::BlockedEmpty, FlowTimeoutMs);
        Snapshot snap = r.sample();
        QVERIFY(!snap.workers[1].atGate);
        QCOMPARE(r.step({ 1 }), std::size_t(0)); // inside its step: nothing to let go
        // "Step all": only the producer stands at a gate.
        QCOMPARE(r.step(), std::size_t(1));
        snap = waitAtGate(r, 1, 1, ok);
        QVERIFY2(ok, "the consumer did not finish its receive after the producer's send");
        QCOMPARE(snap.workers[1].messages, 1u);
        snap = waitAtGate(r, 0, 1, ok);
        QVERIFY(ok);
        QCOMPARE(snap.workers[0].messages, 1u);
        const Report report = r.stop();
        QCOMPARE(report.integrity.sent, 1u);
        QCOMPARE(report.integrity.received, 1u);
        QVERIFY(report.integrity.exact);
    }

    // counter-race stepped as a scheduler would interleave it: adder-1 reads, adder-2 reads, both add and write.
    // The counter ends at 1 after two increments: the lost update, made to happen on purpose, with real processes.
    void steppedRaceLosesOneUpdate()
    {
        auto scenario = resolveScenario("counter-race");
        QVERIFY2(scenario, scenario ? "" : scenario.error().message().c_str());
        RunOptions options;
        options.workerPath = ipctest::workerPath().toStdString();
        options.stepMode = true;
        auto runner = Runner::start(*scenario, options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        bool ok = false;
        for (std::size_t w = 0; w < 4; ++w) {
            (void)waitAtGate(r, w, 0, ok);
            QVERIFY(ok);
        }
        // Each entry: the worker to step; the program is read, work, write.
        const std::size_t order[] = { 0, 1, 0, 0, 1, 1 };
        std::uint64_t taken[2] = { 0, 0 };
        Snapshot snap;
        for (std::size_t w : order) {
            QCOMPARE(snap.workers.empty() ? 0 : snap.workers[w].gateStep, std::uint32_t(taken[w] % 3));
            QCOMPARE(r.step({ w }), std::size_t(1));
            snap = waitAtGate(r, w, ++taken[w], ok);
            QVERIFY(ok);
            // Both read 0: each holds x = 0, even after adder-1 has written 1 (its x is what shows the loss coming).
            if (taken[1] >= 1)
                QCOMPARE(snap.workers[1].registerValue, 0);
            if (taken[0] == 3 && taken[1] < 3)
                QCOMPARE(snap.objects[0].cells.at(0), 1);
        }
        QCOMPARE(snap.workers[0].stepDone, (std::vector<std::uint64_t> { 1, 1, 1 }));
        QCOMPARE(snap.workers[1].stepDone, (std::vector<std::uint64_t> { 1, 1, 1 }));
        for (std::size_t w = 2; w < 4; ++w)
            QCOMPARE(snap.workers[w].stepsTaken, 0u);
        QCOMPARE(snap.objects[0].cells.at(0), 1);
        const Report report = r.stop();
        QCOMPARE(report.integrity.writes, 2u);
        QCOMPARE(report.integrity.increments, 2);
        QCOMPARE(report.integrity.cellSum, 1);
        QCOMPARE(report.integrity.lostUpdates, 1);
    }

    // Run at a step rate, then step mode off: the workers run freely again.
    void rateAndRunLetThemGo()
    {
        RunOptions options;
        options.workerPath = ipctest::workerPath().toStdString();
        options.stepMode = true;
        auto runner = Runner::start(pairScenario(TransportKind::ShmRing), options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        QVERIFY(!r.setStepRate(0.2));
        QVERIFY(!r.setStepRate(2000));
        QVERIFY(r.setStepRate(100));
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[1].messages >= 5, FlowTimeoutMs);
        QVERIFY(r.sample().stepMode);
        r.setStepMode(false);
        const std::uint64_t before = r.sample().workers[1].messages;
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().workers[1].messages > before + 10000, FlowTimeoutMs);
        const Report report = r.stop();
        QVERIFY(report.integrity.exact);
    }
};

QTEST_GUILESS_MAIN(TestStepMode)
#include "tst_step_mode.moc"

// Program workers end to end: real ipclab-worker processes running steps on a real shared array and a real named
// semaphore. The `+=` race loses updates without the lock and none with it; a semaphore pool counts its timeouts
// and ends with every permit back; a worker killed holding a permit is accounted for; Terminate reads like
// Python's exitcode -15; and the CLI's run of each bundled program scenario exits 0 with an exact ledger.
#include "test_support.h"

#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <map>
#include <thread>

using namespace ipccore;

namespace {

constexpr int FlowTimeoutMs = 30000; // liveness bound on a busy 2-core machine, not a performance goal

// The Manager tests over ZeroMQ run over ipc:// and over tcp:// with CURVE (the server publishes the port it bound,
// and each client connects when it appears).
void zmqManagers()
{
    QTest::addColumn<QString>("scenario");
    QTest::newRow("ipc") << QStringLiteral("zmq-manager");
    QTest::newRow("tcp") << QStringLiteral("zmq-manager-tcp");
}

Scenario bundled(const char* name)
{
    auto s = resolveScenario(name);
    if (!s)
        qFatal("%s", s.error().message().c_str());
    return *s;
}

const ObjectSummary& objectNamed(const Report& r, const std::string& name)
{
    for (const ObjectSummary& o : r.objects) {
        if (o.name == name)
            return o;
    }
    qFatal("no object %s", name.c_str());
}

QString describe(const Ledger& l)
{
    return QStringLiteral("writes %1 increments %2 cells %3 lost %4 acquires %5 releases %6 timeouts %7 permits %8 "
                          "held by dead %9 exact %10")
               .arg(l.writes)
               .arg(l.increments)
               .arg(l.cellSum)
               .arg(l.lostUpdates)
               .arg(l.acquires)
               .arg(l.releases)
               .arg(l.timeouts)
               .arg(l.permits)
               .arg(l.permitsHeldByDead)
               .arg(l.exact)
        + QStringLiteral("; messages sent %1 received %2 left %3; requests sent %4 taken %5 answered %6 returned %7 "
                         "stale %8 queued %9/%10 died with server %11 in doubt %12 exact %13")
              .arg(l.sent)
              .arg(l.received)
              .arg(l.left)
              .arg(l.requests.sent)
              .arg(l.requests.taken)
              .arg(l.requests.answered)
              .arg(l.requests.returned)
              .arg(l.requests.stale)
              .arg(l.requests.inRequestQueue)
              .arg(l.requests.inReplyQueues)
              .arg(l.requests.diedWithServer)
              .arg(l.requests.inDoubt)
              .arg(l.requests.exact);
}

} // namespace

class TestPrograms : public QObject {
    Q_OBJECT

    QTemporaryDir m_runtime;

    void verifyNothingLeft(const std::string& prefix)
    {
        const QStringList left = ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1)));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    // manager-dict: every client (all workers but the server, the first) has had `enough` replies.
    static bool everyClientWasAnswered(Runner& runner, std::uint64_t enough)
    {
        const Snapshot snap = runner.sample();
        for (std::size_t i = 1; i < snap.workers.size(); ++i) {
            if (snap.workers[i].requests.repliesIn < enough)
                return false;
        }
        return snap.workers.size() > 1;
    }

    // Runs until the runner has seen `enough` passes in total, then stops.
    Report runFor(const Scenario& s, std::uint64_t enough, Snapshot* live = nullptr)
    {
        auto runner = Runner::start(s);
        if (!runner)
            qFatal("%s", runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        auto passes = [&] {
            const Snapshot snap = (*runner)->sample();
            std::uint64_t n = 0;
            for (const WorkerStatus& w : snap.workers)
                n += w.messages;
            if (live)
                *live = snap;
            return n;
        };
        QElapsedTimer waited;
        waited.start();
        while (passes() < enough && waited.elapsed() < FlowTimeoutMs)
            QTest::qWait(20);
        const Report r = (*runner)->stop();
        runner->reset();
        verifyNothingLeft(prefix);
        return r;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
        QVERIFY2(QFileInfo(ipctest::workerPath()).isExecutable(), qPrintable(ipctest::workerPath()));
    }

    void cleanupTestCase() { QCOMPARE(ipctest::leftoversOfThisProcess(), QStringList()); }

    // The unlocked read-modify-write loses updates, and the ledger says exactly how many.
    void counterRaceLosesUpdates()
    {
        Snapshot live;
        const Report r = runFor(bundled("counter-race"), 4000, &live);
        // Live, each process says which step it is on.
        for (const WorkerStatus& w : live.workers) {
            QCOMPARE(w.role, Role::Program);
            QVERIFY2(!w.step.empty(), w.name.c_str());
            QCOMPARE(w.stepDone.size(), std::size_t(3));
        }
        const Ledger& l = objectNamed(r, "counter").ledger;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY2(l.lostUpdates > 0, qPrintable(describe(l)));
        QCOMPARE(l.lostUpdates, l.increments - l.cellSum);
        QCOMPARE(objectNamed(r, "counter").cells.at(0), l.cellSum);
        // Every write of every worker is in the increments.
        std::uint64_t writes = 0;
        for (const WorkerSummary& w : r.workers)
            writes += w.stepDone.at(2);
        QCOMPARE(l.writes, writes);
        QCOMPARE(std::uint64_t(l.increments), writes);
    }

    // With the lock around the whole read-modify-write, nothing is lost, and the processes do wait for it.
    void lockedCounterLosesNothing()
    {
        const Report r = runFor(bundled("counter-race-locked"), 4000);
        const Ledger& l = objectNamed(r, "counter").ledger;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY(l.increments >= 4000);
        QCOMPARE(l.lostUpdates, 0);
        QCOMPARE(l.cellSum, l.increments);
        double blocked = 0;
        for (const WorkerSummary& w : r.workers)
            blocked += w.blockedFraction;
        QVERIFY2(blocked > 0, "no process ever waited for the lock");
    }

    // k permits for n > k processes: timeouts happen, and at stop every permit is back.
    void semaphorePoolCountsTimeouts()
    {
        Snapshot live;
        const Report r = runFor(bundled("semaphore-pool"), 60, &live);
        const Ledger& l = objectNamed(r, "pool").ledger;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QCOMPARE(l.permits, 2);
        QCOMPARE(l.acquires, l.releases);
        QVERIFY2(l.timeouts > 0, qPrintable(describe(l)));
        std::uint64_t missed = 0;
        for (const WorkerSummary& w : r.workers)
            missed += w.stepMissed.at(0);
        QCOMPARE(l.timeouts, missed);
    }

    // put_nowait on a full queue and get with a timeout on an empty one give up and are counted, and the books of
    // both queues still balance: a put that gave up sent nothing.
    void queueTimeoutsAreCounted()
    {
        const Report r = runFor(bundled("queue-timeouts"), 400);
        for (const ObjectSummary& o : r.objects)
            QVERIFY2(o.ledger.exact, o.name.c_str());
        std::map<std::string, const WorkerSummary*> byName;
        for (const WorkerSummary& w : r.workers)
            byName[w.name] = &w;
        QVERIFY2(byName.at("eager")->stepMissed.at(0) > 0, "put_nowait never found the queue full");
        QVERIFY2(byName.at("impatient")->stepMissed.at(0) > 0, "get(timeout) never found the queue empty");
        const Ledger& crowded = objectNamed(r, "crowded").ledger;
        QCOMPARE(crowded.sent, byName.at("eager")->stepDone.at(0));
        QCOMPARE(crowded.received, byName.at("slow-reader")->stepDone.at(0));
        QCOMPARE(crowded.sent, crowded.received + crowded.left);
    }

    // put_nowait never waits: one that finds the queue full is a missed step, and no wait for room on the queue
    // shows in the contention table (each endpoint used to report itself blocked before it saw that the call may not
    // wait, which filled the table with zero-length waits that gave up).
    void putNowaitIsNoWait_data()
    {
        QTest::addColumn<QString>("transport");
        for (const char* t : { "mq", "shm-ring", "shm-spsc" })
            QTest::newRow(t) << QString(t);
    }

    void putNowaitIsNoWait()
    {
        QFETCH(QString, transport);
        Scenario s = bundled("queue-timeouts");
        s.objects.resize(1); // crowded: eager's put_nowait at 400 a second, slow-reader's 5 ms per get
        s.workers.resize(2);
        QCOMPARE(s.objects[0].name, std::string("crowded"));
        QCOMPARE(s.workers[0].name, std::string("eager"));
        auto kind = parseTransport(transport.toStdString());
        QVERIFY(kind);
        s.objects[0].transport = *kind;
        const Report r = runFor(s, 400);
        const WorkerSummary& eager = r.workers[0];
        QVERIFY2(eager.stepMissed.at(0) > 0, "put_nowait never found the queue full");
        for (const ObjectContention& o : r.contention.objects)
            QVERIFY2(!(o.object == "crowded" && o.kind == WaitKind::Room),
                qPrintable(QString("%1 waits for room on crowded (%2 gave up), with %3 put_nowait missed")
                               .arg(o.stats.waits)
                               .arg(o.gaveUp ? "they" : "none")
                               .arg(eager.stepMissed.at(0))));
        for (const WorkerContention& w : r.contention.workers) {
            if (w.worker == "eager")
                QCOMPARE(w.waits, std::uint64_t(0));
        }
    }

    // A program of local work alone is legal (it shows a process that shares nothing); it runs and ends cleanly.
    void workOnlyProgramRuns()
    {
        Scenario s;
        s.name = "alone";
        s.objects = { { "pool", TransportKind::Semaphore, 1, 64 } };
        WorkerSpec loner;
        loner.name = "loner";
        loner.role = Role::Program;
        loner.program = *parseProgramText("work 100us");
        loner.count = 50;
        s.workers = { loner };
        const Report r = runFor(s, 50);
        QCOMPARE(r.workers.at(0).messages, 50ull);
        QCOMPARE(r.workers.at(0).exitText, std::string("exited 0"));
        QVERIFY(r.integrity.exact);
    }

    // A process killed while holding a permit takes it along (POSIX semaphores have no undo): the value stays one
    // short, and the ledger says the killed worker holds it. Terminate ends the other one like Python's terminate().
    void killedHolderKeepsItsPermit()
    {
        Scenario s;
        s.name = "holder";
        s.objects = { { "pool", TransportKind::Semaphore, 2, 64 } };
        WorkerSpec holder;
        holder.name = "holder";
        holder.role = Role::Program;
        holder.program = *parseProgramText("acquire pool; work 1000000us; release pool");
        WorkerSpec other = holder;
        other.name = "other";
        s.workers = { holder, other };
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        // Both hold a permit while they work.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                return snap.objects.at(0).semaphores.at(0).value == 0 && snap.workers.at(0).stepIndex == 1
                    && snap.workers.at(1).stepIndex == 1;
            }(),
            FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(0));
        QVERIFY((*runner)->terminateWorker(1));
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                return !snap.workers.at(0).alive && !snap.workers.at(1).alive;
            }(),
            FlowTimeoutMs);
        const Snapshot ended = (*runner)->sample();
        QCOMPARE(ended.workers.at(0).exitcode, -SIGKILL);
        QCOMPARE(ended.workers.at(1).exitcode, -SIGTERM);
        QVERIFY2(ended.workers.at(1).exitText.find("terminated by SIGTERM") == 0, ended.workers[1].exitText.c_str());
        QCOMPARE(ended.workers.at(0).ppid, getpid());
        const Report r = (*runner)->stop();
        runner->reset();
        const Ledger& l = r.objects.at(0).ledger;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QCOMPARE(l.permits, 1); // the terminated one gave its permit back as it left, the killed one did not
        QCOMPARE(l.permitsHeldByDead, 1ull);
        QCOMPARE(r.deadWorkers.size(), std::size_t(1));
        QVERIFY2(r.deadWorkers[0].find("died in step 2 of 3 (work 1000000us)") != std::string::npos,
            r.deadWorkers[0].c_str());
        verifyNothingLeft(prefix);
    }

    // A process killed inside the array's lock would freeze every other process for ever (a POSIX semaphore has
    // no owner); with repair on (the default) the runner posts the lock once it stays taken with nobody alive
    // holding it, the others go on, and no update is lost: the dead one had not written yet.
    // The lock's holder is found whatever object its program names first (a program is listed under its first
    // object: here, in the second row, a global as in globals-not-shared).
    void killedLockHolderIsRepaired_data()
    {
        QTest::addColumn<QString>("program");
        QTest::addColumn<int>("workStep");
        QTest::newRow("the array first")
            << "acquire counter; read counter[0]; work 300000us; write counter[0] +1; release counter" << 2;
        QTest::newRow("a global first") << "read tally[0]; write tally[0] +1; acquire counter; read counter[0]; "
                                           "work 300000us; write counter[0] +1; release counter"
                                        << 4;
    }
    void killedLockHolderIsRepaired()
    {
        QFETCH(QString, program);
        QFETCH(int, workStep);
        Scenario s;
        s.name = "locked";
        s.objects = { { "counter", TransportKind::ShmArray, 1, 64 }, { "tally", TransportKind::Global, 1, 64 } };
        WorkerSpec adder;
        adder.name = "slow-adder";
        adder.role = Role::Program;
        adder.program = *parseProgramText(program.toStdString());
        WorkerSpec other = adder;
        other.name = "other";
        s.workers = { adder, other };
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        // Kill whichever process is inside the lock, working.
        std::size_t victim = 2;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                for (std::size_t i = 0; i < 2; ++i) {
                    if (snap.workers[i].stepIndex == std::uint32_t(workStep) && snap.workers[i].stepSeconds > 0.05)
                        victim = i;
                }
                return victim < 2;
            }(),
            FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(victim));
        const std::size_t survivor = 1 - victim;
        std::uint64_t passesAtKill = 0;
        bool repaired = false;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                for (const RunEvent& e : snap.events)
                    repaired = repaired || e.text.find("repaired counter") != std::string::npos;
                if (passesAtKill == 0)
                    passesAtKill = snap.workers[survivor].messages + 1;
                return repaired && snap.workers[survivor].messages >= passesAtKill + 2;
            }(),
            FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        const Ledger& l = r.objects.at(0).ledger;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QCOMPARE(l.lostUpdates, 0);
        QCOMPARE(l.cellSum, l.increments);
        verifyNothingLeft(prefix);
    }

    // pool.map: every task submitted comes back once, through whichever worker, and every worker takes a share.
    void poolMapAnswersEveryTaskOnce()
    {
        const Report r = runFor(bundled("pool-map"), 400);
        const PoolLedger& p = objectNamed(r, "tasks").ledger.pool;
        QVERIFY(p.present);
        QVERIFY2(p.exact && r.integrity.exact, qPrintable(describe(objectNamed(r, "tasks").ledger)));
        QVERIFY(p.collected >= 256); // at least one whole map
        QCOMPARE(p.duplicated, 0ull);
        QCOMPARE(p.stray, 0ull);
        QCOMPARE(p.submitted, p.collected + p.inTaskQueue + p.inResultQueue + p.heldAtStop);
        std::uint64_t taken = 0;
        for (const WorkerSummary& w : r.workers) {
            if (w.name == "caller") {
                QCOMPARE(w.tasks.out, p.submitted);
                QCOMPARE(w.tasks.in, p.collected);
                QVERIFY(w.stepDone.at(0) >= 1); // whole map calls
                QVERIFY(w.stepDone.at(0) * 256 <= p.collected && p.collected < (w.stepDone.at(0) + 1) * 256);
                continue;
            }
            QVERIFY2(w.tasks.in > 0, w.name.c_str()); // each pool worker took a share
            taken += w.tasks.in;
        }
        QCOMPARE(taken, p.taken);
    }

    // A pool worker killed while it holds a chunk takes those tasks along: they never come back, so the map that
    // waits for them never finishes (Python's Pool.map hangs there). The ledger counts them as died with it, the
    // run says why the caller is stuck, and the stop still ends everything.
    void killedPoolWorkerTakesItsTasks()
    {
        Scenario s = bundled("pool-map");
        for (WorkerSpec& w : s.workers) {
            if (w.name == "caller")
                w.program = *parseProgramText("map tasks results 64 chunk 4");
            else
                w.program = *parseProgramText("get tasks; work 50000us each; put results");
        }
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        std::size_t victim = s.workers.size();
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                for (std::size_t i = 1; i < snap.workers.size(); ++i) {
                    if (snap.workers[i].tasks.inHand == 4 && snap.workers[i].stepIndex == 1)
                        victim = i;
                }
                return victim < s.workers.size();
            }(),
            FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(victim));
        // The caller's current map can never finish: it stays on its one step while the others drain the rest.
        bool told = false;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                for (const RunEvent& e : snap.events)
                    told = told || e.text.find("Python's Pool.map hangs") != std::string::npos;
                return told && snap.workers[0].stepSeconds > 1.0;
            }(),
            FlowTimeoutMs);
        const std::uint64_t mapsBefore = (*runner)->sample().workers[0].stepDone.at(0);
        QTest::qWait(300);
        QCOMPARE((*runner)->sample().workers[0].stepDone.at(0), mapsBefore);
        const Report r = (*runner)->stop();
        runner->reset();
        const PoolLedger& p = objectNamed(r, "tasks").ledger.pool;
        QCOMPARE(p.diedWithWorkers, 4ull);
        QVERIFY2(p.exact && r.integrity.exact, qPrintable(describe(objectNamed(r, "tasks").ledger)));
        QCOMPARE(p.submitted, p.collected + p.inTaskQueue + p.inResultQueue + p.heldAtStop + p.diedWithWorkers);
        verifyNothingLeft(prefix);
    }

    // A Manager: every request gets exactly one reply, each client's reply comes back through its own queue, and a
    // round trip through the server costs far more than the same counter in shared memory.
    void managerAnswersEveryRequestOnce()
    {
        auto runner = Runner::start(bundled("manager-dict"));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT(everyClientWasAnswered(**runner, 200), FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        verifyNothingLeft(prefix);
        const RequestLedger& q = objectNamed(r, "manager").ledger.requests;
        QVERIFY(q.present);
        QVERIFY2(q.exact && r.integrity.exact, qPrintable(describe(objectNamed(r, "manager").ledger)));
        QVERIFY(q.returned >= 3 * 200); // what the wait above asked for
        QCOMPARE(q.unanswered, 0ull);
        QCOMPARE(q.sent, q.taken + q.inRequestQueue);
        QCOMPARE(q.taken, q.answered);
        QCOMPARE(q.answered, q.returned + q.stale + q.inReplyQueues);
        std::uint64_t roundTrips = 0;
        for (const WorkerSummary& w : r.workers) {
            if (w.name == "server") {
                QCOMPARE(w.requests.requestsIn, q.taken);
                continue;
            }
            QVERIFY2(w.requests.repliesIn > 0, w.name.c_str()); // every client was answered
            roundTrips += w.stepDone.at(0) + w.stepDone.at(1);
            if (w.name == "client-1") {
                // The request (step 0) against the locked write to the shared counter (step 4).
                QVERIFY2(w.stepMeanUs.at(0) > 5 * w.stepMeanUs.at(4),
                    qPrintable(QString("request %1 us, shm write %2 us").arg(w.stepMeanUs[0]).arg(w.stepMeanUs[4])));
            }
        }
        QVERIFY(roundTrips <= q.returned);
        // The server's data against what the sets and appends added: ns.x has one client and l grows by single
        // requests, so neither loses anything; d[count] is what two clients' get-then-set races on.
        QCOMPARE(q.keys.size(), std::size_t(3));
        for (const ServerKeyBook& b : q.keys) {
            QVERIFY2(b.value > 0 && b.value <= b.increments + 3, b.key.c_str()); // + requests in flight at stop
            if (b.key != "d[count]")
                QCOMPARE(b.lost, 0);
            else
                QCOMPARE(b.lost, std::max<std::int64_t>(0, b.increments - b.value));
        }
    }

    // A server killed while its clients wait: they stay blocked on their reply queues (over a queue nobody tells
    // them, where Python's socket would raise EOFError), the run says so, and the books still balance, with the
    // request the server held counted as died with it.
    void killedServerLeavesClientsWaiting()
    {
        const Scenario s = bundled("manager-dict");
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT(everyClientWasAnswered(**runner, 100), FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(0));
        bool told = false;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                for (const RunEvent& e : snap.events)
                    told = told || e.text.find("raise EOFError") != std::string::npos;
                bool allWaiting = true;
                for (std::size_t i = 1; i < snap.workers.size(); ++i)
                    allWaiting = allWaiting && snap.workers[i].state == WorkerState::BlockedEmpty
                        && snap.workers[i].waitingOn.find("replies-") != std::string::npos;
                return told && allWaiting;
            }(),
            FlowTimeoutMs);
        const std::uint64_t before = (*runner)->sample().workers.at(1).stepDone.at(0);
        QTest::qWait(300);
        QCOMPARE((*runner)->sample().workers.at(1).stepDone.at(0), before); // nobody answers
        const Report r = (*runner)->stop();
        runner->reset();
        const RequestLedger& q = objectNamed(r, "manager").ledger.requests;
        QVERIFY2(q.exact && r.integrity.exact, qPrintable(describe(objectNamed(r, "manager").ledger)));
        QVERIFY(q.diedWithServer <= 1);
        // Killed inside its get, the server may have taken one request without counting it.
        QVERIFY(q.sent >= q.taken + q.inRequestQueue && q.sent - q.taken - q.inRequestQueue <= q.inDoubt);
        verifyNothingLeft(prefix);
    }

    // A Manager over ZeroMQ (DEALER/ROUTER): one object carries the requests and their replies, each reply back on its
    // client's own connection, and the books balance exactly, requests and replies counted apart.
    void zmqManagerAnswersEveryRequestOnItsOwnConnection_data() { zmqManagers(); }
    void zmqManagerAnswersEveryRequestOnItsOwnConnection()
    {
        QFETCH(QString, scenario);
        auto runner = Runner::start(bundled(qPrintable(scenario)));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT(everyClientWasAnswered(**runner, 200), FlowTimeoutMs);
        // A client's wait is named as a wait for its reply, not as a consumer's wait for messages.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                return std::any_of(snap.workers.begin() + 1, snap.workers.end(), [](const WorkerStatus& w) {
                    return w.waitingOn.find("manager: a client waits for its reply") != std::string::npos;
                });
            }(),
            FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        verifyNothingLeft(prefix);
        QCOMPARE(r.objects.size(), std::size_t(1)); // no reply queues
        const Ledger& l = objectNamed(r, "manager").ledger;
        const RequestLedger& q = l.requests;
        QVERIFY(q.present);
        QVERIFY2(q.exact && r.integrity.exact, qPrintable(describe(l)));
        QVERIFY(q.returned >= 3 * 200);
        QCOMPARE(q.unanswered, 0ull);
        QCOMPARE(q.stale, 0ull);
        QCOMPARE(q.sent, q.taken + q.inRequestQueue);
        QCOMPARE(q.taken, q.answered);
        QCOMPARE(q.answered, q.returned + q.inReplyQueues);
        // The object's own books hold both: every request and every reply, and what was in flight at the stop.
        QCOMPARE(l.sent, q.sent + q.answered);
        QCOMPARE(l.received, q.taken + q.returned);
        QCOMPARE(l.left, q.inRequestQueue + q.inReplyQueues);
        QVERIFY(l.left <= 3); // at most one request or reply per client
        for (const WorkerSummary& w : r.workers) {
            if (w.name == "server")
                QCOMPARE(w.requests.repliesOut, q.answered);
            else
                QVERIFY2(w.requests.repliesIn > 0 && w.requests.stale == 0, w.name.c_str());
        }
        QCOMPARE(q.keys.size(), std::size_t(3));
        for (const ServerKeyBook& b : q.keys) {
            QVERIFY2(b.value > 0 && b.value <= b.increments + 3, b.key.c_str());
            if (b.key != "d[count]")
                QCOMPARE(b.lost, 0);
        }
    }

    // The server killed while its clients wait: their connections close, and each fails as a Python proxy raises
    // EOFError (over message queues they would wait for ever, killedServerLeavesClientsWaiting); the stop finishes
    // and nothing is left behind. The server is stopped (SIGSTOP) first, until every client has its request out: a
    // client between two requests when the server dies would wait to send its next instead (for a new server).
    void zmqKilledServerFailsItsWaitingClients_data() { zmqManagers(); }
    void zmqKilledServerFailsItsWaitingClients()
    {
        QFETCH(QString, scenario);
        auto runner = Runner::start(bundled(qPrintable(scenario)));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT(everyClientWasAnswered(**runner, 100), FlowTimeoutMs);
        QVERIFY((*runner)->pauseWorker(0));
        std::vector<std::uint64_t> repliesAtLook; // each client's, when all were seen waiting
        std::string waiting; // what each process was doing at the last look, for the message
        QTRY_VERIFY2_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                repliesAtLook.clear();
                waiting.clear();
                bool all = true;
                for (std::size_t i = 0; i < snap.workers.size(); ++i) {
                    const WorkerStatus& w = snap.workers[i];
                    const RequestCounts& c = w.requests;
                    waiting += w.name + " " + workerStateName(w.state) + (w.alive ? "" : " (ended: " + w.exitText + ")")
                        + " step " + std::to_string(w.stepIndex) + " (requests " + std::to_string(c.requestsOut)
                        + ", replies " + std::to_string(c.repliesIn) + "); ";
                    if (i == 0)
                        continue;
                    all = all && w.state == WorkerState::BlockedEmpty && c.requestsOut == c.repliesIn + 1;
                    repliesAtLook.push_back(c.repliesIn);
                }
                return all;
            }(),
            waiting.c_str(), FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(0));
        // Each client fails with EOFError, except one whose reply was already on its way when it was seen waiting
        // (written to the connection before the server stopped; a busy machine can delay its taking past the kill):
        // that one takes it, and then waits to send its next request, to a server that is gone (as over mq).
        bool told = false;
        std::string clients; // what each client was doing at the last look, for the message
        QTRY_VERIFY2_WITH_TIMEOUT(
            [&] {
                const Snapshot snap = (*runner)->sample();
                for (const RunEvent& e : snap.events)
                    told = told || e.text.find("raise EOFError") != std::string::npos;
                bool allAccounted = true;
                int failed = 0;
                clients.clear();
                for (std::size_t i = 1; i < snap.workers.size(); ++i) {
                    const WorkerStatus& w = snap.workers[i];
                    const bool eof = !w.alive && w.exitText.find("EOFError") != std::string::npos;
                    const bool lateReply = w.alive && w.state == WorkerState::BlockedFull
                        && w.requests.repliesIn > repliesAtLook.at(i - 1);
                    failed += eof;
                    allAccounted = allAccounted && (eof || lateReply);
                    clients += w.name
                        + (w.alive ? " alive, " + std::string(workerStateName(w.state)) : ": " + w.exitText)
                        + " (requests " + std::to_string(w.requests.requestsOut) + ", replies "
                        + std::to_string(w.requests.repliesIn) + "); ";
                }
                return told && failed > 0 && allAccounted;
            }(),
            clients.c_str(), FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        verifyNothingLeft(prefix);
        const RequestLedger& q = objectNamed(r, "manager").ledger.requests;
        QVERIFY(q.present);
        QVERIFY(q.diedWithServer <= 1);
        QCOMPARE(q.unanswered, 0ull);
        for (const WorkerSummary& w : r.workers) {
            if (w.name != "server")
                QVERIFY2(w.requests.repliesIn >= 100, w.name.c_str());
        }
    }

    // During a run, a zmq request object takes no producer or consumer, and no second server while one runs; a
    // server may take the place of one that was killed.
    void zmqRequestObjectRefusesOtherWorkersDuringARun_data() { zmqManagers(); }
    void zmqRequestObjectRefusesOtherWorkersDuringARun()
    {
        QFETCH(QString, scenario);
        auto runner = Runner::start(bundled(qPrintable(scenario)));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT(everyClientWasAnswered(**runner, 50), FlowTimeoutMs);
        WorkerSpec consumer;
        consumer.name = "extra-consumer";
        consumer.role = Role::Consumer;
        consumer.object = "manager";
        auto refusedConsumer = (*runner)->addWorker(consumer);
        QVERIFY(!refusedConsumer);
        QVERIFY2(
            refusedConsumer.error().hint.find("carries a Manager's requests and their replies") != std::string::npos,
            refusedConsumer.error().hint.c_str());
        WorkerSpec server;
        server.name = "server-2";
        server.role = Role::Program;
        server.program = *parseProgramText("serve manager");
        auto refusedServer = (*runner)->addWorker(server);
        QVERIFY(!refusedServer);
        QVERIFY2(refusedServer.error().hint.find("has a server running") != std::string::npos,
            refusedServer.error().hint.c_str());
        QVERIFY((*runner)->killWorker(0));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(0).alive, FlowTimeoutMs);
        auto replacement = (*runner)->addWorker(server);
        QVERIFY2(replacement, replacement ? "" : replacement.error().message().c_str());
        WorkerSpec client;
        client.name = "client-4";
        client.role = Role::Program;
        client.program = *parseProgramText("request manager get d[count]");
        auto added = (*runner)->addWorker(client);
        QVERIFY2(added, added ? "" : added.error().message().c_str());
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(*added).requests.repliesIn > 50, FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        verifyNothingLeft(prefix);
    }

    // A client killed mid-run: the server goes on answering the others (a reply to the dead client's closed
    // connection is refused, and counted unanswered, once at most), and the books still balance.
    void zmqKilledClientLeavesTheServerServing_data() { zmqManagers(); }
    void zmqKilledClientLeavesTheServerServing()
    {
        QFETCH(QString, scenario);
        auto runner = Runner::start(bundled(qPrintable(scenario)));
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT(everyClientWasAnswered(**runner, 100), FlowTimeoutMs);
        QVERIFY((*runner)->killWorker(1));
        const std::uint64_t before = (*runner)->sample().workers.at(2).requests.repliesIn;
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(2).requests.repliesIn > before + 200, FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        verifyNothingLeft(prefix);
        const Ledger& l = objectNamed(r, "manager").ledger;
        QVERIFY2(l.requests.exact && r.integrity.exact, qPrintable(describe(l)));
        QVERIFY(l.requests.unanswered <= 1);
        QCOMPARE(l.requests.diedWithServer, 0ull);
    }

    // CSP: a channel holds nothing, so the source is never more than the one message in the channel ahead of the
    // stage; when it has sent its count it poisons ch1, and the poison ends the stage and then the sink, with every
    // message through.
    void cspPipelineEndsByPoison()
    {
        Scenario s = bundled("csp-rendezvous");
        s.workers[0].count = 300;
        s.workers[1].program = *parseProgramText("get ch1; work 2000us; put ch2");
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        std::uint64_t furthestAhead = 0, samples = 0;
        QElapsedTimer waited;
        waited.start();
        for (;;) {
            const Snapshot snap = (*runner)->sample();
            // The stage's gets are read after the source's sends: a send counted is a get done or about to be.
            const std::uint64_t sent = snap.workers[0].messages;
            const std::uint64_t taken = snap.workers[1].stepDone.at(0);
            furthestAhead = std::max(furthestAhead, sent > taken ? sent - taken : 0);
            ++samples;
            bool allDone = true;
            for (const WorkerStatus& w : snap.workers)
                allDone = allDone && !w.alive;
            if (allDone || waited.elapsed() > FlowTimeoutMs)
                break;
            QTest::qWait(5);
        }
        const Report r = (*runner)->stop();
        runner->reset();
        QVERIFY2(furthestAhead <= 1, qPrintable(QString("the source ran %1 ahead").arg(furthestAhead)));
        QVERIFY(samples > 50);
        QVERIFY2(r.integrity.exact, qPrintable(describe(objectNamed(r, "ch2").ledger)));
        for (const WorkerSummary& w : r.workers) {
            QCOMPARE(w.messages, 300ull); // sent, passed through, taken: the poison is not counted
            QCOMPARE(w.exitText, std::string("exited 0")); // each ended by itself, before the stop
        }
        QCOMPARE(objectNamed(r, "ch1").ledger.left, 0ull);
        // Retired by poison, not by the stop: no word about a stop before the poison.
        for (const RunEvent& e : r.events)
            QVERIFY2(e.text.find("poison: its processes were stopped") == std::string::npos, e.text.c_str());
        verifyNothingLeft(prefix);
    }

    // A pipeline stopped before its source sent everything: the stop says it came before the poison, once per
    // channel, and the event is among the stop's own (the window logs those at stop).
    void cspPipelineStoppedBeforePoisonSaysSo()
    {
        Scenario s = bundled("csp-rendezvous");
        s.workers[0].count = 0; // the source never finishes
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.back().messages > 100, FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        std::vector<std::string> said;
        for (const RunEvent& e : r.stopEvents) {
            if (e.text.find("'s poison: its processes were stopped in mid-stream") != std::string::npos)
                said.push_back(e.text);
        }
        QCOMPARE(said.size(), std::size_t(2)); // ch1 and ch2
        QVERIFY2(said[0].rfind("the stop came before ch1's poison", 0) == 0, said[0].c_str());
        QVERIFY2(said[1].rfind("the stop came before ch2's poison", 0) == 0, said[1].c_str());
        QVERIFY(r.integrity.exact);
        verifyNothingLeft(prefix);
    }

    // multiprocessing.Pipe(): two processes, one end each. A process killed while the other waits takes nothing from
    // the pipe with it (the runner holds both ends), the one started in its place takes over its end and the ping-
    // pong goes on, and a third process finds both ends taken.
    void socketpairEndIsTakenOver()
    {
        Scenario s = bundled("pipe-duplex");
        // A pong killed between its get and its put leaves ping waiting for a reply that never comes, and pong-2
        // waiting for a ping: a real deadlock, as in Python. Here ping gives up after 200 ms and sends again, so the
        // takeover is seen whatever step the kill lands in.
        QCOMPARE(s.workers[0].program.size(), std::size_t(2));
        s.workers[0].program[1].timeoutMs = 200;
        auto runner = Runner::start(s);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(0).messages > 100, FlowTimeoutMs);
        WorkerSpec extra = s.workers[1];
        extra.name = "third";
        auto refused = (*runner)->addWorker(extra);
        QVERIFY(!refused);
        QVERIFY2(refused.error().hint.find("Both ends of the socketpair 'conn'") == 0, refused.error().hint.c_str());
        QVERIFY((*runner)->killWorker(1));
        QTRY_VERIFY_WITH_TIMEOUT(!(*runner)->sample().workers.at(1).alive, FlowTimeoutMs);
        WorkerSpec again = s.workers[1];
        again.name = "pong-2";
        auto added = (*runner)->addWorker(again);
        QVERIFY2(added, added ? "" : added.error().message().c_str());
        const std::uint64_t before = (*runner)->sample().workers.at(0).messages;
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(*added).messages > 100, FlowTimeoutMs);
        // Ping goes on too. Waited for, not read once: pong-2 first answers the pings ping sent again while no one
        // listened, so ping's passes trail pong-2's by those, and a slow host may sample in between (CI did).
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().workers.at(0).messages > before + 100, FlowTimeoutMs);
        const Report r = (*runner)->stop();
        runner->reset();
        const Ledger& l = r.objects.at(0).ledger;
        QVERIFY2(l.exact, qPrintable(describe(l)));
        QVERIFY(l.lostWithDeadWorkers <= 1);
        verifyNothingLeft(prefix);
    }

    // A global changed in one process is unchanged in the others: each child's copy counts its own passes only, the
    // reader's stays 0, and the shared Value beside it counts both children's increments.
    void globalsAreNotShared()
    {
        Snapshot live;
        const Report r = runFor(bundled("globals-not-shared"), 400, &live);
        const ObjectSummary& counter = objectNamed(r, "counter");
        QCOMPARE(counter.transport, TransportKind::Global);
        QCOMPARE(counter.copies.size(), std::size_t(3));
        std::int64_t children = 0;
        for (const GlobalCopy& copy : counter.copies) {
            const auto w = std::find_if(
                r.workers.begin(), r.workers.end(), [&](const WorkerSummary& s) { return s.name == copy.worker; });
            QVERIFY2(w != r.workers.end(), copy.worker.c_str());
            // A child's copy is exactly its own increments: its completed writes of counter (step 1), +1 each.
            const std::int64_t own = copy.worker == "reader" ? 0 : std::int64_t(w->stepDone.at(1));
            QCOMPARE(copy.value, own);
            children += copy.value;
        }
        QVERIFY2(children > 0, "the children wrote nothing");
        QVERIFY(counter.ledger.exact);
        QCOMPARE(counter.ledger.cellSum, counter.ledger.increments);
        // The shared Value: every child's locked increment, each pass writing the global first and then the Value
        // (a child stopped between the two has one more in its copy than it put in the Value).
        const ObjectSummary& shared = objectNamed(r, "shared");
        QVERIFY2(shared.ledger.exact, qPrintable(describe(shared.ledger)));
        QCOMPARE(shared.ledger.lostUpdates, 0);
        QVERIFY2(shared.cells.at(0) <= children && shared.cells.at(0) >= children - 2,
            qPrintable(QString("shared %1, copies of the children %2").arg(shared.cells.at(0)).arg(children)));
        // Live, the run saw the copies too: the reader's at 0 while the children's grew.
        const ObjectStatus& liveCounter = live.objects.at(0);
        QCOMPARE(liveCounter.copies.size(), std::size_t(3));
        QCOMPARE(liveCounter.copies.at(2).value, 0);
    }

    // posix_ipc's priorities: the consumer counts what it took per priority, the producers' sends are attributed
    // to theirs, and the urgent messages, always taken first, wait less in the queue than the routine ones.
    void mqPriorityIsCountedPerPriority()
    {
        const Report r = runFor(bundled("mq-priority"), 600);
        const ObjectSummary& jobs = objectNamed(r, "jobs");
        QVERIFY2(jobs.ledger.exact, qPrintable(describe(jobs.ledger)));
        const auto& ps = jobs.ledger.priorities;
        QCOMPARE(ps.size(), std::size_t(2));
        QCOMPARE(ps[0].priority, 9u); // highest first
        QCOMPARE(ps[1].priority, 0u);
        std::uint64_t sentUrgent = 0, sentRoutine = 0;
        for (const WorkerSummary& w : r.workers) {
            if (w.name == "urgent")
                sentUrgent = w.messages;
            if (w.name == "routine")
                sentRoutine = w.messages;
        }
        QCOMPARE(ps[0].sent, sentUrgent);
        QCOMPARE(ps[1].sent, sentRoutine);
        QCOMPARE(ps[0].received + ps[1].received + jobs.ledger.receivedOtherPriorities, jobs.ledger.received);
        QVERIFY(ps[0].received > 0 && ps[1].received > 0);
        QVERIFY2(ps[1].meanLatencyUs > ps[0].meanLatencyUs,
            qPrintable(QString("routine %1 us, urgent %2 us").arg(ps[1].meanLatencyUs).arg(ps[0].meanLatencyUs)));
    }

    // The acceptance command for every bundled program scenario: exit 0 and an exact ledger in the JSON.
    void cliRunsEachProgramScenario_data()
    {
        QTest::addColumn<QString>("scenario");
        for (const char* name : { "counter-race", "counter-race-locked", "semaphore-pool", "queue-timeouts",
                 "shared-array", "pool-map", "pool-apply-async", "pipe-duplex", "pipe-one-way", "manager-dict",
                 "zmq-manager", "zmq-manager-tcp", "csp-rendezvous", "globals-not-shared" })
            QTest::newRow(name) << QString::fromLatin1(name);
    }
    void cliRunsEachProgramScenario()
    {
        QFETCH(QString, scenario);
        QTemporaryDir dir;
        const QString json = dir.filePath("r.json");
        QProcess cli;
        cli.start(ipctest::cliPath(), { "run", scenario, "--duration", "2", "--json", json });
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
        QVERIFY(report["integrity"].toObject()["exact"].toBool());
        const QJsonObject object = report["objects"].toArray().at(0).toObject()["integrity"].toObject();
        if (scenario == "counter-race") {
            QVERIFY(object["lost_updates"].toInteger() > 0);
            QCOMPARE(
                object["lost_updates"].toInteger(), object["increments"].toInteger() - object["cell_sum"].toInteger());
        } else if (scenario == "counter-race-locked" || scenario == "shared-array") {
            QCOMPARE(object["lost_updates"].toInteger(), 0);
            QVERIFY(object["cell_sum"].toInteger() > 0);
        } else if (scenario.startsWith("pool-")) {
            const QJsonObject pool = report["objects"].toArray().at(0).toObject()["pool"].toObject();
            QVERIFY(pool["exact"].toBool());
            QVERIFY(pool["collected"].toInteger() > 0);
            QCOMPARE(pool["duplicated"].toInteger(), 0);
            QCOMPARE(pool["stray"].toInteger(), 0);
        } else if (scenario == "manager-dict" || scenario.startsWith("zmq-manager")) {
            const QJsonObject requests = report["objects"].toArray().at(0).toObject()["requests"].toObject();
            QVERIFY(requests["exact"].toBool());
            QVERIFY(requests["returned"].toInteger() > 0);
            QCOMPARE(requests["unanswered"].toInteger(), 0);
        } else if (scenario == "globals-not-shared") {
            // Every copy is there, the reader's is 0, and the copies add up to the increments: none was shared.
            const QJsonArray copies = report["objects"].toArray().at(0).toObject()["copies"].toArray();
            QCOMPARE(copies.size(), 3);
            QCOMPARE(copies.at(2).toObject()["worker"].toString(), QString("reader"));
            QCOMPARE(copies.at(2).toObject()["value"].toInteger(), 0);
            QVERIFY(copies.at(0).toObject()["value"].toInteger() > 0);
            QCOMPARE(object["lost_updates"].toInteger(), 0);
            QCOMPARE(object["cell_sum"].toInteger(), object["increments"].toInteger());
        } else if (scenario == "semaphore-pool")
            QCOMPARE(object["acquires"].toInteger(), object["releases"].toInteger());
        else
            QVERIFY(object["sent"].toInteger() > 0);
        const QJsonArray workers = report["workers"].toArray();
        QVERIFY(!workers.isEmpty());
        if (scenario != "pipe-one-way") { // a producer and a consumer, no program
            const int program = scenario == "csp-rendezvous" ? 1 : 0; // the stage between a producer and a consumer
            QVERIFY(!workers.at(program).toObject()["steps"].toArray().isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TestPrograms)
#include "tst_programs.moc"

// Fault injection: while each bundled scenario runs, a seeded chaos loop SIGKILLs, SIGSTOPs/SIGCONTs and
// respawns random workers. The runner must never hang, must notice each death within a second, the ledger must
// stay exact by the dead-worker rule (sent == received + left + lost_with_dead_workers, at most one message per
// killed worker), and nothing may be left behind. The seed is printed; set IPCLAB_CHAOS_SEED to replay a run and
// IPCLAB_CHAOS_SECONDS to run longer (the soak test uses 600).
#include "test_support.h"

#include "ipccore/runner.h"
#include "ipccore/transport.h"

#include <QElapsedTimer>
#include <QtTest>

#include <algorithm>
#include <csignal>
#include <random>
#include <unistd.h>

using namespace ipccore;

namespace {

// The goal is one second. Under a sanitizer every process is several times slower, the killed one's teardown (its
// shadow memory) included, and in one CI run under ThreadSanitizer on a loaded 2-core machine a kill took longer to
// see: there the check allows three seconds, and the slowest notice is printed either way.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr qint64 NoticeDeathMs = 3000;
#else
constexpr qint64 NoticeDeathMs = 1000;
#endif

double envDouble(const char* name, double fallback)
{
    const QByteArray v = qgetenv(name);
    bool ok = false;
    const double d = v.toDouble(&ok);
    return ok ? d : fallback;
}

std::string stripSlash(const std::string& prefix)
{
    return prefix.substr(1);
}

// Resident memory of this process (the runner lives here), in KiB.
long residentKiB()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields[1].toLong() * (sysconf(_SC_PAGESIZE) / 1024) : 0;
}

} // namespace

class TestChaos : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY2(!ipctest::workerPath().isEmpty(), "IPCLAB_WORKER must name the worker"); }

    void chaos_data()
    {
        QTest::addColumn<QString>("scenario");
        for (const BundledScenario& b : bundledScenarios()) {
            // The frozen lesson has repair off on purpose: a kill inside its lock freezes it by design.
            if (b.name == "dead-lock-holder")
                continue;
            QTest::newRow(b.name.c_str()) << QString::fromStdString(b.name);
        }
    }

    void chaos()
    {
        QFETCH(QString, scenario);
        auto resolved = resolveScenario(scenario.toStdString());
        QVERIFY2(resolved, resolved ? "" : resolved.error().message().c_str());
        Scenario s = *resolved;
        for (WorkerSpec& w : s.workers)
            w.crashInLockAfter = 0; // the chaos loop does the killing
        const double seconds = envDouble("IPCLAB_CHAOS_SECONDS", 4.0);
        const auto seed = static_cast<std::uint32_t>(envDouble("IPCLAB_CHAOS_SEED", double(std::random_device {}())));
        qInfo("scenario %s, seed %u (replay with IPCLAB_CHAOS_SEED=%u), %.0f s", qPrintable(scenario), seed, seed,
            seconds);
        std::mt19937 rng(seed);

        RunOptions options;
        options.workerPath = ipctest::workerPath().toStdString();
        auto runner = Runner::start(s, options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();

        QElapsedTimer clock;
        clock.start();
        int kills = 0, stops = 0, respawns = 0;
        qint64 slowestNoticeMs = 0;
        std::vector<std::size_t> stopped;
        qint64 nextFault = 300;
        long rssStart = 0;
        while (clock.elapsed() < qint64(seconds * 1000)) {
            QElapsedTimer sampleTime;
            sampleTime.start();
            Snapshot snap = (*runner)->sample();
            QVERIFY2(sampleTime.elapsed() < 2000, "sample() must never block");
            if (rssStart == 0 && clock.elapsed() > qint64(seconds * 100))
                rssStart = residentKiB(); // after start-up allocations settle
            if (clock.elapsed() >= nextFault) {
                nextFault = clock.elapsed() + std::uniform_int_distribution<int>(100, 400)(rng);
                // Resume what was stopped before doing anything else, so producers do not stay blocked for ever.
                for (std::size_t w : stopped)
                    (void)(*runner)->resumeWorker(w);
                stopped.clear();
                std::vector<std::size_t> alive;
                for (std::size_t i = 0; i < snap.workers.size(); ++i) {
                    if (snap.workers[i].alive)
                        alive.push_back(i);
                }
                if (alive.empty())
                    continue;
                const std::size_t victim = alive[std::uniform_int_distribution<std::size_t>(0, alive.size() - 1)(rng)];
                const int action = std::uniform_int_distribution<int>(0, 1)(rng);
                if (action == 0) {
                    QVERIFY((*runner)->pauseWorker(victim).has_value());
                    stopped.push_back(victim);
                    ++stops;
                    continue;
                }
                WorkerSpec replacement;
                replacement.name = snap.workers[victim].name;
                QVERIFY((*runner)->killWorker(victim).has_value());
                ++kills;
                // The runner must see the death within a second.
                QElapsedTimer seen;
                seen.start();
                bool dead = false;
                while (!dead && seen.elapsed() < NoticeDeathMs) {
                    const Snapshot after = (*runner)->sample();
                    dead = !after.workers[victim].alive;
                    if (dead) {
                        QCOMPARE(after.workers[victim].state, WorkerState::Dead);
                        QCOMPARE(after.workers[victim].termSignal, SIGKILL);
                    } else
                        QTest::qWait(5);
                }
                QVERIFY2(dead,
                    qPrintable(QStringLiteral("the runner did not notice a SIGKILL within %1 ms").arg(NoticeDeathMs)));
                slowestNoticeMs = std::max(slowestNoticeMs, seen.elapsed());
                // Respawn after every kill, so the population (and the traffic) lasts however long the run is; a soak
                // without it ran out of workers after a few dozen faults and then had nothing left to test.
                {
                    // Respawn a worker like the dead one (a new process, a new name).
                    const Scenario& sc = (*runner)->scenario();
                    WorkerSpec spec;
                    bool found = false;
                    for (const WorkerSpec& w : sc.workers) {
                        if (snap.workers[victim].name.rfind(w.name, 0) == 0) {
                            spec = w;
                            found = true;
                        }
                    }
                    // No subscriber into a broadcast (zmq-pub): one that joins late would miss what came before, so
                    // the runner refuses it (tst_runner's zmqBroadcast tests); its run goes on with those left. A new
                    // producer waits for the subscribers still running, as the first did.
                    const auto object = std::find_if(sc.objects.begin(), sc.objects.end(),
                        [&](const ObjectSpec& o) { return o.name == spec.object; });
                    if (found && object != sc.objects.end() && traits(object->transport).broadcast
                        && spec.role == Role::Consumer)
                        found = false;
                    if (found) {
                        spec.name = spec.name.substr(0, 30) + "-r" + std::to_string(++respawns);
                        auto added = (*runner)->addWorker(spec);
                        QVERIFY2(added, added ? "" : added.error().message().c_str());
                    }
                }
            }
            QTest::qWait(20);
        }
        for (std::size_t w : stopped)
            (void)(*runner)->resumeWorker(w);
        // On a loaded machine (CI runs tests side by side, two cores) a few seconds of faults every few hundred ms can
        // end before a worker has done anything at all; CI once saw pipe-duplex count nothing after 2 kills and 2
        // stops. With every worker resumed, give the run up to 10 s to show it still moves, so the check below tests
        // that the faults left a working run, not how busy the machine was.
        const auto moved = [](const Ledger& l) { return l.sent > 0 || l.writes > 0 || l.acquires > 0; };
        QElapsedTimer calm;
        calm.start();
        while (!moved((*runner)->sample().ledger) && calm.elapsed() < 10000)
            QTest::qWait(20);
        const long rssEnd = residentKiB();
        qInfo("resident memory of the runner's process: %ld KiB after 10%% of the run, %ld KiB at the end", rssStart,
            rssEnd);
        // Bounded, not a timing goal: a leak per sample or per fault would show up as steady growth.
        QVERIFY2(rssEnd - rssStart < 64 * 1024, "the runner's memory grew by more than 64 MiB during the run");

        QElapsedTimer stopTime;
        stopTime.start();
        const Report report = (*runner)->stop();
        qInfo("slowest notice of a kill: %lld ms", (long long)slowestNoticeMs);
        qInfo("kills %d, stops %d, respawns %d; sent %llu received %llu left %llu died-with-worker %llu, stop took "
              "%lld ms",
            kills, stops, respawns, (unsigned long long)report.integrity.sent,
            (unsigned long long)report.integrity.received, (unsigned long long)report.integrity.left,
            (unsigned long long)report.integrity.lostWithDeadWorkers, stopTime.elapsed());
        for (const ObjectSummary& o : report.objects) {
            const Ledger& l = o.ledger;
            const QString detail = QStringLiteral("%1: sent %2 received %3 left %4 lost %5 died %6 dup %7 corrupt %8")
                                       .arg(QString::fromStdString(o.name))
                                       .arg(l.sent)
                                       .arg(l.received)
                                       .arg(l.left)
                                       .arg(l.lost)
                                       .arg(l.lostWithDeadWorkers)
                                       .arg(l.duplicated)
                                       .arg(l.corrupt)
                // Programs' objects and servers keep their books in their own terms.
                + QStringLiteral("; writes %1 increments %2 cells %3 acquires %4 releases %5 timeouts %6 permits %7 "
                                 "held by dead %8; requests sent %9 taken %10 answered %11 returned %12 exact %13")
                      .arg(l.writes)
                      .arg(l.increments)
                      .arg(l.cellSum)
                      .arg(l.acquires)
                      .arg(l.releases)
                      .arg(l.timeouts)
                      .arg(l.permits)
                      .arg(l.permitsHeldByDead)
                      .arg(l.requests.sent)
                      .arg(l.requests.taken)
                      .arg(l.requests.answered)
                      .arg(l.requests.returned)
                      .arg(l.requests.exact);
            // ZeroMQ keeps its queues inside the processes: a killed producer's queue, and a killed consumer's queue
            // and connections, die with it, and nothing outside can count them; the ledger is exact when what is
            // missing is within what the killed ones can have held (zmqMostLostWithKilled), as for the others.
            QVERIFY2(l.exact, qPrintable(detail));
            // One message per kill, except on a byte stream: a killed FIFO or pipe consumer takes what it had read
            // ahead into its own buffer along, and a socket consumer its connections with their buffers; and on
            // ZeroMQ, whose queues are inside the processes.
            if (!traits(o.transport).stream && !traits(o.transport).depthFromCounters)
                QVERIFY2(l.lostWithDeadWorkers <= std::uint64_t(kills), qPrintable(detail));
        }
        QVERIFY(report.integrity.exact);
        // Something happened: messages for queues, writes to a shared array, permits taken from a semaphore.
        QVERIFY(moved(report.integrity));
        runner->reset();
        const QStringList left = ipctest::leftoverObjects(QString::fromStdString(stripSlash(prefix)));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }
};

QTEST_GUILESS_MAIN(TestChaos)
#include "tst_chaos.moc"

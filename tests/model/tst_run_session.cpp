// RunSession against real worker processes: snapshots flow from the controller thread, controls reach the workers,
// and stopping unlinks every object of the run.
#include "model/run_session.h"

#include "test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest>

using namespace ipcui;

namespace {
ipccore::Scenario defaultScenario()
{
    auto scenario = ipccore::resolveScenario(ipccore::DefaultScenarioName);
    return scenario ? *scenario : ipccore::Scenario {};
}

QList<int> workersOfRole(const ipccore::Snapshot& snapshot, ipccore::Role role)
{
    QList<int> rows;
    for (std::size_t i = 0; i < snapshot.workers.size(); ++i) {
        if (snapshot.workers[i].role == role)
            rows.append(int(i));
    }
    return rows;
}

bool allBlockedFull(const RunSession& session)
{
    const SnapshotPtr snapshot = session.latest();
    if (!snapshot)
        return false;
    for (const ipccore::WorkerStatus& worker : snapshot->workers) {
        if (worker.role == ipccore::Role::Producer && worker.state != ipccore::WorkerState::BlockedFull)
            return false;
    }
    return true;
}
} // namespace

class TestRunSession : public QObject {
    Q_OBJECT
private slots:
    void runsPausesAndCleansUp()
    {
        RunSession session;
        session.setWorkerPath(ipctest::workerPath());
        QSignalSpy started(&session, &RunSession::runStarted);
        QSignalSpy stopped(&session, &RunSession::runStopped);
        QSignalSpy errors(&session, &RunSession::errorOccurred);
        const ipccore::Scenario scenario = defaultScenario();
        QVERIFY(!scenario.workers.empty());
        QVERIFY(session.start(scenario));
        QVERIFY(!session.start(scenario)); // one run at a time
        QVERIFY(started.wait(30000));
        QVERIFY2(session.prefix().startsWith(QStringLiteral("/ipclab-")), qPrintable(session.prefix()));
        const QString needle = session.prefix().mid(1);

        // Live data flows: messages move and the buffer holds some.
        QTRY_VERIFY_WITH_TIMEOUT(session.latest() && session.latest()->ledger.received > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(session.history().totalRate() > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(session.latest()->objects.front().depth > 0, 30000);
        QVERIFY(session.history().sampleCount() > 0);

        // Pausing every consumer fills the buffer and blocks every producer on "full".
        const QList<int> consumers = workersOfRole(*session.latest(), ipccore::Role::Consumer);
        QVERIFY(!consumers.isEmpty());
        session.pauseWorkers(consumers);
        // Paused, not merely outrun (in this scenario the producers are blocked on "full" most of the time anyway):
        // shown paused first, then the ring full, and nothing more is received.
        const auto allPaused = [&] {
            for (const int c : consumers)
                if (session.latest()->workers.at(std::size_t(c)).state != ipccore::WorkerState::Paused)
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allPaused(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(allBlockedFull(session), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            ipctest::ringFullProblem(session.latest()->objects.front(), int(consumers.size())), QString(), 30000);
        const std::uint64_t receivedAtPause = session.latest()->ledger.received;
        QTest::qWait(300);
        QCOMPARE(session.latest()->ledger.received, receivedAtPause);
        // Resuming lets messages flow again. (Not "no producer blocked": in this scenario the producers make more
        // than the consumers take, so they are blocked on "full" most of the time even while everything flows.)
        const std::uint64_t receivedWhilePaused = session.latest()->ledger.received;
        session.resumeWorkers(consumers);
        QTRY_VERIFY_WITH_TIMEOUT(session.latest()->ledger.received > receivedWhilePaused + 10, 30000);

        // A bad control value is refused by ipccore and reported, not applied.
        session.setMessageSize({ 0 }, 1u << 30);
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 30000);

        session.stop();
        QVERIFY(stopped.wait(15000));
        QCOMPARE(session.state(), RunState::Idle);
        QVERIFY(!session.lastSummary().cleanup.isEmpty());
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
    }

    void addedWorkersAppearAndDestructorStopsTheRun()
    {
        QString needle;
        {
            RunSession session;
            session.setWorkerPath(ipctest::workerPath());
            QSignalSpy started(&session, &RunSession::runStarted);
            ipccore::Scenario scenario = defaultScenario();
            QVERIFY(session.start(scenario));
            QVERIFY(started.wait(30000));
            needle = session.prefix().mid(1);
            QTRY_VERIFY_WITH_TIMEOUT(session.latest() != nullptr, 30000);
            const std::size_t before = session.latest()->workers.size();
            ipccore::WorkerSpec extra = scenario.workers.back();
            extra.name = "extra-consumer";
            session.addWorker(extra);
            QTRY_COMPARE_WITH_TIMEOUT(session.latest()->workers.size(), before + 1, 30000);
            QCOMPARE(session.latest()->workers.back().name, std::string("extra-consumer"));
            // The live experiment follows: the added worker and a rate set from the process table, while the
            // scenario as started stays as it was (Save offers either).
            QTRY_COMPARE_WITH_TIMEOUT(session.liveScenario().workers.size(), scenario.workers.size() + 1, 5000);
            QCOMPARE(session.liveScenario().workers.back().name, std::string("extra-consumer"));
            session.setRate({ 0 }, 123);
            QCOMPARE(session.liveScenario().workers.front().rate, 123.0);
            QCOMPARE(session.liveChanges(), 2);
            QCOMPARE(session.scenario().workers.size(), scenario.workers.size());
            QCOMPARE(session.scenario().workers.front().rate, scenario.workers.front().rate);
            // It is a valid experiment, ready to save and run again.
            QVERIFY(ipccore::validateScenario(session.liveScenario(), ipccore::MqLimits {}, std::nullopt));
            // Leaving the scope with the run going: the destructor stops it and unlinks everything.
        }
        QVERIFY(!needle.isEmpty());
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
    }

    void mqLimitsArriveFromTheControllerThread()
    {
        RunSession session;
        QSignalSpy limits(&session, &RunSession::mqLimitsRead);
        QVERIFY(!session.hasMqLimits()); // nothing is read on this thread
        QVERIFY(limits.wait(30000));
        QVERIFY(session.hasMqLimits());
        const ipccore::MqLimits expected = ipccore::readMqLimits();
        QCOMPARE(session.mqLimits().msgMax, expected.msgMax);
        QCOMPARE(session.mqLimits().msgsizeMax, expected.msgsizeMax);
        QCOMPARE(session.mqLimits().queuesMax, expected.queuesMax);
    }

    // Export trace: the run so far while it goes, the whole run once stopped, in the format Perfetto opens; nothing
    // before any run, and an unwritable path said so.
    void traceExportsLiveAndAfterStop()
    {
        RunSession session;
        session.setWorkerPath(ipctest::workerPath());
        QSignalSpy exported(&session, &RunSession::traceExported);
        QTemporaryDir dir;
        session.exportTrace(dir.filePath("none.json"));
        QVERIFY(exported.wait(10000));
        QVERIFY(exported.takeFirst().at(1).toString().contains(QStringLiteral("no run to export")));
        QVERIFY(!QFile::exists(dir.filePath("none.json")));

        auto scenario = ipccore::resolveScenario("counter-race-locked");
        QVERIFY(scenario);
        QSignalSpy started(&session, &RunSession::runStarted);
        QSignalSpy stopped(&session, &RunSession::runStopped);
        QVERIFY(session.start(*scenario));
        QVERIFY(started.wait(30000));
        const QString needle = session.prefix().mid(1);
        QTRY_VERIFY_WITH_TIMEOUT(session.history().sampleCount() > 20, 30000);
        auto spansIn = [](const QString& path) {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                return -1;
            int spans = 0, workers = 0;
            for (const QJsonValue& v : QJsonDocument::fromJson(file.readAll()).object()["traceEvents"].toArray()) {
                const QJsonObject e = v.toObject();
                spans += e["ph"].toString() == QStringLiteral("X") ? 1 : 0;
                workers += e["ph"].toString() == QStringLiteral("M")
                        && e["args"].toObject()["name"].toString().startsWith(QStringLiteral("adder-"))
                    ? 1
                    : 0;
            }
            return workers == 4 ? spans : -2;
        };
        // This scenario writes about 50,000 spans a second (18 MB of JSON in 3 s). Under ThreadSanitizer each file
        // of this second-long run took 4 to 6.5 s to write on a 2-core machine (two busy loops beside it), and
        // beside two other multi-process tests in CI one took longer than 10 s: the run stops as soon as the live
        // file is written (before the test reads it), and the waits are a minute.
        session.exportTrace(dir.filePath("live.json"));
        QVERIFY(exported.wait(60000));
        QCOMPARE(exported.takeFirst().at(1).toString(), QString());
        session.stop();
        const int live = spansIn(dir.filePath("live.json"));
        QVERIFY2(live > 100, qPrintable(QString::number(live)));

        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
        session.exportTrace(dir.filePath("whole.json"));
        QVERIFY(exported.wait(60000));
        QCOMPARE(exported.takeFirst().at(1).toString(), QString());
        QVERIFY(spansIn(dir.filePath("whole.json")) >= live);

        session.exportTrace(QStringLiteral("/nonexistent-dir/t.json"));
        QVERIFY(exported.wait(10000));
        QVERIFY(exported.takeFirst().at(1).toString().contains(QStringLiteral("/nonexistent-dir/t.json")));
        QVERIFY(ipctest::leftoverObjects(needle).isEmpty());
    }

    // A trace is built and written in a thread of Qt's pool, not the runner's: a busy run's takes seconds, and
    // sampling would stop meanwhile. With every pool thread held busy the export cannot even begin, and samples
    // still come; once the pool is free the file is written and the answer comes.
    void exportWaitsForAPoolThreadWhileSamplingGoesOn()
    {
        RunSession session;
        session.setWorkerPath(ipctest::workerPath());
        QSignalSpy exported(&session, &RunSession::traceExported);
        QSignalSpy started(&session, &RunSession::runStarted);
        QSignalSpy stopped(&session, &RunSession::runStopped);
        QVERIFY(session.start(defaultScenario()));
        QVERIFY(started.wait(30000));
        const QString needle = session.prefix().mid(1);
        QTRY_VERIFY_WITH_TIMEOUT(session.history().sampleCount() > 2, 30000);

        QThreadPool* pool = QThreadPool::globalInstance();
        QVERIFY(pool->waitForDone(60000)); // an export of the test before may still be writing
        const int threads = pool->maxThreadCount();
        QTemporaryDir dir;
        {
            QSemaphore busy, release;
            // Frees the pool when this block ends, also when a check fails: the jobs use the semaphores, so they
            // must be done before these go.
            auto freePool = qScopeGuard([&release, threads, pool] {
                release.release(threads);
                pool->waitForDone();
            });
            for (int i = 0; i < threads; ++i)
                pool->start([&busy, &release] {
                    busy.release();
                    release.acquire();
                });
            QVERIFY(busy.tryAcquire(threads, 10000));
            session.exportTrace(dir.filePath("live.json"));
            const quint64 revision = session.history().revision();
            QTRY_VERIFY_WITH_TIMEOUT(session.history().revision() >= revision + 5, 30000);
            QCOMPARE(exported.count(), 0); // waiting for a pool thread, while the samples came
        }
        QVERIFY(exported.wait(60000));
        QCOMPARE(exported.takeFirst().at(1).toString(), QString());
        QVERIFY(QFile(dir.filePath("live.json")).size() > 0);
        session.stop();
        QVERIFY(stopped.count() > 0 || stopped.wait(30000));
        QVERIFY(ipctest::leftoverObjects(needle).isEmpty());
    }

    void aScenarioTheRunnerRefusesIsReported()
    {
        RunSession session;
        session.setWorkerPath(ipctest::workerPath());
        QSignalSpy errors(&session, &RunSession::errorOccurred);
        ipccore::Scenario scenario = defaultScenario();
        scenario.workers.front().object = "no-such-object";
        QVERIFY(session.start(scenario));
        QVERIFY(errors.wait(30000));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), RunState::Idle, 30000);
        QVERIFY(errors.first().first().toString().contains(QStringLiteral("no-such-object")));
    }
};

QTEST_GUILESS_MAIN(TestRunSession)
#include "tst_run_session.moc"

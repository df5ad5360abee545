// Waits measured by real workers: every wait that ends is counted in the worker's slot, per object and per kind, and
// the run report's `contention` adds them up. Checked against what the workers measure apart (each one's blocked
// time), and against what the scenario makes certain: in bounded-buffer-3x2 the producers outrun the consumers, so
// they wait for empty slots; in counter-race-locked the four processes wait for the counter's lock.
#include "test_support.h"

#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace ipccore;

class TestWaits : public QObject {
    Q_OBJECT

    QTemporaryDir m_runtime;

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
    }

    void cleanupTestCase() { QCOMPARE(ipctest::leftoversOfThisProcess(), QStringList()); }

    // `ipclab-cli run bounded-buffer-3x2 --json` has contention per object with percentiles in order, and per worker
    // the sum of its waits equals its blocked time (counted apart in the slot) within 1 %.
    void cliReportsContentionPerObjectAndWorker()
    {
        QTemporaryDir dir;
        const QString json = dir.filePath("r.json");
        QProcess cli;
        cli.start(ipctest::cliPath(), { "run", "bounded-buffer-3x2", "--duration", "3", "--json", json });
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        const QString text = QString::fromLocal8Bit(cli.readAllStandardOutput());
        QVERIFY2(text.contains("Waits per object"), qPrintable(text));
        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject contention = QJsonDocument::fromJson(file.readAll()).object()["contention"].toObject();
        const QJsonArray objects = contention["objects"].toArray();
        QVERIFY2(!objects.isEmpty(), "no waits at all in a bounded buffer");
        double objectsTotal = 0;
        bool producersWaitForRoom = false;
        for (const QJsonValue& value : objects) {
            const QJsonObject o = value.toObject();
            QCOMPARE(o["object"].toString(), QString("buffer"));
            QVERIFY(o["waits"].toInteger() > 0);
            const double p50 = o["p50_us"].toDouble(), p90 = o["p90_us"].toDouble(), p99 = o["p99_us"].toDouble();
            const double max = o["max_us"].toDouble(), mean = o["mean_us"].toDouble();
            QVERIFY2(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, qPrintable(QJsonDocument(o).toJson()));
            QVERIFY(mean > 0 && mean <= max);
            qint64 inBuckets = 0;
            for (const QJsonValue& bucket : o["histogram"].toArray())
                inBuckets += bucket.toObject()["waits"].toInteger();
            QCOMPARE(inBuckets, o["waits"].toInteger());
            objectsTotal += o["total_s"].toDouble();
            if (o["kind"].toString() == "room" && o["waiters"].toArray().contains(QJsonValue("producer-1")))
                producersWaitForRoom = true;
        }
        QVERIFY(objects.at(0).toObject()["most_contended"].toBool());
        QVERIFY2(producersWaitForRoom, "producer-1 never waited for an empty slot");
        double workersTotal = 0;
        const QJsonArray workers = contention["workers"].toArray();
        QCOMPARE(workers.size(), 5);
        for (const QJsonValue& value : workers) {
            const QJsonObject w = value.toObject();
            const double wait = w["wait_s"].toDouble(), blocked = w["blocked_s"].toDouble();
            QVERIFY2(std::abs(wait - blocked) <= 0.01 * blocked + 1e-6,
                qPrintable(QString("%1 waited %2 s, blocked %3 s").arg(w["worker"].toString()).arg(wait).arg(blocked)));
            QCOMPARE(w["untracked_waits"].toInteger(), 0);
            workersTotal += wait;
        }
        QVERIFY(std::abs(objectsTotal - workersTotal) <= 1e-6 * std::max(1.0, workersTotal));
        QVERIFY(workersTotal > 0.5); // three producers blocked most of 3 s
    }

    // The deadlocks the lab bundles are named as such, with their cycle, within a second of forming (most form in
    // the first round, so the event comes at about half a second; the wrong-order buffer forms once it is full,
    // after about a second); the ordered philosophers never deadlock.
    void deadlocksAreNamed_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QStringList>("cycle");
        QTest::newRow("lock-order-inversion") << "lock-order-inversion" << QStringList { "left", "right" };
        QTest::newRow("dining-philosophers")
            << "dining-philosophers"
            << QStringList { "philosopher-1", "philosopher-2", "philosopher-3", "philosopher-4", "philosopher-5" };
        QTest::newRow("bounded-buffer-wrong-order")
            << "bounded-buffer-wrong-order" << QStringList { "consumer", "producer" };
        QTest::newRow("dining-philosophers-ordered") << "dining-philosophers-ordered" << QStringList {};
    }
    void deadlocksAreNamed()
    {
        QFETCH(QString, scenario);
        QFETCH(QStringList, cycle);
        QTemporaryDir dir;
        const QString json = dir.filePath("r.json");
        QProcess cli;
        cli.start(ipctest::cliPath(), { "run", scenario, "--duration", "4", "--json", json });
        QVERIFY(cli.waitForFinished(60000));
        const QString text = QString::fromLocal8Bit(cli.readAllStandardOutput());
        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
        if (cycle.isEmpty()) {
            QCOMPARE(cli.exitCode(), 0);
            QCOMPARE(report["result"].toString(), QString("exact"));
            QVERIFY(report["deadlock"].isNull());
            QVERIFY2(!text.contains("Deadlock"), qPrintable(text));
            QVERIFY(report["duration_s"].toDouble() > 3.5); // it ran its time
            return;
        }
        QCOMPARE(cli.exitCode(), 3);
        QCOMPARE(report["result"].toString(), QString("deadlock"));
        QStringList members;
        for (const QJsonValue& m : report["deadlock"].toObject()["cycle"].toArray())
            members << m.toString();
        members.sort();
        QCOMPARE(members, cycle);
        QVERIFY2(text.contains("Integrity: DEADLOCK"), qPrintable(text));
        // Named at once: the run ended well before its 4 s, and the event says when.
        QVERIFY2(report["duration_s"].toDouble() < 3.0, qPrintable(text));
        bool named = false;
        for (const QJsonValue& e : report["events"].toArray()) {
            const QJsonObject event = e.toObject();
            if (event["text"].toString().startsWith("Deadlock: ")) {
                named = true;
                QVERIFY2(event["t"].toDouble() < 2.0, qPrintable(event["text"].toString()));
                QVERIFY2(event["text"].toString().contains(" holds "), qPrintable(event["text"].toString()));
            }
        }
        QVERIFY(named);
    }

    // A producer whose queue nobody reads is stalled, not deadlocked: a warning that says who could end it, and
    // the run goes on to its end with exit 0.
    void producerAloneIsAStall()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("alone.json");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({ "name": "producer-alone", "title": "t", "description": "d", "duration_s": 2, "sample_hz": 50,
            "objects": [ { "name": "queue", "transport": "mq", "capacity": 4, "message_size": 64 } ],
            "workers": [ { "name": "producer-1", "role": "producer", "object": "queue" } ] })");
        file.close();
        QProcess cli;
        cli.start(ipctest::cliPath(), { "run", path });
        QVERIFY(cli.waitForFinished(60000));
        const QString text = QString::fromLocal8Bit(cli.readAllStandardOutput());
        QCOMPARE(cli.exitCode(), 0);
        QVERIFY2(text.contains("Stalled: producer-1 waits for queue: no other process"), qPrintable(text));
        QVERIFY2(!text.contains("Deadlock"), qPrintable(text));
    }

    // semaphore-pool's acquires give up after 100 ms: those waits are counted apart, and there are exactly as many
    // as the semaphore's books count timeouts (posix_ipc's BusyError), each lasting its 100 ms.
    void waitsThatTimedOutAreCountedApart()
    {
        auto scenario = resolveScenario("semaphore-pool");
        QVERIFY(scenario);
        auto runner = Runner::start(*scenario);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTest::qWait(1500);
        const Report r = (*runner)->stop();
        runner->reset();
        QVERIFY(ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1))).isEmpty());
        std::uint64_t timeouts = 0;
        for (const ObjectSummary& o : r.objects)
            if (o.name == "pool")
                timeouts = o.ledger.timeouts;
        QVERIFY2(timeouts > 0, "no acquire timed out in semaphore-pool");
        std::uint64_t gaveUp = 0;
        for (const ObjectContention& o : r.contention.objects) {
            QCOMPARE(o.object, std::string("pool"));
            QCOMPARE(o.kind, WaitKind::Permit);
            if (!o.gaveUp)
                continue;
            gaveUp += o.stats.waits;
            QVERIFY2(o.stats.percentileNs(0.01) >= 90'000'000, "a wait that gave up before its 100 ms");
        }
        QCOMPARE(gaveUp, timeouts);
    }

    // Programs: the waits of acquire steps land on the object the step names, as a lock's waits.
    void programWaitsLandOnTheirObject()
    {
        auto scenario = resolveScenario("counter-race-locked");
        QVERIFY(scenario);
        auto runner = Runner::start(*scenario);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().contention->any(), 30000);
        const Report r = (*runner)->stop();
        runner->reset();
        QVERIFY(ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1))).isEmpty());
        QVERIFY(r.contention.any());
        std::uint64_t waits = 0;
        for (const ObjectContention& o : r.contention.objects) {
            QCOMPARE(o.object, std::string("counter"));
            waits += o.stats.waits;
        }
        std::uint64_t byWorkers = 0;
        for (const WorkerContention& w : r.contention.workers) {
            byWorkers += w.waits;
            QVERIFY(w.waitNs <= w.blockedNs + w.blockedNs / 100 + 1000);
        }
        QCOMPARE(waits, byWorkers);
        QVERIFY(r.contention.objects[0].waiters.size() >= 2);
    }

    // The contention table is made again about 50 times a second, not at every sample: at 1 kHz the samples share
    // one table for 20 samples, then the next sample makes a new one; at 50 Hz each sample makes its own. And the
    // table a sample shares is the one the last making sample made, whatever the workers did since.
    void contentionIsMadeAtFiftyHertz_data()
    {
        QTest::addColumn<double>("hz");
        QTest::addColumn<int>("samplesPerTable");
        QTest::newRow("1 kHz") << 1000.0 << 20;
        QTest::newRow("50 Hz") << 50.0 << 1;
    }

    void contentionIsMadeAtFiftyHertz()
    {
        QFETCH(double, hz);
        QFETCH(int, samplesPerTable);
        auto scenario = resolveScenario("counter-race-locked");
        QVERIFY(scenario);
        RunOptions options;
        options.sampleHz = hz;
        auto runner = Runner::start(*scenario, options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        QCOMPARE((*runner)->sampleHz(), hz);
        std::vector<std::shared_ptr<const Contention>> tables;
        for (int i = 0; i < 2 * samplesPerTable + 1; ++i)
            tables.push_back((*runner)->sample().contention);
        for (int i = 0; i < int(tables.size()); ++i) {
            QVERIFY(tables[std::size_t(i)]);
            const bool makes = i % samplesPerTable == 0;
            if (i > 0)
                QCOMPARE(tables[std::size_t(i)] == tables[std::size_t(i - 1)], !makes);
        }
        // Made again at a later sample, the waits of the run so far show.
        QTRY_VERIFY_WITH_TIMEOUT((*runner)->sample().contention->any(), 30000);
        const auto waitsIn = [](const Contention& c) {
            std::uint64_t waits = 0;
            for (const ObjectContention& o : c.objects)
                waits += o.stats.waits;
            return waits;
        };
        const std::uint64_t before = waitsIn(*(*runner)->sample().contention);
        // The four adders keep waiting for the lock meanwhile; the stop's own sample makes the table again, whatever
        // the count of samples, so the report has those waits too.
        QTest::qWait(300);
        const Report r = (*runner)->stop();
        runner->reset();
        QVERIFY(ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1))).isEmpty());
        QVERIFY2(waitsIn(r.contention) > before,
            qPrintable(QString("%1 waits in the report, %2 before").arg(waitsIn(r.contention)).arg(before)));
    }

    // A lock's hold times (acquire to release): one hold per release but those a stop cut short, and a lock is held
    // by one process at a time, so its holds never add up to more than the run. While it runs, the object names its
    // one holder and the processes blocked on it.
    void holdTimesOfALockNeverOverlap()
    {
        auto scenario = resolveScenario("counter-race-locked");
        QVERIFY(scenario);
        auto runner = Runner::start(*scenario);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        bool sawHolderAndWaiters = false;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 1500) {
            const Snapshot snap = (*runner)->sample();
            for (const ObjectStatus& o : snap.objects) {
                if (o.name != "counter")
                    continue;
                // A sample reads the slots one after another, so a hand-over between two reads could show the old
                // holder beside the new one; the runner keeps the latest taker of a lock.
                QVERIFY2(o.holders.size() <= 1, "a lock with two holders at once");
                const bool waiterHolds = std::any_of(o.waiters.begin(), o.waiters.end(),
                    [&](const ObjectStatus::User& u) { return !o.holders.empty() && u.worker == o.holders[0].worker; });
                QVERIFY(!waiterHolds);
                sawHolderAndWaiters = sawHolderAndWaiters || (o.holders.size() == 1 && !o.waiters.empty());
            }
            QTest::qWait(20);
        }
        const Report r = (*runner)->stop();
        runner->reset();
        QVERIFY(ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1))).isEmpty());
        QVERIFY(sawHolderAndWaiters); // four processes on two cores, 20 us work inside the lock: seen at 50 Hz
        QCOMPARE(r.contention.holds.size(), std::size_t(1));
        const ObjectHolds& h = r.contention.holds[0];
        QCOMPARE(h.object, std::string("counter"));
        QCOMPARE(h.kind, WaitKind::Lock);
        QCOMPARE(h.holders.size(), r.workers.size());
        std::uint64_t releases = 0;
        for (const WorkerSummary& w : r.workers) {
            QCOMPARE(w.steps.back(), std::string("release counter"));
            releases += w.stepDone.back();
        }
        QVERIFY2(h.stats.waits <= releases && h.stats.waits + r.workers.size() >= releases,
            qPrintable(QString("%1 holds, %2 releases").arg(h.stats.waits).arg(releases)));
        QVERIFY2(double(h.stats.totalNs) / 1e9 <= r.durationS,
            qPrintable(QString("held %1 s in a run of %2 s").arg(double(h.stats.totalNs) / 1e9).arg(r.durationS)));
        QVERIFY(h.stats.meanNs() >= 20'000); // every hold spans a "work 20us", which sleeps at least that long
    }
};

QTEST_GUILESS_MAIN(TestWaits)
#include "tst_waits.moc"

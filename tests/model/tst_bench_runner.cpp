// BenchRunner runs the real bench on its own thread: a tiny race finishes with positive figures, bad options are
// refused with the option named, and a cancel (or the destructor) stops a long race promptly, leaving nothing behind.
#include "model/bench_runner.h"
#include "model/bench_table_model.h"

#include "test_support.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QtTest>

#include <unistd.h>

using namespace ipcui;

namespace {
ipccore::BenchOptions tinyOptions()
{
    ipccore::BenchOptions o;
    o.transports = { ipccore::TransportKind::Mq, ipccore::TransportKind::ShmSpsc };
    o.sizes = { 64 };
    o.messages = 2000;
    o.repeat = 1;
    o.python = false;
    o.observation = false;
    o.baselines = true;
    o.workerPath = ipctest::workerPath().toStdString();
    return o;
}

// Long enough that a cancel surely lands in the middle.
ipccore::BenchOptions longOptions()
{
    ipccore::BenchOptions o = tinyOptions();
    o.transports.clear();
    o.sizes = { 64, 4096, 65536 };
    o.messages = 200'000;
    o.repeat = 5;
    return o;
}

// runBench names its objects "/ipclab-b<pid>-<n>-...", so this matches only this process's leftovers.
QStringList benchLeftovers()
{
    return ipctest::leftoverObjects(QStringLiteral("ipclab-b%1-").arg(getpid()));
}
} // namespace

class TestBenchRunner : public QObject {
    Q_OBJECT
private slots:
    void aTinyRaceFinishesWithPositiveFigures()
    {
        BenchRunner runner;
        QSignalSpy finished(&runner, &BenchRunner::finished);
        QSignalSpy failed(&runner, &BenchRunner::failed);
        QSignalSpy progress(&runner, &BenchRunner::progress);
        QSignalSpy running(&runner, &BenchRunner::runningChanged);
        QCOMPARE(runner.start(tinyOptions()), QString());
        QVERIFY(runner.isRunning());
        QVERIFY(!runner.start(tinyOptions()).isEmpty()); // one race at a time
        QVERIFY2(finished.wait(90000), failed.isEmpty() ? "no signal" : qPrintable(failed.first().first().toString()));
        QVERIFY(!runner.isRunning());
        QCOMPARE(running.count(), 2);
        QVERIFY(progress.count() > 0);
        const int steps = progress.last().at(1).toInt();
        QVERIFY(steps > 0);

        const auto report = finished.first().first().value<ipccore::BenchReport>();
        QCOMPARE(report.results.size(), std::size_t(2));
        for (const ipccore::BenchResult& r : report.results) {
            QVERIFY(r.applicable);
            QVERIFY2(r.msgsPerS.median > 0, ipccore::transportName(r.transport));
            QVERIFY(r.mbPerS.median > 0);
            QVERIFY(r.baselineMsgsPerS.median > 0);
            QVERIFY(r.ratio > 0);
            QVERIFY(r.p50Us > 0 && r.p99Us >= r.p50Us);
        }
        QVERIFY(report.memcpyMbPerS > 0);
        QVERIFY(report.python.empty());
        QVERIFY(benchLeftovers().isEmpty());

        // The report as the Race view's table shows it: a row per result plus memcpy.
        BenchTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setReport(report);
        QCOMPARE(model.rowCount(), 3);
        QVERIFY(model.index(0, BenchTableModel::RatioColumn).data().toString().endsWith(QStringLiteral("×")));
        QCOMPARE(model.index(2, BenchTableModel::MeasurementColumn).data(BenchTableModel::KindRole).toInt(),
            int(BenchTableModel::RowKind::Memcpy));
    }

    void badOptionsAreRefusedWithTheOptionNamed_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("named");
        QTest::newRow("messages") << 0 << QStringLiteral("--messages");
        QTest::newRow("repeat") << 1 << QStringLiteral("--repeat");
        QTest::newRow("sizes") << 2 << QStringLiteral("--sizes");
        QTest::newRow("shm-value") << 3 << QStringLiteral("--transports");
    }
    void badOptionsAreRefusedWithTheOptionNamed()
    {
        QFETCH(int, which);
        QFETCH(QString, named);
        ipccore::BenchOptions o = tinyOptions();
        switch (which) {
        case 0:
            o.messages = 10;
            break;
        case 1:
            o.repeat = 0;
            break;
        case 2:
            o.sizes = { 16 };
            break;
        default:
            o.transports = { ipccore::TransportKind::ShmValue };
        }
        BenchRunner runner;
        const QString reason = runner.start(o);
        QVERIFY2(reason.contains(named), qPrintable(reason));
        QVERIFY(!runner.isRunning());
        QCOMPARE(BenchRunner::check(o), reason);
    }

    void cancelStopsALongRacePromptly()
    {
        BenchRunner runner;
        QSignalSpy progress(&runner, &BenchRunner::progress);
        QSignalSpy cancelled(&runner, &BenchRunner::cancelled);
        QSignalSpy finished(&runner, &BenchRunner::finished);
        QSignalSpy failed(&runner, &BenchRunner::failed);
        QCOMPARE(runner.start(longOptions()), QString());
        QVERIFY(progress.wait(30000));
        QElapsedTimer clock;
        clock.start();
        runner.cancel();
        QVERIFY(runner.isCancelling());
        QVERIFY(cancelled.wait(15000));
        QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(finished.isEmpty());
        QVERIFY(failed.isEmpty());
        QVERIFY(!runner.isRunning());
        QVERIFY2(benchLeftovers().isEmpty(), qPrintable(benchLeftovers().join(QStringLiteral(", "))));

        // The thread stays for the next race.
        QCOMPARE(runner.start(tinyOptions()), QString());
        QSignalSpy second(&runner, &BenchRunner::finished);
        QVERIFY(second.wait(90000));
    }

    void theDestructorCancelsARaceStillGoing()
    {
        QElapsedTimer clock;
        {
            BenchRunner runner;
            QSignalSpy progress(&runner, &BenchRunner::progress);
            QCOMPARE(runner.start(longOptions()), QString());
            QVERIFY(progress.wait(30000));
            clock.start();
        }
        QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY2(benchLeftovers().isEmpty(), qPrintable(benchLeftovers().join(QStringLiteral(", "))));
    }
};

QTEST_GUILESS_MAIN(TestBenchRunner)
#include "tst_bench_runner.moc"

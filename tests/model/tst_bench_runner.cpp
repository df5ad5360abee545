// BenchRunner runs the real bench in an ipclab-cli child process: a tiny race finishes with positive figures read back
// from the child's JSON, bad options are refused with the option named, a failing race says why, and a cancel (or the
// destructor) stops a long race promptly, leaving nothing behind.
#include "model/bench_runner.h"
#include "model/bench_table_model.h"

#include "test_support.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
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

// The bench names its objects "/ipclab-b<pid>-<n>-..." after the ipclab-cli process that runs it.
QStringList benchLeftovers(const BenchRunner& runner)
{
    return ipctest::leftoverObjects(QStringLiteral("ipclab-b%1-").arg(runner.lastProcessId()));
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
        QVERIFY(report.memcpyMbPerS.median > 0);
        QVERIFY(report.python.empty());
        QVERIFY(benchLeftovers(runner).isEmpty());

        BenchTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setReport(report);
        // The report as the Race view's table shows it: a row per result, memcpy, and the programs' slowest ratio.
        QCOMPARE(model.rowCount(), 4);
        QVERIFY(model.index(0, BenchTableModel::RatioColumn).data().toString().endsWith(QStringLiteral("×")));
        QCOMPARE(model.index(2, BenchTableModel::MeasurementColumn).data(BenchTableModel::KindRole).toInt(),
            int(BenchTableModel::RowKind::Memcpy));
        QCOMPARE(model.index(3, BenchTableModel::MeasurementColumn).data().toString(),
            QStringLiteral("Programs (put, get)"));
        QVERIFY(model.index(3, BenchTableModel::RatioColumn).data().toString().endsWith(QStringLiteral("×")));
        QVERIFY(model.index(0, BenchTableModel::MeasurementColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("through programs")));
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
        QVERIFY2(benchLeftovers(runner).isEmpty(), qPrintable(benchLeftovers(runner).join(QStringLiteral(", "))));

        // The runner takes the next race.
        QCOMPARE(runner.start(tinyOptions()), QString());
        QSignalSpy second(&runner, &BenchRunner::finished);
        QVERIFY(second.wait(90000));
    }

    void theDestructorCancelsARaceStillGoing()
    {
        QElapsedTimer clock;
        qint64 child = 0;
        QStringList leftovers;
        {
            BenchRunner runner;
            QSignalSpy progress(&runner, &BenchRunner::progress);
            QCOMPARE(runner.start(longOptions()), QString());
            QVERIFY(progress.wait(30000));
            child = runner.lastProcessId();
            QVERIFY(child > 0);
            clock.start();
        }
        QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY2(::kill(pid_t(child), 0) != 0, "ipclab-cli bench outlived its runner");
        leftovers = ipctest::leftoverObjects(QStringLiteral("ipclab-b%1-").arg(child));
        QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(QStringLiteral(", "))));
    }

    void aMissingCliIsNamedWithItsPath()
    {
        BenchRunner runner;
        runner.setCliPath(QStringLiteral("/nonexistent/ipclab-cli"));
        const QString reason = runner.start(tinyOptions());
        QVERIFY2(reason.contains(QStringLiteral("/nonexistent/ipclab-cli")), qPrintable(reason));
        QVERIFY(!runner.isRunning());
    }

    void aCliThatCannotRunIsReported()
    {
        // Executable, but exec() fails (its interpreter does not exist): QProcess reports FailedToStart, inside
        // start() or just after it. Either way the user is told once and nothing is left running.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString script = dir.filePath(QStringLiteral("ipclab-cli"));
        QFile file(script);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("#!/nonexistent/interpreter\n");
        file.close();
        QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));

        BenchRunner runner;
        runner.setCliPath(script);
        QSignalSpy failed(&runner, &BenchRunner::failed);
        const QString reason = runner.start(tinyOptions());
        if (reason.isEmpty()) {
            QVERIFY(failed.wait(10000));
            QVERIFY2(failed.first().first().toString().contains(script), qPrintable(failed.first().first().toString()));
        } else {
            QVERIFY2(reason.contains(script), qPrintable(reason));
            QVERIFY(failed.isEmpty());
        }
        QVERIFY(!runner.isRunning());
        QCOMPARE(runner.start(tinyOptions()).isEmpty() ? 1 : 0, reason.isEmpty() ? 1 : 0); // and again, the same way
        QTRY_VERIFY_WITH_TIMEOUT(!runner.isRunning(), 10000);
    }

    void aKilledBenchProcessIsReported()
    {
        BenchRunner runner;
        QSignalSpy progress(&runner, &BenchRunner::progress);
        QSignalSpy failed(&runner, &BenchRunner::failed);
        QCOMPARE(runner.start(longOptions()), QString());
        QVERIFY(progress.wait(30000));
        const qint64 killed = runner.lastProcessId();
        QVERIFY(killed > 0);
        QCOMPARE(::kill(pid_t(killed), SIGKILL), 0);
        QVERIFY(failed.wait(15000));
        const QString message = failed.first().first().toString();
        QVERIFY2(message.startsWith(QStringLiteral("The race stopped: ")), qPrintable(message));
        QVERIFY(!runner.isRunning());

        // Killed mid-measurement, it may have left the objects of that measurement; the next race removes them.
        QSignalSpy finished(&runner, &BenchRunner::finished);
        QCOMPARE(runner.start(tinyOptions()), QString());
        QVERIFY(finished.wait(90000));
        const QStringList leftovers = ipctest::leftoverObjects(QStringLiteral("ipclab-b%1-").arg(killed));
        QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(QStringLiteral(", "))));
        QVERIFY(benchLeftovers(runner).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestBenchRunner)
#include "tst_bench_runner.moc"

// The Live view's watch of other programs' objects, below the widgets (so it also runs under ThreadSanitizer): the
// monitor's thread reads a real semaphore and lists a forked process asleep on it, the history stays bounded to the
// watched objects, a change of targets drops what the thread read for the old ones, a pause reaches the process only
// while it is the one listed, and the process table applies each listing as a diff.
#include "test_support.h"

#include "../core/child_process.h"
#include "model/watch_monitor.h"
#include "model/watched_process_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include <csignal>
#include <fcntl.h>
#include <semaphore.h>

using namespace ipcui;
using ipccore::SystemObjectKind;

namespace {

WatchedProcess process(int pid, std::uint64_t start, const std::string& blockedIn = {})
{
    WatchedProcess p;
    p.pid = pid;
    p.info.exists = true;
    p.info.state = 'S';
    p.info.startTicks = start;
    p.info.commandLine = "python3 jobs.py";
    p.info.owner = "ada";
    p.blockedIn = blockedIn;
    p.uses = { "/jobs" };
    return p;
}

} // namespace

class TestWatchMonitor : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase() { QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), "objects left behind"); }

    void readsARealSemaphoreAndItsSleeper()
    {
        const ipctest::TestSemaphore sem("mon", 0);
        QVERIFY(sem.ok());
        const std::string& name = sem.name();
        const pid_t sleeper = ipctest::forkChild([&] { return sem_wait(sem.get()) == 0 ? 0 : 1; });
        QVERIFY(sleeper > 0);
        ipctest::ChildGuard guard(sleeper);
        QVERIFY(ipctest::waitUntilSleeping(sleeper));

        WatchMonitor monitor;
        QSignalSpy frames(&monitor, &WatchMonitor::sampled);
        QSignalSpy users(&monitor, &WatchMonitor::usersListed);
        monitor.watch({ SystemObjectKind::Semaphore, name });
        QTRY_VERIFY_WITH_TIMEOUT(frames.count() >= 5, 5000);
        const auto frame = monitor.latest();
        QVERIFY(frame);
        QCOMPARE(frame->readings.size(), std::size_t(1));
        QVERIFY(frame->readings[0].present);
        QCOMPARE(frame->readings[0].value.value_or(99), 0u);
        QCOMPARE(frame->readings[0].waiters.value_or(0), 1u);
        QVERIFY(monitor.history(0).size() >= 5);
        QCOMPARE(monitor.history(0).back().y(), 0.0);

        QTRY_VERIFY_WITH_TIMEOUT(users.count() >= 1, 5000);
        const auto listed = monitor.users();
        QVERIFY(listed);
        const WatchedProcess* found = nullptr;
        for (const WatchedProcess& p : listed->processes) {
            QVERIFY2(p.pid != int(getpid()), "the watcher itself is not listed");
            if (p.pid == sleeper)
                found = &p;
        }
        QVERIFY(found);
        QCOMPARE(QString::fromStdString(found->blockedIn),
            QStringLiteral("sem_wait on %1 (value 0)").arg(QString::fromStdString(name)));
        QCOMPARE(found->info.state, 'S');
        QCOMPARE(found->uses, std::vector<std::string> { name });

        // A pause with another start time is refused (as for a pid handed on); with the listed one it stops it.
        QSignalSpy signalled(&monitor, &WatchMonitor::signalled);
        monitor.signalProcess(sleeper, found->info.startTicks + 1, SIGSTOP);
        QTRY_COMPARE_WITH_TIMEOUT(signalled.count(), 1, 5000);
        QVERIFY(signalled.at(0).at(2).toString().contains("has exited"));
        QCOMPARE(ipccore::readProcessInfo(sleeper).state, 'S');
        monitor.signalProcess(sleeper, found->info.startTicks, SIGSTOP);
        QTRY_COMPARE_WITH_TIMEOUT(signalled.count(), 2, 5000);
        QCOMPARE(signalled.at(1).at(2).toString(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(ipccore::readProcessInfo(sleeper).state, 'T', 5000);
        monitor.signalProcess(sleeper, found->info.startTicks, SIGCONT);
        QTRY_COMPARE_WITH_TIMEOUT(ipccore::readProcessInfo(sleeper).state, 'S', 5000);

        // A post shows in the readings; the sleeper takes it at once, so the value returns to 0 after 1 waiting.
        QCOMPARE(sem_post(sem.get()), 0);
        guard.release();
        QCOMPARE(ipctest::waitChild(sleeper), 0);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.latest()->readings[0].waiters.value_or(9), 0u, 5000);

        // Cleared: the frames stop, even one read for the old targets while the change travelled.
        const double watchedFor = monitor.latest()->t;
        monitor.clear();
        QVERIFY(!monitor.latest());
        const int seen = int(frames.count());
        QTest::qWait(300);
        QCOMPARE(int(frames.count()), seen);
        QVERIFY(monitor.targets().empty());

        // Watched again after nothing was: "time watched" starts at 0 again.
        monitor.watch({ SystemObjectKind::Semaphore, name });
        QTRY_VERIFY_WITH_TIMEOUT(monitor.latest() != nullptr, 5000);
        QVERIFY2(monitor.latest()->t < watchedFor && monitor.latest()->t < 0.5,
            qPrintable(QStringLiteral("%1 s, after %2 s").arg(monitor.latest()->t).arg(watchedFor)));
    }

    // Unwatching one object keeps the others' readings and histories, in order.
    void unwatchKeepsTheOthers()
    {
        const ipctest::TestSemaphore sa("ma", 3);
        const ipctest::TestSemaphore sb("mb", 7);
        QVERIFY(sa.ok() && sb.ok());
        const std::string& a = sa.name();
        const std::string& b = sb.name();
        WatchMonitor monitor;
        QSignalSpy changed(&monitor, &WatchMonitor::targetsChanged);
        monitor.watch({ SystemObjectKind::Semaphore, a });
        monitor.watch({ SystemObjectKind::Semaphore, b });
        monitor.watch({ SystemObjectKind::Semaphore, a }); // already watched: nothing
        QCOMPARE(changed.count(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(monitor.history(1).size() >= 3, 5000);
        QCOMPARE(monitor.history(0).back().y(), 3.0);
        QCOMPARE(monitor.history(1).back().y(), 7.0);
        monitor.unwatch(monitor.targets().front());
        QCOMPARE(monitor.targets().size(), std::size_t(1));
        QCOMPARE(monitor.targets()[0].name, b);
        const int changes = int(changed.count());
        monitor.unwatch({ SystemObjectKind::Semaphore, a }); // no longer watched: nothing
        monitor.unwatch({ SystemObjectKind::MessageQueue, b }); // b's name, another kind: nothing
        QCOMPARE(monitor.targets().size(), std::size_t(1));
        QCOMPARE(int(changed.count()), changes);
        QVERIFY(monitor.history(0).size() >= 3); // b's, kept
        QCOMPARE(monitor.history(0).back().y(), 7.0);
        QTRY_VERIFY_WITH_TIMEOUT(monitor.latest() && monitor.latest()->readings.size() == 1, 5000);
        QCOMPARE(*monitor.latest()->readings[0].value, 7u);
    }

    // A name found by a listing in the monitor's thread; a name that exists nowhere is refused in words.
    void watchesByName()
    {
        const ipctest::TestSemaphore sem("mn", 1);
        QVERIFY(sem.ok());
        const std::string& name = sem.name();
        WatchMonitor monitor;
        QSignalSpy refused(&monitor, &WatchMonitor::refused);
        monitor.watchNamed(name);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.targets().size(), std::size_t(1), 5000);
        QCOMPARE(monitor.targets()[0].kind, SystemObjectKind::Semaphore);
        monitor.watchNamed(name + "-none");
        QTRY_COMPARE_WITH_TIMEOUT(refused.count(), 1, 5000);
        QVERIFY(refused.at(0).at(0).toString().contains("no queue, semaphore or segment is named"));
        monitor.watchNamed("jobs"); // no leading '/': said so, not searched for
        QTRY_COMPARE_WITH_TIMEOUT(refused.count(), 2, 5000);
        QVERIFY2(refused.at(1).at(0).toString().contains("is not an object's name"),
            qPrintable(refused.at(1).at(0).toString()));
        QCOMPARE(monitor.targets().size(), std::size_t(1));
    }

    // Rows keyed by pid and start time: a process listed again keeps its row (and a persistent index to it); one
    // gone is removed; a new one is inserted in pid order; a pid with another start time is another process.
    void processModelAppliesDiffs()
    {
        WatchedProcessModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        WatchUsers first;
        first.processes = { process(10, 1), process(20, 1, "mq_timedsend on /jobs (full)"), process(30, 1) };
        model.apply(first);
        QCOMPARE(model.rowCount(), 3);
        const QPersistentModelIndex twenty = model.index(1, 0);
        QCOMPARE(model.index(1, WatchedProcessModel::BlockedColumn).data().toString(),
            QStringLiteral("mq_timedsend on /jobs (full)"));
        QCOMPARE(model.index(0, WatchedProcessModel::BlockedColumn).data().toString(), QStringLiteral("none"));
        QCOMPARE(model.index(0, WatchedProcessModel::CpuColumn).data().toString(), QStringLiteral("…"));

        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        WatchUsers second;
        second.processes = { process(15, 1), process(20, 1), process(30, 2) };
        second.processes[1].cpuPercent = 12.5;
        second.processes[1].info.state = 'T';
        model.apply(second);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.rowCount(), 3);
        QVERIFY(twenty.isValid());
        QCOMPARE(twenty.row(), 1);
        QCOMPARE(model.index(1, WatchedProcessModel::CpuColumn).data().toString(), QStringLiteral("12.5"));
        QCOMPARE(model.index(1, WatchedProcessModel::StateColumn).data().toString(), QStringLiteral("stopped"));
        QCOMPARE(model.index(1, WatchedProcessModel::BlockedColumn).data().toString(), QStringLiteral("none: stopped"));
        QCOMPARE(model.process(0).pid, 15);
        QCOMPARE(model.process(2).info.startTicks, std::uint64_t(2));

        // A command line holding "%2" or rich text stays text in the confirmation's title.
        WatchedProcess odd = process(40, 1);
        odd.info.commandLine = "sh -c 'echo %2 <b>x</b>'";
        QCOMPARE(
            WatchedProcessModel::processTitle(odd), QStringLiteral("pid 40, sh -c 'echo %2 <b>x</b>' (owner ada)"));

        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestWatchMonitor)
#include "tst_watch_monitor.moc"

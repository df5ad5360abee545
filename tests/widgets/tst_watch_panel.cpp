// Watching another program's objects in the Live view, as a user meets it: real objects made here, a forked process
// asleep in mq_send on a full queue, the watch panel showing the queue's slots, the semaphore's value and the charts,
// the processes' tab showing the process with its call; pause, resume and kill only after a confirmation naming the
// process; the first bytes of a segment; and nothing disturbed (the messages are all still there, in order).
#include "test_support.h"

#include "../core/child_process.h"
#include "ipccore/system_process.h"
#include "model/watch_monitor.h"
#include "model/watched_process_model.h"
#include "widgets/main_window.h"
#include "widgets/object_view.h"
#include "widgets/system_view.h"
#include "widgets/watch_panel.h"
#include "widgets/watched_process_panel.h"

#include <QChartView>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QtTest>

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/mman.h>

using namespace ipcui;
using ipccore::SystemObjectKind;

namespace {

// The row of `pid` among the watched objects' processes, or -1.
int rowOf(const WatchedProcessModel* model, pid_t pid)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->process(r).pid == pid)
            return r;
    return -1;
}

char stateOf(pid_t pid)
{
    return ipccore::readProcessInfo(pid).state;
}

} // namespace

class TestWatchPanel : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase() { QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), "objects left behind"); }

    void showsAFullQueueAndWhoIsBlockedOnIt()
    {
        const std::string name = ipctest::uniqueName("wq");
        mq_attr attr {};
        attr.mq_maxmsg = 4;
        attr.mq_msgsize = 64;
        const mqd_t q = mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
        QVERIFY(q != mqd_t(-1));
        const auto cleanup = qScopeGuard([&] {
            mq_close(q);
            mq_unlink(name.c_str());
        });
        for (char c = 'a'; c < 'a' + 4; ++c)
            QCOMPARE(mq_send(q, &c, 1, 0), 0);
        // Forked before the panel's thread exists: a fifth message waits for room that never comes.
        const pid_t sender = ipctest::forkChild([&] {
            const char c = 'e';
            return mq_send(q, &c, 1, 0) == 0 ? 0 : 1;
        });
        QVERIFY(sender > 0);
        ipctest::ChildGuard guard(sender);
        QVERIFY(ipctest::waitUntilSleeping(sender));

        WatchPanel panel;
        panel.resize(1200, 600);
        panel.show();
        QSignalSpy changed(&panel, &WatchPanel::watchingChanged);
        panel.watch(SystemObjectKind::MessageQueue, name);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toBool(), true);
        panel.watch(SystemObjectKind::MessageQueue, name); // once is enough
        QCOMPARE(panel.monitor()->targets().size(), std::size_t(1));

        // The queue's card: 4 of 4 slots, full.
        QTRY_COMPARE_WITH_TIMEOUT(panel.queueCards()->objects().size(), std::size_t(1), 5000);
        const ipccore::ObjectStatus card = panel.queueCards()->objects().front();
        QCOMPARE(card.capacity, 4u);
        QCOMPARE(card.depth, std::int64_t(4));
        QCOMPARE(panel.queueCards()->figureText(0), QStringLiteral("4 / 4"));

        // The sender is listed with its command line and the call it sleeps in, and the queue's state.
        WatchedProcessModel* model = panel.processModel();
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, sender) >= 0, 5000);
        const int row = rowOf(model, sender);
        const QString blocked = model->index(row, WatchedProcessModel::BlockedColumn).data().toString();
        QVERIFY2(blocked == QStringLiteral("mq_timedsend on %1 (full)").arg(QString::fromStdString(name)),
            qPrintable(blocked));
        QVERIFY(model->index(row, WatchedProcessModel::CommandColumn).data().toString().contains("tst_watch_panel"));
        QCOMPARE(model->index(row, WatchedProcessModel::StateColumn).data().toString(), QStringLiteral("sleeping"));
        QVERIFY(model->index(row, WatchedProcessModel::UsesColumn)
                    .data()
                    .toString()
                    .contains(QString::fromStdString(name)));
        // CPU % from the second listing on.
        QTRY_VERIFY_WITH_TIMEOUT(model->process(rowOf(model, sender)).cpuPercent >= 0, 5000);

        // The depth chart draws the readings (the chart refreshes at most 5 times a second).
        QTRY_VERIFY_WITH_TIMEOUT(panel.chartPointCount(WatchPanel::DepthChart) >= 5, 5000);
        QVERIFY(panel.chartView(WatchPanel::DepthChart)->isVisible());
        QVERIFY(!panel.chartView(WatchPanel::ValueChart)->isVisible());

        // A message taken: the card follows.
        char buffer[64];
        QCOMPARE(mq_receive(q, buffer, sizeof buffer, nullptr), ssize_t(1));
        QCOMPARE(buffer[0], 'a');
        guard.release();
        QCOMPARE(ipctest::waitChild(sender), 0); // its message went in: full again
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, sender) < 0, 5000); // it exited
        QCOMPARE(mq_receive(q, buffer, sizeof buffer, nullptr), ssize_t(1));
        QCOMPARE(buffer[0], 'b');
        QTRY_COMPARE_WITH_TIMEOUT(panel.queueCards()->figureText(0), QStringLiteral("3 / 4"), 5000);

        // Nothing was taken by watching: the other three, in order.
        for (const char want : { 'c', 'd', 'e' }) {
            QCOMPARE(mq_receive(q, buffer, sizeof buffer, nullptr), ssize_t(1));
            QCOMPARE(buffer[0], want);
        }
        QTRY_COMPARE_WITH_TIMEOUT(panel.queueCards()->figureText(0), QStringLiteral("0 / 4"), 5000);

        // Removed: it reads "gone", and the card goes.
        QCOMPARE(mq_unlink(name.c_str()), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            panel.otherObjectsText().contains(QStringLiteral("%1: gone").arg(QString::fromStdString(name))), 5000);

        panel.stopWatching();
        QCOMPARE(changed.count(), 2);
        QCOMPARE(changed.at(1).at(0).toBool(), false);
        QCOMPARE(model->rowCount(), 0);
    }

    void showsASemaphoreValueAndASegmentsFirstBytes()
    {
        const ipctest::TestSemaphore semaphore("ws", 2);
        QVERIFY(semaphore.ok());
        sem_t* sem = semaphore.get();
        const std::string& semName = semaphore.name();
        const std::string shmName = ipctest::uniqueName("wm");
        const int fd = shm_open(shmName.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
        const auto cleanup = qScopeGuard([&] {
            if (fd >= 0)
                close(fd);
            shm_unlink(shmName.c_str());
        });
        QVERIFY(fd >= 0);
        const char hello[] = "Hello, watcher";
        QCOMPARE(ftruncate(fd, 4096), 0);
        QCOMPARE(pwrite(fd, hello, sizeof hello - 1, 0), ssize_t(sizeof hello - 1));

        WatchPanel panel;
        panel.resize(1200, 600);
        panel.show();
        panel.watch(SystemObjectKind::Semaphore, semName);
        panel.watch(SystemObjectKind::SharedMemory, shmName);
        const QString semText = QString::fromStdString(semName);
        QTRY_VERIFY_WITH_TIMEOUT(
            panel.otherObjectsText().contains(QStringLiteral("semaphore %1: value 2").arg(semText)), 5000);
        QVERIFY2(
            panel.otherObjectsText().contains(QStringLiteral("segment %1: 4 KiB").arg(QString::fromStdString(shmName))),
            qPrintable(panel.otherObjectsText()));
        QCOMPARE(sem_post(sem), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            panel.otherObjectsText().contains(QStringLiteral("semaphore %1: value 3").arg(semText)), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(panel.chartPointCount(WatchPanel::ValueChart) >= 5, 5000);
        // Once watched for 5 s, how fast the value moves: still, then 5 up at once reads +1.0/s for the next 5 s.
        QTRY_VERIFY_WITH_TIMEOUT(
            panel.otherObjectsText().contains(QStringLiteral("value 3, 0.0/s over the last 5 s")), 15000);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(sem_post(sem), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            panel.otherObjectsText().contains(QStringLiteral("value 8, +1.0/s over the last 5 s")), 4000);
        QVERIFY(!panel.chartView(WatchPanel::DepthChart)->isVisible());
        int value = -1;
        QCOMPARE(sem_getvalue(sem, &value), 0);
        QCOMPARE(value, 8); // never waited on or posted by the watch

        QSignalSpy peeked(panel.monitor(), &WatchMonitor::peeked);
        panel.monitor()->peekSegment(shmName, 16);
        QTRY_COMPARE_WITH_TIMEOUT(peeked.count(), 1, 5000);
        const QString dump = peeked.at(0).at(1).toString();
        QVERIFY2(dump.startsWith(QStringLiteral("00000000  48 65 6c 6c 6f 2c 20 77  61 74 63 68 65 72 00 00  "
                                                "|Hello, watcher..|")),
            qPrintable(dump));
        QVERIFY(peeked.at(0).at(2).toString().isEmpty());
        // A name that is gone: the problem, in words.
        panel.monitor()->peekSegment(shmName + "-missing");
        QTRY_COMPARE_WITH_TIMEOUT(peeked.count(), 2, 5000);
        QVERIFY2(peeked.at(1).at(2).toString().contains("no longer exists"), qPrintable(peeked.at(1).at(2).toString()));
    }

    // Pause, resume and kill reach the process only after a confirmation that names it; a refusal sends nothing.
    void actsOnAProcessOnlyAfterConfirmation()
    {
        const ipctest::TestSemaphore sem("wk", 0);
        QVERIFY(sem.ok());
        const std::string& name = sem.name();
        const pid_t sleeper = ipctest::forkChild([&] { return sem_wait(sem.get()) == 0 ? 0 : 1; });
        QVERIFY(sleeper > 0);
        ipctest::ChildGuard guard(sleeper);
        QVERIFY(ipctest::waitUntilSleeping(sleeper));

        WatchPanel panel;
        WatchedProcessPanel processes(panel.monitor(), panel.processModel());
        processes.resize(1200, 300);
        processes.show();
        QStringList asked;
        bool answer = false;
        processes.setConfirmer([&](const QString&, const QString& question) {
            asked << question;
            return answer;
        });
        QSignalSpy signalled(panel.monitor(), &WatchMonitor::signalled);
        panel.watch(SystemObjectKind::Semaphore, name);
        WatchedProcessModel* model = panel.processModel();
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, sleeper) >= 0, 5000);
        QCOMPARE(model->index(rowOf(model, sleeper), WatchedProcessModel::BlockedColumn).data().toString(),
            QStringLiteral("sem_wait on %1 (value 0)").arg(QString::fromStdString(name)));
        processes.table()->selectRow(rowOf(model, sleeper));

        // The actions wait for a selection.
        const auto kill = processes.findChild<QPushButton*>(QStringLiteral("killWatched"));
        QVERIFY(kill && kill->isEnabled());
        processes.table()->clearSelection();
        QVERIFY(!kill->isEnabled());
        processes.table()->selectRow(rowOf(model, sleeper));

        // Refused: nothing is sent.
        processes.signalSelected(SIGSTOP);
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked.front().contains(QStringLiteral("pid %1").arg(sleeper))
                && asked.front().contains("tst_watch_panel") && asked.front().contains("not one of IPC Lab"),
            qPrintable(asked.front()));
        QTest::qWait(300);
        QCOMPARE(signalled.count(), 0);
        QCOMPARE(stateOf(sleeper), 'S');

        answer = true;
        processes.signalSelected(SIGSTOP);
        QTRY_COMPARE_WITH_TIMEOUT(signalled.count(), 1, 5000);
        QCOMPARE(signalled.at(0).at(2).toString(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(sleeper), 'T', 5000);
        QTRY_COMPARE_WITH_TIMEOUT(
            model->index(rowOf(model, sleeper), WatchedProcessModel::StateColumn).data().toString(),
            QStringLiteral("stopped"), 5000);
        // Paused inside sem_wait, it waits for SIGCONT, not for the semaphore: said so.
        QCOMPARE(model->index(rowOf(model, sleeper), WatchedProcessModel::BlockedColumn).data().toString(),
            QStringLiteral("none: stopped (paused in sem_wait on %1 (value 0))").arg(QString::fromStdString(name)));

        processes.table()->selectRow(rowOf(model, sleeper));
        processes.signalSelected(SIGCONT);
        QTRY_COMPARE_WITH_TIMEOUT(signalled.count(), 2, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(sleeper), 'S', 5000);

        processes.table()->selectRow(rowOf(model, sleeper));
        processes.signalSelected(SIGKILL);
        QTRY_COMPARE_WITH_TIMEOUT(signalled.count(), 3, 5000);
        QVERIFY(asked.last().contains("SIGKILL"));
        guard.release();
        QCOMPARE(ipctest::waitChild(sleeper), 128 + SIGKILL);
        // Gone at the next listing, and with it the selection the actions need.
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, sleeper) < 0, 5000);
        QVERIFY(!kill->isEnabled());
    }

    // Each watched object holds a descriptor: past the limit, one message and nothing added.
    void refusesBeyondTheLimit()
    {
        WatchPanel panel;
        QSignalSpy errors(&panel, &WatchPanel::errorOccurred);
        for (std::size_t i = 0; i < ipccore::MaxWatchTargets; ++i)
            panel.watch(SystemObjectKind::SharedMemory, ipctest::uniqueName("absent"));
        QCOMPARE(errors.count(), 0);
        panel.watch(SystemObjectKind::SharedMemory, ipctest::uniqueName("absent"));
        QCOMPARE(errors.count(), 1);
        QVERIFY2(errors.at(0).at(0).toString().contains("stop watching one first"),
            qPrintable(errors.at(0).at(0).toString()));
        QCOMPARE(panel.monitor()->targets().size(), ipccore::MaxWatchTargets);
        // Names that exist nowhere read "gone" (and are followed once made).
        panel.show();
        QTRY_VERIFY_WITH_TIMEOUT(panel.otherObjectsText().count(QStringLiteral(": gone")) == 64, 5000);
    }

    // "Watch in Live view" in the System tab: the Live tab comes to the front with the object in its panel.
    void systemTabWatchOpensTheLiveView()
    {
        const ipctest::TestSemaphore sem("ww", 1);
        QVERIFY(sem.ok());
        const std::string& name = sem.name();
        // A user of it: forked with the semaphore mapped, asleep until killed.
        const pid_t holder = ipctest::forkChild([] {
            pause();
            return 0;
        });
        QVERIFY(holder > 0);
        ipctest::ChildGuard guard(holder);
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(!window.watchPanel()->isVisible());
        window.showSystem();
        SystemView* system = window.systemView();
        system->filterEdit()->setText(QString::fromStdString(name));
        QVERIFY(!system->watchButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(system->table()->model()->rowCount(), 1, 5000);
        system->table()->selectRow(0);
        QVERIFY(system->watchButton()->isEnabled());
        system->watchButton()->click();
        QCOMPARE(window.tabs()->tabText(window.tabs()->currentIndex()), QStringLiteral("Live"));
        QVERIFY(window.watchPanel()->isVisible());
        // The processes using it come in a tab of their own beside the run's processes, in front.
        QTabWidget* processTabs = window.processTabs();
        QCOMPARE(processTabs->currentWidget(), window.watchedProcessPanel());
        QTRY_COMPARE_WITH_TIMEOUT(processTabs->tabText(processTabs->currentIndex()),
            QStringLiteral("Processes of watched objects (1)"), 5000);
        // Room to be seen (it was sized while the System tab was in front), and again for a second object added
        // from there.
        QTRY_VERIFY_WITH_TIMEOUT(window.watchPanel()->height() > 300, 5000);
        window.showSystem();
        QTRY_VERIFY_WITH_TIMEOUT(system->table()->model()->rowCount() == 1, 5000);
        system->table()->selectRow(0);
        QVERIFY(system->watchSelected()); // the same object: nothing added, and the panel stays
        QTRY_VERIFY_WITH_TIMEOUT(window.watchPanel()->isVisible() && window.watchPanel()->height() > 300, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(window.watchPanel()->otherObjectsText().contains("value 1"), 5000);

        // A name that exists nowhere: one message that says so.
        QSignalSpy errors(&window, &MainWindow::errorShown);
        window.watchPanel()->monitor()->watchNamed(name + "-missing");
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 5000);
        QVERIFY2(errors.at(0).at(0).toString().contains("no queue, semaphore or segment is named"),
            qPrintable(errors.at(0).at(0).toString()));

        // The count follows the processes.
        guard.release();
        ::kill(holder, SIGKILL);
        QCOMPARE(ipctest::waitChild(holder), 128 + SIGKILL);
        QTRY_COMPARE_WITH_TIMEOUT(processTabs->tabText(processTabs->currentIndex()),
            QStringLiteral("Processes of watched objects (0)"), 5000);

        // Stopped: the tab goes, and the run's processes come back to the front.
        window.watchPanel()->stopWatching();
        QVERIFY(!window.watchPanel()->isVisible());
        QVERIFY(!processTabs->isTabVisible(processTabs->indexOf(window.watchedProcessPanel())));
        QCOMPARE(processTabs->currentIndex(), 0);
    }
};

QTEST_MAIN(TestWatchPanel)
#include "tst_watch_panel.moc"

// What the start-up cleanup removes of a dead run belongs in the run's Events, every line of it, at 0 s and before the
// run starts (it used to be shown only in the status bar, each line replacing the one before). The dead run is real:
// ipclab-cli killed with SIGKILL in the middle of a run leaves its objects behind.
#include "model/run_session.h"

#include "test_support.h"

#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ipcui;

namespace {
constexpr int TimeoutMs = 30000;
}

class TestCleanupEvents : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        // A private runtime directory, so no other test's cleanup removes the planted run before the session does.
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
    }

    void deadRunsCleanupLinesAreEvents()
    {
        // Plain fork and exec, not QProcess: Qt may start it with vfork, and ThreadSanitizer then marks this process
        // as a child of a multi-threaded fork and kills it when the session below starts its threads.
        const QByteArray cliPath = QFile::encodeName(ipctest::cliPath());
        const pid_t cli = fork();
        if (cli == 0) {
            execl(cliPath.constData(), cliPath.constData(), "run", "bounded-buffer-3x2", "--duration", "60",
                static_cast<char*>(nullptr));
            _exit(127);
        }
        QVERIFY(cli > 0);
        const QString deadPrefix = QStringLiteral("ipclab-%1-").arg(cli);
        const QDir runs(QString::fromStdString(ipccore::runtimeDirectory()));
        QTRY_VERIFY_WITH_TIMEOUT(
            runs.entryList({ QStringLiteral("%1-*").arg(cli) }, QDir::Dirs).size() == 1, TimeoutMs);
        // Every object of a shm-ring run (ring, its three semaphores, the board) shows in /dev/shm.
        QTRY_COMPARE_WITH_TIMEOUT(ipctest::leftoverObjects(deadPrefix).size(), 5, TimeoutMs);
        ::kill(cli, SIGKILL);
        int status = 0;
        QCOMPARE(waitpid(cli, &status, 0), cli);
        // A worker it was forking at that moment holds the run's lock until it execs or sees its parent gone (a
        // loaded machine can take a while to run it), and the cleanup leaves a locked run alone: the run is dead
        // only once nothing holds its lock.
        const QString runDir = runs.filePath(runs.entryList({ QStringLiteral("%1-*").arg(cli) }, QDir::Dirs).value(0));
        const auto lockFree = [&] {
            const int fd = ::open(QFile::encodeName(runDir + QStringLiteral("/lock")).constData(),
                O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            const bool unlocked = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0; // closing the file unlocks it
            if (fd >= 0)
                ::close(fd);
            return unlocked;
        };
        QTRY_VERIFY_WITH_TIMEOUT(lockFree(), TimeoutMs);
        const QStringList left = ipctest::leftoverObjects(deadPrefix);

        RunSession session;
        session.setWorkerPath(ipctest::workerPath());
        QStringList log; // events and the start, in the order the GUI thread gets them
        QList<double> cleanupTimes;
        connect(&session, &RunSession::eventLogged, this, [&](double t, int, const QString& text) {
            log << text;
            if (text.contains(deadPrefix))
                cleanupTimes << t;
        });
        connect(&session, &RunSession::runStarted, this, [&] { log << QStringLiteral("<started>"); });
        QSignalSpy notices(&session, &RunSession::notice);
        QSignalSpy started(&session, &RunSession::runStarted);
        auto scenario = ipccore::resolveScenario("producer-consumer-mq");
        QVERIFY(scenario);
        QVERIFY(session.start(*scenario));
        QVERIFY(started.wait(TimeoutMs));

        // One event per removed object, each naming it, all at 0 s and before the run started.
        const QStringList lines = log.filter(deadPrefix);
        qInfo("%s", qPrintable(log.join('\n')));
        QVERIFY2(lines.size() >= left.size(), qPrintable(log.join('\n')));
        for (const QString& path : left) {
            // "/dev/shm/sem.ipclab-1-x-buffer.empty" is the semaphore "/ipclab-1-x-buffer.empty"
            const QString name = path.section('/', -1).remove(QRegularExpression(QStringLiteral("^sem\\.")));
            QVERIFY2(!lines.filter("/" + name).isEmpty(), qPrintable(name + " in:\n" + log.join('\n')));
        }
        for (const double t : cleanupTimes)
            QCOMPARE(t, 0.0);
        QVERIFY2(log.indexOf(QStringLiteral("<started>")) > log.lastIndexOf(lines.last()), qPrintable(log.join('\n')));
        // The status bar only points there.
        bool pointed = false;
        for (const QList<QVariant>& notice : notices)
            pointed = pointed || notice.at(0).toString().contains(QStringLiteral("Events"));
        QVERIFY(pointed);
        QVERIFY(ipctest::leftoverObjects(deadPrefix).isEmpty());

        QSignalSpy stopped(&session, &RunSession::runStopped);
        session.stop();
        QVERIFY(stopped.wait(TimeoutMs));
    }

    void cleanupTestCase()
    {
        QVERIFY(QDir(m_runtime.path() + QStringLiteral("/ipclab"))
                    .entryList(QDir::NoDotAndDotDot | QDir::AllEntries)
                    .isEmpty());
    }

private:
    QTemporaryDir m_runtime;
};

QTEST_GUILESS_MAIN(TestCleanupEvents)
#include "tst_cleanup_events.moc"

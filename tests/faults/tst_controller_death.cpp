// A dead controller: SIGKILL of ipclab-cli in the middle of a run. Every worker must be gone within a second
// (PR_SET_PDEATHSIG), and the next start must remove that run's objects, say so, and touch nothing else.
#include "test_support.h"

#include "ipccore/runner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QtTest>

#include <csignal>

namespace {

// Processes whose command line mentions needle (the workers carry the run's object names in theirs), that are
// still running: a zombie has finished, only its parent has not collected it yet.
QList<int> livePidsMentioning(const QByteArray& needle)
{
    QList<int> pids;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool isPid = false;
        const int pid = entry.toInt(&isPid);
        if (!isPid)
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(needle) && ipctest::isRunning(pid))
            pids << pid;
    }
    return pids;
}

} // namespace

class TestControllerDeath : public QObject {
    Q_OBJECT
private slots:
    void killedCliTakesItsWorkersAlongAndNextStartCleansUp()
    {
        // A private runtime directory, so no other test's cleanup takes our dead run away before we look.
        QTemporaryDir runtime;
        QVERIFY(runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", runtime.path().toLocal8Bit());

        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
        cli.setProcessEnvironment(env);
        cli.start(ipctest::cliPath(),
            { QStringLiteral("run"), QStringLiteral("bounded-buffer-3x2"), QStringLiteral("--duration"),
                QStringLiteral("60") });
        QVERIFY(cli.waitForStarted());
        const QByteArray needle = QStringLiteral("/ipclab-%1-").arg(cli.processId()).toLocal8Bit();
        QTRY_COMPARE_WITH_TIMEOUT(livePidsMentioning(needle).size(), 5, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!ipctest::leftoverObjects(QString::fromLatin1(needle.mid(1))).isEmpty(), 30000);

        ::kill(pid_t(cli.processId()), SIGKILL);
        QVERIFY(cli.waitForFinished(5000));
        QElapsedTimer sinceKill;
        sinceKill.start();
        QTRY_VERIFY_WITH_TIMEOUT(livePidsMentioning(needle).isEmpty(), 30000);
        qInfo("all 5 workers gone %lld ms after the controller's SIGKILL", sinceKill.elapsed());
        QVERIFY2(sinceKill.elapsed() < 1000, "workers must exit within a second of their controller's death");

        // The dead run's objects are still there (nobody unlinked them)...
        const QStringList left = ipctest::leftoverObjects(QString::fromLatin1(needle.mid(1)));
        QVERIFY(!left.isEmpty());
        // ...and the next start finds and removes exactly those, naming each.
        // (It may also remove what other tests' killed benches left; only this run's lines are counted.)
        int ours = 0;
        for (const std::string& line : ipccore::cleanupStaleRuns())
            ours += QByteArray::fromStdString(line).contains(needle) ? 1 : 0;
        QCOMPARE(ours, left.size());
        QVERIFY(ipctest::leftoverObjects(QString::fromLatin1(needle.mid(1))).isEmpty());
        QVERIFY(QDir(runtime.path() + QStringLiteral("/ipclab"))
                    .entryList(QDir::NoDotAndDotDot | QDir::AllEntries)
                    .isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestControllerDeath)
#include "tst_controller_death.moc"

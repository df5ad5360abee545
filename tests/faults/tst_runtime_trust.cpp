// A hostile local user plants things in the runtime directory (it lives in /tmp when XDG_RUNTIME_DIR is unset)
// hoping that the victim's next cleanup or run removes a file of the victim's choice. Each variant is planted by
// another user ("nobody", through setpriv) where another user could plant it; the victim then runs
// cleanupStaleRuns() and ipclab-cli. The victim's files must survive unchanged, and the refusal must name the path
// and the owner. Needs root (to act as two users); skipped with the reason otherwise.
#include "test_support.h"

#include "ipccore/runner.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr const char* Precious = "the victim's data\n";

QStringList cleanupLines()
{
    QStringList lines;
    for (const std::string& line : ipccore::cleanupStaleRuns())
        lines << QString::fromStdString(line);
    // Only what concerns this test's runtime directory: objects of benches other tests killed may be removed too.
    return lines.filter(QString::fromStdString(ipccore::runtimeDirectory()));
}

bool writeFile(const QString& path, const QByteArray& data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

} // namespace

class TestRuntimeTrust : public QObject {
    Q_OBJECT

    QTemporaryDir m_base; // the victim's XDG_RUNTIME_DIR: root-owned, world-writable and sticky, like /tmp
    QString m_root; // m_base/ipclab, the runtime directory the victim's runs use
    QString m_victim; // a directory of the victim's files outside the runtime directory
    uid_t m_nobody = 0;

    // Runs a shell script as the user nobody, in m_base.
    void asNobody(const QString& script)
    {
        QProcess p;
        p.setWorkingDirectory(m_base.path());
        p.start(QStringLiteral("setpriv"),
            { QStringLiteral("--reuid=%1").arg(m_nobody), QStringLiteral("--regid=%1").arg(m_nobody),
                QStringLiteral("--clear-groups"), QStringLiteral("sh"), QStringLiteral("-euc"), script });
        QVERIFY(p.waitForFinished(10000));
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
            qPrintable(QString::fromLocal8Bit(p.readAllStandardError())));
    }

    // ipclab-cli with the victim's environment; returns exit code and stderr+stdout.
    std::pair<int, QString> cli(const QStringList& args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_base.path());
        const ipctest::ProgramResult r = ipctest::runProgram(ipctest::cliPath(), args, env);
        return { r.exitCode, r.out + r.err };
    }

    // The bench names planted by benchIgnoresSquattedPredictableNames, also when it failed half-way.
    static void removeSquattedNames()
    {
        QProcess::execute(QStringLiteral("find"),
            { QStringLiteral("/dev/shm"), QStringLiteral("-maxdepth"), QStringLiteral("1"), QStringLiteral("-user"),
                QStringLiteral("nobody"), QStringLiteral("-name"), QStringLiteral("ipclab-b*"),
                QStringLiteral("-delete") });
    }

    // Exactly the victim's files are there (none removed, none added) and each still holds its data.
    void verifyVictimIntact(const QStringList& extra = {})
    {
        QStringList expected
            = QStringList { QStringLiteral(".hidden"), QStringLiteral("important"), QStringLiteral("victim.fifo") }
            + extra;
        expected.sort();
        QStringList files = QDir(m_victim).entryList(QDir::Files | QDir::System | QDir::Hidden);
        files.sort();
        QCOMPARE(files, expected);
        for (const QString& f : files)
            if (f != QStringLiteral("victim.fifo")) // reading a FIFO would block
                QVERIFY2(readFile(m_victim + "/" + f) == Precious, qPrintable(m_victim + "/" + f + " was changed"));
    }

private slots:
    void initTestCase()
    {
        if (geteuid() != 0)
            QSKIP("planting files as another user needs root (setpriv to the user nobody); run the suite as root");
        const passwd* pw = getpwnam("nobody");
        if (!pw)
            QSKIP("there is no user 'nobody' to plant files as");
        if (QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty())
            QSKIP("setpriv (util-linux) is missing");
        m_nobody = pw->pw_uid;
        QVERIFY(m_base.isValid());
        QVERIFY(chmod(QFile::encodeName(m_base.path()).constData(), 01777) == 0);
        qputenv("XDG_RUNTIME_DIR", m_base.path().toLocal8Bit());
        m_root = m_base.path() + QStringLiteral("/ipclab");
        QCOMPARE(QString::fromStdString(ipccore::runtimeDirectory()), m_root);
    }

    void init()
    {
        if (QFileInfo(m_root).isSymLink())
            QVERIFY(QFile::remove(m_root));
        else
            QDir(m_root).removeRecursively();
        m_victim = m_base.path() + QStringLiteral("/victim");
        QDir(m_victim).removeRecursively();
        QVERIFY(QDir().mkpath(m_victim));
        QVERIFY(chmod(QFile::encodeName(m_victim).constData(), 0700) == 0);
        QVERIFY(writeFile(m_victim + "/important", Precious));
        QVERIFY(writeFile(m_victim + "/.hidden", Precious));
        QVERIFY(mkfifo(QFile::encodeName(m_victim + "/victim.fifo").constData(), 0600) == 0);
    }

    void cleanup()
    {
        if (QFileInfo(m_root).isSymLink())
            QFile::remove(m_root);
        QDir(m_root).removeRecursively();
        QDir(m_victim).removeRecursively();
        removeSquattedNames();
    }

    // Another user made the runtime directory before the victim's first run and filled it with a dead "run"
    // whose manifest points everywhere.
    void foreignOwnedRoot()
    {
        asNobody(
            QStringLiteral("mkdir -m 777 ipclab ipclab/1-ab && touch ipclab/1-ab/lock && chmod 666 ipclab/1-ab/lock\n"
                           "printf 'path %1/important\\npath ../../victim/important\\npath important\\n' "
                           "> ipclab/1-ab/manifest\n")
                .arg(m_victim));
        const QStringList lines = cleanupLines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains(m_root) && lines[0].contains(QStringLiteral("owned by uid %1").arg(m_nobody))
                && lines[0].contains("XDG_RUNTIME_DIR") && lines[0].contains("mktemp -d"),
            qPrintable(lines[0]));
        verifyVictimIntact();
        QVERIFY(QFile::exists(m_root + "/1-ab/manifest")); // not ours: not even the planted files are touched

        // The CLI says the same, once, and a run is refused before it creates anything.
        auto [code, out] = cli({ QStringLiteral("cleanup") });
        QCOMPARE(code, 1); // something was left alone
        QVERIFY2(out.contains(QStringLiteral("owned by uid %1").arg(m_nobody)), qPrintable(out));
        auto [runCode, runOut] = cli({ QStringLiteral("run"), QStringLiteral("producer-consumer-mq"),
            QStringLiteral("--duration"), QStringLiteral("1") });
        QCOMPARE(runCode, 2);
        QVERIFY2(runOut.contains(m_root) && runOut.contains("XDG_RUNTIME_DIR"), qPrintable(runOut));
        verifyVictimIntact();
    }

    // The victim's own runtime directory, but with a mode that lets others write in it: refused too, naming the
    // mode and the chmod that fixes it, and nothing in it is touched.
    void ownRootOthersMayWrite()
    {
        QVERIFY(QDir().mkpath(m_root + "/5-ab"));
        QVERIFY(chmod(QFile::encodeName(m_root).constData(), 0757) == 0);
        QVERIFY(writeFile(m_root + "/5-ab/lock", "1\n"));
        QVERIFY(writeFile(m_root + "/5-ab/manifest", "path important\n"));
        QVERIFY(writeFile(m_root + "/5-ab/important", Precious));
        const QStringList lines = cleanupLines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains("0757") && lines[0].contains("chmod 700 " + m_root), qPrintable(lines[0]));
        QCOMPARE(readFile(m_root + "/5-ab/important"), QByteArray(Precious));
        QVERIFY(QFile::exists(m_root + "/5-ab/manifest"));
        verifyVictimIntact();
    }

    // A victim who is not root cannot even open another user's 0700 directory under its name in /tmp (EACCES):
    // the refusal still names the owner and mode and the remedy. Here the victim is nobody and root plants.
    void foreignRootTheVictimCannotOpen()
    {
        const QString root = QStringLiteral("/tmp/ipclab-%1").arg(m_nobody);
        if (QFileInfo::exists(root))
            QSKIP("the user nobody has a runtime directory in /tmp already; not touching it");
        QTemporaryDir binaries;
        const QString cli = ipctest::copyForOtherUsers(ipctest::cliPath(), binaries.path());
        QVERIFY(!cli.isEmpty());
        QVERIFY(QDir().mkdir(root));
        QVERIFY(chmod(QFile::encodeName(root).constData(), 0700) == 0);
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(QStringLiteral("/"));
        p.start(QStringLiteral("setpriv"),
            { QStringLiteral("--reuid=%1").arg(m_nobody), QStringLiteral("--regid=%1").arg(m_nobody),
                QStringLiteral("--clear-groups"), cli, QStringLiteral("cleanup") });
        const bool finished = p.waitForFinished(30000);
        const QString out = QString::fromLocal8Bit(p.readAllStandardOutput() + p.readAllStandardError());
        QDir().rmdir(root);
        QVERIFY(finished);
        QVERIFY2(out.contains(root) && out.contains("owned by uid 0") && out.contains("mode 0700")
                && out.contains("XDG_RUNTIME_DIR"),
            qPrintable(out));
    }

    // The runtime directory is a symlink, planted by another user, to a directory of the victim that looks like
    // a dead run: following it would remove the victim's file.
    void symlinkedRoot()
    {
        QVERIFY(QDir().mkpath(m_victim + "/1-ab"));
        QVERIFY(writeFile(m_victim + "/1-ab/lock", Precious));
        QVERIFY(writeFile(m_victim + "/1-ab/manifest", "path important\n"));
        QVERIFY(writeFile(m_victim + "/1-ab/important", Precious));
        asNobody(QStringLiteral("ln -s %1 ipclab").arg(m_victim));
        const QStringList lines = cleanupLines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains("symbolic link") && lines[0].contains(m_victim), qPrintable(lines[0]));
        QCOMPARE(readFile(m_victim + "/1-ab/important"), QByteArray(Precious));
        QCOMPARE(readFile(m_victim + "/1-ab/manifest"), QByteArray("path important\n"));
        QDir(m_victim + "/1-ab").removeRecursively();
        verifyVictimIntact();

        auto [runCode, runOut] = cli({ QStringLiteral("run"), QStringLiteral("producer-consumer-fifo"),
            QStringLiteral("--duration"), QStringLiteral("1") });
        QCOMPARE(runCode, 2);
        QVERIFY2(runOut.contains("symbolic link"), qPrintable(runOut));
        QCOMPARE(QDir(m_victim).entryList(QDir::Dirs | QDir::NoDotAndDotDot), QStringList()); // no run made there
    }

    // The victim's private runtime directory holds a run folder owned by another user (handed over with chown,
    // since nobody else can write in a 0700 directory): it is not ours, so it is reported and left alone.
    void foreignOwnedRunFolder()
    {
        QVERIFY(QDir().mkpath(m_root));
        QVERIFY(chmod(QFile::encodeName(m_root).constData(), 0700) == 0);
        QVERIFY(QDir().mkpath(m_root + "/2-cd"));
        QVERIFY(chown(QFile::encodeName(m_root + "/2-cd").constData(), m_nobody, m_nobody) == 0);
        QVERIFY(chmod(QFile::encodeName(m_root).constData(), 0711) == 0); // so nobody can reach its folder
        asNobody(QStringLiteral("chmod 777 %1/2-cd && touch %1/2-cd/lock && chmod 666 %1/2-cd/lock\n"
                                "printf 'path %2/important\\n' > %1/2-cd/manifest\n")
                     .arg(m_root, m_victim));
        QVERIFY(chmod(QFile::encodeName(m_root).constData(), 0700) == 0);
        const QStringList lines = cleanupLines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains(m_root + "/2-cd") && lines[0].contains(QStringLiteral("uid %1").arg(m_nobody)),
            qPrintable(lines[0]));
        QVERIFY(QFile::exists(m_root + "/2-cd/manifest"));
        verifyVictimIntact();
    }

    // A run folder that is a symlink to a directory of the victim laid out like a dead run. Another user cannot
    // write in the victim's private runtime directory, so the test plants it itself: the link is still not followed.
    void symlinkedRunFolder()
    {
        QVERIFY(QDir().mkpath(m_root));
        QVERIFY(chmod(QFile::encodeName(m_root).constData(), 0700) == 0);
        QVERIFY(writeFile(m_victim + "/lock", Precious));
        QVERIFY(writeFile(m_victim + "/manifest", Precious));
        QVERIFY(QFile::link(m_victim, m_root + "/3-ef"));
        const QStringList lines = cleanupLines();
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains(m_root + "/3-ef") && lines[0].contains("symbolic link"), qPrintable(lines[0]));
        QVERIFY(QFileInfo(m_root + "/3-ef").isSymLink());
        verifyVictimIntact({ QStringLiteral("lock"), QStringLiteral("manifest") });
    }

    // A dead run of the victim's own whose manifest was tampered with: absolute paths, '..', a symlink inside the
    // run folder pointing outside, other prefixes. Only the run's own FIFO goes; every other line is reported.
    void manifestLinesOutsideTheRun()
    {
        QVERIFY(QDir().mkpath(m_root + "/4-0a"));
        QVERIFY(chmod(QFile::encodeName(m_root).constData(), 0700) == 0);
        QVERIFY(chmod(QFile::encodeName(m_root + "/4-0a").constData(), 0700) == 0);
        const QString run = m_root + "/4-0a";
        QVERIFY(writeFile(run + "/lock", "1\n"));
        QVERIFY(mkfifo(QFile::encodeName(run + "/jobs.fifo").constData(), 0600) == 0);
        QVERIFY(QFile::link(m_victim + "/important", run + "/link.fifo"));
        const QByteArray manifest = "path " + QFile::encodeName(m_victim) + "/important\n"
            + "path ../../victim/important\n" + "path ../victim/.hidden\n" + "path " + QFile::encodeName(run)
            + "/../../victim/victim.fifo\n" + "path link.fifo\n" + "path .\n" + "shm /ipclab-9-ff-board\n"
            + "sem /../victim\n" + "file important\n" + "path jobs.fifo\n";
        QVERIFY(writeFile(run + "/manifest", manifest));

        const QStringList lines = cleanupLines();
        const QStringList refused = lines.filter(QStringLiteral("left alone the manifest line"));
        QCOMPARE(refused.size(), 9);
        QVERIFY2(lines.filter(QStringLiteral("removed path %1/jobs.fifo").arg(run)).size() == 1,
            qPrintable(lines.join('\n')));
        QVERIFY2(refused.filter("symbolic link").size() == 1, qPrintable(refused.join('\n')));
        QVERIFY(lines.filter("kept the folder").size() == 1); // the planted symlink is still in it
        QVERIFY(!QFileInfo::exists(run + "/jobs.fifo"));
        QVERIFY(QFileInfo(run + "/link.fifo").isSymLink());
        verifyVictimIntact();
    }

    // The bench used to name its objects "/ipclab-b<pid>-<n>-<tag>": another user who made those names for the next
    // pids in advance made every bench fail with EEXIST. Its names now carry a random part, so squatting the
    // predictable names of the next few hundred pids changes nothing, and none of the squatter's files is removed.
    void benchIgnoresSquattedPredictableNames()
    {
        QFile lastPid(QStringLiteral("/proc/sys/kernel/ns_last_pid"));
        QVERIFY(lastPid.open(QIODevice::ReadOnly));
        const int last = lastPid.readAll().trimmed().toInt();
        QVERIFY(last > 0);
        constexpr int Pids = 1000; // the bench's pid must fall among them, whatever else runs meanwhile
        const QString squat = QStringLiteral("ipclab-b$p-$n-");
        // Shell built-ins only (": >"), so the squatter uses up no pids itself.
        asNobody(QStringLiteral("p=%1; while [ $p -le %2 ]; do for n in 0 1 2 3 4 5; do "
                                ": > /dev/shm/%3q; : > /dev/shm/%3board; : > /dev/shm/%3ping; : > /dev/shm/%3pong; "
                                "done; p=$((p+1)); done")
                     .arg(last + 1)
                     .arg(last + Pids)
                     .arg(squat));
        const QStringList planted = ipctest::leftoverObjects(QStringLiteral("ipclab-b%1-0-q").arg(last + 150));
        QCOMPARE(planted.size(), 1);
        QProcess bench;
        bench.start(ipctest::cliPath(),
            { QStringLiteral("bench"), QStringLiteral("--transports"), QStringLiteral("shm-spsc,shm-ring"),
                QStringLiteral("--sizes"), QStringLiteral("64"), QStringLiteral("--messages"), QStringLiteral("2000"),
                QStringLiteral("--repeat"), QStringLiteral("1"), QStringLiteral("--pings"), QStringLiteral("100"),
                QStringLiteral("--no-python"), QStringLiteral("--no-observation") });
        QVERIFY(bench.waitForStarted());
        const qint64 benchPid = bench.processId();
        QVERIFY(bench.waitForFinished(60000));
        const int code = bench.exitCode();
        const QString out = QString::fromLocal8Bit(bench.readAllStandardOutput() + bench.readAllStandardError());
        int squatted = 0;
        for (const QString& f : ipctest::leftoverObjects(QStringLiteral("ipclab-b")))
            squatted += QFileInfo(f).ownerId() == m_nobody ? 1 : 0;
        removeSquattedNames();
        QVERIFY2(code == 0, qPrintable(out));
        if (benchPid > last + Pids)
            QSKIP("the bench's pid fell outside the squatted range (many processes started meanwhile)");
        QCOMPARE(squatted, Pids * 6 * 4);
    }
};

QTEST_GUILESS_MAIN(TestRuntimeTrust)
#include "tst_runtime_trust.moc"

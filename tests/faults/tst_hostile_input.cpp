// Hostile input to 'ipclab-cli run': a FIFO with no writer, /dev/zero, a directory, a socket, a huge file, an
// object too large for its cap or for /dev/shm, NaN and infinite options, and report files named for a run that is
// refused. Each runs the real CLI as a child process and must end with exit status 2 and one line on stderr that
// names the problem, within 2 s, under 50 MB of peak memory, leaving no IPC object, run folder or report file.
#include "test_support.h"

#include "ipccore/scenario.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

using namespace std::chrono_literals;

// A refusal must come this fast; a child still running at the hard limit is killed and the row fails.
constexpr double GoalSeconds = 2.0;
constexpr std::chrono::milliseconds HardLimit = 10s;
// A refusal may take this much memory beyond what the same program takes to print its version: the input is never
// read whole, whatever its size. Relative, because a sanitizer's shadow memory and quarantine add some 45 MiB to
// any start.
constexpr long HeadroomKiB = 20 * 1024;

struct ChildResult {
    QString failure; // why the child could not be run at all
    bool killed = false; // still running at the limit
    int exitCode = -1; // -1 when killed by a signal
    qint64 pid = 0;
    double elapsedS = 0;
    long maxRssKiB = 0; // from wait4: the child and any children it reaped (see runMeasured)
    QByteArray out;
    QByteArray err;
};

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// fork/exec with stdout and stderr in files (a child flooding them cannot stall on a full pipe), waited for on a
// pidfd with a deadline, reaped with wait4 for its peak resident set size.
ChildResult runChild(const QString& program, const QStringList& args, const QStringList& env, const QString& scratch,
    std::chrono::milliseconds limit = HardLimit)
{
    ChildResult r;
    const QString outPath = scratch + "/child.out";
    const QString errPath = scratch + "/child.err";
    const int outFd = open(QFile::encodeName(outPath).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int errFd = open(QFile::encodeName(errPath).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (outFd < 0 || errFd < 0) {
        r.failure = "cannot create the output files in " + scratch;
        return r;
    }

    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    std::vector<std::string> argStrings { program.toStdString() };
    for (const QString& a : args)
        argStrings.push_back(a.toStdString());
    std::vector<std::string> envStrings;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const std::string key = entry.substr(0, entry.find('=') + 1);
        bool replaced = false;
        for (const QString& extra : env)
            replaced = replaced || extra.toStdString().starts_with(key);
        if (!replaced)
            envStrings.push_back(entry);
    }
    for (const QString& extra : env)
        envStrings.push_back(extra.toStdString());
    std::vector<char*> argv, envp;
    for (std::string& a : argStrings)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : envStrings)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(outFd, STDOUT_FILENO);
        dup2(errFd, STDERR_FILENO);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    close(outFd);
    close(errFd);
    if (pid < 0) {
        r.failure = QString("fork failed: ") + strerror(errno);
        return r;
    }
    r.pid = pid;

    const int pidFd = int(syscall(SYS_pidfd_open, pid, 0));
    if (pidFd < 0) {
        kill(pid, SIGKILL);
        r.failure = QString("pidfd_open failed: ") + strerror(errno);
    } else {
        const auto deadline = start + limit;
        for (;;) {
            const auto left
                = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd p { pidFd, POLLIN, 0 };
            const int n = left.count() > 0 ? poll(&p, 1, int(left.count())) : 0;
            if (n > 0)
                break;
            if (n < 0 && errno == EINTR)
                continue;
            r.killed = true;
            kill(pid, SIGKILL);
            break;
        }
        close(pidFd);
    }
    r.elapsedS = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int status = 0;
    rusage usage {};
    pid_t got;
    do {
        got = wait4(pid, &status, 0, &usage);
    } while (got < 0 && errno == EINTR);
    if (got == pid && WIFEXITED(status))
        r.exitCode = WEXITSTATUS(status);
    r.maxRssKiB = usage.ru_maxrss;
    r.out = readFile(outPath);
    r.err = readFile(errPath);
    return r;
}

QByteArray scenarioWithObject(const QByteArray& object)
{
    return R"({ "name": "hostile", "objects": [ )" + object + R"( ],
               "workers": [ { "name": "p", "role": "producer", "object": "o" },
                            { "name": "c", "role": "consumer", "object": "o" } ] })";
}

} // namespace

class TestHostileInput : public QObject {
    Q_OBJECT

    QTemporaryDir m_inputs; // the hostile paths
    QTemporaryDir m_outputs; // where --json and --csv point: must stay empty after every refusal
    QTemporaryDir m_runtime; // XDG_RUNTIME_DIR of the children, so a run folder left behind is seen
    long m_baseRssKiB = 0; // `ipclab-cli --version`'s peak memory, measured as the refusals are
    long maxRssKiB() const { return m_baseRssKiB + HeadroomKiB; }
    QTemporaryDir m_scratch; // the children's stdout and stderr

    QString input(const QString& name) const { return m_inputs.filePath(name); }
    QString output(const QString& name) const { return m_outputs.filePath(name); }

    bool writeFile(const QString& path, const QByteArray& content)
    {
        QFile f(path);
        return f.open(QIODevice::WriteOnly) && f.write(content) == content.size();
    }

    // The program run through peak_rss (peak_rss.cpp), whose report gives the program's own peak memory and pid:
    // some kernels count in a child's ru_maxrss the pages it shared with this large test process at fork.
    ChildResult runMeasured(const QString& program, const QStringList& args, const QStringList& env = {})
    {
        const QString reportPath = m_scratch.filePath("peak.txt");
        QFile::remove(reportPath);
        ChildResult r = runChild(IPCLAB_PEAK_RSS, QStringList { reportPath, program } + args, env, m_scratch.path());
        const QList<QByteArray> report = readFile(reportPath).trimmed().split(' ');
        if (r.failure.isEmpty() && !r.killed && report.size() != 2)
            r.failure = "peak_rss wrote no report";
        if (report.size() == 2) {
            r.maxRssKiB = report[0].toLong();
            r.pid = report[1].toLongLong();
        }
        return r;
    }

    ChildResult runCli(const QStringList& args, const QStringList& env = {})
    {
        return runMeasured(ipctest::cliPath(), args, QStringList { "XDG_RUNTIME_DIR=" + m_runtime.path() } + env);
    }

    // Exit 2, one line naming the problem and the remedy, nothing on stdout, fast and small, nothing left behind.
    void verifyRefused(const ChildResult& r, const QString& names, const QString& remedy)
    {
        QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
        // The figures the goals are about, in the log of every run.
        qInfo("exit %d in %.3f s, peak memory %ld KiB", r.exitCode, r.elapsedS, r.maxRssKiB);
        QVERIFY2(!r.killed, qPrintable(QString("still running after %1 s; killed").arg(r.elapsedS)));
        QVERIFY2(r.exitCode == 2, qPrintable(QString("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.endsWith('\n') && r.err.count('\n') == 1, qPrintable("not one line: " + r.err));
        QVERIFY2(r.err.startsWith("ipclab-cli: "), r.err.constData());
        QVERIFY2(r.err.contains(names.toUtf8()), r.err.constData());
        QVERIFY2(r.err.contains(remedy.toUtf8()), r.err.constData());
        QVERIFY2(r.out.isEmpty(), r.out.constData());
        QVERIFY2(r.elapsedS < GoalSeconds,
            qPrintable(QString("took %1 s; the goal is %2 s").arg(r.elapsedS).arg(GoalSeconds)));
        QVERIFY2(r.maxRssKiB > 0 && r.maxRssKiB < maxRssKiB(),
            qPrintable(QString("peak memory %1 KiB; the limit is %2 KiB (`--version` took %3 KiB)")
                           .arg(r.maxRssKiB)
                           .arg(maxRssKiB())
                           .arg(m_baseRssKiB)));
        const QStringList objects = ipctest::leftoverObjects(QStringLiteral("ipclab-%1-").arg(r.pid));
        QVERIFY2(objects.isEmpty(), qPrintable(objects.join(", ")));
        const QStringList runs = QDir(m_runtime.filePath("ipclab")).entryList({ QStringLiteral("%1-*").arg(r.pid) });
        QVERIFY2(runs.isEmpty(), qPrintable(runs.join(", ")));
        const QStringList files
            = QDir(m_outputs.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
        QVERIFY2(files.isEmpty(), qPrintable("left in the output directory: " + files.join(", ")));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_inputs.isValid() && m_outputs.isValid() && m_runtime.isValid() && m_scratch.isValid());
        QVERIFY2(QFileInfo(ipctest::cliPath()).isExecutable(), qPrintable(ipctest::cliPath()));
        const ChildResult base = runCli({ "--version" });
        QVERIFY2(base.failure.isEmpty() && base.exitCode == 0 && base.maxRssKiB > 0, qPrintable(base.failure));
        m_baseRssKiB = base.maxRssKiB;
        qInfo("ipclab-cli --version: peak memory %ld KiB; a refusal may take %ld KiB", m_baseRssKiB, maxRssKiB());

        QVERIFY(mkfifo(QFile::encodeName(input("fifo.json")).constData(), 0600) == 0);
        QVERIFY(QDir().mkdir(input("dir.json")));
        QVERIFY(symlink("/dev/zero", QFile::encodeName(input("zero.json")).constData()) == 0);

        // A socket file stays after its descriptor is closed; nobody listens, so opening it would fail (ENXIO).
        const int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(sock >= 0);
        sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        const QByteArray sockPath = QFile::encodeName(input("socket.json"));
        QVERIFY(std::size_t(sockPath.size()) < sizeof addr.sun_path);
        std::memcpy(addr.sun_path, sockPath.constData(), std::size_t(sockPath.size()));
        QVERIFY(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        close(sock);

        // Largest+1: whitespace, so only the size can be what is refused.
        QVERIFY(writeFile(input("big.json"), QByteArray(int(ipccore::ScenarioLimits::MaxFileBytes) + 1, ' ')));
        // 64 GiB that occupy no disk: a size the reader must believe before it reads.
        QFile huge(input("huge.json"));
        QVERIFY(huge.open(QIODevice::WriteOnly) && huge.resize(qint64(64) << 30));
        huge.close();

        QVERIFY(writeFile(input("ring.json"),
            scenarioWithObject(
                R"({ "name": "o", "transport": "shm-ring", "capacity": 4096, "message_size": 1048576 })")));
        QVERIFY(writeFile(input("spsc.json"),
            scenarioWithObject(
                R"({ "name": "o", "transport": "shm-spsc", "capacity": 4096, "message_size": 65600 })")));
        // 4 MiB: under the per-object cap, over the 1 MiB /dev/shm of shmLargerThanFreeSpaceIsRefused.
        QVERIFY(writeFile(input("ring4m.json"),
            scenarioWithObject(R"({ "name": "o", "transport": "shm-ring", "capacity": 4, "message_size": 1048576 })")));
    }

    void cleanupTestCase() { QVERIFY(ipctest::leftoversOfThisProcess().isEmpty()); }

    // The measurements themselves must be able to fail: a hang is killed, a flood is seen in ru_maxrss.
    void harnessSeesHangsAndFloods()
    {
        const ChildResult hang
            = runChild("/bin/sh", { "-c", "exec cat \"$0\"", input("fifo.json") }, {}, m_scratch.path(), 300ms);
        QVERIFY2(hang.failure.isEmpty(), qPrintable(hang.failure));
        QVERIFY2(hang.killed, "cat on a FIFO without writer should block in open");

        // Measured the way the refusals are: 80 MB held is seen, and so is how little /bin/true takes.
        const ChildResult flood
            = runMeasured("/bin/sh", { "-c", "x=$(head -c 80000000 /dev/zero | tr '\\0' a); echo ${#x}" });
        QVERIFY2(flood.failure.isEmpty(), qPrintable(flood.failure));
        QCOMPARE(flood.out.trimmed(), QByteArray("80000000"));
        QVERIFY2(
            flood.maxRssKiB > maxRssKiB(), qPrintable(QString("80 MB held, %1 KiB measured").arg(flood.maxRssKiB)));
        const ChildResult small = runMeasured("/bin/true", {});
        QVERIFY2(small.failure.isEmpty(), qPrintable(small.failure));
        QVERIFY2(small.maxRssKiB > 0 && small.maxRssKiB < maxRssKiB() / 2,
            qPrintable(QString("/bin/true measured %1 KiB").arg(small.maxRssKiB)));
    }

    void refused_data()
    {
        QTest::addColumn<QStringList>("args"); // after "run"
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("names"); // what the message must say is wrong
        QTest::addColumn<QString>("remedy"); // and what it must say to do

        const QString giveFile = "Give the path of a scenario .json file";
        QTest::newRow("FIFO without writer")
            << QStringList { input("fifo.json") } << QStringList() << "is a FIFO (named pipe)" << giveFile;
        QTest::newRow("/dev/zero") << QStringList { "/dev/zero" } << QStringList() << "is a character device"
                                   << giveFile;
        QTest::newRow("symlink to /dev/zero")
            << QStringList { input("zero.json") } << QStringList() << "is a character device" << giveFile;
        QTest::newRow("directory") << QStringList { input("dir.json") } << QStringList() << "is a directory"
                                   << giveFile;
        QTest::newRow("Unix socket") << QStringList { input("socket.json") } << QStringList() << "is a Unix socket"
                                     << giveFile;
        QTest::newRow("1 MiB + 1 byte") << QStringList { input("big.json") } << QStringList() << "1048577 bytes"
                                        << "at most 1 MiB";
        QTest::newRow("64 GiB sparse file") << QStringList { input("huge.json") } << QStringList() << "64 GiB"
                                            << "at most 1 MiB";
        QTest::newRow("ring 4096 x 1 MiB")
            << QStringList { input("ring.json") } << QStringList() << "objects[0].capacity: 4096 slots"
            << "one object may take at most 256 MiB";
        QTest::newRow("spsc 4096 x 64 KiB + 64")
            << QStringList { input("spsc.json") } << QStringList() << "objects[0].capacity"
            << "a smaller objects[0].message_size";

        for (const char* value : { "nan", "-nan", "inf", "-inf", "-1", "0", "0.5", "1001", "1e999", "", "50x" })
            QTest::addRow("--sample-hz '%s'", value) << QStringList { "producer-consumer-mq", "--sample-hz", value }
                                                     << QStringList() << "--sample-hz: '" + QString(value) + "'"
                                                     << "from 1 to 1000 Hz";
        for (const char* value : { "nan", "inf", "-1", "0", "86401", "1e999", "" })
            QTest::addRow("--duration '%s'", value) << QStringList { "producer-consumer-mq", "--duration", value }
                                                    << QStringList() << "--duration: '" + QString(value) + "'"
                                                    << "Example: --duration 3";

        // Report files named for a run that is then refused: neither may appear (verifyRefused lists the directory).
        QTest::newRow("--json, then a bad option")
            << QStringList { "producer-consumer-mq", "--json", output("r.json"), "--sample-hz", "nan" } << QStringList()
            << "--sample-hz"
            << "from 1 to 1000 Hz";
        QTest::newRow("--json and --csv, then a scenario too large")
            << QStringList { input("ring.json"), "--json", output("r.json"), "--csv", output("r.csv") } << QStringList()
            << "objects[0].capacity"
            << "at most 256 MiB";
        QTest::newRow("--json and --csv, then no worker program")
            << QStringList { "producer-consumer-mq", "--json", output("r.json"), "--csv", output("r.csv") }
            << QStringList { "IPCLAB_WORKER=/nonexistent/ipclab-worker" } << "/nonexistent/ipclab-worker"
            << "set IPCLAB_WORKER";
        QTest::newRow("--json into a directory") << QStringList { "producer-consumer-mq", "--json", m_outputs.path() }
                                                 << QStringList() << "it is a directory"
                                                 << "Give a file name inside it";
        QTest::newRow("--csv into a missing directory")
            << QStringList { "producer-consumer-mq", "--csv", output("missing/r.csv") } << QStringList()
            << "does not exist"
            << "Create it";
    }

    void refused()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, env);
        QFETCH(QString, names);
        QFETCH(QString, remedy);
        const ChildResult r = runCli(QStringList { "run" } + args, env);
        verifyRefused(r, names, remedy);
    }

    // An existing report is neither truncated nor replaced by a run that is refused.
    void refusedRunKeepsExistingReports()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString json = dir.filePath("r.json");
        const QString csv = dir.filePath("r.csv");
        QVERIFY(writeFile(json, "old report\n"));
        QVERIFY(writeFile(csv, "old series\n"));
        const ChildResult r = runCli({ "run", input("ring.json"), "--json", json, "--csv", csv });
        verifyRefused(r, "objects[0].capacity", "at most 256 MiB");
        QCOMPARE(readFile(json), QByteArray("old report\n"));
        QCOMPARE(readFile(csv), QByteArray("old series\n"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).size(), 2);
    }

    // A ring within the per-object cap but larger than the free space of /dev/shm. The CLI runs in a private mount
    // namespace over a 1 MiB tmpfs, so the real /dev/shm is never filled; the shell lists what the CLI left there.
    void shmLargerThanFreeSpaceIsRefused()
    {
        const ChildResult probe = runChild("/usr/bin/unshare", { "-m", "true" }, {}, m_scratch.path());
        if (!probe.failure.isEmpty() || probe.exitCode != 0)
            QSKIP("a private /dev/shm needs unshare -m (root or CAP_SYS_ADMIN)");
        const QString script = "mount -t tmpfs -o size=1m tmpfs /dev/shm || exit 77; \"$@\"; rc=$?; "
                               "ls -A /dev/shm | sed 's/^/left behind: /' >&2; exit $rc";
        const ChildResult r = runMeasured("/usr/bin/unshare",
            { "-m", "/bin/sh", "-c", script, "sh", ipctest::cliPath(), "run", input("ring4m.json"), "--json",
                output("r.json") },
            { "XDG_RUNTIME_DIR=" + m_runtime.path() });
        if (r.exitCode == 77)
            QSKIP("mounting a tmpfs in the private namespace failed");
        verifyRefused(r, "objects[0].capacity: this shm-ring needs 4", "but /dev/shm has only 1 MiB");
    }
};

QTEST_GUILESS_MAIN(TestHostileInput)
#include "tst_hostile_input.moc"

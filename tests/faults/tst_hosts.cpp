// Worker hosts' link (ipclab-cli host): key pairs, a host that lets in only the controllers it was given keys for,
// and a ping that proves the link and estimates the clocks' offset. Real processes and real TCP: over loopback
// always, and across two network namespaces joined by a veth pair when the test may make them (root with
// `ip netns`; skipped with the reason otherwise), using only addresses inside those namespaces.
#include "test_support.h"

#include "ipccore/host.h"
#include "ipccore/limits.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <csignal>
#include <functional>
#include <memory>

namespace {

mode_t modeOf(const QString& path)
{
    struct stat st { };
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_mode & 07777 : 0;
}

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

// Starts `all` (program first) in `process`, which the kernel kills if this test process dies (PR_SET_PDEATHSIG, kept
// across `ip netns exec`'s exec), so a crashed test leaves no host or watch running.
// `ownGroup`: in a process group of its own, as a program started from a shell is, so that a Ctrl-C there can be
// sent as the terminal sends it, to the whole group.
void startTiedToThisTest(QProcess& process, QStringList all, bool ownGroup = false)
{
    process.setChildProcessModifier([ownGroup] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (ownGroup)
            ::setpgid(0, 0);
    });
    process.start(all.takeFirst(), all);
}

// The processes whose parent is `parent`, from /proc/PID/stat (its 4th field, after the name in parentheses).
QList<pid_t> childrenOf(pid_t parent)
{
    QList<pid_t> children;
    for (const QString& entry : QDir("/proc").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool number = false;
        const pid_t pid = pid_t(entry.toInt(&number));
        if (!number)
            continue;
        QFile stat("/proc/" + entry + "/stat");
        if (!stat.open(QIODevice::ReadOnly))
            continue; // it ended meanwhile
        const QByteArray text = stat.readAll();
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toInt() == parent)
            children << pid;
    }
    return children;
}

// A host process (ipclab-cli host --listen), optionally run through a prefix such as "ip netns exec NS"; killed
// when it goes out of scope.
class Host {
public:
    Host(const QStringList& prefix, const QStringList& args, bool ownGroup = false)
    {
        QStringList all = prefix;
        all << ipctest::cliPath() << QStringLiteral("host") << args;
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        startTiedToThisTest(m_process, all, ownGroup);
    }
    ~Host()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    // The endpoint the host printed ("listening on tcp://..."), empty when it did not start listening in 10 s.
    QString endpoint()
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000) {
            m_out += m_process.readAllStandardOutput();
            for (const QByteArray& line : m_out.split('\n'))
                if (line.startsWith("listening on "))
                    return QString::fromUtf8(line.split(' ').value(2));
            if (!m_process.waitForReadyRead(200) && m_process.state() == QProcess::NotRunning)
                break;
        }
        return {};
    }
    // Everything the host printed so far (reading for up to `ms`).
    QString output(int ms = 0)
    {
        m_process.waitForReadyRead(ms);
        m_out += m_process.readAllStandardOutput();
        return QString::fromUtf8(m_out) + QString::fromUtf8(m_process.readAllStandardError());
    }
    QProcess& process() { return m_process; }

private:
    QProcess m_process;
    QByteArray m_out;
};

// A live link (ipclab-cli host --ping ... --watch --json), read line by line; killed when it goes out of scope.
class LinkWatch {
public:
    LinkWatch(const QStringList& prefix, const QStringList& args)
    {
        QStringList all = prefix;
        all << ipctest::cliPath() << QStringLiteral("host") << args << "--watch"
            << "--json";
        startTiedToThisTest(m_process, all);
    }
    ~LinkWatch()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    // Waits up to `ms` for a line in `state` ("up", "lost", "connecting"); the milliseconds it took, or -1.
    qint64 waitFor(const QString& state, int ms)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < ms) {
            while (m_process.canReadLine()) {
                const QByteArray line = m_process.readLine();
                m_lines << QString::fromUtf8(line).trimmed();
                if (QJsonDocument::fromJson(line).object().value("state").toString() == state)
                    return timer.elapsed();
            }
            if (m_process.state() == QProcess::NotRunning)
                return -1;
            m_process.waitForReadyRead(50);
        }
        return -1;
    }
    QString lines() { return m_lines.join('\n') + '\n' + QString::fromUtf8(m_process.readAllStandardError()); }
    // Reads past what it printed so far (a line a second), so the next waitFor sees only what comes after.
    void skipPrinted()
    {
        m_process.waitForReadyRead(10);
        while (m_process.canReadLine())
            m_lines << QString::fromUtf8(m_process.readLine()).trimmed();
    }
    QProcess& process() { return m_process; }

private:
    QProcess m_process;
    QStringList m_lines;
};

// Reads `process`'s output lines into `seen` until one contains `needle`; the milliseconds it took, or -1 when the
// process ended or `ms` passed first.
qint64 waitForLine(QProcess& process, const QString& needle, int ms, QStringList& seen)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms) {
        while (process.canReadLine()) {
            seen << QString::fromUtf8(process.readLine()).trimmed();
            if (seen.back().contains(needle))
                return timer.elapsed();
        }
        if (process.state() == QProcess::NotRunning)
            return -1;
        process.waitForReadyRead(50);
    }
    return -1;
}

QJsonObject readJson(const QString& path)
{
    return QJsonDocument::fromJson(readFile(path)).object();
}

// The entry named `name` of a report's "workers" or "objects".
QJsonObject entry(const QJsonObject& report, const char* list, const QString& name)
{
    for (const QJsonValue& v : report.value(QLatin1String(list)).toArray())
        if (v.toObject().value("name").toString() == name)
            return v.toObject();
    return {};
}

// The IPC objects a process of this pid made and left behind (the runner's names start "ipclab-PID-"). A pid of 0
// (QProcess::processId() once the process has finished) is listed as a leftover itself: it would check nothing.
QStringList leftBy(qint64 pid)
{
    if (pid <= 0)
        return { "(no pid: asked after the process ended)" };
    return ipctest::leftoverObjects("ipclab-" + QString::number(pid) + "-");
}
QStringList leftBy(const QString& pid)
{
    return leftBy(pid.toLongLong());
}

} // namespace

class TestHosts : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    void* m_context = nullptr;
    void* m_dealer = nullptr;
    QString key(const QString& name) const { return m_dir.filePath(name); }

    ipctest::ProgramResult cli(const QStringList& args, const QStringList& prefix = {})
    {
        QStringList all = prefix;
        all << ipctest::cliPath() << QStringLiteral("host") << args;
        const QString program = all.takeFirst();
        return ipctest::runProgram(program, all);
    }
    QStringList hostArgs(const QString& listen) const
    {
        return { "--listen", listen, "--key", key("host.key"), "--allow", key("controller.pub") };
    }
    // A scenario with a queue here and one on host "lab2" at `endpoint`, each with a producer and a consumer; with
    // `count`, each producer sends that many messages and the run ends by itself. Returns the file's path.
    QString twoMachineScenario(
        const QString& endpoint, int count, const QString& controller = "controller", int thereCapacity = 8) const
    {
        const QString counted = count > 0 ? QString(", \"count\": %1").arg(count) : QString();
        const QString text = QString(R"({
  "name": "two-machines", "duration_s": 20, "controller_key": "%1.key",
  "hosts": [ { "name": "lab2", "endpoint": "%2", "key": "host.pub" } ],
  "objects": [ { "name": "here", "transport": "mq", "capacity": 8, "message_size": 64 },
               { "name": "there", "transport": "mq", "capacity": %4, "message_size": 64 } ],
  "workers": [ { "name": "p-there", "role": "producer", "object": "there", "host": "lab2", "rate": 2000%3 },
               { "name": "p-here", "role": "producer", "object": "here", "rate": 2000%3 },
               { "name": "c-here", "role": "consumer", "object": "here" },
               { "name": "c-there", "role": "consumer", "object": "there", "host": "lab2" } ]
})")
                                 .arg(controller, endpoint, counted)
                                 .arg(thereCapacity);
        return writeScenario("two-machines.json", text);
    }
    // `text` written to `name` in the keys' folder (scenarios read their key files from their own folder); its
    // path, or empty when it could not be written.
    QString writeScenario(const QString& name, const QString& text) const
    {
        const QString path = key(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text.toUtf8()) != text.toUtf8().size())
            return {};
        return path;
    }
    // Runs twoMachineScenario through `prefix` to its end with an exact ledger, and checks the report.
    void runsAcrossWithAnExactLedger(const QStringList& prefix, const QString& endpoint, Host& host)
    {
        const QString scenario = twoMachineScenario(endpoint, 3000);
        const QString report = key("two-machines.report.json");
        QStringList all = prefix;
        all << ipctest::cliPath() << "run" << scenario << "--json" << report;
        const QString program = all.takeFirst();
        const auto r = ipctest::runProgram(program, all, QProcessEnvironment::systemEnvironment(), 60000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        const QJsonObject json = readJson(report);
        for (const char* name : { "p-there", "c-there" }) {
            const QJsonObject w = entry(json, "workers", name);
            QCOMPARE(w.value("host").toString(), QString("lab2"));
            QCOMPARE(w.value("messages").toInteger(), 3000);
            QCOMPARE(w.value("exit").toString(), QString("exited 0"));
        }
        QVERIFY(!entry(json, "workers", "p-here").contains("host"));
        // In the scenario's order, wherever each runs.
        QStringList order;
        for (const QJsonValue& w : json.value("workers").toArray())
            order << w.toObject().value("name").toString();
        QCOMPARE(order, QStringList({ "p-there", "p-here", "c-here", "c-there" }));
        const QJsonObject there = entry(json, "objects", "there");
        QCOMPARE(there.value("host").toString(), QString("lab2"));
        const QJsonObject books = there.value("integrity").toObject();
        QCOMPARE(books.value("sent").toInteger(), 3000);
        QCOMPARE(books.value("received").toInteger(), 3000);
        QVERIFY(books.value("exact").toBool());
        const QJsonObject total = json.value("integrity").toObject();
        QCOMPARE(total.value("sent").toInteger(), 6000);
        QCOMPARE(total.value("received").toInteger(), 6000);
        QVERIFY(total.value("exact").toBool());
        QVERIFY2(r.out.contains("c-there@lab2"), qPrintable(r.out));
        const QString log = host.output(500);
        QVERIFY2(log.contains("starting 2 workers of 'two-machines'") && log.contains("its workers go")
                && log.contains("ended, objects removed"),
            qPrintable(log));
    }
    // A zmq-tcp object between machines: two producers here, its consumer on the host. `count` 0: until stopped;
    // `rate` 0: as fast as they can.
    // With `consumers` 2, a second consumer on the host, "c-there-2", binds an endpoint of its own.
    QString betweenMachinesScenario(const QString& endpoint, int count, int rate, int consumers = 1) const
    {
        const QString second = R"(,
               { "name": "c-there-2", "role": "consumer", "object": "wire", "host": "lab2" })";
        const QString text = QString(R"({
  "name": "zmq-between", "duration_s": 3, "controller_key": "controller.key",
  "hosts": [ { "name": "lab2", "endpoint": "%1", "key": "host.pub" } ],
  "objects": [ { "name": "wire", "transport": "zmq-tcp", "capacity": 64, "message_size": 256 } ],
  "workers": [ { "name": "p1", "role": "producer", "object": "wire", "rate": %3, "count": %2 },
               { "name": "c-there", "role": "consumer", "object": "wire", "host": "lab2" },
               { "name": "p2", "role": "producer", "object": "wire", "rate": %3, "count": %2 }%4 ]
})")
                                 .arg(endpoint)
                                 .arg(count)
                                 .arg(rate)
                                 .arg(consumers == 2 ? second : QString());
        return writeScenario("zmq-between.json", text);
    }
    // The report `json` of a zmq-tcp object "wire" between machines, fed by producers "p1" and "p2" here: listed on
    // `objectHost`, its books, sent here and received there, balance exactly, and each of its `consumers` (name,
    // host) received some. `count`: what each producer sent, or 0 when they ran until stopped.
    void booksBalanceAcross(const QJsonObject& json, const QString& objectHost,
        const QList<QPair<QString, QString>>& consumers, int count, const QString& out)
    {
        const QJsonObject wire = entry(json, "objects", "wire");
        QCOMPARE(wire.value("host").toString(), objectHost);
        const QJsonObject books = wire.value("integrity").toObject();
        const qint64 sent = books.value("sent").toInteger();
        QVERIFY2(books.value("exact").toBool() && books.value("received").toInteger() == sent, qPrintable(out));
        qint64 received = 0;
        for (const auto& [name, host] : consumers) {
            const QJsonObject consumer = entry(json, "workers", name);
            QCOMPARE(consumer.value("host").toString(), host);
            const qint64 messages = consumer.value("messages").toInteger();
            QVERIFY2(messages > 0, qPrintable(name + " received nothing\n" + out));
            received += messages;
        }
        QCOMPARE(received, sent);
        const qint64 produced = entry(json, "workers", "p1").value("messages").toInteger()
            + entry(json, "workers", "p2").value("messages").toInteger();
        QCOMPARE(produced, sent);
        if (count > 0)
            QCOMPARE(sent, qint64(2 * count));
        else
            QVERIFY2(sent > 1000, qPrintable(out)); // they ran until stopped
        QVERIFY(json.value("integrity").toObject().value("exact").toBool());
    }
    // Runs betweenMachinesScenario through `prefix`: the producers here reach each consumer on the host at the
    // host's address, and the object's books, sent here and received there, balance exactly. With two consumers,
    // each producer deals its messages to both (PUSH's round robin), so each receives some.
    void zmqBetweenMachinesWithAnExactLedger(
        const QStringList& prefix, const QString& endpoint, Host& host, int count, int rate, int consumers = 1)
    {
        const QString scenario = betweenMachinesScenario(endpoint, count, rate, consumers);
        // The host's log holds the runs before this one too: this one's lines are those added.
        const QString starting
            = QString("starting %1 worker%2 of 'zmq-between'").arg(consumers).arg(consumers == 1 ? "" : "s");
        const QString ended = QStringLiteral("ended, objects removed");
        const QString logBefore = host.output();
        const QString report = key("zmq-between.report.json");
        QFile::remove(report);
        QStringList all = prefix;
        all << ipctest::cliPath() << "run" << scenario << "--json" << report;
        const QString program = all.takeFirst();
        const auto r = ipctest::runProgram(program, all, QProcessEnvironment::systemEnvironment(), 60000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        const QString address = endpoint.left(endpoint.lastIndexOf(':'));
        // Each consumer's endpoint, at the host's address (the host tells them as they bind; the output lists the
        // events as they come and again at the end).
        QSet<QString> told;
        const QRegularExpression listens("'wire': [^\\n]*listens? on ([^;\\n]*);");
        const QRegularExpression one("tcp://[^ ,;]*:[0-9]+");
        for (auto m = listens.globalMatch(r.out); m.hasNext();)
            for (auto e = one.globalMatch(m.next().captured(1)); e.hasNext();) {
                const QString told1 = e.next().captured(0);
                QVERIFY2(told1.startsWith(address + ":"), qPrintable(r.out));
                told.insert(told1);
            }
        QVERIFY2(told.size() == consumers, qPrintable(r.out));
        if (consumers == 1)
            QVERIFY2(r.out.contains("'wire': its consumer listens on " + address + ":"), qPrintable(r.out));
        QList<QPair<QString, QString>> placed { { "c-there", "lab2" } };
        if (consumers == 2)
            placed.append(QPair<QString, QString> { "c-there-2", "lab2" });
        booksBalanceAcross(readJson(report), "lab2", placed, count, r.out + r.err);
        if (QTest::currentTestFailed())
            return;
        QElapsedTimer waited;
        waited.start();
        QString log = host.output(500);
        while (log.count(ended) <= logBefore.count(ended) && waited.elapsed() < 5000)
            log = host.output(100);
        QVERIFY2(log.count(starting) == logBefore.count(starting) + 1 && log.count(ended) > logBefore.count(ended),
            qPrintable(log));
        QCOMPARE(leftBy(r.pid), QStringList());
    }
    // Starts twoMachineScenario (no count) through `prefix`, and once the host's workers have run for a second
    // calls `cut`; the workers there must be shown lost within 2 s and the run must still end with a report.
    void hostLostMidRun(const QStringList& prefix, const QString& endpoint, const std::function<void()>& cut)
    {
        const QString scenario = twoMachineScenario(endpoint, 0);
        const QString report = key("lost.report.json");
        QFile::remove(report);
        QProcess run;
        QStringList all = prefix;
        all << ipctest::cliPath() << "run" << scenario << "--duration"
            << "6"
            << "--json" << report;
        startTiedToThisTest(run, all);
        QVERIFY(run.waitForStarted(5000));
        QStringList seen;
        QVERIFY2(waitForLine(run, "Running two-machines", 10000, seen) >= 0, qPrintable(seen.join('\n')));
        QTest::qWait(1000);
        cut();
        const qint64 lostAfter = waitForLine(run, "stopped answering", 5000, seen);
        qInfo("the host's workers shown lost %lld ms after it died or the link went down", qint64(lostAfter));
        QVERIFY2(lostAfter >= 0 && lostAfter < 2000,
            qPrintable(QString("lost after %1 ms:\n").arg(lostAfter) + seen.join('\n')));
        // The rest runs on to its end, and the stop finishes (never waiting on the lost host).
        QVERIFY2(run.waitForFinished(20000), "the run did not end");
        seen << QString::fromUtf8(run.readAll());
        QCOMPARE(run.exitCode(), 1); // integrity not exact: what the host's workers held is unknown
        const QJsonObject json = readJson(report);
        const QJsonObject there = entry(json, "objects", "there").value("integrity").toObject();
        QVERIFY2(!there.value("exact").toBool(true), qPrintable(seen.join('\n')));
        QVERIFY(!json.value("integrity").toObject().value("exact").toBool(true));
        const QJsonObject here = entry(json, "objects", "here").value("integrity").toObject();
        QVERIFY2(
            here.value("exact").toBool() && here.value("received").toInteger() > 5000, qPrintable(seen.join('\n')));
        const QJsonObject consumer = entry(json, "workers", "c-there");
        QVERIFY2(consumer.value("exit").toString().contains("was lost"), qPrintable(seen.join('\n')));
        // What the host's snapshots showed before it was lost: its workers had moved messages.
        QVERIFY2(consumer.value("messages").toInteger() > 0, qPrintable(seen.join('\n')));
    }
    QStringList pingArgs(
        const QString& endpoint, const QString& controller = "controller", const QString& hostKey = "host.pub") const
    {
        return { "--ping", endpoint, "--key", key(controller + ".key"), "--host-key", key(hostKey) };
    }
    // A zmq-tcp object with two producers here and its consumers on two hosts: "c2" on lab2, "c3" and "c3-2" on
    // lab3 (listed between the others, so the hosts' consumers are not in the scenario's order). `count` 0: until
    // stopped; `rate` 0: as fast as they can.
    QString twoConsumerHostsScenario(const QString& endpoint2, const QString& endpoint3, int count, int rate) const
    {
        const QString text = QString(R"({
  "name": "zmq-two-consumer-hosts", "duration_s": 20, "controller_key": "controller.key",
  "hosts": [ { "name": "lab2", "endpoint": "%1", "key": "host.pub" },
             { "name": "lab3", "endpoint": "%2", "key": "host.pub" } ],
  "objects": [ { "name": "wire", "transport": "zmq-tcp", "capacity": 64, "message_size": 256 } ],
  "workers": [ { "name": "p1", "role": "producer", "object": "wire", "rate": %4, "count": %3 },
               { "name": "c3", "role": "consumer", "object": "wire", "host": "lab3" },
               { "name": "c2", "role": "consumer", "object": "wire", "host": "lab2" },
               { "name": "p2", "role": "producer", "object": "wire", "rate": %4, "count": %3 },
               { "name": "c3-2", "role": "consumer", "object": "wire", "host": "lab3" } ]
})")
                                 .arg(endpoint2, endpoint3)
                                 .arg(count)
                                 .arg(rate);
        return writeScenario("zmq-two-consumer-hosts.json", text);
    }

    // twoConsumerHostsScenario's report `json` after lab3 stopped a second into the run: lab3's two consumers ended
    // as `lab3Exit` says, having taken their shares until then, and c2 on lab2 took its share then and everything
    // after, so more than both. What each host's consumers received: `onLab2`, `onLab3`.
    void lab3EndedFirst(
        const QJsonObject& json, const QString& lab3Exit, const QStringList& seen, qint64& onLab2, qint64& onLab3)
    {
        for (const char* name : { "c3", "c3-2" }) {
            const QJsonObject consumer = entry(json, "workers", name);
            QVERIFY2(consumer.value("exit").toString().contains(lab3Exit), qPrintable(seen.join('\n')));
            onLab3 += consumer.value("messages").toInteger();
        }
        onLab2 = entry(json, "workers", "c2").value("messages").toInteger();
        QVERIFY2(onLab3 > 0 && onLab2 > onLab3,
            qPrintable(QString("lab2 %1, lab3 %2\n").arg(onLab2).arg(onLab3) + seen.join('\n')));
    }

    // Runs `ipclab-cli` with `args` in `run`; a second after it printed `ready`, kills `host`, which must be said
    // lost within 2 s; the run must end, with exit status 1 (its books cannot be exact). `seen`: what it printed;
    // `runPid`: the run's pid (a finished QProcess has none).
    void killHostMidRun(QProcess& run, const QStringList& args, const QString& ready, std::unique_ptr<Host>& host,
        QStringList& seen, qint64& runPid)
    {
        startTiedToThisTest(run, QStringList { ipctest::cliPath() } + args);
        runPid = run.processId();
        QVERIFY2(waitForLine(run, ready, 10000, seen) >= 0, qPrintable(seen.join('\n')));
        QTest::qWait(1000);
        host.reset();
        const qint64 lostAfter = waitForLine(run, "stopped answering", 5000, seen);
        QVERIFY2(lostAfter >= 0 && lostAfter < 2000, qPrintable(seen.join('\n')));
        QVERIFY2(run.waitForFinished(20000), "the run did not end");
        seen << QString::fromUtf8(run.readAll());
        QCOMPARE(run.exitCode(), 1);
    }

private slots:
    void initTestCase()
    {
        // The socket aLetInControllerCannotUpsetTheHost talks through, made first: making it starts libzmq's
        // threads, and under ThreadSanitizer a process that started a QProcess (which may vfork) must not start
        // threads afterwards.
        m_context = zmq_ctx_new();
        m_dealer = m_context ? zmq_socket(m_context, ZMQ_DEALER) : nullptr;
        const int zero = 0;
        QVERIFY(m_dealer && zmq_setsockopt(m_dealer, ZMQ_LINGER, &zero, sizeof zero) == 0);
        QVERIFY(m_dir.isValid());
        for (const char* name : { "host", "controller", "stranger" }) {
            const auto r = cli({ "--keygen", key(QString::fromLatin1(name)) });
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        }
    }

    void cleanupTestCase()
    {
        if (m_dealer)
            zmq_close(m_dealer);
        if (m_context)
            zmq_ctx_term(m_context);
    }

    void keygenWritesAPrivateSecretAndAPublicKey()
    {
        QCOMPARE(modeOf(key("host.key")), mode_t(0600));
        QCOMPARE(modeOf(key("host.pub")), mode_t(0644));
        for (const QString& file : { key("host.key"), key("host.pub") }) {
            const QByteArray text = readFile(file);
            QCOMPARE(text.size(), 41);
            QVERIFY(text.endsWith('\n'));
        }
        QVERIFY(readFile(key("host.key")) != readFile(key("controller.key")));
        QVERIFY(readFile(key("host.pub")) != readFile(key("host.key")));
    }

    // An existing file, or a link planted where a key would go, is never written through or replaced.
    void keygenNeverReplacesAFile()
    {
        const QByteArray before = readFile(key("host.key"));
        auto r = cli({ "--keygen", key("host") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("exists") && r.err.contains("choose another name"), qPrintable(r.err));
        QCOMPARE(readFile(key("host.key")), before);

        const QString target = key("precious");
        QVERIFY(QFile(target).open(QIODevice::WriteOnly));
        QVERIFY(QFile::link(target, key("planted.pub")));
        r = cli({ "--keygen", key("planted") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("planted.pub"), qPrintable(r.err));
        QCOMPARE(readFile(target), QByteArray());
        QVERIFY2(!QFile::exists(key("planted.key")), "the secret key of a failed pair was left behind");
    }

    // Same machine, same monotonic clock: the host read it within the round trip, so the estimated offset must lie
    // within the stated error.
    void pingProvesTheLinkAndTheClocksAgree()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY2(endpoint.startsWith("tcp://127.0.0.1:"), qPrintable(host.output()));
        const auto r = cli(pingArgs(endpoint) << "--count"
                                              << "7"
                                              << "--json");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(json.value("round_trips_us").toArray().size(), 7);
        QCOMPARE(json.value("pid").toInteger(), host.process().processId());
        const qint64 offset = json.value("clock_offset_ns").toInteger();
        const qint64 error = json.value("clock_offset_error_ns").toInteger();
        QVERIFY2(error > 0 && std::abs(offset) <= error,
            qPrintable(QString("offset %1 ns, error %2 ns").arg(offset).arg(error)));
        QVERIFY2(host.output(200).contains("let in a controller from 127.0.0.1"), qPrintable(host.output()));

        const auto text = cli(pingArgs(endpoint));
        QVERIFY2(text.exitCode == 0, qPrintable(text.err));
        QVERIFY2(text.out.contains("clock offset") && text.out.contains("round trips   5"), qPrintable(text.out));
    }

    void anUnknownControllerKeyIsRefused()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        const auto r = cli(pingArgs(endpoint, "stranger"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("refused this controller's key") && r.err.contains("--allow"), qPrintable(r.err));
        const QString stranger = QString::fromUtf8(readFile(key("stranger.pub")).trimmed());
        QVERIFY2(host.output(200).contains("refused a controller from 127.0.0.1 (key \"" + stranger + "\""),
            qPrintable(host.output()));
    }

    // A controller given the wrong public key for the host cannot finish the handshake (and learns it at once).
    void aWrongHostKeyFailsTheHandshake()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        const auto r = cli(pingArgs(endpoint, "controller", "stranger.pub"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("stranger.pub is not that host's public key"), qPrintable(r.err));
        QVERIFY2(host.output(1500).contains("failed the CURVE handshake"), qPrintable(host.output()));
    }

    // A live link: up, then lost within 2 s of the host's death (heartbeats every 250 ms, lost after 1 s of
    // silence), then up again when a host listens there again.
    void aKilledHostIsShownLostWithinTwoSecondsAndFoundAgain()
    {
        auto host = std::make_unique<Host>(QStringList {}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host->endpoint();
        QVERIFY(!endpoint.isEmpty());
        LinkWatch watch({}, pingArgs(endpoint));
        QVERIFY2(watch.waitFor("up", 10000) >= 0, qPrintable(watch.lines()));
        host.reset(); // SIGKILL
        const qint64 lostAfter = watch.waitFor("lost", 5000);
        qInfo("shown lost %lld ms after the host died or the link went down", qint64(lostAfter));
        QVERIFY2(lostAfter >= 0 && lostAfter < 2000,
            qPrintable(QString("lost after %1 ms:\n").arg(lostAfter) + watch.lines()));
        // libzmq binds with SO_REUSEADDR, so the endpoint the killed host had is free again at once, unless another
        // program's connection took the port as its own end meanwhile: then try again for a few seconds.
        std::unique_ptr<Host> again;
        for (int attempt = 0; attempt < 20; ++attempt) {
            again = std::make_unique<Host>(QStringList {}, hostArgs(endpoint));
            if (again->endpoint() == endpoint)
                break;
            QTest::qWait(200);
        }
        QCOMPARE(again->endpoint(), endpoint);
        QVERIFY2(watch.waitFor("up", 10000) >= 0, qPrintable(watch.lines()));
        QCOMPARE(watch.process().state(), QProcess::Running);
    }

    void aScenarioRunsPartlyOnAHost()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        runsAcrossWithAnExactLedger({}, endpoint, host);
        QCOMPARE(leftBy(host.process().processId()), QStringList());
    }

    // ZeroMQ over tcp:// between machines: counted messages, then producers flooding until the stop, which must
    // hold them until the host's consumer has received all they sent.
    void aZmqObjectReachesAConsumerOnAHost()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        zmqBetweenMachinesWithAnExactLedger({}, endpoint, host, 2000, 2000);
        zmqBetweenMachinesWithAnExactLedger({}, endpoint, host, 0, 0);
        zmqBetweenMachinesWithAnExactLedger({}, endpoint, host, 2000, 2000, 2);
        zmqBetweenMachinesWithAnExactLedger({}, endpoint, host, 0, 0, 2);
        QCOMPARE(leftBy(host.process().processId()), QStringList());
    }

    // One zmq-tcp object whose consumers run on two hosts, one on lab2 and two on lab3: the producers here reach all
    // three (each host's key with its consumers' endpoints), every consumer receives some, and the books, sent here
    // and received on both hosts, balance exactly; counted (3 s at 1000 a second, time enough for lab3's consumers
    // to be reached too, in a 6 s run), then flooding until the stop.
    void aZmqObjectReachesConsumersOnTwoHosts()
    {
        Host lab2({}, hostArgs("tcp://127.0.0.1:*"));
        Host lab3({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint2 = lab2.endpoint(), endpoint3 = lab3.endpoint();
        QVERIFY(!endpoint2.isEmpty() && !endpoint3.isEmpty());
        for (const int count : { 3000, 0 }) {
            const QString scenario = twoConsumerHostsScenario(endpoint2, endpoint3, count, count > 0 ? 1000 : 0);
            const QString report = key("zmq-two-consumer-hosts.report.json");
            QFile::remove(report);
            const QString csv = key("zmq-two-consumer-hosts.csv");
            const QStringList args { "run", scenario, "--json", report, "--csv", csv, "--duration",
                count > 0 ? "6" : "3" };
            const auto r
                = ipctest::runProgram(ipctest::cliPath(), args, QProcessEnvironment::systemEnvironment(), 60000);
            QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
            // Each consumer's endpoint told as it binds, on the port its own host printed.
            QSet<QString> told;
            const QRegularExpression listens("'wire': [^\\n]*listens? on ([^;\\n]*);");
            const QRegularExpression one("tcp://127\\.0\\.0\\.1:[0-9]+");
            for (auto m = listens.globalMatch(r.out); m.hasNext();)
                for (auto e = one.globalMatch(m.next().captured(1)); e.hasNext();)
                    told.insert(e.next().captured(0));
            QVERIFY2(told.size() == 3, qPrintable(r.out));
            QVERIFY2(r.out.contains(", on host lab2;") && r.out.contains(", on host lab3;"), qPrintable(r.out));
            // Both hosts' clocks are this machine's: no stamp in another clock, nothing to correct.
            QVERIFY2(r.out.contains("the clocks of its consumers' hosts are lab2 ")
                    && r.out.contains("stamp their messages in this machine's clock")
                    && r.out.contains("its latencies are true within the errors"),
                qPrintable(r.out));
            booksBalanceAcross(readJson(report), "lab2+lab3",
                { { "c2", "lab2" }, { "c3", "lab3" }, { "c3-2", "lab3" } }, count, r.out + r.err);
            if (QTest::currentTestFailed())
                return;
            // The series has the hosts' workers too, and the object's depth as joined (sent here less received there).
            const QStringList rows = QString::fromUtf8(readFile(csv)).split('\n', Qt::SkipEmptyParts);
            // Several samples, not a rate: under ThreadSanitizer in CI the 3 s flood got only 7 (0.04 to 2.27 s).
            QVERIFY2(rows.size() > 4, qPrintable(rows.join('\n')));
            QCOMPARE(rows.front(),
                QString("time_s,wire@lab2+lab3.depth,p1.msgs_per_s,c3@lab3.msgs_per_s,c2@lab2.msgs_per_s,"
                        "p2.msgs_per_s,c3-2@lab3.msgs_per_s"));
            int joinedDepths = 0;
            double c3Rate = 0;
            for (const QString& row : rows.mid(1)) {
                const QStringList cells = row.split(',');
                QCOMPARE(cells.size(), 7);
                joinedDepths += cells[1].toLongLong() >= 0 ? 1 : 0;
                c3Rate = std::max(c3Rate, cells[3].toDouble());
            }
            QVERIFY2(joinedDepths > rows.size() / 2 && c3Rate > 0, qPrintable(rows.join('\n')));
            QCOMPARE(leftBy(r.pid), QStringList());
        }
        for (Host* host : { &lab2, &lab3 }) {
            QElapsedTimer waited;
            waited.start();
            QString log = host->output(200);
            while (log.count("ended, objects removed") < 2 && waited.elapsed() < 5000)
                log = host->output(100);
            QVERIFY2(log.count("ended, objects removed") == 2, qPrintable(log));
            QCOMPARE(leftBy(host->process().processId()), QStringList());
        }
    }

    // Producers here, consumers of one object on several hosts: the clock they stamp in, and the correction of each
    // host's latencies (stampClock). One machine's clocks all agree, so the runs above cannot show this.
    void producersStampInTheClockFurthestBehind_data()
    {
        QTest::addColumn<QList<qint64>>("offsets"); // host by host: offset, error (ns)
        QTest::addColumn<int>("reference");
        QTest::addColumn<qint64>("stamp");
        QTest::addColumn<qint64>("stampError");
        QTest::addColumn<QList<qint64>>("shifts");
        constexpr qint64 s = 1'000'000'000, ms = 1'000'000, us = 1'000;
        QTest::newRow("no host") << QList<qint64> {} << 0 << qint64(0) << qint64(0) << QList<qint64> {};
        QTest::newRow("one host, the same clock")
            << QList<qint64> { 15 * us, 233 * us } << 0 << qint64(0) << qint64(0) << QList<qint64> { 0 };
        QTest::newRow("one host, booted earlier")
            << QList<qint64> { 5 * s, 200 * us } << 0 << 5 * s << 200 * us << QList<qint64> { 0 };
        QTest::newRow("two hosts, the second ahead") << QList<qint64> { 5 * s, 200 * us, 9 * s, 300 * us } << 0 << 5 * s
                                                     << 200 * us << QList<qint64> { 0, 4 * s };
        QTest::newRow("two hosts, the first ahead") << QList<qint64> { 9 * s, 200 * us, 5 * s, 300 * us } << 1 << 5 * s
                                                    << 300 * us << QList<qint64> { 4 * s, 0 };
        QTest::newRow("two hosts the same within the errors") << QList<qint64> { 5 * s, 200 * us, 5 * s + 300 * us,
            200 * us } << 0 << 5 * s << 200 * us << QList<qint64> { 0, 0 };
        QTest::newRow("one behind this machine, one ahead") << QList<qint64> { -3 * s, 100 * us, 2 * s, 100 * us } << 0
                                                            << -3 * s << 100 * us << QList<qint64> { 0, 5 * s };
        QTest::newRow("the one behind is this machine's clock") << QList<qint64> { 50 * us, 200 * us, 7 * ms,
            200 * us } << 0 << qint64(0) << qint64(0) << QList<qint64> { 0, 7 * ms };
        // lab2 is within its (wide) error of this machine, but lab3 is behind it beyond its own: stamped in this
        // machine's clock, lab3 would see stamps from its future.
        QTest::newRow("one within its error, another clearly behind") << QList<qint64> { -100 * us, 200 * us, -60 * us,
            10 * us } << 0 << -100 * us << 200 * us << QList<qint64> { 0, 0 };
    }
    void producersStampInTheClockFurthestBehind()
    {
        QFETCH(QList<qint64>, offsets);
        QFETCH(int, reference);
        QFETCH(qint64, stamp);
        QFETCH(qint64, stampError);
        QFETCH(QList<qint64>, shifts);
        std::vector<ipccore::HostClock> hosts;
        for (qsizetype i = 0; i + 1 < offsets.size(); i += 2)
            hosts.push_back({ "lab" + std::to_string(hosts.size() + 2), offsets[i], offsets[i + 1] });
        const ipccore::StampClock clock = ipccore::stampClock(hosts);
        QCOMPARE(int(clock.reference), reference);
        QCOMPARE(qint64(clock.stampOffsetNs), stamp);
        QCOMPARE(qint64(clock.stampErrorNs), stampError);
        QCOMPARE(QList<qint64>(clock.latencyShiftNs.begin(), clock.latencyShiftNs.end()), shifts);
    }

    // The example the README shows, with this host's endpoint and key file put in: two objects between machines,
    // one with two consumers, both exact.
    void theShippedTwoHostsExampleRuns()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        QFile example(QString::fromLocal8Bit(qgetenv("IPCLAB_SOURCE_DIR")) + "/resources/examples/zmq-two-hosts.json");
        QVERIFY2(example.open(QIODevice::ReadOnly), qPrintable(example.fileName()));
        QString text = QString::fromUtf8(example.readAll());
        QVERIFY(text.contains("tcp://192.168.1.20:5555") && text.contains("\"lab2.pub\""));
        text.replace("tcp://192.168.1.20:5555", endpoint).replace("\"lab2.pub\"", "\"host.pub\"");
        const QString scenario = writeScenario("zmq-two-hosts.json", text);
        QVERIFY(!scenario.isEmpty());
        const QString report = key("zmq-two-hosts.report.json");
        const auto r = ipctest::runProgram(ipctest::cliPath(), { "run", scenario, "--duration", "2", "--json", report },
            QProcessEnvironment::systemEnvironment(), 60000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        const QJsonObject json = readJson(report);
        for (const char* name : { "readings", "alerts" }) {
            const QJsonObject object = entry(json, "objects", name);
            QCOMPARE(object.value("host").toString(), QString("lab2"));
            const QJsonObject books = object.value("integrity").toObject();
            QVERIFY2(books.value("exact").toBool() && books.value("received").toInteger() > 0, qPrintable(r.out));
        }
        // Its two collectors share the readings: each sensor deals its messages to both.
        for (const char* name : { "collector", "collector-2" }) {
            const QJsonObject collector = entry(json, "workers", name);
            QCOMPARE(collector.value("host").toString(), QString("lab2"));
            QVERIFY2(collector.value("messages").toInteger() > 0, qPrintable(r.out));
        }
        QCOMPARE(leftBy(r.pid), QStringList());
    }

    // The host of a zmq-tcp object's consumer killed mid-run: its consumer shown lost, the producers here (blocked
    // with nobody to take) stopped all the same, the object's books not exact, nothing left here.
    void aZmqObjectsConsumerHostKilledMidRun()
    {
        auto host = std::make_unique<Host>(QStringList {}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host->endpoint();
        QVERIFY(!endpoint.isEmpty());
        const QString hostPid = QString::number(host->process().processId());
        const QString report = key("zmq-killed.report.json");
        QProcess run;
        QStringList seen;
        qint64 runPid = 0;
        killHostMidRun(run, { "run", betweenMachinesScenario(endpoint, 0, 2000), "--duration", "5", "--json", report },
            "its consumer listens on", host, seen, runPid);
        if (QTest::currentTestFailed())
            return;
        const QJsonObject json = readJson(report);
        const QJsonObject books = entry(json, "objects", "wire").value("integrity").toObject();
        QVERIFY2(
            !books.value("exact").toBool(true) && books.value("received").toInteger() > 0, qPrintable(seen.join('\n')));
        // What was sent here and not seen received there may have died with the host: counted so, none "lost".
        QCOMPARE(books.value("lost_with_dead_workers").toInteger(),
            books.value("sent").toInteger() - books.value("received").toInteger());
        QCOMPARE(books.value("lost").toInteger(), 0);
        for (const char* name : { "p1", "p2" })
            QVERIFY2(entry(json, "workers", name).value("exit").toString() == "exited 0", qPrintable(seen.join('\n')));
        QVERIFY2(entry(json, "workers", "c-there").value("exit").toString().contains("was lost"),
            qPrintable(seen.join('\n')));
        // Why the books are not exact is said: what the host's consumer held when it went is unknown.
        QVERIFY2(seen.join('\n').contains("its books are not exact"), qPrintable(seen.join('\n')));
        QCOMPARE(leftBy(runPid), QStringList());
        ipctest::runProgram(ipctest::cliPath(), { "cleanup" });
        QCOMPARE(leftBy(hostPid), QStringList());
    }

    // One of an object's two consumer hosts killed mid-run: its consumers shown lost within 2 s, the other host's
    // consumer takes all that is sent from then on, the stop finishes, and the books say that what lab3's consumers
    // held may have died with them (not exact, nothing "lost").
    void oneOfTwoConsumerHostsKilledMidRun()
    {
        Host lab2({}, hostArgs("tcp://127.0.0.1:*"));
        auto lab3 = std::make_unique<Host>(QStringList {}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint2 = lab2.endpoint(), endpoint3 = lab3->endpoint();
        QVERIFY(!endpoint2.isEmpty() && !endpoint3.isEmpty());
        const QString lab3Pid = QString::number(lab3->process().processId());
        const QString report = key("zmq-one-killed.report.json");
        QProcess run;
        QStringList seen;
        qint64 runPid = 0;
        killHostMidRun(run,
            { "run", twoConsumerHostsScenario(endpoint2, endpoint3, 0, 2000), "--duration", "10", "--json", report },
            "on host lab3;", lab3, seen, runPid);
        if (QTest::currentTestFailed())
            return;
        const QJsonObject json = readJson(report);
        const QJsonObject wire = entry(json, "objects", "wire");
        QCOMPARE(wire.value("host").toString(), QString("lab2+lab3"));
        const QJsonObject books = wire.value("integrity").toObject();
        QVERIFY2(!books.value("exact").toBool(true), qPrintable(seen.join('\n')));
        QCOMPARE(books.value("lost").toInteger(), 0);
        QCOMPARE(books.value("lost_with_dead_workers").toInteger(),
            books.value("sent").toInteger() - books.value("received").toInteger());
        for (const char* name : { "p1", "p2", "c2" })
            QVERIFY2(entry(json, "workers", name).value("exit").toString() == "exited 0", qPrintable(seen.join('\n')));
        qint64 onLab2 = 0, onLab3 = 0;
        lab3EndedFirst(json, "was lost", seen, onLab2, onLab3);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(books.value("received").toInteger(), onLab2 + onLab3);
        QCOMPARE(leftBy(runPid), QStringList());
        ipctest::runProgram(ipctest::cliPath(), { "cleanup" });
        QCOMPARE(leftBy(lab3Pid), QStringList());
    }

    // A host stopped with Ctrl-C mid-run (SIGINT to its terminal's whole process group, its workers' too unless they
    // have groups of their own) hands its part back: the controller holds its producers until lab3's consumers have
    // taken what was sent, asks for lab3's report, and then goes on with lab2 alone. The books come back exact, the
    // host ends by itself, and neither side leaves anything.
    void aHostStoppedWithCtrlCHandsItsPartBack()
    {
        Host lab2({}, hostArgs("tcp://127.0.0.1:*"));
        Host lab3({}, hostArgs("tcp://127.0.0.1:*"), true);
        const QString endpoint2 = lab2.endpoint(), endpoint3 = lab3.endpoint();
        QVERIFY(!endpoint2.isEmpty() && !endpoint3.isEmpty());
        const QString lab3Pid = QString::number(lab3.process().processId());
        const QString report = key("zmq-host-left.report.json");
        QProcess run;
        QStringList seen;
        startTiedToThisTest(run,
            { ipctest::cliPath(), "run", twoConsumerHostsScenario(endpoint2, endpoint3, 0, 2000), "--duration", "8",
                "--json", report });
        const qint64 runPid = run.processId();
        QVERIFY2(waitForLine(run, "on host lab3;", 10000, seen) >= 0, qPrintable(seen.join('\n')));
        QTest::qWait(1000);
        // Its workers have process groups of their own, so the Ctrl-C reaches the host alone, which stops them in
        // its own time.
        const pid_t lab3Host = pid_t(lab3.process().processId());
        const QList<pid_t> lab3Workers = childrenOf(lab3Host);
        QCOMPARE(lab3Workers.size(), 2);
        for (const pid_t worker : lab3Workers)
            QCOMPARE(::getpgid(worker), worker);
        QCOMPARE(::kill(-lab3Host, SIGINT), 0);
        QVERIFY2(waitForLine(run, "(those producers wait meanwhile)", 3000, seen) >= 0, qPrintable(seen.join('\n')));
        QVERIFY2(lab3.process().waitForFinished(15000), qPrintable(lab3.output()));
        QCOMPARE(lab3.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(lab3.process().exitCode(), 0);
        QVERIFY2(lab3.output().contains("stopping, as the controller asked"), qPrintable(lab3.output()));
        QVERIFY2(run.waitForFinished(20000), "the run did not end");
        seen << QString::fromUtf8(run.readAll());
        QCOMPARE(run.exitCode(), 0);
        QVERIFY2(!seen.join('\n').contains("stopped answering"), qPrintable(seen.join('\n')));
        const QJsonObject json = readJson(report);
        const QJsonObject books = entry(json, "objects", "wire").value("integrity").toObject();
        QVERIFY2(books.value("exact").toBool(), qPrintable(seen.join('\n')));
        QCOMPARE(books.value("received").toInteger(), books.value("sent").toInteger());
        qint64 onLab2 = 0, onLab3 = 0;
        lab3EndedFirst(json, "host lab3 left", seen, onLab2, onLab3);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(entry(json, "workers", "c2").value("exit").toString(), QString("exited 0"));
        QCOMPARE(leftBy(runPid), QStringList());
        QCOMPARE(leftBy(lab3Pid), QStringList());
    }

    // The only host of an object's consumers leaves (SIGTERM): its books come back exact, and the producers here,
    // which nobody takes from any more, are not reported as a stall (the host's events say why).
    void aHostThatLeavesTakesItsConsumersWithoutAStall()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        const QString report = key("zmq-left.report.json");
        QProcess run;
        QStringList seen;
        startTiedToThisTest(run,
            { ipctest::cliPath(), "run", betweenMachinesScenario(endpoint, 0, 2000), "--duration", "6", "--json",
                report });
        const qint64 runPid = run.processId();
        QVERIFY2(waitForLine(run, "its consumer listens on", 10000, seen) >= 0, qPrintable(seen.join('\n')));
        QTest::qWait(1000);
        host.process().terminate(); // SIGTERM
        QVERIFY2(waitForLine(run, "has left", 8000, seen) >= 0, qPrintable(seen.join('\n')));
        QVERIFY2(run.waitForFinished(20000), "the run did not end");
        seen << QString::fromUtf8(run.readAll());
        QCOMPARE(run.exitCode(), 0);
        QVERIFY2(!seen.join('\n').contains("Stalled"), qPrintable(seen.join('\n')));
        const QJsonObject json = readJson(report);
        QVERIFY2(entry(json, "objects", "wire").value("integrity").toObject().value("exact").toBool(),
            qPrintable(seen.join('\n')));
        QVERIFY2(entry(json, "workers", "c-there").value("exit").toString().contains("host lab2 left"),
            qPrintable(seen.join('\n')));
        QVERIFY2(host.process().waitForFinished(10000), qPrintable(host.output()));
        QCOMPARE(host.process().exitCode(), 0);
        QCOMPARE(leftBy(runPid), QStringList());
    }

    void aKilledHostsWorkersAreShownLostAndTheRunEnds()
    {
        auto host = std::make_unique<Host>(QStringList {}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host->endpoint();
        QVERIFY(!endpoint.isEmpty());
        const QString hostPid = QString::number(host->process().processId());
        hostLostMidRun({}, endpoint, [&] { host.reset(); });
        // A host killed with SIGKILL cannot remove its objects; the next run there, or 'ipclab-cli cleanup', does.
        ipctest::runProgram(ipctest::cliPath(), { "cleanup" });
        QCOMPARE(leftBy(hostPid), QStringList());
    }

    void aHostStopsTheRunOfAControllerThatDied()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        QProcess run;
        startTiedToThisTest(run, { ipctest::cliPath(), "run", twoMachineScenario(endpoint, 0), "--duration", "30" });
        QStringList seen;
        QVERIFY2(waitForLine(run, "Running two-machines", 10000, seen) >= 0, qPrintable(seen.join('\n')));
        QTest::qWait(500);
        run.kill();
        run.waitForFinished(5000);
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 8000 && !host.output(100).contains("ended, objects removed"))
            ;
        const QString log = host.output();
        QVERIFY2(log.contains("the controller sent nothing for 3 s") && log.contains("ended, objects removed"),
            qPrintable(log));
        QCOMPARE(leftBy(host.process().processId()), QStringList());
        ipctest::runProgram(ipctest::cliPath(), { "cleanup" }); // the killed controller's own objects
    }

    void aRunWithAStrangersKeyIsRefused()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        const auto r = ipctest::runProgram(ipctest::cliPath(), { "run", twoMachineScenario(endpoint, 10, "stranger") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("host 'lab2'") && r.err.contains("refused this controller's key"), qPrintable(r.err));
        QVERIFY2(!r.out.contains("Running"), qPrintable(r.out));
        QCOMPARE(leftBy(r.pid), QStringList());
    }

    // A host runs one run at a time: a second is refused without being told the first one's id, which goes on.
    void aBusyHostRefusesASecondRun()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        QProcess first;
        startTiedToThisTest(first, { ipctest::cliPath(), "run", twoMachineScenario(endpoint, 0), "--duration", "4" });
        QStringList seen;
        QVERIFY2(waitForLine(first, "Running two-machines", 10000, seen) >= 0, qPrintable(seen.join('\n')));
        const auto second = ipctest::runProgram(ipctest::cliPath(), { "run", key("two-machines.json") });
        QCOMPARE(second.exitCode, 2);
        QVERIFY2(second.err.contains("failed: limit reached. lab2 says: this host is still running an earlier run of "
                                     "this controller"),
            qPrintable(second.err));
        QVERIFY2(!second.err.contains(QString::number(first.processId()) + "-"), qPrintable(second.err));
        // The host's own terminal says why, too.
        QVERIFY2(
            host.output(200).contains(QRegularExpression("refused a run \\([0-9a-f-]+\\): this host is still running")),
            qPrintable(host.output()));
        QCOMPARE(leftBy(second.pid), QStringList());
        QVERIFY2(first.waitForFinished(20000), "the first run did not end");
        QCOMPARE(first.exitCode(), 0);
    }

    // A part the host cannot make (a queue deeper than that machine's msg_max) is refused by the host, with its
    // reason, before anything runs here; nothing is left on either side.
    void aPartTheHostRefusesIsSaidAndLeavesNothing()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        const int tooDeep = int(ipccore::readMqLimits().msgMax) + 1;
        const auto r = ipctest::runProgram(
            ipctest::cliPath(), { "run", twoMachineScenario(endpoint, 10, "controller", tooDeep) });
        QCOMPARE(r.exitCode, 2);
        // Said as the host saw it (a limit of that machine), once: not wrapped in a second "failed: ...".
        QVERIFY2(r.err.contains("host 'lab2'")
                && r.err.contains("failed: limit reached. lab2 says: objects[0].capacity")
                && r.err.count("failed") == 1,
            qPrintable(r.err));
        QVERIFY2(!r.out.contains("Running"), qPrintable(r.out));
        QVERIFY2(
            host.output(200).contains(QRegularExpression("refused a run \\([0-9a-f-]+\\): objects\\[0\\]\\.capacity")),
            qPrintable(host.output()));
        QCOMPARE(leftBy(r.pid), QStringList());
        QCOMPARE(leftBy(host.process().processId()), QStringList());
    }

    // A host's part waits, its workers held, until every host of the run has started its own: with lab3 silent the
    // run is refused after 5 s, and lab2's producer and consumer, started all that time, moved nothing.
    void aHostsPartWaitsUntilEveryHostHasStarted()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        const QString scenario = writeScenario("one-silent.json",
            QString(R"({
  "name": "one-silent", "duration_s": 20, "controller_key": "controller.key",
  "hosts": [ { "name": "lab2", "endpoint": "%1", "key": "host.pub" },
             { "name": "lab3", "endpoint": "%2", "key": "host.pub" } ],
  "objects": [ { "name": "there", "transport": "mq", "capacity": 8, "message_size": 64 },
               { "name": "far", "transport": "mq", "capacity": 8, "message_size": 64 } ],
  "workers": [ { "name": "p-there", "role": "producer", "object": "there", "host": "lab2" },
               { "name": "c-there", "role": "consumer", "object": "there", "host": "lab2" },
               { "name": "p-far", "role": "producer", "object": "far", "host": "lab3" },
               { "name": "c-far", "role": "consumer", "object": "far", "host": "lab3" } ]
})")
                .arg(endpoint, "tcp://127.0.0.1:1")); // nothing listens there (a raw string with "//" upsets moc)
        const auto r = ipctest::runProgram(ipctest::cliPath(), { "run", scenario });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("host 'lab3'") && r.err.contains("Nothing answered within 5 s"), qPrintable(r.err));
        QElapsedTimer waited;
        waited.start();
        QString log = host.output(500);
        while (!log.contains("ended, objects removed") && waited.elapsed() < 5000)
            log = host.output(100);
        QVERIFY2(log.contains("starting 2 workers of 'one-silent'")
                && log.contains("ended, objects removed; its workers here received 0 messages")
                && !log.contains("its workers go"),
            qPrintable(log));
        QCOMPARE(leftBy(r.pid), QStringList());
        QCOMPARE(leftBy(host.process().processId()), QStringList());
    }

    void aLiveLinkWithAStrangersKeyEndsRefused()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        LinkWatch watch({}, pingArgs(endpoint, "stranger"));
        QVERIFY(watch.process().waitForFinished(10000));
        QCOMPARE(watch.process().exitCode(), 1);
        QVERIFY2(watch.lines().contains("refused this controller's key"), qPrintable(watch.lines()));
    }

    // Something listens, but it is not an IPC Lab host: a plain TCP socket the kernel completes connections for.
    void aListenerThatIsNotAHostIsSaidSo()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        sockaddr_in addr {};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof addr;
        QVERIFY(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 8) == 0);
        QVERIFY(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
        const auto r = cli(pingArgs("tcp://127.0.0.1:" + QString::number(ntohs(addr.sin_port))) << "--timeout"
                                                                                                << "1");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("not an IPC Lab host"), qPrintable(r.err));
    }

    // Swapped key files, and options that would do nothing where they were given.
    void misusedOptionsAreRefused_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        const QString ping = "tcp://127.0.0.1:9";
        QTest::newRow("public key as --key") << QStringList { "--ping", ping, "--key", key("controller.pub"),
            "--host-key", key("host.pub") } << "is a public key file: --key takes this side's secret .key file";
        QTest::newRow("secret key as --allow") << QStringList { "--listen", "tcp://127.0.0.1:*", "--key",
            key("host.key"), "--allow", key("controller.key") }
                                               << "is a secret key file: give the controller's .pub file";
        QTest::newRow("secret key as --host-key") << QStringList { "--ping", ping, "--key", key("controller.key"),
            "--host-key", key("host.key") } << "is a secret key file: give the host's .pub file";
        QTest::newRow("--allow with --ping")
            << (pingArgs(ping) << "--allow" << key("controller.pub")) << "--allow does not go with --ping";
        QTest::newRow("--count with --watch") << (QStringList {
            "--ping", ping, "--key", key("controller.key"), "--host-key", key("host.pub"), "--watch", "--count", "3" })
                                              << "--count does not go with --ping --watch";
        QTest::newRow("--watch with --listen")
            << (hostArgs("tcp://127.0.0.1:*") << "--watch") << "--watch does not go with --listen.";
        QTest::newRow("--key twice") << (pingArgs(ping) << "--key" << key("stranger.key")) << "--key is given twice";
        QTest::newRow("--keygen NAME.key") << QStringList { "--keygen", key("x.key") } << "without .key or .pub";
        QTest::newRow("two modes") << (hostArgs("tcp://127.0.0.1:*") << "--ping" << ping)
                                   << "give exactly one of --keygen, --listen and --ping";
    }
    void misusedOptionsAreRefused()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const auto r = cli(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expected) && r.err.count('\n') == 1, qPrintable(r.err));
        QVERIFY(!QFile::exists(key("x.key.key")));
    }

    // A controller that was let in sends what no IPC Lab controller sends: fields of the wrong type, not JSON, several
    // frames. Each is answered with an error or dropped, and the host goes on answering.
    void aLetInControllerCannotUpsetTheHost()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        void* dealer = m_dealer;
        QVERIFY(dealer);
        const QByteArray secret = readFile(key("controller.key")).trimmed();
        const QByteArray server = readFile(key("host.pub")).trimmed();
        char publicKey[41] = {};
        QCOMPARE(zmq_curve_public(publicKey, secret.constData()), 0);
        const int timeoutMs = 5000;
        QVERIFY(zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, server.constData(), 40) == 0
            && zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, publicKey, 40) == 0
            && zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, secret.constData(), 40) == 0
            && zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeoutMs, sizeof timeoutMs) == 0
            && zmq_connect(dealer, endpoint.toUtf8().constData()) == 0);
        const auto ask = [&](const QByteArray& request) {
            zmq_send(dealer, request.constData(), std::size_t(request.size()), 0);
            char answer[4096];
            const int n = zmq_recv(dealer, answer, sizeof answer, 0);
            return n < 0 ? QJsonObject() : QJsonDocument::fromJson(QByteArray(answer, std::min<int>(n, 4096))).object();
        };
        for (const QByteArray& bad : { QByteArray(R"({"type":"hello","seq":"x"})"), QByteArray(R"({"type":1})"),
                 QByteArray(R"({"type":"hello","seq":1e300})"), QByteArray("[1,2]"), QByteArray("not json"),
                 QByteArray(R"({"type":"shutdown"})") })
            QVERIFY2(ask(bad).value("type").toString() == "error", bad.constData());
        // Controls of a run this host does not have, well formed or not: refused, the host runs on.
        for (const QByteArray& control :
            { QByteArray(R"({"type":"control","run":"1-ab","worker":"c1","action":"pause"})"),
                QByteArray(R"({"type":"control","run":"1-ab","worker":"c1","action":"rate","value":-1e300})"),
                QByteArray(R"({"type":"control","run":"1-ab","worker":[],"action":7})"),
                QByteArray(R"({"type":"control","run":"../x","worker":"c1","action":"kill"})") })
            QVERIFY2(ask(control).value("type").toString() == "error", control.constData());
        // Two frames: dropped, no answer; then a hello still gets one.
        zmq_send(dealer, "{}", 2, ZMQ_SNDMORE);
        zmq_send(dealer, "{}", 2, 0);
        const QJsonObject hello = ask(R"({"type":"hello","seq":7})");
        QCOMPARE(hello.value("type").toString(), QStringLiteral("hello"));
        QCOMPARE(hello.value("seq").toInt(), 7);
        QCOMPARE(host.process().state(), QProcess::Running);
    }

    // A controller's raw messages to a live run: controls the host cannot apply (no such worker, a size the worker
    // refuses) come back as warnings with its snapshots and in its report; malformed ones (every field wrong in turn)
    // are said once and change nothing; through all of it the host answers and its run goes on.
    void aLiveRunsControlsAreCheckedByTheHost()
    {
        Host host({}, hostArgs("tcp://127.0.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY(!endpoint.isEmpty());
        void* dealer = zmq_socket(m_context, ZMQ_DEALER);
        QVERIFY(dealer);
        struct Closed {
            void* socket;
            ~Closed() { zmq_close(socket); }
        } closed { dealer };
        const QByteArray secret = readFile(key("controller.key")).trimmed();
        const QByteArray server = readFile(key("host.pub")).trimmed();
        char publicKey[41] = {};
        QCOMPARE(zmq_curve_public(publicKey, secret.constData()), 0);
        const int zero = 0;
        QVERIFY(zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero) == 0
            && zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, server.constData(), 40) == 0
            && zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, publicKey, 40) == 0
            && zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, secret.constData(), 40) == 0
            && zmq_connect(dealer, endpoint.toUtf8().constData()) == 0);
        const auto send = [&](const QByteArray& message) {
            QVERIFY(zmq_send(dealer, message.constData(), std::size_t(message.size()), 0) >= 0);
        };
        // Every message within `ms`, each as JSON, until `done` holds for one.
        const auto readUntil = [&](int ms, const std::function<bool(const QJsonObject&)>& done) {
            QElapsedTimer clock;
            clock.start();
            while (clock.elapsed() < ms) {
                zmq_pollitem_t item { dealer, 0, ZMQ_POLLIN, 0 };
                if (zmq_poll(&item, 1, 100) <= 0)
                    continue;
                zmq_msg_t msg;
                zmq_msg_init(&msg);
                if (zmq_msg_recv(&msg, dealer, ZMQ_DONTWAIT) >= 0) {
                    const QJsonObject json = QJsonDocument::fromJson(
                        QByteArray(static_cast<const char*>(zmq_msg_data(&msg)), int(zmq_msg_size(&msg))))
                                                 .object();
                    zmq_msg_close(&msg);
                    if (done(json))
                        return true;
                } else {
                    zmq_msg_close(&msg);
                }
            }
            return false;
        };
        // Escaped, not a raw string: moc misreads "//" inside one.
        send("{\"type\":\"run\",\"run\":\"1-c0de\",\"scenario\":{\"name\":\"raw\",\"objects\":[{\"name\":"
             "\"far\",\"transport\":\"shm-ring\",\"capacity\":8,\"message_size\":64}],\"workers\":[{\"name\":"
             "\"p\",\"role\":\"producer\",\"object\":\"far\",\"rate\":200},{\"name\":\"c\",\"role\":"
             "\"consumer\",\"object\":\"far\"}]}}");
        QVERIFY(readUntil(10000, [](const QJsonObject& m) { return m.value("type").toString() == "started"; }));
        const QByteArray run = R"("run":"1-c0de")";
        for (const QByteArray& control : {
                 R"({"type":"control",)" + run + R"(,"worker":"nobody","action":"pause"})",
                 R"({"type":"control",)" + run + R"(,"worker":"c","action":"message_size","value":100000})",
                 R"({"type":"control",)" + run + R"(,"worker":"c","action":"explode"})",
                 R"({"type":"control",)" + run + R"(,"worker":[],"action":"pause"})",
                 R"({"type":"control",)" + run + R"(,"worker":"","action":"pause"})",
                 R"({"type":"control",)" + run + R"(,"worker":")" + QByteArray(300, 'w') + R"(","action":"pause"})",
                 R"({"type":"control",)" + run + R"(,"worker":"p","action":"rate","value":-1})",
                 R"({"type":"control",)" + run + R"(,"worker":"p","action":"rate","value":"5"})",
                 R"({"type":"control",)" + run + R"(,"worker":"p","action":"rate"})",
                 R"({"type":"control",)" + run + R"(,"worker":"p","action":"work_us","value":1.5})",
                 R"({"type":"control",)" + run + R"(,"worker":"p","action":"work_us","value":18446744073709551615})",
                 R"({"type":"control",)" + run + R"(,"worker":"p","action":"message_size","value":1e300})",
             })
            send(control);
        QString seen;
        const auto saw = [&](const QJsonObject& m) {
            for (const QJsonValue e : m.value("snapshot").toObject().value("events").toArray())
                seen += e.toObject().value("text").toString() + "\n";
            return seen.contains("pause of worker 'nobody' refused: this host runs no worker of that name")
                && seen.contains("message_size of worker 'c' refused") && seen.contains("does not understand");
        };
        QVERIFY2(readUntil(10000, saw), qPrintable(seen));
        // Refused only once each: the malformed ones are one line, whatever their number.
        QCOMPARE(seen.count("does not understand"), 1);
        QCOMPARE(seen.count("refused"), 2); // nobody, and c's size (a rate of -1 is malformed)
        // The run went on, and the host still answers.
        send(R"({"type":"hello","seq":11,)" + run + "}");
        QVERIFY(readUntil(5000, [](const QJsonObject& m) { return m.value("seq").toInt() == 11; }));
        send(R"({"type":"stop",)" + run + "}");
        QJsonObject report;
        QVERIFY(readUntil(15000, [&](const QJsonObject& m) {
            report = m.value("report").toObject();
            return m.value("type").toString() == "report";
        }));
        QString events;
        for (const QJsonValue e : report.value("events").toArray())
            events += e.toObject().value("text").toString() + "\n";
        QVERIFY2(events.contains("pause of worker 'nobody' refused"), qPrintable(events));
        QVERIFY(report.value("integrity").toObject().value("exact").toBool());
        QCOMPARE(host.process().state(), QProcess::Running);
    }

    static bool haveIpv6Loopback()
    {
        const int probe = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in6 loop {};
        loop.sin6_family = AF_INET6;
        loop.sin6_addr = in6addr_loopback;
        const bool have = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&loop), sizeof loop) == 0;
        if (probe >= 0)
            ::close(probe);
        return have;
    }

    void anIpv6HostAnswers()
    {
        if (!haveIpv6Loopback())
            QSKIP("No IPv6 loopback (::1) on this machine.");
        Host host({}, hostArgs("tcp://[::1]:*"));
        const QString endpoint = host.endpoint();
        QVERIFY2(endpoint.startsWith("tcp://[::1]:"), qPrintable(host.output()));
        const auto r = cli(pingArgs(endpoint));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    // A zmq-tcp object whose consumer's host listens on an IPv6 address: the consumer binds it, the producers here
    // connect to "tcp://[::1]:PORT", and the books balance as over IPv4.
    void aZmqObjectReachesAConsumerOnAnIpv6Host()
    {
        if (!haveIpv6Loopback())
            QSKIP("No IPv6 loopback (::1) on this machine.");
        Host host({}, hostArgs("tcp://[::1]:*"));
        const QString endpoint = host.endpoint();
        QVERIFY2(endpoint.startsWith("tcp://[::1]:"), qPrintable(host.output()));
        zmqBetweenMachinesWithAnExactLedger({}, endpoint, host, 2000, 2000);
        QCOMPARE(leftBy(host.process().processId()), QStringList());
    }

    void nothingListeningIsSaidSo()
    {
        const auto r = cli(pingArgs("tcp://127.0.0.1:1") << "--timeout"
                                                         << "0.5");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("Nothing answers there"), qPrintable(r.err));
    }

    void badListenAddressesAreRefused_data()
    {
        QTest::addColumn<QString>("listen");
        QTest::addColumn<QString>("expected");
        const QString everyInterface = "--all-interfaces if you mean it";
        QTest::newRow("*") << "tcp://*:5555" << everyInterface;
        QTest::newRow("0.0.0.0") << "tcp://0.0.0.0:*" << everyInterface;
        QTest::newRow("[::]") << "tcp://[::]:5555" << everyInterface;
        QTest::newRow("0 (0.0.0.0 spelled short)") << "tcp://0:*" << everyInterface;
        QTest::newRow("0x0") << "tcp://0x0:*" << everyInterface;
        QTest::newRow("[::ffff:0.0.0.0]") << "tcp://[::ffff:0.0.0.0]:*" << everyInterface;
        QTest::newRow("source;destination") << "tcp://127.0.0.1;10.0.0.1:5555"
                                            << "The address may be";
        QTest::newRow("port 0") << "tcp://127.0.0.1:0"
                                << "The port must be a number from 1 to 65535";
        QTest::newRow("ipc://") << "ipc:///tmp/x"
                                << "Give a tcp://ADDRESS:PORT endpoint";
        QTest::newRow("not this machine's") << "tcp://192.0.2.1:5555"
                                            << "not one of this machine's";
    }
    void badListenAddressesAreRefused()
    {
        QFETCH(QString, listen);
        QFETCH(QString, expected);
        const auto r = cli(hostArgs(listen));
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expected) && r.err.count('\n') == 1, qPrintable(r.err));
    }

    void everyInterfaceOnlyWhenAsked()
    {
        Host host({}, hostArgs("tcp://0.0.0.0:*") << "--all-interfaces");
        QVERIFY2(host.endpoint().startsWith("tcp://0.0.0.0:"), qPrintable(host.output()));
    }

    // A secret key others may read, a file of keys others may change, and a file that is not keys.
    void filesOthersCouldTouchAreRefused()
    {
        const QString loose = key("loose");
        QVERIFY(cli({ "--keygen", loose }).exitCode == 0);
        QVERIFY(::chmod(QFile::encodeName(loose + ".key").constData(), 0640) == 0);
        auto r = cli({ "--listen", "tcp://127.0.0.1:*", "--key", loose + ".key", "--allow", key("controller.pub") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("chmod 600"), qPrintable(r.err));
        r = cli(pingArgs("tcp://127.0.0.1:9", "loose"));
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("chmod 600"), qPrintable(r.err));

        QVERIFY(::chmod(QFile::encodeName(loose + ".pub").constData(), 0666) == 0);
        r = cli({ "--listen", "tcp://127.0.0.1:*", "--key", key("host.key"), "--allow", loose + ".pub" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("chmod go-w"), qPrintable(r.err));

        QFile notKeys(key("notkeys.pub"));
        QVERIFY(notKeys.open(QIODevice::WriteOnly));
        notKeys.write("# controllers\n\nhello\n");
        notKeys.close();
        r = cli({ "--listen", "tcp://127.0.0.1:*", "--key", key("host.key"), "--allow", key("notkeys.pub") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("Line 3 is not a public key"), qPrintable(r.err));

        QVERIFY(QFile::link(key("host.key"), key("linked.key")));
        r = cli({ "--listen", "tcp://127.0.0.1:*", "--key", key("linked.key"), "--allow", key("controller.pub") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("linked.key") && r.err.contains("symbolic link"), qPrintable(r.err));
        r = cli(pingArgs("tcp://127.0.0.1:9", "linked"));
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("symbolic link"), qPrintable(r.err));
    }

    // Two network namespaces joined by a veth pair: the host in one on 10.231.0.1, the controller in the other on
    // 10.231.0.2. A ping crosses; a stranger's key is refused; with the link down nothing answers.
    void acrossTwoNetworkNamespaces()
    {
        if (::geteuid() != 0)
            QSKIP("Needs root to make network namespaces (ip netns add); run the suite as root to include it.");
        const QString tag = QString::number(QCoreApplication::applicationPid());
        const QString hostNs = "ipclab-t" + tag + "-host";
        const QString ctlNs = "ipclab-t" + tag + "-ctl";
        const QString hostIf = "ipt" + tag + "h";
        const QString ctlIf = "ipt" + tag + "c";
        const auto ip = [](const QStringList& args) { return ipctest::runProgram("ip", args, {}, 10000); };
        if (const auto r = ip({ "netns", "add", hostNs }); r.exitCode != 0)
            QSKIP(qPrintable("Cannot make a network namespace here (ip netns add: " + r.err.trimmed()
                + "); a container without CAP_SYS_ADMIN, or no iproute2."));
        const auto removeNamespaces = qScopeGuard([&] {
            ip({ "netns", "del", hostNs });
            ip({ "netns", "del", ctlNs });
        });
        for (const QStringList& args : QList<QStringList> { { "netns", "add", ctlNs },
                 { "link", "add", hostIf, "type", "veth", "peer", "name", ctlIf },
                 { "link", "set", hostIf, "netns", hostNs }, { "link", "set", ctlIf, "netns", ctlNs },
                 { "-n", hostNs, "address", "add", "10.231.0.1/24", "dev", hostIf },
                 { "-n", ctlNs, "address", "add", "10.231.0.2/24", "dev", ctlIf },
                 { "-n", hostNs, "link", "set", hostIf, "up" }, { "-n", ctlNs, "link", "set", ctlIf, "up" },
                 { "-n", hostNs, "link", "set", "lo", "up" } }) {
            const auto r = ip(args);
            QVERIFY2(r.exitCode == 0, qPrintable("ip " + args.join(' ') + ": " + r.err));
        }
        const QStringList inHost { "ip", "netns", "exec", hostNs };
        const QStringList inCtl { "ip", "netns", "exec", ctlNs };

        // The host's address exists only in its namespace: binding it here would fail.
        Host host(inHost, hostArgs("tcp://10.231.0.1:*"));
        const QString endpoint = host.endpoint();
        QVERIFY2(endpoint.startsWith("tcp://10.231.0.1:"), qPrintable(host.output()));

        auto r = cli(pingArgs(endpoint) << "--json", inCtl);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(json.value("pid").toInteger(), host.process().processId());
        // Namespaces share the kernel's monotonic clock, so the estimate must hold here too.
        const qint64 offset = json.value("clock_offset_ns").toInteger();
        const qint64 error = json.value("clock_offset_error_ns").toInteger();
        QVERIFY2(error > 0 && std::abs(offset) <= error,
            qPrintable(QString("offset %1 ns, error %2 ns").arg(offset).arg(error)));
        QVERIFY2(host.output(200).contains("let in a controller from 10.231.0.2"), qPrintable(host.output()));

        r = cli(pingArgs(endpoint, "stranger"), inCtl);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("refused this controller's key"), qPrintable(r.err));

        // From outside both namespaces the address does not exist at all.
        r = cli(pingArgs(endpoint) << "--timeout"
                                   << "0.5");
        QCOMPARE(r.exitCode, 1);

        // A live link across: cut (lost within 2 s), back (up again), the host killed (lost within 2 s).
        LinkWatch watch(inCtl, pingArgs(endpoint));
        QVERIFY2(watch.waitFor("up", 10000) >= 0, qPrintable(watch.lines()));
        QVERIFY(ip({ "-n", ctlNs, "link", "set", ctlIf, "down" }).exitCode == 0);
        qint64 lostAfter = watch.waitFor("lost", 5000);
        qInfo("shown lost %lld ms after the host died or the link went down", qint64(lostAfter));
        QVERIFY2(lostAfter >= 0 && lostAfter < 2000,
            qPrintable(QString("lost after %1 ms:\n").arg(lostAfter) + watch.lines()));
        r = cli(pingArgs(endpoint) << "--timeout"
                                   << "1",
            inCtl);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("Nothing answers there"), qPrintable(r.err));
        QVERIFY2(host.process().state() == QProcess::Running, "the host should outlive a link going down");

        QVERIFY(ip({ "-n", ctlNs, "link", "set", ctlIf, "up" }).exitCode == 0);
        QVERIFY2(watch.waitFor("up", 15000) >= 0, qPrintable(watch.lines()));

        // A scenario with a queue on each side: an exact ledger across; then the link cut mid-run.
        runsAcrossWithAnExactLedger(inCtl, endpoint, host);
        // A zmq-tcp object between the two: producers in this namespace, its consumer in the host's, reached at
        // the host's address; counted, then flooding until the stop.
        zmqBetweenMachinesWithAnExactLedger(inCtl, endpoint, host, 2000, 2000);
        zmqBetweenMachinesWithAnExactLedger(inCtl, endpoint, host, 0, 0);
        zmqBetweenMachinesWithAnExactLedger(inCtl, endpoint, host, 0, 0, 2);
        hostLostMidRun(inCtl, endpoint, [&] {
            QVERIFY(ip({ "-n", ctlNs, "link", "set", ctlIf, "down" }).exitCode == 0);
        });
        QVERIFY(ip({ "-n", ctlNs, "link", "set", ctlIf, "up" }).exitCode == 0);
        watch.skipPrinted();
        QVERIFY2(watch.waitFor("up", 15000) >= 0, qPrintable(watch.lines()));
        // The host stopped that run by itself once its controller went silent, and removed its objects.
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 8000 && !host.output(100).contains("the controller sent nothing"))
            ;
        QVERIFY2(host.output(2000).contains("ended, objects removed"), qPrintable(host.output()));

        // Cut for longer than the host waits for a silent controller, then back while the run goes on: the host
        // stopped its part cleanly, and the controller fetches that part's report when the link returns, so the
        // books are whole (exact) though the stream missed the end.
        {
            const QString report = key("back.report.json");
            QProcess run;
            startTiedToThisTest(run,
                inCtl
                    + QStringList { ipctest::cliPath(), "run", twoMachineScenario(endpoint, 0), "--duration", "12",
                        "--json", report });
            QStringList seen;
            QVERIFY2(waitForLine(run, "Running two-machines", 10000, seen) >= 0, qPrintable(seen.join('\n')));
            QTest::qWait(1000);
            QVERIFY(ip({ "-n", ctlNs, "link", "set", ctlIf, "down" }).exitCode == 0);
            QVERIFY2(waitForLine(run, "stopped answering", 5000, seen) >= 0, qPrintable(seen.join('\n')));
            QTest::qWait(4000);
            QVERIFY(ip({ "-n", ctlNs, "link", "set", ctlIf, "up" }).exitCode == 0);
            QVERIFY2(waitForLine(run, "answers again", 15000, seen) >= 0, qPrintable(seen.join('\n')));
            QVERIFY2(run.waitForFinished(30000), "the run did not end");
            seen << QString::fromUtf8(run.readAll());
            QCOMPARE(run.exitCode(), 0);
            const QJsonObject whole = readJson(report);
            const QJsonObject there = entry(whole, "objects", "there").value("integrity").toObject();
            QVERIFY2(
                there.value("exact").toBool() && there.value("received").toInteger() > 0, qPrintable(seen.join('\n')));
            QVERIFY(whole.value("integrity").toObject().value("exact").toBool());
        }

        watch.skipPrinted();
        host.process().kill();
        lostAfter = watch.waitFor("lost", 5000);
        qInfo("shown lost %lld ms after the host died or the link went down", qint64(lostAfter));
        QVERIFY2(lostAfter >= 0 && lostAfter < 2000,
            qPrintable(QString("lost after %1 ms:\n").arg(lostAfter) + watch.lines()));
    }
};

QTEST_GUILESS_MAIN(TestHosts)
#include "tst_hosts.moc"

// The bench through its API and through ipclab-cli: a tiny run (a few thousand messages, one repeat) must produce a
// complete report with positive figures, reject bad options with exit status 2, stop when cancelled, and leave no
// IPC object behind on any of these paths. No timing is asserted.
#include "test_support.h"

#include "ipccore/bench.h"
#include "ipccore/runner.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ipccore;

namespace {

// Everything the bench of process `pid` may create: shm, semaphores and queues (when /dev/mqueue is mounted), and
// FIFOs and sockets in the runtime directory.
QStringList benchLeftovers(qint64 pid)
{
    const QString needle = QStringLiteral("ipclab-b%1-").arg(pid);
    QStringList found = ipctest::leftoverObjects(needle);
    const QDir runtime(QString::fromStdString(runtimeDirectory()));
    for (const QString& entry : runtime.entryList(QDir::Files | QDir::System))
        if (entry.startsWith(needle))
            found << runtime.filePath(entry);
    return found;
}

// The transports the in-process bench tests measure. Under ThreadSanitizer, not zmq nor zmq-tcp: QtTest's watchdog
// thread makes this process multi-threaded, TSan kills a child forked from it that starts a thread, and a zmq side
// starts libzmq's I/O thread. (ipclab-cli forks from one thread: cliTinyBenchWritesJson measures zmq under TSan too.)
std::vector<TransportKind> inProcessTransports()
{
    std::vector<TransportKind> kinds = benchTransports();
#if defined(__SANITIZE_THREAD__)
    std::erase(kinds, TransportKind::Zmq);
    std::erase(kinds, TransportKind::ZmqTcp);
#endif
    return kinds;
}

BenchOptions tinyOptions()
{
    BenchOptions o;
    o.transports = inProcessTransports();
    o.sizes = { 64 };
    o.messages = 2000;
    o.repeat = 1;
    o.pings = 200;
    o.python = false;
    o.observation = false;
    return o;
}

} // namespace

class TestBench : public QObject {
    Q_OBJECT

private slots:
    void apiTinyBench()
    {
        std::vector<BenchProgress> seen;
        auto report = runBench(tinyOptions(), [&](const BenchProgress& p) { seen.push_back(p); });
        QVERIFY2(report.has_value(), report.has_value() ? "" : report.error().message().c_str());
        // Every queueing transport at 64 B, the anonymous pipe and socketpair included (their ends inherited), and
        // ZeroMQ over ipc:// and tcp:// (but see inProcessTransports).
        QCOMPARE(benchTransports().size(), std::size_t(9));
        QCOMPARE(report->results.size(), inProcessTransports().size());
        for (const BenchResult& r : report->results) {
            QVERIFY(r.applicable);
            // The same transfer through one-step programs, beside the producer/consumer loops.
            QVERIFY(r.programMsgsPerS.median > 0);
            QVERIFY(r.programRatio > 0);
            QVERIFY(r.msgsPerS.median > 0);
            QVERIFY(r.msgsPerS.min <= r.msgsPerS.median && r.msgsPerS.median <= r.msgsPerS.max);
            QVERIFY(r.mbPerS.median > 0);
            QVERIFY(r.p50Us > 0 && r.p99Us >= r.p50Us);
            QVERIFY(!r.baseline.empty());
            QVERIFY(r.ratio > 0);
        }
        QVERIFY(report->memcpyMbPerS.median > 0);
        // The integrity checks: the frame's xxh3 and the two CRC-32C forms, at 64 B, 4 KiB and 64 KiB.
        QCOMPARE(report->checks.size(), std::size_t(9));
        for (const char* name : { "xxh3", "crc32c 3-way", "crc32c" }) {
            for (std::uint32_t size : { 64u, 4096u, 65536u }) {
                const auto found = std::find_if(report->checks.begin(), report->checks.end(),
                    [&](const BenchCheck& c) { return c.name == name && c.size == size; });
                QVERIFY2(found != report->checks.end(), name);
                QVERIFY(found->mbPerS.min > 0 && found->mbPerS.min <= found->mbPerS.median);
                QVERIFY(found->nsPerKiB() > 0);
            }
        }
        QVERIFY(!seen.empty());
        for (std::size_t i = 0; i < seen.size(); ++i) {
            QCOMPARE(seen[i].step, i);
            QCOMPARE(seen[i].steps, seen.size());
            QVERIFY(!seen[i].what.empty());
        }
        const std::string text = benchReportToText(*report);
        QVERIFY(text.find("The same transfers through programs") != std::string::npos);
        QVERIFY(text.find("socketpair") != std::string::npos);
        QVERIFY(text.find("integrity check of a frame") != std::string::npos);
        const auto back = benchReportFromJson(benchReportToJson(*report));
        QVERIFY(back.has_value());
        QCOMPARE(back->checks.size(), report->checks.size());
        QCOMPARE(benchReportToJson(*back), benchReportToJson(*report));
        QVERIFY2(benchLeftovers(getpid()).isEmpty(), qPrintable(benchLeftovers(getpid()).join(", ")));
    }

    void apiWithoutProgramsMeasuresNone()
    {
        BenchOptions o = tinyOptions();
        o.transports = { TransportKind::Pipe };
        o.programs = false;
        o.pings = 0;
        auto report = runBench(o);
        QVERIFY2(report.has_value(), report.has_value() ? "" : report.error().message().c_str());
        QCOMPARE(report->results.size(), std::size_t(1));
        QVERIFY(report->results[0].msgsPerS.median > 0);
        QCOMPARE(report->results[0].programRatio, 0.0);
        QVERIFY(benchReportToText(*report).find("through programs") == std::string::npos);
    }

    // --pin: every pair's producer on one CPU and consumer on another; the bench checks where each side ended and
    // fails the run if the pinning did not hold, so a run that returns is one that was pinned.
    void apiPinnedPairsRunOnTheirCpus()
    {
        cpu_set_t set;
        CPU_ZERO(&set);
        QVERIFY(sched_getaffinity(0, sizeof set, &set) == 0);
        if (CPU_COUNT(&set) < 2)
            QSKIP("this process may run on one CPU only: nothing to pin two processes to");
        BenchOptions o = tinyOptions();
        o.transports = { TransportKind::ShmSpsc, TransportKind::Fifo };
        o.programs = false;
        o.pin = true;
        auto report = runBench(o);
        QVERIFY2(report.has_value(), report.has_value() ? "" : report.error().message().c_str());
        QVERIFY(report->producerCpu >= 0 && CPU_ISSET(report->producerCpu, &set));
        QVERIFY(report->consumerCpu >= 0 && CPU_ISSET(report->consumerCpu, &set));
        QVERIFY(report->producerCpu != report->consumerCpu);
        for (const BenchResult& r : report->results)
            QVERIFY(r.msgsPerS.median > 0 && r.ratio > 0 && r.p50Us > 0);
        const std::string text = benchReportToText(*report);
        QVERIFY(text.find("pinned: producers on CPU " + std::to_string(report->producerCpu)) != std::string::npos);
        const auto back = benchReportFromJson(benchReportToJson(*report));
        QVERIFY(back.has_value());
        QCOMPARE(back->producerCpu, report->producerCpu);
        QCOMPARE(back->consumerCpu, report->consumerCpu);
        // An unpinned bench after it is not pinned.
        o.pin = false;
        o.transports = { TransportKind::Fifo };
        o.pings = 0;
        report = runBench(o);
        QVERIFY(report.has_value());
        QCOMPARE(report->producerCpu, -1);
        QVERIFY(benchReportToText(*report).find("not pinned") != std::string::npos);
        QVERIFY2(benchLeftovers(getpid()).isEmpty(), qPrintable(benchLeftovers(getpid()).join(", ")));
    }

    // A process allowed on one CPU cannot pin two: one message naming --pin and the remedy, before anything is made.
    void pinNeedsTwoCpus()
    {
        cpu_set_t before;
        CPU_ZERO(&before);
        QVERIFY(sched_getaffinity(0, sizeof before, &before) == 0);
        int first = 0;
        while (first < CPU_SETSIZE && !CPU_ISSET(first, &before))
            ++first;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        QVERIFY(sched_setaffinity(0, sizeof one, &one) == 0); // the child inherits it
        QProcess cli;
        cli.start(ipctest::cliPath(), { "bench", "--pin", "--messages", "100" });
        const bool started = cli.waitForStarted();
        QVERIFY(sched_setaffinity(0, sizeof before, &before) == 0);
        QVERIFY(started);
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 2);
        const QString err = QString::fromUtf8(cli.readAllStandardError());
        QVERIFY2(
            err.contains("--pin") && err.contains("may run on 1") && err.contains("leave --pin out"), qPrintable(err));
        QVERIFY(benchLeftovers(cli.processId()).isEmpty());
    }

    // A figure whose repeats strayed more than ±15 % from their median is marked noisy, and so is a ratio or goal
    // drawn from it.
    void noisyFiguresAreMarked()
    {
        QCOMPARE(BenchStats({ 100, 90, 110 }).spread(), 0.1);
        QVERIFY(!BenchStats({ 100, 90, 110 }).noisy());
        QVERIFY(BenchStats({ 100, 80, 105 }).noisy()); // 20 % below
        QVERIFY(BenchStats({ 100, 99, 120 }).noisy()); // 20 % above
        QCOMPARE(BenchStats {}.spread(), 0.0);

        BenchReport r;
        r.repeat = 5;
        BenchResult quiet;
        quiet.transport = TransportKind::Fifo;
        quiet.size = 64;
        quiet.msgsPerS = { 600e3, 590e3, 610e3 };
        quiet.baseline = "bare write/read on a FIFO";
        quiet.baselineMsgsPerS = { 700e3, 680e3, 720e3 };
        quiet.ratio = 600.0 / 700.0;
        BenchResult noisy = quiet;
        noisy.transport = TransportKind::Socket;
        noisy.baselineMsgsPerS = { 700e3, 400e3, 720e3 }; // one repeat at 57 % of the median
        r.results = { quiet, noisy };
        QVERIFY(!quiet.noisy());
        QVERIFY(noisy.noisy());
        const std::string text = benchReportToText(r);
        const auto line = [&](const char* transport) {
            const std::size_t at = text.find("\n" + std::string(transport) + " ");
            return at == std::string::npos ? std::string() : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
        };
        QVERIFY2(line("fifo").find("noisy") == std::string::npos, line("fifo").c_str());
        QVERIFY2(line("socket").find("noisy") != std::string::npos, line("socket").c_str());
        QVERIFY2(line("socket").find("+-43%") != std::string::npos, line("socket").c_str());
        QVERIFY(text.find("noisy: a run strayed more than +-15%") != std::string::npos);
        const auto back = benchReportFromJson(benchReportToJson(r));
        QVERIFY(back.has_value());
        QVERIFY(back->results[1].noisy() && !back->results[0].noisy());
    }

    // A Manager request is two mq hops one at a time, so the report sets its rate against what mq's one-way
    // latency in the same run allows; without that latency (no pings) it says nothing.
    void managerIsSetAgainstTheMqRoundTrip()
    {
        BenchReport r;
        BenchResult mq;
        mq.transport = TransportKind::Mq;
        mq.size = 64;
        mq.msgsPerS = { 500e3 };
        mq.p50Us = 10; // a round trip of 20 us: 50 k requests/s at most
        BenchSystem manager;
        manager.name = "Manager dict get/set";
        manager.unit = "requests/s";
        manager.lab = BenchStats({ 40e3 });
        r.results = { mq };
        r.systems = { manager };
        const std::string text = benchReportToText(r);
        QVERIFY2(text.find("allows about 50.0 k requests/s; the lab reaches 0.80x of that") != std::string::npos,
            text.c_str());
        r.results[0].p50Us = -1;
        QVERIFY(benchReportToText(r).find("two mq hops") == std::string::npos);
    }

    // A Manager's dict and Pool.map run as the lab's programs under a Runner (real workers, two mqs each) and as
    // Python's multiprocessing does them: both rates, their ratio and the goal's verdict, through the JSON unchanged.
    void pythonSystemsRunAsPrograms()
    {
        BenchOptions o = tinyOptions();
        o.transports = { TransportKind::Pipe };
        o.baselines = false;
        o.programs = false;
        o.pings = 0;
        o.python = true;
        o.workerPath = ipctest::workerPath().toStdString();
        auto report = runBench(o);
        QVERIFY2(report.has_value(), report.has_value() ? "" : report.error().message().c_str());
        QVERIFY2(report->systemsNote.empty(), report->systemsNote.c_str());
        QCOMPARE(report->systems.size(), std::size_t(2));
        QCOMPARE(report->systems[0].name, std::string("Manager dict get/set"));
        QCOMPARE(report->systems[1].name, std::string("Pool.map chunksize=1"));
        const bool python = !report->python.empty(); // python3 may be missing: then the lab's side only
        for (const BenchSystem& x : report->systems) {
            QVERIFY2(x.lab.median > 100, x.name.c_str()); // a request or a task takes microseconds, not ms
            QVERIFY(x.lab.min <= x.lab.median && x.lab.median <= x.lab.max);
            QCOMPARE(x.pythonPerS > 0, python);
            QCOMPARE(x.ratio() > 0, python);
            const auto goal = std::find_if(report->goals.begin(), report->goals.end(),
                [&](const BenchGoal& g) { return g.text.rfind(x.name, 0) == 0; });
            QVERIFY(goal != report->goals.end());
            QCOMPARE(goal->measured, python);
        }
        const std::string text = benchReportToText(*report);
        QVERIFY(text.find("Python's systems as the lab's programs run them") != std::string::npos);
        const std::string json = benchReportToJson(*report);
        const auto back = benchReportFromJson(json);
        QVERIFY(back.has_value());
        QCOMPARE(benchReportToJson(*back), json);
        QCOMPARE(back->systems.size(), std::size_t(2));
        QVERIFY2(benchLeftovers(getpid()).isEmpty(), qPrintable(benchLeftovers(getpid()).join(", ")));
    }

    void apiMqAtLargeSizeIsNotApplicable()
    {
        BenchOptions o = tinyOptions();
        o.transports = { TransportKind::Mq };
        o.sizes = { 65536 };
        auto report = runBench(o);
        QVERIFY2(report.has_value(), report.has_value() ? "" : report.error().message().c_str());
        QCOMPARE(report->results.size(), std::size_t(1));
        QVERIFY(!report->results[0].applicable);
        QVERIFY(report->results[0].note.find("msgsize_max") != std::string::npos);
    }

    void apiRejectsBadOptions_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("messages 0") << 0;
        QTest::newRow("repeat 0") << 1;
        QTest::newRow("size 31") << 2;
        QTest::newRow("size 65537") << 3;
        QTest::newRow("shm-value") << 4;
        QTest::newRow("no sizes") << 5;
    }
    void apiRejectsBadOptions()
    {
        QFETCH(int, which);
        BenchOptions o = tinyOptions();
        switch (which) {
        case 0:
            o.messages = 0;
            break;
        case 1:
            o.repeat = 0;
            break;
        case 2:
            o.sizes = { 31 };
            break;
        case 3:
            o.sizes = { 65537 };
            break;
        case 4:
            o.transports = { TransportKind::ShmValue };
            break;
        case 5:
            o.sizes.clear();
            break;
        }
        auto report = runBench(o);
        QVERIFY(!report.has_value());
        QCOMPARE(report.error().code, ErrorCode::InvalidArgument);
    }

    void apiCancelStopsAndCleansUp()
    {
        std::atomic<bool> cancel { false };
        BenchOptions o = tinyOptions();
        o.messages = 200000;
        auto report = runBench(
            o,
            [&](const BenchProgress& p) {
                if (p.step == 3)
                    cancel.store(true);
            },
            &cancel);
        QVERIFY(!report.has_value());
        QCOMPARE(report.error().code, ErrorCode::Interrupted);
        QVERIFY2(benchLeftovers(getpid()).isEmpty(), qPrintable(benchLeftovers(getpid()).join(", ")));
    }

    void cliTinyBenchWritesJson()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString json = dir.filePath("b.json");
        QProcess cli;
        cli.start(ipctest::cliPath(),
            { "bench", "--messages", "2000", "--repeat", "1", "--sizes", "64,65536", "--pings", "200", "--json",
                json });
        QVERIFY(cli.waitForStarted());
        const qint64 pid = cli.processId();
        QVERIFY(cli.waitForFinished(240000));
        QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        QVERIFY(cli.readAllStandardOutput().contains("Speed goals"));

        QFile file(json);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonArray results = root["results"].toArray();
        QCOMPARE(results.size(), 18); // 9 transports at 2 sizes
        bool sawMqNotApplicable = false;
        for (const QJsonValue& v : results) {
            const QJsonObject r = v.toObject();
            for (const char* key : { "transport", "size", "msgs_per_s", "mb_per_s", "p50_us", "p99_us", "baseline",
                     "ratio", "msgs_per_s_min", "msgs_per_s_max" })
                QVERIFY2(r.contains(key), key);
            if (!r["applicable"].toBool()) {
                QCOMPARE(r["transport"].toString(), QString("mq"));
                QCOMPARE(r["size"].toInt(), 65536);
                sawMqNotApplicable = true;
                continue;
            }
            for (const char* key : { "msgs_per_s", "mb_per_s", "p50_us", "p99_us", "ratio", "msgs_per_s_min" })
                QVERIFY2(r[key].toDouble() > 0, key);
            QVERIFY(r["baseline"].toObject()["msgs_per_s"].toDouble() > 0);
            QVERIFY(r["program"].toObject()["msgs_per_s"].toDouble() > 0);
            QVERIFY(r["program"].toObject()["ratio"].toDouble() > 0);
        }
        QVERIFY(sawMqNotApplicable);

        QVERIFY(root["python"].isArray());
        const QJsonArray python = root["python"].toArray();
        if (python.isEmpty())
            QVERIFY(!root["python_note"].toString().isEmpty()); // python3 absent: said so
        for (const QJsonValue& v : python) {
            QVERIFY(!v.toObject()["name"].toString().isEmpty());
            QVERIFY(v.toObject()["msgs_per_s"].toDouble() > 0);
        }
        const QJsonObject obs = root["observation"].toObject();
        QVERIFY(obs["telemetry_ratio"].toDouble() > 0);
        QVERIFY(obs["events_ratio"].toDouble() > 0);
        QVERIFY(obs["sampler_cpu_fraction"].toDouble() > 0);
        QVERIFY(obs["sampler_1khz_ratio"].toDouble() > 0);
        // The sampler's CPU is measured with as many workers as a run takes, and the samples it took are counted.
        QCOMPARE(obs["sampler_workers"].toInt(), 128);
        QVERIFY(obs["sampler_hz_achieved"].toDouble() > 0);
        QVERIFY(obs["sampler_hz_achieved"].toDouble() <= 1000 * 1.01);
        QVERIFY2(benchLeftovers(pid).isEmpty(), qPrintable(benchLeftovers(pid).join(", ")));
        // Its list of queue names (for cleanup after a kill) is gone too.
        QVERIFY(
            !QFile::exists(QString::fromStdString(runtimeDirectory()) + QStringLiteral("/ipclab-b%1.queues").arg(pid)));
    }

    void reportSurvivesJsonRoundTrip()
    {
        // The GUI reads `ipclab-cli bench --json -` back with benchReportFromJson: every field must survive.
        auto report = runBench(tinyOptions());
        QVERIFY2(report.has_value(), report.has_value() ? "" : report.error().message().c_str());
        report->python = { { "multiprocessing.Queue", 123456.5 } };
        report->pythonNote = "a note";
        report->observation.telemetryMeasured = true;
        report->observation.telemetryRatio = 0.97;
        report->observation.note = "sampler skipped";
        const std::string json = benchReportToJson(*report);
        const auto back = benchReportFromJson(json);
        QVERIFY2(back.has_value(), back.has_value() ? "" : back.error().message().c_str());
        QCOMPARE(benchReportToJson(*back), json);
        QCOMPARE(back->results.size(), report->results.size());
        QCOMPARE(back->results[0].msgsPerS.median, report->results[0].msgsPerS.median);
        QCOMPARE(back->results[0].transport, report->results[0].transport);
        QCOMPARE(back->goals.size(), report->goals.size());
        QCOMPARE(back->observation.samplerCpuFraction, -1.0);

        for (const char* bad :
            { "", "[1,2]", "{\"results\": [{\"transport\": \"carrier-pigeon\"}]}", "{\"results\": [3]}", "{}" }) {
            const auto r = benchReportFromJson(bad);
            QVERIFY2(!r.has_value(), bad);
            QCOMPARE(r.error().code, ErrorCode::Corrupt);
        }
    }

    void optionsSurviveTheCommandLine()
    {
        BenchOptions o;
        o.transports = { TransportKind::Socket, TransportKind::ShmSpsc };
        o.sizes = { 64, 65536 };
        o.messages = 12345;
        o.repeat = 2;
        o.pings = 77;
        o.baselines = false;
        o.python = false;
        o.observation = false;
        o.pin = true;
        o.workerPath = ipctest::workerPath().toStdString(); // must exist: the parser checks it
        for (const BenchOptions& options : { o, BenchOptions {} }) {
            std::vector<std::string> words { "ipclab-cli", "bench" };
            for (const std::string& a : benchCommandLine(options))
                words.push_back(a);
            std::vector<char*> argv;
            for (std::string& w : words)
                argv.push_back(w.data());
            const auto parsed = parseBenchCommandLine(int(argv.size()), argv.data(), 2, nullptr);
            QVERIFY2(parsed.has_value(), parsed.has_value() ? "" : parsed.error().message().c_str());
            QVERIFY(parsed->transports == options.transports);
            QVERIFY(parsed->sizes == options.sizes);
            QCOMPARE(parsed->messages, options.messages);
            QCOMPARE(parsed->repeat, options.repeat);
            QCOMPARE(parsed->pings, options.pings);
            QCOMPARE(parsed->baselines, options.baselines);
            QCOMPARE(parsed->python, options.python);
            QCOMPARE(parsed->observation, options.observation);
            QCOMPARE(parsed->pin, options.pin);
            QCOMPARE(parsed->workerPath, options.workerPath);
        }
    }

    void cliWritesOnlyJsonToStdoutWithJsonDash()
    {
        QProcess cli;
        cli.start(ipctest::cliPath(),
            { "bench", "--transports", "mq", "--sizes", "64", "--messages", "2000", "--repeat", "1", "--pings", "100",
                "--no-python", "--no-observation", "--json", "-" });
        QVERIFY(cli.waitForFinished(120000));
        const QByteArray err = cli.readAllStandardError();
        QVERIFY2(cli.exitCode() == 0, err.constData());
        QVERIFY2(err.contains("[1/"), err.constData()); // progress goes to stderr, the JSON alone to stdout
        const QByteArray out = cli.readAllStandardOutput();
        const auto report = benchReportFromJson(std::string_view(out.constData(), std::size_t(out.size())));
        QVERIFY2(report.has_value(), out.constData());
        QCOMPARE(report->results.size(), std::size_t(1));
        QVERIFY(report->results[0].msgsPerS.median > 0);
    }

    void cleanupRemovesTheObjectsOfADeadBenchOnly()
    {
        // A bench SIGKILLed mid-measurement leaves "/ipclab-b<pid>-..." objects; they are removed once that pid is
        // gone, and a live bench's are left alone. A reaped child's pid stands for the dead bench.
        const pid_t dead = fork();
        if (dead == 0)
            _exit(0);
        QVERIFY(dead > 0);
        QCOMPARE(waitpid(dead, nullptr, 0), dead);
        const QString deadPrefix = QStringLiteral("ipclab-b%1-").arg(dead);
        const QString livePrefix = QStringLiteral("ipclab-b%1-").arg(getpid());
        const std::string runtime = runtimeDirectory();
        QVERIFY(mkdir(runtime.c_str(), 0700) == 0 || errno == EEXIST);
        for (const QString& prefix : { deadPrefix, livePrefix }) {
            const std::string shm = "/" + prefix.toStdString() + "0-ring";
            const int fd = shm_open(shm.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
            QVERIFY2(fd >= 0, std::strerror(errno));
            close(fd);
            sem_t* sem = sem_open(("/" + prefix.toStdString() + "0-ring.full").c_str(), O_CREAT | O_EXCL, 0600, 0);
            QVERIFY(sem != SEM_FAILED);
            sem_close(sem);
            QCOMPARE(mkfifo((runtime + "/" + prefix.toStdString() + "1-pipe.fifo").c_str(), 0600), 0);
        }
        // A queue, named in the dead bench's list (the only way to find it where /dev/mqueue is not mounted).
        const std::string queue = "/" + deadPrefix.toStdString() + "2-q";
        mq_attr attr {};
        attr.mq_maxmsg = 1;
        attr.mq_msgsize = 64;
        const mqd_t q = mq_open(queue.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
        QVERIFY2(q != mqd_t(-1), std::strerror(errno));
        mq_close(q);
        const QString list = QString::fromStdString(runtime) + QStringLiteral("/ipclab-b%1.queues").arg(dead);
        QFile listFile(list);
        QVERIFY(listFile.open(QIODevice::WriteOnly));
        listFile.write(QByteArray::fromStdString(queue + "\n/ipclab-someone-else\n"));
        listFile.close();

        QProcess cli;
        cli.start(ipctest::cliPath(), { "cleanup" });
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 0);
        const QString said = QString::fromLocal8Bit(cli.readAllStandardOutput());
        // Any run starting beside this test (ctest runs two at once) cleans up the same way and may have been first;
        // so only "gone" is required of the dead bench's objects, and "kept" (never named) of the live one's.
        QVERIFY2(!said.contains(livePrefix), qPrintable(said));
        QVERIFY2(benchLeftovers(dead).isEmpty(), qPrintable(benchLeftovers(dead).join(", ")));
        QVERIFY(mq_open(queue.c_str(), O_RDONLY) == mqd_t(-1) && errno == ENOENT);
        QVERIFY(!QFile::exists(list));

        const QStringList live = benchLeftovers(getpid());
        QCOMPARE(live.size(), 3); // the shm, the semaphore and the FIFO of the live "bench" (this test) remain
        shm_unlink(("/" + livePrefix.toStdString() + "0-ring").c_str());
        sem_unlink(("/" + livePrefix.toStdString() + "0-ring.full").c_str());
        unlink((runtime + "/" + livePrefix.toStdString() + "1-pipe.fifo").c_str());
        QVERIFY(benchLeftovers(getpid()).isEmpty());
    }

    void cliRejectsBadOptions_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown option") << QStringList { "--frobnicate" } << "--frobnicate";
        QTest::newRow("missing value") << QStringList { "--messages" } << "--messages";
        QTest::newRow("messages not a number") << QStringList { "--messages", "lots" } << "--messages";
        QTest::newRow("messages too few") << QStringList { "--messages", "5" } << "--messages";
        QTest::newRow("messages negative") << QStringList { "--messages", "-5" } << "--messages";
        QTest::newRow("repeat 0") << QStringList { "--repeat", "0" } << "--repeat";
        QTest::newRow("repeat 101") << QStringList { "--repeat", "101" } << "--repeat";
        QTest::newRow("size 31") << QStringList { "--sizes", "31" } << "--sizes";
        QTest::newRow("size 65537") << QStringList { "--sizes", "64,65537" } << "--sizes";
        QTest::newRow("empty size") << QStringList { "--sizes", "64,,128" } << "--sizes";
        QTest::newRow("size twice") << QStringList { "--sizes", "64,64" } << "--sizes";
        QTest::newRow("unknown transport") << QStringList { "--transports", "carrier-pigeon" } << "--transports";
        QTest::newRow("shm-value") << QStringList { "--transports", "shm-value" } << "--transports";
        QTest::newRow("transport twice") << QStringList { "--transports", "mq,mq" } << "--transports";
        QTest::newRow("json unwritable") << QStringList { "--json", "/nonexistent-dir/b.json" } << "--json";
        QTest::newRow("worker missing") << QStringList { "--worker", "/nonexistent/ipclab-worker" } << "--worker";
    }
    void cliRejectsBadOptions()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        QProcess cli;
        cli.start(ipctest::cliPath(), QStringList { "bench" } + args);
        QVERIFY(cli.waitForStarted());
        const qint64 pid = cli.processId();
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
        QCOMPARE(cli.exitCode(), 2);
        const QString err = QString::fromLocal8Bit(cli.readAllStandardError());
        QVERIFY2(err.contains(mentions), qPrintable(err));
        QVERIFY(benchLeftovers(pid).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestBench)
#include "tst_bench.moc"

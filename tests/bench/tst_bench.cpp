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

BenchOptions tinyOptions()
{
    BenchOptions o;
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
        QCOMPARE(report->results.size(), std::size_t(5)); // every queueing transport at 64 B
        for (const BenchResult& r : report->results) {
            QVERIFY(r.applicable);
            QVERIFY(r.msgsPerS.median > 0);
            QVERIFY(r.msgsPerS.min <= r.msgsPerS.median && r.msgsPerS.median <= r.msgsPerS.max);
            QVERIFY(r.mbPerS.median > 0);
            QVERIFY(r.p50Us > 0 && r.p99Us >= r.p50Us);
            QVERIFY(!r.baseline.empty());
            QVERIFY(r.ratio > 0);
        }
        QVERIFY(report->memcpyMbPerS > 0);
        QVERIFY(!seen.empty());
        for (std::size_t i = 0; i < seen.size(); ++i) {
            QCOMPARE(seen[i].step, i);
            QCOMPARE(seen[i].steps, seen.size());
            QVERIFY(!seen[i].what.empty());
        }
        QVERIFY(!benchReportToText(*report).empty());
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
        QCOMPARE(results.size(), 10);
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
        QVERIFY(obs["sampler_cpu_fraction"].toDouble() > 0);
        QVERIFY(obs["sampler_1khz_ratio"].toDouble() > 0);
        QVERIFY2(benchLeftovers(pid).isEmpty(), qPrintable(benchLeftovers(pid).join(", ")));
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

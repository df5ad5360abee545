// ipclab-cli as a user runs it: list, a real run with its JSON and CSV reports, and bad input rejected with exit
// status 2, a message naming the problem, and no IPC object left behind.
#include "test_support.h"

#include "ipccore/scenario.h"
#include "ipccore/version.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <QTemporaryDir>
#include <QThread>
#include <QtTest>
#include <csignal>

using CliResult = ipctest::ProgramResult;

class TestCli : public QObject {
    Q_OBJECT

    // Private run directories: the test can check that a failed run left none behind.
    QTemporaryDir m_runtime;
    QTemporaryDir m_files;

    CliResult runCli(const QStringList& args, int timeoutMs = 60000)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_RUNTIME_DIR", m_runtime.path());
        return ipctest::runProgram(ipctest::cliPath(), args, env, timeoutMs);
    }

    // Nothing named after the CLI's pid in /dev/shm or the run directory.
    void verifyNothingLeft(qint64 pid)
    {
        QVERIFY(pid > 0);
        const QStringList left = ipctest::leftoverObjects(QStringLiteral("ipclab-%1-").arg(pid));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
        const QStringList dirs = QDir(m_runtime.filePath("ipclab")).entryList({ QStringLiteral("%1-*").arg(pid) });
        QVERIFY2(dirs.isEmpty(), qPrintable(dirs.join(", ")));
    }

    QString writeFile(const QString& name, const QByteArray& content)
    {
        QFile f(m_files.filePath(name));
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write(content);
        return f.fileName();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        QVERIFY(m_files.isValid());
        QVERIFY2(QFileInfo(ipctest::cliPath()).isExecutable(), qPrintable(ipctest::cliPath()));
    }

    void cleanupTestCase() { QVERIFY(ipctest::leftoversOfThisProcess().isEmpty()); }

    void listNamesEveryBundledScenario()
    {
        const CliResult r = runCli({ "list" });
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), qsizetype(ipccore::bundledScenarios().size()));
        for (const ipccore::BundledScenario& b : ipccore::bundledScenarios()) {
            const QStringList matching = lines.filter(
                QRegularExpression("^" + QRegularExpression::escape(QString::fromStdString(b.name)) + "\\s"));
            QVERIFY2(matching.size() == 1, b.name.c_str());
            QVERIFY(matching.first().contains(QString::fromStdString(b.title)));
        }
    }

    void runWritesJsonReport()
    {
        const QString jsonPath = m_files.filePath("report.json");
        const CliResult r = runCli({ "run", "producer-consumer-mq", "--duration", "1", "--json", jsonPath });
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY(r.out.contains("Integrity: exact"));
        verifyNothingLeft(r.pid);

        QFile f(jsonPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonParseError error;
        const QJsonObject report = QJsonDocument::fromJson(f.readAll(), &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QCOMPARE(report["scenario"].toString(), QString("producer-consumer-mq"));
        QVERIFY(report["duration_s"].isDouble());
        QVERIFY(report["duration_s"].toDouble() >= 0.9);
        QVERIFY(report["duration_s"].toDouble() < 30);

        const QJsonArray workers = report["workers"].toArray();
        QCOMPARE(workers.size(), 2);
        for (const QJsonValue& v : workers) {
            const QJsonObject w = v.toObject();
            for (const char* key : { "name", "role", "pid", "messages", "bytes", "msgs_per_s", "blocked_fraction",
                     "cpu_percent", "mean_latency_us" })
                QVERIFY2(w.contains(key), key);
            QVERIFY(w["role"].toString() == "producer" || w["role"].toString() == "consumer");
            QVERIFY(w["pid"].toInteger() > 0);
            QVERIFY(w["messages"].toInteger() > 0);
            QVERIFY(w["bytes"].toInteger() >= 32 * w["messages"].toInteger());
            QVERIFY(w["blocked_fraction"].toDouble() >= 0 && w["blocked_fraction"].toDouble() <= 1);
            // A producer into an mq stamps every message (per-priority latency): the consumer's mean is of all.
            if (w["role"].toString() == "consumer")
                QCOMPARE(w["timed_messages"].toInteger(), w["messages"].toInteger());
            else
                QVERIFY(!w.contains("timed_messages"));
        }

        const QJsonArray objects = report["objects"].toArray();
        QCOMPARE(objects.size(), 1);
        const QJsonObject o = objects[0].toObject();
        for (const char* key : { "name", "kind", "capacity", "depth_max" })
            QVERIFY2(o.contains(key), key);
        QCOMPARE(o["kind"].toString(), QString("mq"));
        QCOMPARE(o["capacity"].toInt(), 10);
        QVERIFY(o["depth_max"].toInt() >= 0 && o["depth_max"].toInt() <= 10);

        const QJsonObject integrity = report["integrity"].toObject();
        for (const char* key : { "sent", "received", "left", "lost", "duplicated", "corrupt", "exact" })
            QVERIFY2(integrity.contains(key), key);
        QCOMPARE(integrity["exact"].toBool(), true);
        QVERIFY(integrity["sent"].toInteger() > 0);
        QCOMPARE(integrity["sent"].toInteger(), integrity["received"].toInteger() + integrity["left"].toInteger());
        QCOMPARE(integrity["duplicated"].toInteger(), 0);
        QCOMPARE(integrity["corrupt"].toInteger(), 0);
    }

    // The ZeroMQ scenarios, as the issue asks: each runs under `ipclab-cli run` with an exact ledger, every object
    // moves messages, and each worker's CPU share and each consumer's latency are in the report.
    void zmqScenariosRunExact_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<int>("objects");
        QTest::newRow("zmq-push-pull") << "zmq-push-pull" << 1;
        QTest::newRow("zmq-vs-shm") << "zmq-vs-shm" << 3;
        QTest::newRow("zmq-broadcast") << "zmq-broadcast" << 1;
    }
    void zmqScenariosRunExact()
    {
        QFETCH(QString, scenario);
        QFETCH(int, objects);
        const QString jsonPath = m_files.filePath(scenario + ".json");
        const CliResult r = runCli({ "run", scenario, "--duration", "2", "--json", jsonPath });
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains("Integrity: exact"), qPrintable(r.out));
        verifyNothingLeft(r.pid);
        QFile f(jsonPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray objectList = report["objects"].toArray();
        QCOMPARE(objectList.size(), objects);
        for (const QJsonValue& o : objectList)
            QVERIFY2(o["integrity"]["sent"].toInteger() > 0, qPrintable(o["name"].toString()));
        // A broadcast counts copies: every subscriber received every message the publisher sent, and the books
        // hold three copies of each (the report says so under the ledger).
        if (scenario == "zmq-broadcast") {
            std::int64_t published = 0;
            QList<std::int64_t> received;
            for (const QJsonValue& v : report["workers"].toArray())
                (v["role"].toString() == "producer" ? published : received.emplaceBack()) = v["messages"].toInteger();
            QCOMPARE(received.size(), 3);
            for (const std::int64_t n : received)
                QCOMPARE(n, published);
            QCOMPARE(objectList.at(0)["integrity"]["sent"].toInteger(), 3 * published);
            QCOMPARE(objectList.at(0)["integrity"]["received"].toInteger(), 3 * published);
            QVERIFY2(r.out.contains(QStringLiteral(
                         "news (zmq-pub) counts copies: %1 messages sent, a copy to each of its 3 subscribers")
                                        .arg(published)),
                qPrintable(r.out));
        }
        double cpu = 0;
        for (const QJsonValue& v : report["workers"].toArray()) {
            const QJsonObject w = v.toObject();
            QVERIFY2(w["messages"].toInteger() > 0, qPrintable(w["name"].toString()));
            QVERIFY2(w["cpu_percent"].toDouble() > 0, qPrintable(w["name"].toString()));
            cpu += w["cpu_percent"].toDouble();
            if (w["role"].toString() == "consumer")
                QVERIFY2(w["mean_latency_us"].toDouble() > 0, qPrintable(w["name"].toString()));
        }
        // Of one core each: together no more than the machine has (with room for how /proc rounds to ticks).
        QVERIFY2(cpu <= 100.0 * QThread::idealThreadCount() * 1.2, qPrintable(QString::number(cpu)));
    }

    // A broadcast whose subscribers both end early (their counts): the messages sent after one went were due to
    // fewer, and after the second to no one. The line under the ledger gives the copies the books hold, not
    // messages x subscribers.
    void broadcastWithEndedSubscribersSaysTheCopiesDue()
    {
        const QString scenario = m_files.filePath("ended.json");
        QFile file(scenario);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({ "name": "ended", "duration_s": 1.5,
            "objects": [ { "name": "news", "transport": "zmq-pub", "capacity": 8, "message_size": 64 } ],
            "workers": [ { "name": "pub", "role": "producer", "object": "news", "rate": 500 },
                         { "name": "s1", "role": "consumer", "object": "news", "count": 50 },
                         { "name": "s2", "role": "consumer", "object": "news", "count": 150 } ] })");
        file.close();
        const QString jsonPath = m_files.filePath("ended-report.json");
        const CliResult r = runCli({ "run", scenario, "--json", jsonPath });
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        verifyNothingLeft(r.pid);
        QFile f(jsonPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(f.readAll()).object();
        const std::int64_t copies = report["objects"].toArray().at(0)["integrity"]["sent"].toInteger();
        const std::int64_t published = report["workers"].toArray().at(0)["messages"].toInteger();
        QVERIFY2(published > 150 && copies < 2 * published, qPrintable(r.out)); // it went on after both ended
        QVERIFY2(r.out.contains(QStringLiteral("news (zmq-pub) counts copies: %1 messages sent, %2 copies due to its 2 "
                                               "subscribers")
                                    .arg(published)
                                    .arg(copies)),
            qPrintable(r.out));
        QVERIFY2(r.out.contains("received fewer: s1 (50), s2 (150)"), qPrintable(r.out));
    }

    void runWritesCsvTimeSeries()
    {
        const QString csvPath = m_files.filePath("series.csv");
        const CliResult r = runCli({ "run", "producer-consumer-shm-ring", "--duration", "1", "--csv", csvPath });
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        verifyNothingLeft(r.pid);
        QFile f(csvPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
        QVERIFY2(lines.size() >= 4, qPrintable(lines.join("\n")));
        const QStringList header = lines.first().split(',');
        QCOMPARE(header.first(), QString("time_s"));
        for (int i = 1; i < lines.size(); ++i) {
            const QStringList cells = lines[i].split(',');
            QCOMPARE(cells.size(), header.size());
            bool ok = false;
            cells.first().toDouble(&ok);
            QVERIFY2(ok, qPrintable(lines[i]));
        }
    }

    // A closed terminal or a dropped ssh sends SIGHUP: the run stops like on Ctrl-C, prints its report and leaves
    // nothing behind.
    void hangUpStopsCleanly()
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_RUNTIME_DIR", m_runtime.path());
        p.setProcessEnvironment(env);
        p.start(ipctest::cliPath(), { "run", "bounded-buffer-3x2", "--duration", "60" });
        QVERIFY(p.waitForStarted(10000));
        const qint64 pid = p.processId();
        const QString prefix = QStringLiteral("ipclab-%1-").arg(pid);
        QTRY_COMPARE_WITH_TIMEOUT(ipctest::leftoverObjects(prefix).size(), 5, 30000);
        ::kill(pid_t(pid), SIGHUP);
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        const QString out = QString::fromLocal8Bit(p.readAllStandardOutput());
        QVERIFY2(out.contains("Interrupted") && out.contains("Integrity: exact"), qPrintable(out));
        verifyNothingLeft(pid);
    }

    // A report path that is a symlink (in /tmp someone else may have planted it) is replaced by the report, never
    // followed: the file it pointed to keeps its content.
    void reportReplacesASymlinkInsteadOfFollowingIt()
    {
        const QString precious = writeFile("precious.txt", "keep me\n");
        const QString json = m_files.filePath("linked.json");
        QVERIFY(QFile::link(precious, json));
        const CliResult r = runCli({ "run", "producer-consumer-mq", "--duration", "0.5", "--json", json });
        QCOMPARE(r.exitCode, 0);
        QFile kept(precious);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("keep me\n"));
        QVERIFY(!QFileInfo(json).isSymLink());
        QFile report(json);
        QVERIFY(report.open(QIODevice::ReadOnly));
        QVERIFY(report.readAll().contains("\"integrity\""));
    }

    // A report the user asked for that cannot be written is a failure, not a success with a line on stderr.
    void unwritableReportFailsTheRun()
    {
        if (!QFileInfo::exists(QStringLiteral("/dev/full")))
            QSKIP("no /dev/full here");
        const CliResult r = runCli({ "run", "producer-consumer-mq", "--duration", "0.5", "--json", "/dev/full" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("/dev/full") && r.err.contains("No space left"), qPrintable(r.err));
        verifyNothingLeft(r.pid);
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("names");
        QTest::addColumn<QByteArray>("file"); // written to bad.json and passed as the scenario when not empty

        QTest::newRow("unknown scenario")
            << QStringList { "run", "no-such-scenario" } << "no-such-scenario" << QByteArray();
        QTest::newRow("malformed JSON") << QStringList { "run" } << "line 2" << QByteArray("{\n  \"name\": ,\n}");
        QTest::newRow("mq capacity 100")
            << QStringList { "run" } << "msg_max"
            << QByteArray(R"({ "name": "big", "objects": [ { "name": "q", "transport": "mq", "capacity": 100 } ],
                               "workers": [ { "name": "p", "role": "producer", "object": "q" } ] })");
        QTest::newRow("unknown option") << QStringList { "run", "producer-consumer-mq", "--frobnicate" }
                                        << "--frobnicate" << QByteArray();
        QTest::newRow("negative duration")
            << QStringList { "run", "producer-consumer-mq", "--duration", "-1" } << "--duration" << QByteArray();
        QTest::newRow("duration not a number")
            << QStringList { "run", "producer-consumer-mq", "--duration", "soon" } << "--duration" << QByteArray();
        QTest::newRow("missing option value")
            << QStringList { "run", "producer-consumer-mq", "--duration" } << "--duration" << QByteArray();
        QTest::newRow("json into missing directory")
            << QStringList { "run", "producer-consumer-mq", "--json", "/nonexistent-ipclab-dir/r.json" } << "--json"
            << QByteArray();
        // Refused before any object exists, naming the path the user gave.
        QTest::newRow("csv into missing directory")
            << QStringList { "run", "producer-consumer-mq", "--csv", "/nonexistent-ipclab-dir/r.csv" }
            << "/nonexistent-ipclab-dir/r.csv" << QByteArray();
        QTest::newRow("no workers") << QStringList { "run" } << "has no workers"
                                    << QByteArray(
                                           R"({ "name": "idle", "objects": [ { "name": "q", "transport": "mq" } ],
                                                       "workers": [] })");
        QTest::newRow("worker on a missing object")
            << QStringList { "run" } << "the objects are 'q'"
            << QByteArray(R"({ "name": "lost", "objects": [ { "name": "q", "transport": "mq" } ],
                               "workers": [ { "name": "p", "role": "producer", "object": "nosuch" } ] })");
        QTest::newRow("empty file") << QStringList { "run" } << "The file is empty" << QByteArray("\n");
        QTest::newRow("unknown command") << QStringList { "frobnicate" } << "frobnicate" << QByteArray();
        QTest::newRow("no command") << QStringList {} << "no command" << QByteArray();
    }

    // Every way of asking for help answers on stdout with exit status 0 and does nothing else; the texts carry the
    // limits a user meets.
    void helpAndVersion_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("says");
        const QString workers = QStringLiteral("at most %1 workers").arg(ipccore::ScenarioLimits::MaxWorkers);
        QTest::newRow("--version") << QStringList { "--version" }
                                   << QStringLiteral("ipclab-cli %1\n").arg(ipccore::versionString());
        QTest::newRow("--help") << QStringList { "--help" } << workers;
        QTest::newRow("-h") << QStringList { "-h" } << workers;
        QTest::newRow("help") << QStringList { "help" } << workers;
        QTest::newRow("run --help") << QStringList { "run", "--help" } << workers;
        QTest::newRow("run -h") << QStringList { "run", "-h" } << "Usage: ipclab-cli run";
        QTest::newRow("run <scenario> --help")
            << QStringList { "run", "producer-consumer-mq", "--duration", "1", "--help" } << "Usage: ipclab-cli run";
        QTest::newRow("run --help: object cap") << QStringList { "run", "--help" } << "at most 256 MiB";
        QTest::newRow("run --help: file size") << QStringList { "run", "--help" } << "at most 1 MiB";
        QTest::newRow("show --help") << QStringList { "show", "--help" } << "Usage: ipclab-cli show";
        QTest::newRow("list --help") << QStringList { "list", "--help" } << "Usage: ipclab-cli list";
        QTest::newRow("cleanup --help") << QStringList { "cleanup", "--help" } << "Usage: ipclab-cli cleanup";
        QTest::newRow("bench --help") << QStringList { "bench", "--help" } << "Usage: ipclab-cli bench";
    }

    void helpAndVersion()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, says);
        const CliResult r = runCli(args);
        QVERIFY2(r.exitCode == 0, qPrintable(QString::number(r.exitCode) + ": " + r.err));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        QVERIFY2(r.out.contains(says), qPrintable(r.out));
        // Help is not a run, a listing or a cleanup.
        QVERIFY2(!r.out.contains("Running") && !r.out.contains("Nothing to remove"), qPrintable(r.out));
        if (args.first() == "--version")
            QCOMPARE(r.out, says);
    }

    // A scenario file whose name does not end in .json is still read, not called missing.
    void scenarioFileWithAnyNameIsRead()
    {
        const QString path = writeFile("experiment.txt", "not json at all");
        const QString relative = QFileInfo(path).fileName();
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_RUNTIME_DIR", m_runtime.path());
        cli.setProcessEnvironment(env);
        cli.setWorkingDirectory(QFileInfo(path).absolutePath());
        cli.start(ipctest::cliPath(), { "run", relative, "--duration", "1" });
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 2);
        const QString err = QString::fromLocal8Bit(cli.readAllStandardError());
        QVERIFY2(err.contains("Not valid JSON at line 1"), qPrintable(err));
    }

    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, names);
        QFETCH(QByteArray, file);
        if (!file.isEmpty())
            args << writeFile("bad.json", file);
        const CliResult r = runCli(args);
        QCOMPARE(r.exitCode, 2);
        // The first line says what is wrong; a usage text may follow it.
        const QString first = r.err.section('\n', 0, 0);
        QVERIFY2(first.startsWith("ipclab-cli: "), qPrintable(r.err));
        QVERIFY2(first.contains(names), qPrintable(r.err));
        QVERIFY2(!r.out.contains("Integrity"), qPrintable(r.out));
        verifyNothingLeft(r.pid);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

// `ipclab-cli run ... --trace FILE` writes Chrome trace-event JSON (for the Perfetto UI and chrome://tracing) from
// the workers' event rings. Checked against the format's rules (phases, µs timestamps, pid/tid, durations, counter
// args, names as metadata, spans of one thread that never overlap, flow arrows from a post inside a step to inside
// the wait it ended) and against what the run measured apart: each worker's blocked spans add up to its blocked time
// as its slot counts it, within 1 %.
#include "test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

class TestTrace : public QObject {
    Q_OBJECT

    QTemporaryDir m_runtime;
    // Four adders whose passes take 1 ms of work, written by the test: few enough events that a busy machine's late
    // samples lose none of them.
    static inline const QString AddersFile = QStringLiteral("adders-1ms.json");

    static QJsonObject readJson(const QString& path)
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        QJsonParseError error {};
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
        if (error.error != QJsonParseError::NoError)
            qWarning("%s: %s", qPrintable(path), qPrintable(error.errorString()));
        return doc.object();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
    }

    void cleanupTestCase() { QCOMPARE(ipctest::leftoversOfThisProcess(), QStringList()); }

    void traceFollowsTheFormat_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("instant"); // a run event the trace must mark
        // Whether a wait must have been ended by a post the events tell: four adders take turns at one lock for
        // two seconds; the wrong-order buffer may deadlock before any wait has ended.
        QTest::addColumn<bool>("flows");
        QTest::newRow("counter-race-locked") << "counter-race-locked" << 0 << QString() << true;
        QTest::newRow("adders-1ms") << AddersFile << 0 << QString() << true;
        QTest::newRow("bounded-buffer-wrong-order")
            << "bounded-buffer-wrong-order" << 3 << "Deadlock: producer holds" << false;
    }
    void traceFollowsTheFormat()
    {
        QFETCH(QString, scenario);
        QFETCH(int, exitCode);
        QFETCH(QString, instant);
        QFETCH(bool, flows);
        QTemporaryDir dir;
        const QString tracePath = dir.filePath("t.json"), reportPath = dir.filePath("r.json");
        const bool written = scenario == AddersFile;
        if (written) {
            scenario = dir.filePath("adders.json");
            QFile file(scenario);
            QVERIFY(file.open(QIODevice::WriteOnly));
            QJsonArray workers;
            const QJsonArray program { "acquire counter", "read counter[0]", "work 1000us", "write counter[0] +1",
                "release counter" };
            for (int k = 1; k <= 4; ++k)
                workers.append(QJsonObject {
                    { "name", QString("adder-%1").arg(k) }, { "role", "program" }, { "program", program } });
            const QJsonObject adders { { "name", "adders-1ms" }, { "duration_s", 2 }, { "sample_hz", 50 },
                { "objects",
                    QJsonArray {
                        QJsonObject { { "name", "counter" }, { "transport", "shm-array" }, { "capacity", 1 } } } },
                { "workers", workers } };
            QVERIFY(file.write(QJsonDocument(adders).toJson()) > 0 && file.flush());
        }
        QProcess cli;
        cli.start(
            ipctest::cliPath(), { "run", scenario, "--duration", "2", "--trace", tracePath, "--json", reportPath });
        QVERIFY(cli.waitForFinished(60000));
        const QString text = QString::fromLocal8Bit(cli.readAllStandardOutput());
        QVERIFY2(cli.exitCode() == exitCode, qPrintable(cli.readAllStandardError()));
        QVERIFY2(text.contains("Trace written to " + tracePath), qPrintable(text));
        const QJsonObject trace = readJson(tracePath);
        const QJsonObject report = readJson(reportPath);
        QVERIFY(trace["traceEvents"].isArray());
        QCOMPARE(trace["displayTimeUnit"].toString(), QString("ms"));

        const double runUs = report["duration_s"].toDouble() * 1e6;
        QSet<qint64> named; // pids with a process_name
        QSet<QString> lossy; // workers whose ring lost events (process_labels says so)
        std::map<std::pair<qint64, qint64>, std::vector<std::pair<double, double>>> spans; // (pid, tid) -> ts, dur
        std::map<qint64, double> blockedUs; // per pid: its state spans that are waits
        std::map<qint64, QString> names;
        std::map<std::pair<qint64, qint64>, std::vector<std::pair<double, double>>> waits; // the state spans that wait
        struct FlowEnd {
            qint64 pid = 0, tid = 0;
            double ts = 0;
        };
        std::map<qint64, FlowEnd> flowFrom, flowTo; // by id: the post ("s") and the wait it ended ("f")
        int counters = 0, begins = 0, ends = 0;
        bool marked = instant.isEmpty();
        for (const QJsonValue& value : trace["traceEvents"].toArray()) {
            const QJsonObject e = value.toObject();
            const QString ph = e["ph"].toString();
            QVERIFY2(QStringList({ "X", "C", "i", "M", "B", "E", "s", "f" }).contains(ph), qPrintable(ph));
            QVERIFY2(e["pid"].isDouble() && e["tid"].isDouble(), qPrintable(QJsonDocument(e).toJson()));
            QVERIFY(e["name"].isString() && !e["name"].toString().isEmpty());
            const qint64 pid = e["pid"].toInteger(), tid = e["tid"].toInteger();
            if (ph == "M") {
                QVERIFY(e["args"].isObject());
                if (e["name"].toString() == "process_name") {
                    named.insert(pid);
                    names[pid] = e["args"].toObject()["name"].toString();
                }
                if (e["name"].toString() == "process_labels")
                    lossy.insert(QString::number(pid));
                continue;
            }
            // Timestamps in microseconds from the start of the run: never before it, never far after it.
            QVERIFY2(e["ts"].isDouble(), qPrintable(QJsonDocument(e).toJson()));
            const double ts = e["ts"].toDouble();
            QVERIFY2(ts >= 0 && ts <= runUs + 5e6, qPrintable(QString("ts %1 in a run of %2 us").arg(ts).arg(runUs)));
            if (ph == "X") {
                QVERIFY(e["dur"].isDouble() && e["dur"].toDouble() >= 0);
                QVERIFY(e["cat"].toString() == "state" || e["cat"].toString() == "step");
                spans[{ pid, tid }].push_back({ ts, e["dur"].toDouble() });
                const QString name = e["name"].toString();
                // Waits on an object: not running, paused, asleep for a rate or spinning on the CPU.
                if (e["cat"].toString() == "state" && name != "running" && name != "paused" && name != "starting"
                    && name != "sleeping (rate limit)" && name != "spinning") {
                    blockedUs[pid] += e["dur"].toDouble();
                    waits[{ pid, tid }].push_back({ ts, e["dur"].toDouble() });
                }
            } else if (ph == "C") {
                ++counters;
                const QJsonObject args = e["args"].toObject();
                QVERIFY(!args.isEmpty());
                for (const QJsonValue& v : args)
                    QVERIFY(v.isDouble());
            } else if (ph == "s" || ph == "f") {
                QVERIFY(e["id"].isDouble());
                QCOMPARE(e["cat"].toString(), QString("wake"));
                if (ph == "f")
                    QCOMPARE(e["bp"].toString(), QString("e"));
                (ph == "s" ? flowFrom : flowTo)[e["id"].toInteger()] = { pid, tid, ts };
            } else if (ph == "i") {
                QVERIFY(QStringList({ "g", "p", "t" }).contains(e["s"].toString()));
                marked = marked || e["name"].toString().startsWith(instant);
            } else {
                (ph == "B" ? begins : ends) += 1;
            }
        }
        QCOMPARE(begins, ends);
        QVERIFY2(marked, qPrintable(instant));
        QVERIFY(counters > 10); // the objects, sampled at 50 Hz for a second or more
        // Spans of one thread follow one another: a state ends where the next begins, likewise steps.
        for (auto& [track, list] : spans) {
            QVERIFY2(named.contains(track.first), "a span of a process with no name");
            std::sort(list.begin(), list.end());
            for (std::size_t k = 1; k < list.size(); ++k)
                QVERIFY2(list[k].first + 0.0015 >= list[k - 1].first + list[k - 1].second,
                    qPrintable(
                        QString("overlap on %1/%2 at %3 us").arg(track.first).arg(track.second).arg(list[k].first)));
        }
        // Flow arrows come in pairs: from inside a step of one process (its post) to inside a wait of another.
        auto inside = [](const std::vector<std::pair<double, double>>& list, double ts) {
            return std::any_of(list.begin(), list.end(),
                [&](const std::pair<double, double>& s) { return s.first <= ts && ts <= s.first + s.second; });
        };
        QCOMPARE(flowFrom.size(), flowTo.size());
        QVERIFY2(!flows || !flowFrom.empty(), "no post was found to have ended a wait");
        for (const auto& [id, from] : flowFrom) {
            QVERIFY(flowTo.count(id));
            const FlowEnd& to = flowTo[id];
            QVERIFY(from.pid != to.pid);
            QVERIFY2(from.ts <= to.ts + 0.0015, qPrintable(QString("flow %1 goes back in time").arg(id)));
            QVERIFY2(inside(spans[{ from.pid, from.tid }], from.ts), qPrintable(QString("flow %1: no step").arg(id)));
            QVERIFY2(inside(waits[{ to.pid, to.tid }], to.ts), qPrintable(QString("flow %1: no wait").arg(id)));
        }
        // Each worker's waits in the trace against its blocked time as its slot counted it.
        int compared = 0;
        double mostBlockedUs = 0;
        for (const QJsonValue& value : report["contention"].toObject()["workers"].toArray()) {
            const QJsonObject w = value.toObject();
            qint64 pid = -1;
            for (const auto& [p, name] : names)
                if (name.startsWith(w["worker"].toString() + " (pid"))
                    pid = p;
            QVERIFY2(pid > 0, qPrintable(w["worker"].toString()));
            if (lossy.contains(QString::number(pid)))
                continue; // its ring lost events: the trace says so, and its sum would be short
            const double slotUs = w["blocked_s"].toDouble() * 1e6;
            mostBlockedUs = std::max(mostBlockedUs, slotUs);
            QVERIFY2(std::abs(blockedUs[pid] - slotUs) <= 0.01 * slotUs + 1000,
                qPrintable(QString("%1: %2 us blocked in the trace, %3 us in its slot")
                               .arg(w["worker"].toString())
                               .arg(blockedUs[pid])
                               .arg(slotUs)));
            ++compared;
        }
        // Every ring may overflow when the machine is busy: 1024 events are ~80 ms of the 20 us adders' passes,
        // ~0.7 s of the 1 ms ones', so the second row has at least one worker to compare.
        if (written)
            QVERIFY2(compared >= 1, qPrintable(QString("all %1 workers' rings lost events").arg(lossy.size())));
        // Four adders taking turns at one lock for 1 ms each wait most of the time: a sum of nothing would pass.
        // How long each waits depends on the CPU it gets: beside tst_chaos on two cores one waited 183 ms, and beside
        // tst_hosts one never waited (blocked 0 us), so the floor asks that one of them waited, a real wait not none.
        if (written)
            QVERIFY2(mostBlockedUs > 0.05e6, qPrintable(QString("the longest blocked %1 us").arg(mostBlockedUs)));
    }

    // A trace file that cannot be written is refused before anything runs.
    void unwritableTraceIsRefused()
    {
        QProcess cli;
        cli.start(
            ipctest::cliPath(), { "run", "counter-race", "--duration", "1", "--trace", "/nonexistent-dir/t.json" });
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 2);
        const QString err = QString::fromLocal8Bit(cli.readAllStandardError());
        QVERIFY2(err.contains("--trace"), qPrintable(err));
        // No value, or another option where the file should be: one line that says so, nothing run.
        for (const QStringList& tail : { QStringList { "--trace" }, QStringList { "--trace", "--duration", "2" } }) {
            QProcess bare;
            bare.start(ipctest::cliPath(), QStringList { "run", "counter-race" } + tail);
            QVERIFY(bare.waitForFinished(30000));
            QCOMPARE(bare.exitCode(), 2);
            const QString says = QString::fromLocal8Bit(bare.readAllStandardError()).trimmed();
            QVERIFY2(
                says.startsWith("ipclab-cli: --trace needs a value: FILE") && !says.contains('\n'), qPrintable(says));
            QVERIFY(bare.readAllStandardOutput().isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TestTrace)
#include "tst_trace.moc"

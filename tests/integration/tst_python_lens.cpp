// The Python lens: every bundled scenario's generated program points each worker's steps at lines that do them, and
// runs under python3 (standard library only) for 2 s and exits 0: each process ran until it was terminated, none
// failed. Skipped, saying so, where python3 is not installed.
#include "ipccore/python_lens.h"
#include "ipccore/scenario.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace ipccore;

namespace {

QStringList programLines(const PythonProgram& p)
{
    QStringList lines = QString::fromStdString(p.text).split(QLatin1Char('\n'));
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

std::size_t workerNamed(const Scenario& s, const std::string& name)
{
    for (std::size_t i = 0; i < s.workers.size(); ++i) {
        if (s.workers[i].name == name)
            return i;
    }
    return s.workers.size();
}

} // namespace

class TestPythonLens : public QObject {
    Q_OBJECT

private slots:
    // Every worker has a line per step, inside the program.
    void everyStepHasALine()
    {
        for (const BundledScenario& b : bundledScenarios()) {
            auto s = resolveScenario(b.name);
            QVERIFY2(s, b.name.c_str());
            const PythonProgram p = pythonProgram(*s);
            const int count = int(programLines(p).size());
            QCOMPARE(p.stepLines.size(), s->workers.size());
            for (std::size_t i = 0; i < s->workers.size(); ++i) {
                const WorkerSpec& w = s->workers[i];
                const std::size_t steps = w.role == Role::Program ? w.program.size() : 1;
                QVERIFY2(p.stepLines[i].size() == steps, (b.name + ": " + w.name).c_str());
                for (const int line : p.stepLines[i])
                    QVERIFY2(line >= 1 && line <= count, (b.name + ": " + w.name).c_str());
            }
        }
    }

    // The lines a step points at do that step.
    void linesDoTheirSteps_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QString>("worker");
        QTest::addColumn<int>("step");
        QTest::addColumn<QString>("line");
        QTest::newRow("read") << "counter-race"
                              << "adder-3" << 0 << "x = counter[0]";
        QTest::newRow("work") << "counter-race"
                              << "adder-3" << 1 << "work(20)";
        QTest::newRow("write") << "counter-race"
                               << "adder-1" << 2 << "counter[0] = x + 1";
        QTest::newRow("lock") << "counter-race-locked"
                              << "adder-2" << 0 << "counter.get_lock().acquire()";
        QTest::newRow("fork") << "dining-philosophers"
                              << "philosopher-5" << 1 << ".acquire()";
        QTest::newRow("put") << "bounded-buffer-3x2"
                             << "producer-2" << 0 << "buffer.put(seq)";
        QTest::newRow("get") << "bounded-buffer-3x2"
                             << "consumer-2" << 0 << "item = buffer.get()";
        QTest::newRow("queue") << "producer-consumer-mq"
                               << "producer" << 0 << "jobs.put(seq)";
        QTest::newRow("fifo") << "producer-consumer-fifo"
                              << "consumer" << 0 << "os.read(fd, 64)";
        QTest::newRow("pipe") << "pipe-one-way"
                              << "receiver" << 0 << ".recv()";
        QTest::newRow("value") << "shared-value-overwritten"
                               << "writer" << 0 << "value.value = seq";
        QTest::newRow("timeout") << "queue-timeouts"
                                 << "impatient" << 0 << "try_get(quiet, 0.02)";
        QTest::newRow("map") << "pool-map"
                             << "caller" << 0 << "pool.map(task, range(256), chunksize=32)";
        QTest::newRow("pool get") << "pool-map"
                                  << "pool-2" << 0 << "def task(n):";
        QTest::newRow("pool put") << "pool-map"
                                  << "pool-2" << 2 << "return n";
        QTest::newRow("manager") << "manager-dict"
                                 << "server" << 0 << "mp.Manager()";
        QTest::newRow("request") << "manager-dict"
                                 << "client-1" << 1 << "d[\"count\"] = x + 1";
        QTest::newRow("channel") << "csp-rendezvous"
                                 << "stage" << 2 << "ch2.send(x)";
        QTest::newRow("global") << "globals-not-shared"
                                << "child-1" << 1 << "counter[0] = x + 1";
    }
    void linesDoTheirSteps()
    {
        QFETCH(QString, scenario);
        QFETCH(QString, worker);
        QFETCH(int, step);
        QFETCH(QString, line);
        auto s = resolveScenario(scenario.toStdString());
        QVERIFY(s);
        const PythonProgram p = pythonProgram(*s);
        const std::size_t w = workerNamed(*s, worker.toStdString());
        QVERIFY(w < s->workers.size());
        QVERIFY(std::size_t(step) < p.stepLines[w].size());
        const QString text = programLines(p).value(p.stepLines[w][std::size_t(step)] - 1);
        QVERIFY2(text.contains(line), qPrintable(text));
    }

    // Four adders doing the same thing are one function started four times, as a person writes it.
    void sameProgramsShareAFunction()
    {
        auto s = resolveScenario("counter-race");
        QVERIFY(s);
        const QString text = QString::fromStdString(pythonProgram(*s).text);
        QCOMPARE(text.count(QStringLiteral("def adder(counter):")), 1);
        QCOMPARE(text.count(QStringLiteral("mp.Process(target=adder, args=(counter,)")), 4);
    }

    // No bundled scenario broadcasts over tcp://: zmq-broadcast with its object made zmq-pub-tcp gets the pyzmq lines
    // of TCP with CURVE, a Queue per subscriber, and runs under python3 for 2 s.
    void broadcastOverTcpRuns()
    {
        auto s = resolveScenario("zmq-broadcast");
        QVERIFY(s);
        QCOMPARE(s->objects.size(), std::size_t(1));
        s->objects[0].transport = TransportKind::ZmqPubTcp;
        const std::string text = pythonProgram(*s).text;
        QVERIFY2(text.find("curve_server, then .bind_to_random_port(\"tcp://127.0.0.1\")") != std::string::npos,
            text.c_str());
        QVERIFY2(text.find(": q.put(seq)  # a copy for each subscriber") != std::string::npos, text.c_str());
        const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
        if (python.isEmpty())
            QSKIP("python3 is not installed: the generated program cannot be run here");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile file(dir.filePath(QStringLiteral("broadcast-tcp.py")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(text));
        file.close();
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(python, { file.fileName(), QStringLiteral("2") });
        QVERIFY(process.waitForFinished(60000));
        const QString output = QString::fromUtf8(process.readAll());
        QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0, qPrintable(output));
        QVERIFY2(!output.contains(QStringLiteral("Traceback")), qPrintable(output));
    }

    // Every bundled scenario's program runs under python3 for 2 s and ends well.
    void programsRun()
    {
        const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
        if (python.isEmpty())
            QSKIP("python3 is not installed: the generated programs cannot be run here");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::vector<BundledScenario>& all = bundledScenarios();
        // A few at a time: each starts several processes, and a 2-core machine runs the tests two by two.
        constexpr std::size_t AtOnce = 4;
        for (std::size_t first = 0; first < all.size(); first += AtOnce) {
            std::vector<std::unique_ptr<QProcess>> running;
            std::vector<std::string> names;
            for (std::size_t i = first; i < std::min(all.size(), first + AtOnce); ++i) {
                auto s = resolveScenario(all[i].name);
                QVERIFY(s);
                const QString path = dir.filePath(QString::fromStdString(all[i].name) + QStringLiteral(".py"));
                QFile file(path);
                QVERIFY(file.open(QIODevice::WriteOnly));
                file.write(QByteArray::fromStdString(pythonProgram(*s).text));
                file.close();
                auto process = std::make_unique<QProcess>();
                process->setProcessChannelMode(QProcess::MergedChannels);
                process->start(python, { path, QStringLiteral("2") });
                running.push_back(std::move(process));
                names.push_back(all[i].name);
            }
            for (std::size_t i = 0; i < running.size(); ++i) {
                QProcess& process = *running[i];
                QVERIFY2(process.waitForFinished(60000), names[i].c_str());
                const QString output = QString::fromUtf8(process.readAll());
                QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
                    qPrintable(QString::fromStdString(names[i]) + QStringLiteral(": exit ")
                        + QString::number(process.exitCode()) + QStringLiteral("\n") + output));
                QVERIFY2(!output.contains(QStringLiteral("Traceback")), qPrintable(output));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestPythonLens)
#include "tst_python_lens.moc"

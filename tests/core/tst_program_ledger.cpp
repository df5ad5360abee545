// A pool's caller and workers are known by their programs, never by their counters: a caller that has not put a
// task yet (or was stopped before it did) has counted nothing, and a pool worker puts messages too. poolParts is a
// pure function of the programs, and the report (reportToText, reportToJson) a pure function of a Report, so both
// are tested here without processes.
#include "ipccore/ledger.h"
#include "ipccore/program.h"
#include "ipccore/runner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace ipccore;

namespace {

ProgramSteps program(const char* text)
{
    auto p = parseProgramText(text);
    if (!p)
        qFatal("bad program in the test itself: %s", text);
    return *p;
}

WorkerSummary programWorker(const std::string& name, const char* text, TaskCounts tasks = {})
{
    WorkerSummary w;
    w.name = name;
    w.role = Role::Program;
    for (const ProgramStep& step : program(text)) {
        w.steps.push_back(stepText(step));
        w.stepDone.push_back(0);
        w.stepMissed.push_back(0);
    }
    w.tasks = tasks;
    return w;
}

TaskCounts counts(std::uint64_t out, std::uint64_t in, std::uint64_t framesOut, std::uint64_t framesIn)
{
    TaskCounts t;
    t.out = out;
    t.in = in;
    t.framesOut = framesOut;
    t.framesIn = framesIn;
    return t;
}

// A pool run's report at stop: the caller has not put a single task message (framesOut 0) but has collected results
// a caller before it left behind; pool-1 took them; pool-2 took none yet; the counters alone would get all three
// wrong.
Report poolReport()
{
    Report r;
    r.scenario = "pool-parts";
    TaskCounts callerTasks = counts(0, 0, 0, 2);
    callerTasks.orphaned = 16;
    callerTasks.in = 16;
    r.workers = { programWorker("caller", "map tasks results 64 chunk 8", callerTasks),
        programWorker("pool-1", "get tasks; work 50us each; put results", counts(16, 16, 2, 2)),
        programWorker("pool-2", "get tasks; work 50us each; put results") };
    ObjectSummary tasks;
    tasks.name = "tasks";
    tasks.ledger.pool.present = true;
    ObjectSummary results;
    results.name = "results";
    r.objects = { tasks, results };
    return r;
}

} // namespace

class TestProgramLedger : public QObject {
    Q_OBJECT
private slots:
    void poolPartsComeFromThePrograms()
    {
        const std::vector<ProgramSteps> programs { program("map tasks results 100 chunk 8"),
            program("get tasks; work 50us each; put results"), program("get jobs; put results"), ProgramSteps {},
            program("apply jobs2 results2 10"), program("work 10us; get jobs2 20ms; work 5us each; put results2") };
        const auto parts = poolParts(programs);
        QCOMPARE(parts.size(), programs.size());
        QVERIFY(parts[0] && parts[0]->caller);
        QCOMPARE(parts[0]->taskObject, std::string("tasks"));
        QVERIFY(parts[1] && !parts[1]->caller);
        QCOMPARE(parts[1]->taskObject, std::string("tasks"));
        QVERIFY(!parts[2]); // gets from a queue no program maps into: a consumer, not a pool worker
        QVERIFY(!parts[3]); // a producer's or consumer's empty program
        QVERIFY(parts[4] && parts[4]->caller);
        QCOMPARE(parts[4]->taskObject, std::string("jobs2"));
        QVERIFY(parts[5] && !parts[5]->caller);
        QCOMPARE(parts[5]->taskObject, std::string("jobs2"));

        QVERIFY(callsPool(programs[0]));
        QVERIFY(callsPool(programs[4]));
        QVERIFY(!callsPool(programs[1]));
        QVERIFY(!callsPool(programs[3]));
        // Without its callers, a get is a plain get.
        QVERIFY(!poolParts(std::vector<ProgramSteps> { programs[1] }).front());
    }

    void reportJsonNamesThePoolPartsByProgram()
    {
        const QJsonArray workers = QJsonDocument::fromJson(QByteArray::fromStdString(reportToJson(poolReport())))
                                       .object()["workers"]
                                       .toArray();
        QCOMPARE(workers.size(), 3);
        const auto tasks = [&](int worker) { return workers[worker].toObject()["tasks"].toObject(); };
        // The caller that has put no task message is a caller: its tasks are submitted and collected.
        QCOMPARE(tasks(0)["collected"].toInt(-1), 16);
        QCOMPARE(tasks(0)["submitted"].toInt(-1), 0);
        QCOMPARE(tasks(0)["orphaned"].toInt(-1), 16);
        QVERIFY(!tasks(0).contains("taken"));
        // A pool worker is one though it put messages (its results).
        QCOMPARE(tasks(1)["taken"].toInt(-1), 16);
        QCOMPARE(tasks(1)["answered"].toInt(-1), 16);
        QVERIFY(!tasks(1).contains("submitted"));
        // And one that has taken nothing yet is listed all the same.
        QCOMPARE(tasks(2)["taken"].toInt(-1), 0);
    }

    void reportTextBalancesThePoolWorkersOnly()
    {
        const std::string text = reportToText(poolReport());
        QVERIFY2(text.find("  tasks taken per pool worker: pool-1 16 (100%), pool-2 0 (0%)\n") != std::string::npos,
            text.c_str());
        QVERIFY2(text.find("caller 16") == std::string::npos, text.c_str());
    }

    void reportTextNamesEachPoolWhenThereAreSeveral()
    {
        Report r = poolReport();
        r.workers.push_back(programWorker("asker", "apply jobs replies 8"));
        r.workers.push_back(programWorker("helper", "get jobs; put replies", counts(8, 8, 8, 8)));
        ObjectSummary jobs;
        jobs.name = "jobs";
        jobs.ledger.pool.present = true;
        r.objects.push_back(jobs);
        const std::string text = reportToText(r);
        QVERIFY2(
            text.find("  tasks taken per pool worker of tasks: pool-1 16 (100%), pool-2 0 (0%)\n") != std::string::npos,
            text.c_str());
        QVERIFY2(
            text.find("  tasks taken per pool worker of jobs: helper 8 (100%)\n") != std::string::npos, text.c_str());
    }

    // The Workers table's footnotes follow its rows: a producer at 2 % CPU and 2 % blocked that moved messages
    // (zmq-vs-shm's ring producer on a busy 2-core machine) is explained; busy or blocked ones need no note.
    void reportTextExplainsTimeNeitherBlockedNorOnACpu()
    {
        Report r;
        r.scenario = "pairs";
        WorkerSummary busy;
        busy.name = "unix-producer";
        busy.messages = 900'000;
        busy.cpuPercent = 55;
        busy.blockedFraction = 0.33;
        WorkerSummary waiting = busy;
        waiting.name = "unix-consumer";
        waiting.role = Role::Consumer;
        waiting.cpuPercent = 3;
        waiting.blockedFraction = 0.94;
        r.workers = { busy, waiting };
        const std::string note = "blocked + CPU well below 100%";
        QVERIFY2(reportToText(r).find(note) == std::string::npos, reportToText(r).c_str());
        WorkerSummary idle = busy;
        idle.name = "ring-producer";
        idle.cpuPercent = 2;
        idle.blockedFraction = 0.017;
        r.workers.push_back(idle);
        QVERIFY2(reportToText(r).find(note) != std::string::npos, reportToText(r).c_str());
        // Above 100% (a zmq Manager's server at 95.5% blocked and 67% CPU) has its own note, absent until then.
        const std::string over = "blocked + CPU above 100%";
        QVERIFY2(reportToText(r).find(over) == std::string::npos, reportToText(r).c_str());
        WorkerSummary server = busy;
        server.name = "server";
        server.role = Role::Program;
        server.cpuPercent = 67;
        server.blockedFraction = 0.955;
        r.workers.push_back(server);
        QVERIFY2(reportToText(r).find(over) != std::string::npos, reportToText(r).c_str());
        // A consumer's timed count is in the JSON beside its mean; a producer has none.
        const QJsonArray workers
            = QJsonDocument::fromJson(QByteArray::fromStdString(reportToJson(r))).object()["workers"].toArray();
        QVERIFY(!workers[0].toObject().contains("timed_messages"));
        QCOMPARE(workers[1].toObject()["timed_messages"].toInteger(-1), 0);
    }

    // The server's data against its clients' sets: a set the server applied whose reply its client had not taken at
    // the stop puts the value one above the sets, and the text says why (no lost update, nothing unexplained).
    void reportTextExplainsAValueAheadOfTheSets()
    {
        Report r;
        r.scenario = "zmq-manager";
        ObjectSummary manager;
        manager.name = "manager";
        manager.ledger.requests.present = true;
        manager.ledger.requests.keys
            = { { "ns.x", 8164, 8163, 0 }, { "d[count]", 900, 1000, 100 }, { "ns.y", 10, 8, 0, true } };
        r.objects = { manager };
        const std::string text = reportToText(r);
        QVERIFY2(text.find("ns.x in the server: 8164; the clients' sets added 8163; lost updates 0 (1 above the "
                           "sets: applied by the server, the reply not taken at the stop)")
                != std::string::npos,
            text.c_str());
        // With negative adds a lost one leaves the value above the sets too: nothing is claimed.
        QVERIFY2(text.find("ns.y in the server: 10; the clients' sets added 8; lost updates 0\n") != std::string::npos,
            text.c_str());
        QVERIFY2(text.find("d[count] in the server: 900; the clients' sets added 1000; lost updates 100\n")
                != std::string::npos,
            text.c_str());
    }
};

QTEST_GUILESS_MAIN(TestProgramLedger)
#include "tst_program_ledger.moc"

// Programs without processes: the step text a worker's command line carries, the validation of a program against
// the scenario's objects (the field is named in every refusal), and the ledger of a shared array or a semaphore
// built from per-step counts (programObjectLedger is a pure function, so its cases are plain tables).
#include "ipccore/ledger.h"
#include "ipccore/program.h"
#include "ipccore/scenario.h"

#include <QtTest>

using namespace ipccore;

namespace {

ProgramSteps steps(std::initializer_list<const char*> lines)
{
    ProgramSteps p;
    for (const char* line : lines) {
        auto s = parseStepText(line);
        if (!s)
            qFatal("bad step in the test itself: %s", line);
        p.push_back(*s);
    }
    return p;
}

std::vector<ObjectSpec> objects()
{
    return { { "counter", TransportKind::ShmArray, 4, 64 }, { "pool", TransportKind::Semaphore, 2, 64 },
        { "jobs", TransportKind::Mq, 8, 64 }, { "ring", TransportKind::ShmRing, 8, 64 },
        { "pipe", TransportKind::Fifo, 8, 64 }, { "done", TransportKind::Mq, 8, 64 },
        { "tiny", TransportKind::Mq, 8, 48 }, { "oneway", TransportKind::Pipe, 0, 64 },
        { "duplex", TransportKind::SocketPair, 0, 64 }, { "tally", TransportKind::Global, 1, 64 } };
}

WorkerSpec program(std::initializer_list<const char*> lines)
{
    WorkerSpec w;
    w.name = "p";
    w.role = Role::Program;
    w.program = steps(lines);
    return w;
}

const ProgramSteps RaceSteps = steps({ "read counter[0]", "work 20us", "write counter[0] +1" });
const ProgramSteps PoolSteps = steps({ "acquire pool 100ms", "work 40000us", "release pool" });

} // namespace

Q_DECLARE_METATYPE(std::vector<ipccore::ProgramCounts>)
Q_DECLARE_METATYPE(std::vector<ipccore::PoolMember>)
Q_DECLARE_METATYPE(ipccore::WorkerSpec)

class TestProgram : public QObject {
    Q_OBJECT

    // Empty when validation refuses `bad` with a hint containing `says`; otherwise what it said ("accepted" if
    // nothing).
    static QString refused(const Scenario& bad, const char* says)
    {
        const Status st = validateScenario(bad, readMqLimits(), std::nullopt);
        if (st)
            return QString("accepted");
        const QString hint = QString::fromStdString(st.error().hint);
        return hint.contains(says) ? QString() : hint;
    }

private slots:
    void stepTextRoundTrips_data()
    {
        QTest::addColumn<QString>("text");
        for (const char* t :
            { "acquire pool", "acquire pool 0ms", "acquire pool 250ms", "release pool", "read counter[0]",
                "read counter[4095]", "write counter[3] +1", "write counter[0] -2", "work 0us", "work 1000000us",
                "put jobs", "put jobs 0ms", "put jobs 100ms prio 9", "put jobs prio 3", "get jobs", "get jobs 20ms",
                "work 50us each", "map tasks results 256", "map tasks results 256 chunk 32", "apply tasks results 64",
                "request manager replies get d[count]", "request manager replies set d[count] +1",
                "request manager replies append l -2 500ms", "request manager replies len l",
                "request manager replies get ns.x 0ms", "serve manager", "request manager get d[count]",
                "request manager set ns.x -1 20ms", "request manager len l", "request manager get get d[count]" })
            QTest::newRow(t) << QString::fromLatin1(t);
    }
    void stepTextRoundTrips()
    {
        QFETCH(QString, text);
        auto step = parseStepText(text.toStdString());
        QVERIFY2(step, step ? "" : step.error().message().c_str());
        QCOMPARE(QString::fromStdString(stepText(*step)), text);
        auto whole = parseProgramText(programText({ *step, *step }));
        QVERIFY(whole);
        QCOMPARE(whole->size(), std::size_t(2));
    }

    void badStepTextIsNamed_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("says");
        QTest::newRow("empty") << ""
                               << "empty step";
        QTest::newRow("unknown op") << "reed counter[0]"
                                    << "'reed' is not a step";
        QTest::newRow("no cell") << "read counter"
                                 << "OBJECT[CELL]";
        QTest::newRow("bad cell") << "read counter[x]"
                                  << "OBJECT[CELL]";
        QTest::newRow("write without sign") << "write counter[0] 1"
                                            << "e.g. +1";
        QTest::newRow("timeout unit") << "acquire pool 100"
                                      << "whole number of milliseconds written as one word, e.g. 100ms (write 'ms' "
                                         "right after the number)";
        QTest::newRow("timeout apart from its unit") << "request manager get d[x] 50 ms"
                                                     << "(write 'ms' right after the number)";
        QTest::newRow("negative timeout") << "acquire pool -5ms"
                                          << "whole number of milliseconds";
        QTest::newRow("work unit") << "work 5ms"
                                   << "(work is in microseconds: 5ms is 5000us)";
        QTest::newRow("work without unit") << "work 30"
                                           << "(write 'us' right after the number)";
        QTest::newRow("extra word") << "release pool now"
                                    << "release OBJECT";
        QTest::newRow("get with a priority") << "get jobs prio 9"
                                             << "get OBJECT [100ms]";
        QTest::newRow("put priority without number") << "put jobs prio"
                                                     << "put OBJECT [100ms] [prio N]";
        QTest::newRow("work each misspelt") << "work 5us all"
                                            << "expected 'each'";
        QTest::newRow("map without results") << "map tasks 8"
                                             << "map TASKS RESULTS N [chunk K]";
        QTest::newRow("map of no tasks") << "map tasks results 0"
                                         << "whole number from 1";
        QTest::newRow("chunk without size") << "map tasks results 8 chunk"
                                            << "expected 'chunk K'";
        QTest::newRow("chunk of 0") << "map tasks results 8 chunk 0"
                                    << "chunk K' with K from 1";
        QTest::newRow("apply with a chunk") << "apply tasks results 8 chunk 2"
                                            << "apply TASKS RESULTS N";
        QTest::newRow("request without a key") << "request manager replies get"
                                               << "request SERVER REPLIES get d[KEY]";
        QTest::newRow("unknown request") << "request manager replies put d[x]"
                                         << "'put' is not a request";
        QTest::newRow("get of the list") << "request manager replies get l"
                                         << "d[KEY] (the dict) or ns.ATTR";
        QTest::newRow("append to the dict") << "request manager replies append d[x] +1"
                                            << "the list 'l'";
        QTest::newRow("set without a number") << "request manager replies set d[x] 500ms"
                                              << "e.g. +1";
        QTest::newRow("key with a dash") << "request manager replies get d[a-b]"
                                         << "cannot be in a key";
        QTest::newRow("key too long") << "request manager replies get d[abcdefghijklmnopq]"
                                      << "1 to 16 characters";
        QTest::newRow("serve two objects") << "serve manager other"
                                           << "'serve SERVER'";
    }
    void badStepTextIsNamed()
    {
        QFETCH(QString, text);
        QFETCH(QString, says);
        auto step = parseStepText(text.toStdString());
        QVERIFY(!step);
        QVERIFY2(QString::fromStdString(step.error().hint).contains(says), step.error().hint.c_str());
    }

    void pythonFormReadsLikePython()
    {
        QCOMPARE(stepPython(steps({ "acquire pool 100ms" })[0]), std::string("pool.acquire(timeout=0.1)"));
        QCOMPARE(stepPython(steps({ "acquire pool 0ms" })[0]), std::string("pool.acquire(timeout=0)"));
        QCOMPARE(stepPython(steps({ "acquire pool" })[0]), std::string("pool.acquire()"));
        QCOMPARE(stepPython(steps({ "write counter[0] +1" })[0]), std::string("counter[0] = x + 1"));
        QCOMPARE(stepPython(steps({ "work 20us" })[0]), std::string("time.sleep(0.00002)"));
        QCOMPARE(stepPython(steps({ "put jobs 0ms" })[0]), std::string("jobs.put_nowait(msg)"));
        QCOMPARE(stepPython(steps({ "put jobs 250ms" })[0]), std::string("jobs.put(msg, timeout=0.25)"));
        QCOMPARE(stepPython(steps({ "put jobs prio 9" })[0]), std::string("jobs.send(msg, priority=9)"));
        QCOMPARE(stepPython(steps({ "get jobs" })[0]), std::string("msg = jobs.get()"));
        QCOMPARE(stepPython(steps({ "get jobs 0ms" })[0]), std::string("msg = jobs.get_nowait()"));
        QCOMPARE(stepPython(steps({ "map tasks results 256 chunk 32" })[0]),
            std::string("pool.map(f, range(256), chunksize=32)"));
        QCOMPARE(stepPython(steps({ "map tasks results 8" })[0]), std::string("pool.map(f, range(8))"));
        QCOMPARE(stepPython(steps({ "work 10us each" })[0]), std::string("for task in chunk: time.sleep(0.00001)"));
        QCOMPARE(stepPython(steps({ "request m r get d[count]" })[0]), std::string("x = d['count']"));
        QCOMPARE(stepPython(steps({ "request m r set d[count] +1" })[0]), std::string("d['count'] = x + 1"));
        QCOMPARE(stepPython(steps({ "request m r set ns.x -3" })[0]), std::string("ns.x = x - 3"));
        QCOMPARE(stepPython(steps({ "request m r append l +1" })[0]), std::string("l.append(x + 1)"));
        QCOMPARE(stepPython(steps({ "request m r len l" })[0]), std::string("x = len(l)"));
        QCOMPARE(programObjects(steps({ "map tasks results 8", "work 1us" })),
            (std::vector<std::string> { "tasks", "results" }));
    }

    void programRefusalsNameTheField_data()
    {
        QTest::addColumn<WorkerSpec>("worker");
        QTest::addColumn<QString>("says");
        QTest::newRow("no steps") << program({}) << "program: a program needs at least one step";
        QTest::newRow("unknown object") << program({ "read total[0]" }) << "program[0]: 'read total[0]': no object";
        QTest::newRow("acquire a global") << program({ "acquire tally", "release tally" })
                                          << "a global has no lock: each process has its own copy of 'tally'";
        QTest::newRow("cell of a global") << program({ "read tally[1]" }) << "cell 1 is outside 0..0";
        QTest::newRow("get from a global") << program({ "get tally" }) << "(use read and write on it)";
        QTest::newRow("cell out of range") << program({ "read counter[4]" }) << "cell 4 is outside 0..3";
        QTest::newRow("read a semaphore") << program({ "read pool[0]" }) << "only a shared array (shm-array)";
        QTest::newRow("acquire a queue") << program({ "acquire jobs", "release jobs" })
                                         << "only a semaphore or a shared array's lock";
        QTest::newRow("unlock first") << program({ "release counter" }) << "nothing acquired 'counter'";
        QTest::newRow("never unlocked") << program({ "acquire counter" })
                                        << "the lock of 'counter' is acquired but never released";
        QTest::newRow("long timeout") << program({ "acquire pool 60001ms", "release pool" }) << "above the maximum";
        QTest::newRow("write without a read")
            << program({ "write counter[0] +1" }) << "no step before it reads counter[0]";
        QTest::newRow("write after a read of another cell")
            << program({ "read counter[1]", "write counter[0] +1" }) << "add \"read counter[0]\" before it";
        QTest::newRow("get from a semaphore") << program({ "get pool" }) << "(use acquire and release on it)";
        QTest::newRow("put on a fifo") << program({ "put pipe" })
                                       << "an mq, shm-ring, shm-spsc, socketpair or rendezvous";
        QTest::newRow("get from an array")
            << program({ "get counter" }) << "an mq, shm-ring, shm-spsc, socketpair or rendezvous";
        QTest::newRow("priority on a ring") << program({ "put ring prio 2" }) << "only message queues (mq)";
        QTest::newRow("priority too high") << program({ "put jobs prio 40000" }) << "outside 0..32767";
        QTest::newRow("read a queue") << program({ "read jobs[0]" }) << "only a shared array";
        QTest::newRow("put into an anonymous pipe") << program({ "put oneway" }) << "(use a producer or consumer";
        QTest::newRow("map onto a ring") << program({ "map ring done 8" }) << "through message queues (mq)";
        QTest::newRow("map results to a ring") << program({ "map jobs ring 8" }) << "'ring' is a";
        QTest::newRow("map into one queue") << program({ "map jobs jobs 8" }) << "need two objects";
        QTest::newRow("map to an unknown object")
            << program({ "map jobs nowhere 8" }) << "no object is named 'nowhere'";
        QTest::newRow("chunk above the tasks") << program({ "map jobs done 8 chunk 9" }) << "larger than the 8 tasks";
        QTest::newRow("messages too small for task ids") << program({ "map jobs tiny 8" }) << "needs 56";
        QTest::newRow("two calls") << program({ "map jobs done 8", "apply jobs done 8" }) << "map or apply once";
        QTest::newRow("too many tasks") << program({ "map jobs done 1000001" }) << "at most 1000000";
        WorkerSpec withObject = program({ "read counter[0]" });
        withObject.object = "counter";
        QTest::newRow("object field") << withObject << "remove \"object\"";
        WorkerSpec tooLong = program({});
        for (int i = 0; i < 17; ++i)
            tooLong.program.push_back(steps({ "work 1us" })[0]);
        QTest::newRow("too many steps") << tooLong << "at most 16";
    }
    void programRefusalsNameTheField()
    {
        QFETCH(WorkerSpec, worker);
        QFETCH(QString, says);
        const Status st = validateProgram(worker, objects(), "workers[2]");
        QVERIFY(!st);
        QVERIFY2(QString::fromStdString(st.error().hint).startsWith("workers[2]."), st.error().hint.c_str());
        QVERIFY2(QString::fromStdString(st.error().hint).contains(says), st.error().hint.c_str());
    }

    void goodProgramsPass()
    {
        QVERIFY(validateProgram(
            program({ "acquire counter", "read counter[3]", "write counter[3] +1", "release counter" }), objects()));
        QVERIFY(validateProgram(
            program({ "acquire pool 0ms", "acquire counter", "release counter", "release pool" }), objects()));
        QVERIFY(validateProgram(program({ "map jobs done 64 chunk 8" }), objects()));
        QVERIFY(validateProgram(program({ "get jobs", "work 10us each", "put done" }), objects()));
        QVERIFY(validateProgram(program({ "put duplex", "get duplex" }), objects()));
        QVERIFY(validateProgram(program({ "read tally[0]", "write tally[0] +1" }), objects()));
        // A semaphore carries signals as well as permits: one process only acquires, another only releases.
        QVERIFY(validateProgram(program({ "acquire pool", "work 1us" }), objects()));
        QVERIFY(validateProgram(program({ "work 1us", "release pool" }), objects()));
    }

    // Which release gives back which acquire: nested like `with` blocks; the rest move signals.
    void lockPairsNestLikeWithBlocks()
    {
        const std::size_t none = 6;
        QCOMPARE(lockPairs(steps({ "acquire pool", "acquire counter", "release counter", "release pool", "release pool",
                     "acquire counter" })),
            (std::vector<std::size_t> { 3, 2, 1, 0, none, none }));
        QCOMPARE(lockPairs(steps({ "release pool", "acquire pool" })), (std::vector<std::size_t> { 2, 2 }));
        QCOMPARE(lockPairs(steps({ "acquire pool", "acquire pool", "release pool", "release pool" })),
            (std::vector<std::size_t> { 3, 2, 1, 0 }));
    }

    // A socketpair has two ends: two processes may use it, each both ways, and a third is refused.
    void socketpairHasTwoEnds()
    {
        Scenario s;
        s.name = "pair";
        s.objects = { { "conn", TransportKind::SocketPair, 0, 64 } };
        WorkerSpec ping = program({ "put conn", "get conn" });
        ping.name = "ping";
        WorkerSpec pong = program({ "get conn", "put conn" });
        pong.name = "pong";
        s.workers = { ping, pong };
        const Status ok = validateScenario(s, readMqLimits());
        QVERIFY2(ok, ok ? "" : ok.error().message().c_str());
        WorkerSpec third = program({ "get conn" });
        third.name = "third";
        s.workers.push_back(third);
        const Status st = validateScenario(s, readMqLimits());
        QVERIFY(!st);
        QVERIFY2(
            QString::fromStdString(st.error().hint).contains("objects[0]: 'conn' is a socketpair: it has two ends"),
            st.error().hint.c_str());
    }

    // Results come back to the caller of map or apply: a second reader of that queue would take them.
    void poolResultsHaveOneReader()
    {
        Scenario s;
        s.name = "pool";
        s.objects = { { "tasks", TransportKind::Mq, 8, 64 }, { "results", TransportKind::Mq, 8, 64 } };
        WorkerSpec caller = program({ "map tasks results 16" });
        caller.name = "caller";
        WorkerSpec worker = program({ "get tasks", "put results" });
        worker.name = "pool-1";
        s.workers = { caller, worker };
        const Status ok = validateScenario(s, readMqLimits());
        QVERIFY2(ok, ok ? "" : ok.error().message().c_str());
        // A map with nobody to take its tasks would never return: refused, naming the remedy.
        Scenario lonely = s;
        lonely.workers = { caller };
        const Status never = validateScenario(lonely, readMqLimits());
        QVERIFY(!never);
        QVERIFY2(QString::fromStdString(never.error().hint).contains("would never return: no worker gets from 'tasks'"),
            never.error().hint.c_str());
        WorkerSpec thief = program({ "get results" });
        thief.name = "thief";
        s.workers.push_back(thief);
        const Status st = validateScenario(s, readMqLimits());
        QVERIFY(!st);
        QVERIFY2(QString::fromStdString(st.error().hint).contains("objects[1]: 'results' brings a pool's results"),
            st.error().hint.c_str());
    }

    // Requests need one server on their queue, a reply queue per client, and messages large enough for a request.
    void requestsNeedTheirServerAndTheirOwnReplyQueue()
    {
        Scenario s;
        s.name = "manager";
        s.objects = { { "manager", TransportKind::Mq, 8, 256 }, { "replies-1", TransportKind::Mq, 8, 256 },
            { "replies-2", TransportKind::Mq, 8, 256 }, { "small", TransportKind::Mq, 8, 64 },
            { "counter", TransportKind::ShmArray, 1, 64 } };
        WorkerSpec server = program({ "serve manager" });
        server.name = "server";
        WorkerSpec one = program({ "request manager replies-1 get d[n]", "request manager replies-1 set d[n] +1" });
        one.name = "client-1";
        WorkerSpec two = program({ "request manager replies-2 len l", "request manager replies-2 append l +1" });
        two.name = "client-2";
        s.workers = { server, one, two };
        const Status ok = validateScenario(s, readMqLimits(), std::nullopt);
        QVERIFY2(ok, ok ? "" : ok.error().message().c_str());
        // The server is bound to the queue it serves and to every client's reply queue, in that order.
        QCOMPARE(workerObjects(s, server), (std::vector<std::string> { "manager", "replies-1", "replies-2" }));
        QCOMPARE(workerObjects(s, one), (std::vector<std::string> { "manager", "replies-1" }));

        Scenario noServer = s;
        noServer.workers = { one };
        QCOMPARE(refused(noServer, "objects[0]: requests are sent to 'manager' but no worker answers them"), QString());
        Scenario twoServers = s;
        WorkerSpec second = server;
        second.name = "server-2";
        twoServers.workers.push_back(second);
        QCOMPARE(refused(twoServers, "2 workers serve 'manager'"), QString());
        Scenario shared = s;
        shared.workers[2] = program({ "request manager replies-1 get ns.x" });
        shared.workers[2].name = "client-2";
        QCOMPARE(refused(shared, "objects[1]: 'replies-1' is the reply address of requests"), QString());
        Scenario small = s;
        small.workers[1] = program({ "request manager small get d[n]" });
        small.workers[1].name = "client-1";
        QCOMPARE(refused(small, "workers[1].program[0]: 'request manager small get d[n]': 'small' carries messages"),
            QString());
        Scenario blind = s;
        blind.workers[1] = program({ "request manager replies-1 set d[n] +1" });
        blind.workers[1].name = "client-1";
        QCOMPARE(refused(blind, "no step before it reads one"), QString());
        Scenario onArray = s;
        onArray.workers[1] = program({ "request counter replies-1 get d[n]" });
        onArray.workers[1].name = "client-1";
        QCOMPARE(refused(onArray, "through message queues (mq) or a zmq or zmq-tcp object (DEALER/ROUTER); 'counter'"),
            QString());
        // A server is bound to every client's reply queue: 16 clients make 17 objects, one more than a slot counts.
        Scenario crowd;
        crowd.name = "crowd";
        crowd.objects = { { "manager", TransportKind::Mq, 8, 256 } };
        crowd.workers = { server };
        for (int k = 1; k <= 16; ++k) {
            const std::string replies = "replies-" + std::to_string(k);
            crowd.objects.push_back({ replies, TransportKind::Mq, 8, 256 });
            WorkerSpec client = program({});
            client.program = *parseProgramText("request manager " + replies + " get d[n]");
            client.name = "client-" + std::to_string(k);
            crowd.workers.push_back(client);
        }
        QCOMPARE(refused(crowd, "workers[0].program: the program uses 17 objects"), QString());
    }

    // Requests to a zmq object (DEALER/ROUTER) name no reply queue: the replies come back on each client's own
    // connection. Only requests and replies go through it, over ipc:// (zmq) or tcp:// (zmq-tcp), never a broadcast.
    void zmqRequestsNeedNoReplyQueue()
    {
        // Without REPLIES the word after SERVER is the request; a reply queue named "get" still parses as one.
        auto own = parseStepText("request manager get d[n]");
        QVERIFY(own);
        QCOMPARE(own->results, std::string("manager"));
        QCOMPARE(own->request, RequestOp::Get);
        auto named = parseStepText("request manager get get d[n]");
        QVERIFY(named);
        QCOMPARE(named->results, std::string("get"));

        Scenario s;
        s.name = "zmq-manager";
        s.objects = { { "manager", TransportKind::Zmq, 8, 256 }, { "replies-1", TransportKind::Mq, 8, 256 } };
        WorkerSpec server = program({ "serve manager" });
        server.name = "server";
        WorkerSpec one = program({ "request manager get d[n]", "request manager set d[n] +1" });
        one.name = "client-1";
        WorkerSpec two = program({ "request manager len l" });
        two.name = "client-2";
        s.workers = { server, one, two };
        const Status ok = validateScenario(s, readMqLimits(), std::nullopt);
        QVERIFY2(ok, ok ? "" : ok.error().message().c_str());
        QCOMPARE(workerObjects(s, server), (std::vector<std::string> { "manager" }));

        Scenario withQueue = s;
        withQueue.workers[1] = program({ "request manager replies-1 get d[n]" });
        withQueue.workers[1].name = "client-1";
        QCOMPARE(refused(withQueue,
                     "'manager' is a zmq object, whose replies come back on each request's own connection "
                     "(DEALER/ROUTER); leave the reply queue out: 'request manager get d[n]'"),
            QString());
        // Told the same when the reply queue is not declared at all (not first to declare it, then to drop it).
        Scenario undeclared = withQueue;
        undeclared.objects.pop_back();
        QCOMPARE(refused(undeclared, "'manager' is a zmq object, whose replies come back"), QString());
        Scenario overMq = s;
        overMq.objects[0].transport = TransportKind::Mq;
        QCOMPARE(refused(overMq, "requests and their replies need two objects"), QString());
        Scenario overTcp = s;
        overTcp.objects[0].transport = TransportKind::ZmqTcp;
        const Status tcpOk = validateScenario(overTcp, readMqLimits(), std::nullopt);
        QVERIFY2(tcpOk, tcpOk ? "" : tcpOk.error().message().c_str());
        Scenario overTcpWithQueue = withQueue;
        overTcpWithQueue.objects[0].transport = TransportKind::ZmqTcp;
        QCOMPARE(refused(overTcpWithQueue, "'manager' is a zmq-tcp object, whose replies come back"), QString());
        Scenario broadcast = s;
        broadcast.objects[0].transport = TransportKind::ZmqPub;
        QCOMPARE(refused(broadcast,
                     "or a zmq or zmq-tcp object (DEALER/ROUTER); 'manager' is a ZeroMQ PUB/SUB over ipc:// (each "
                     "subscriber gets all): give it \"transport\": \"zmq\""),
            QString());
        Scenario mixed = s;
        WorkerSpec producer;
        producer.name = "producer";
        producer.role = Role::Producer;
        producer.object = "manager";
        mixed.workers.push_back(producer);
        QCOMPARE(refused(mixed,
                     "objects[0]: 'manager' carries requests and their replies (DEALER/ROUTER), and "
                     "'producer' would send or take other messages through it"),
            QString());
        Scenario twoServers = s;
        twoServers.workers.push_back(server);
        twoServers.workers.back().name = "server-2";
        QCOMPARE(refused(twoServers, "2 workers serve 'manager'"), QString());
        Scenario small = s;
        small.objects[0].messageSize = 64;
        QCOMPARE(refused(small, "'manager' carries messages of at most 64 bytes; a request or reply needs"), QString());
        // One program is the server or a client of one zmq object: its socket there is a ROUTER or a DEALER.
        Scenario both = s;
        both.workers[0] = program({ "serve manager", "request manager get d[n]" });
        both.workers[0].name = "server";
        QCOMPARE(refused(both, "the same program both serves 'manager' and sends requests to it"), QString());
        Scenario twoObjects = s;
        twoObjects.objects.push_back({ "other", TransportKind::Mq, 8, 256 });
        twoObjects.objects.push_back({ "other-replies", TransportKind::Mq, 8, 256 });
        twoObjects.workers[1] = program({ "request manager get d[n]", "request other other-replies get d[n]" });
        twoObjects.workers[1].name = "client-1";
        WorkerSpec otherServer = program({ "serve other" });
        otherServer.name = "other-server";
        twoObjects.workers.push_back(otherServer);
        QCOMPARE(refused(twoObjects, "talks to that one object only, and 'other' is another"), QString());
        // The hint for a set with nothing read before it is a step that parses.
        Scenario blind = s;
        blind.workers[1] = program({ "request manager set d[n] +1" });
        blind.workers[1].name = "client-1";
        QCOMPARE(refused(blind, "add e.g. \"request manager get d[n]\" before it"), QString());
        Scenario putInto = s;
        putInto.workers[2] = program({ "put manager" });
        putInto.workers[2].name = "client-2";
        QCOMPARE(refused(putInto, "or request and serve steps for a Manager over it"), QString());
    }

    // A rendezvous holds nothing: a channel with writers and no reader (or readers and no writer) waits for ever,
    // and so does a process on both of its ends. Both are refused before anything starts.
    void rendezvousNeedsAWriterAndAnotherReader()
    {
        Scenario s;
        s.name = "csp";
        s.objects = { { "ch1", TransportKind::Rendezvous, 0, 64 }, { "ch2", TransportKind::Rendezvous, 0, 64 } };
        WorkerSpec source { "source", Role::Producer, "ch1" };
        WorkerSpec stage = program({ "get ch1", "put ch2" });
        stage.name = "stage";
        WorkerSpec sink { "sink", Role::Consumer, "ch2" };
        s.workers = { source, stage, sink };
        const Status ok = validateScenario(s, readMqLimits(), std::nullopt);
        QVERIFY2(ok, ok ? "" : ok.error().message().c_str());
        auto refusal = [](const Scenario& bad) {
            const Status st = validateScenario(bad, readMqLimits(), std::nullopt);
            return st ? QString("accepted") : QString::fromStdString(st.error().hint);
        };
        Scenario noReader = s;
        noReader.workers = { source, stage };
        QVERIFY(refusal(noReader).contains("objects[1]: 'ch2' is a rendezvous channel and nobody gets from it"));
        QVERIFY(refusal(noReader).contains("Add a consumer, or a program step \"get ch2\""));
        Scenario noWriter = s;
        noWriter.workers = { stage, sink };
        QVERIFY(refusal(noWriter).contains("'ch1' is a rendezvous channel and nobody puts into it"));
        Scenario selfish = s;
        selfish.workers[1] = program({ "get ch1", "put ch1" });
        selfish.workers[1].name = "stage";
        QVERIFY(refusal(selfish).contains("workers[1].program: 'stage' both puts into and gets from the rendezvous"));
        QVERIFY(refusal(selfish).contains("no other process gets from it"));
        // Ping-pong on one channel works when the other side both gets and puts too.
        Scenario pingPong;
        pingPong.name = "pingpong";
        pingPong.objects = { { "ch", TransportKind::Rendezvous, 0, 64 } };
        pingPong.workers = { program({ "put ch", "get ch" }), program({ "get ch", "put ch" }) };
        pingPong.workers[0].name = "ping";
        pingPong.workers[1].name = "pong";
        QCOMPARE(refusal(pingPong), QString("accepted"));
    }

    // A program that gets from a one-consumer object counts as its consumer, beside the consumer workers.
    void programsCountTowardsWorkerLimits()
    {
        Scenario s;
        s.name = "limits";
        s.objects = { { "spsc", TransportKind::ShmSpsc, 8, 64 } };
        WorkerSpec consumer { "c", Role::Consumer, "spsc" };
        WorkerSpec getter = program({ "get spsc 10ms" });
        s.workers = { consumer, getter };
        const Status st = validateScenario(s, readMqLimits(), std::nullopt);
        QVERIFY(!st);
        QVERIFY2(st.error().hint.find("only one consumer") != std::string::npos, st.error().hint.c_str());
        s.workers = { getter };
        QVERIFY(validateScenario(s, readMqLimits(), std::nullopt));
    }

    // A producer or consumer cannot use an object that carries no messages, and says what to do instead.
    void producersAreRefusedOnProgramObjects()
    {
        const Status st = validateWorker(WorkerSpec { "w", Role::Producer, "counter" }, objects()[0], "workers[0]");
        QVERIFY(!st);
        QVERIFY2(
            st.error().hint.find("give the worker role \"program\"") != std::string::npos, st.error().hint.c_str());
    }

    void scenarioFileRoundTripsPrograms()
    {
        Scenario s;
        s.name = "progs";
        s.objects = objects();
        s.workers = { program({ "acquire pool 100ms", "read counter[1]", "write counter[1] +3", "release pool" }) };
        s.workers[0].rate = 50;
        s.workers[0].count = 7;
        auto again = parseScenario(scenarioToJson(s), "written");
        QVERIFY2(again, again ? "" : again.error().message().c_str());
        QCOMPARE(again->workers.at(0).role, Role::Program);
        QCOMPARE(programText(again->workers[0].program), programText(s.workers[0].program));
        QCOMPARE(again->workers[0].count, 7ull);
    }

    void scenarioFileRefusalsNameTheStep()
    {
        const char* json = R"({"name":"x","objects":[{"name":"counter","transport":"shm-array","capacity":1}],
            "workers":[{"name":"a","role":"program","program":["read counter[0]","wrte counter[0] +1"]}]})";
        auto s = parseScenario(json, "x.json");
        QVERIFY(!s);
        QVERIFY2(s.error().hint.find("workers[0].program[1]: 'wrte counter[0] +1'") != std::string::npos,
            s.error().hint.c_str());
        const char* noProgram = R"({"name":"x","objects":[{"name":"counter","transport":"shm-array","capacity":1}],
            "workers":[{"name":"a","role":"program"}]})";
        auto t = parseScenario(noProgram, "x.json");
        QVERIFY(!t);
        QVERIFY2(t.error().hint.find("workers[0].program: is missing") != std::string::npos, t.error().hint.c_str());
    }

    // The shared array's books: increments made against the sum of the cells.
    void arrayLedger_data()
    {
        QTest::addColumn<std::vector<ProgramCounts>>("workers");
        QTest::addColumn<qint64>("cellSum");
        QTest::addColumn<qint64>("increments");
        QTest::addColumn<qint64>("lost");
        QTest::addColumn<bool>("exact");
        auto w = [](std::uint64_t passes, bool killed = false, std::uint32_t at = 0, bool doubt = false) {
            ProgramCounts c;
            c.program = &RaceSteps;
            c.done = { passes + (killed && at > 0 ? 1 : 0), passes + (killed && at > 1 ? 1 : 0), passes };
            c.missed = { 0, 0, 0 };
            c.killed = killed;
            c.stepAtDeath = at;
            c.inDoubtAtDeath = doubt;
            return c;
        };
        QTest::newRow("no race") << std::vector { w(100) } << qint64(100) << qint64(100) << qint64(0) << true;
        QTest::newRow("lost updates") << std::vector { w(100), w(100) } << qint64(150) << qint64(200) << qint64(50)
                                      << true;
        QTest::newRow("more than written is impossible")
            << std::vector { w(100) } << qint64(101) << qint64(100) << qint64(0) << false;
        QTest::newRow("killed inside its write: one uncounted write explains one more")
            << std::vector { w(100, true, 2, true), w(50) } << qint64(151) << qint64(151) << qint64(0) << true;
        QTest::newRow("killed inside its write that did not land")
            << std::vector { w(100, true, 2, true), w(50) } << qint64(150) << qint64(150) << qint64(0) << true;
        QTest::newRow("killed between read and write: nothing in doubt")
            << std::vector { w(100, true, 1, false), w(50) } << qint64(151) << qint64(150) << qint64(0) << false;
    }
    // The lock's acquires and releases are counted with the writes; the largest cell is the largest even when every
    // cell is below zero (a global's copies after writes of -1).
    void arrayLedgerCountsTheLockAndTheLargestCell()
    {
        const ProgramSteps locked
            = steps({ "acquire counter 5ms", "read counter[0]", "write counter[0] -1", "release counter" });
        ProgramCounts c;
        c.program = &locked;
        c.done = { 7, 7, 7, 7 };
        c.missed = { 2, 0, 0, 0 };
        const ObjectSpec counter { "counter", TransportKind::ShmArray, 2, 64 };
        const std::vector<std::int64_t> cells { -5, -3 };
        const Ledger l = programObjectLedger(counter, std::vector { c }, cells, -1, true);
        QCOMPARE(l.acquires, 7u);
        QCOMPARE(l.releases, 7u);
        QCOMPARE(l.timeouts, 2u);
        QCOMPARE(l.largestCell, -3);
        QCOMPARE(l.cellSum, -8);
    }

    void arrayLedger()
    {
        QFETCH(std::vector<ProgramCounts>, workers);
        QFETCH(qint64, cellSum);
        QFETCH(qint64, increments);
        QFETCH(qint64, lost);
        QFETCH(bool, exact);
        const ObjectSpec counter { "counter", TransportKind::ShmArray, 2, 64 };
        const std::vector<std::int64_t> cells { cellSum, 0 };
        const Ledger l = programObjectLedger(counter, workers, cells, -1, true);
        QCOMPARE(l.cellSum, cellSum);
        QCOMPARE(l.increments, increments);
        QCOMPARE(l.lostUpdates, lost);
        QCOMPARE(l.exact, exact);
        // While running nothing is judged.
        QCOMPARE(programObjectLedger(counter, workers, cells, -1, false).exact, false);
    }

    // The semaphore's books: the value at stop against initial + releases - acquires, and nothing held but by the
    // killed.
    void semaphoreLedger_data()
    {
        QTest::addColumn<std::vector<ProgramCounts>>("workers");
        QTest::addColumn<qint64>("value");
        QTest::addColumn<quint64>("heldByDead");
        QTest::addColumn<quint64>("timeouts");
        QTest::addColumn<bool>("exact");
        auto w = [](std::uint64_t acquired, std::uint64_t released, std::uint64_t missed, bool killed = false,
                     std::uint32_t at = 0, bool doubt = false) {
            ProgramCounts c;
            c.program = &PoolSteps;
            c.done = { acquired, acquired, released };
            c.missed = { missed, 0, 0 };
            c.killed = killed;
            c.stepAtDeath = at;
            c.inDoubtAtDeath = doubt;
            return c;
        };
        QTest::newRow("all given back") << std::vector { w(40, 40, 3), w(30, 30, 9) } << qint64(2) << quint64(0)
                                        << quint64(12) << true;
        QTest::newRow("killed holding one")
            << std::vector { w(40, 39, 0, true, 1), w(30, 30, 0) } << qint64(1) << quint64(1) << quint64(0) << true;
        QTest::newRow("killed inside sem_wait, got it")
            << std::vector { w(40, 40, 0, true, 0, true) } << qint64(1) << quint64(1) << quint64(0) << true;
        QTest::newRow("killed inside sem_wait, did not get it")
            << std::vector { w(40, 40, 0, true, 0, true) } << qint64(2) << quint64(0) << quint64(0) << true;
        QTest::newRow("a permit vanished")
            << std::vector { w(40, 40, 0) } << qint64(1) << quint64(0) << quint64(0) << false;
        QTest::newRow("a permit appeared")
            << std::vector { w(40, 40, 0) } << qint64(3) << quint64(0) << quint64(0) << false;
        // A semaphore as a signal: the producer releases `pool` without acquiring it, the consumer acquires it
        // without releasing it; the value is what was posted and not yet taken, and nobody holds anything.
        static const ProgramSteps poster = steps({ "work 1us", "release pool" });
        static const ProgramSteps taker = steps({ "acquire pool", "work 1us" });
        auto signal = [](const ProgramSteps& p, std::uint64_t n, bool killed = false) {
            ProgramCounts c;
            c.program = &p;
            c.done = { n, n };
            c.missed = { 0, 0 };
            c.killed = killed;
            return c;
        };
        QTest::newRow("signals posted and taken")
            << std::vector { signal(poster, 50), signal(taker, 45) } << qint64(7) << quint64(0) << quint64(0) << true;
        QTest::newRow("a killed taker holds nothing") << std::vector { signal(poster, 50), signal(taker, 45, true) }
                                                      << qint64(7) << quint64(0) << quint64(0) << true;
        QTest::newRow("a signal vanished")
            << std::vector { signal(poster, 50), signal(taker, 45) } << qint64(6) << quint64(0) << quint64(0) << false;
    }
    void semaphoreLedger()
    {
        QFETCH(std::vector<ProgramCounts>, workers);
        QFETCH(qint64, value);
        QFETCH(quint64, heldByDead);
        QFETCH(quint64, timeouts);
        QFETCH(bool, exact);
        const ObjectSpec pool { "pool", TransportKind::Semaphore, 2, 64 };
        const Ledger l = programObjectLedger(pool, workers, {}, value, true);
        QCOMPARE(l.permits, value);
        QCOMPARE(l.permitsHeldByDead, heldByDead);
        QCOMPARE(l.timeouts, timeouts);
        QCOMPARE(l.exact, exact);
    }

    // A pool's books in tasks (poolLedger is a pure function): what the caller and the workers counted against the
    // messages left in the two queues at stop.
    void poolLedgerJudgesTheTasks_data()
    {
        QTest::addColumn<std::vector<PoolMember>>("members");
        QTest::addColumn<quint64>("taskFramesLeft");
        QTest::addColumn<quint64>("resultFramesLeft");
        QTest::addColumn<quint64>("heldAtStop");
        QTest::addColumn<quint64>("died");
        QTest::addColumn<bool>("exact");
        auto caller = [](std::uint64_t submitted, std::uint64_t collected, std::uint64_t duplicated = 0,
                          std::uint64_t stray = 0, bool killed = false, bool doubt = false) {
            PoolMember m;
            m.caller = true;
            m.tasks.out = submitted;
            m.tasks.in = collected;
            m.tasks.duplicated = duplicated;
            m.tasks.stray = stray;
            m.killed = killed;
            m.inDoubtAtDeath = doubt;
            return m;
        };
        auto worker = [](std::uint64_t taken, std::uint64_t answered, std::uint32_t inHand, bool killed = false,
                          std::uint64_t dropped = 0) {
            PoolMember m;
            m.tasks.in = taken;
            m.tasks.out = answered;
            m.tasks.inHand = inHand;
            m.tasks.dropped = dropped;
            m.killed = killed;
            return m;
        };
        using M = std::vector<PoolMember>;
        QTest::newRow("every task back") << M { caller(256, 256), worker(128, 128, 0), worker(128, 128, 0) }
                                         << quint64(0) << quint64(0) << quint64(0) << quint64(0) << true;
        QTest::newRow("stopped workers held chunks") << M { caller(256, 192), worker(128, 96, 32), worker(128, 96, 32) }
                                                     << quint64(0) << quint64(0) << quint64(64) << quint64(0) << true;
        QTest::newRow("tasks still queued") << M { caller(256, 128), worker(128, 128, 0) } << quint64(4) << quint64(0)
                                            << quint64(0) << quint64(0) << true;
        QTest::newRow("counted as queued, but no message is left")
            << M { caller(256, 128), worker(128, 128, 0) } << quint64(0) << quint64(0) << quint64(0) << quint64(0)
            << false;
        QTest::newRow("more messages left than tasks") << M { caller(256, 224), worker(256, 256, 0) } << quint64(0)
                                                       << quint64(33) << quint64(0) << quint64(0) << false;
        QTest::newRow("died with a killed worker")
            << M { caller(256, 224), worker(128, 96, 32, true), worker(128, 128, 0) } << quint64(0) << quint64(0)
            << quint64(0) << quint64(32) << true;
        QTest::newRow("a task answered twice") << M { caller(256, 256, 1), worker(256, 257, 0) } << quint64(0)
                                               << quint64(0) << quint64(0) << quint64(0) << false;
        QTest::newRow("a result for no task") << M { caller(256, 256, 0, 1), worker(256, 257, 0) } << quint64(0)
                                              << quint64(0) << quint64(0) << quint64(0) << false;
        QTest::newRow("a worker dropped a chunk") << M { caller(256, 224), worker(256, 224, 0, false, 32) }
                                                  << quint64(0) << quint64(0) << quint64(0) << quint64(0) << false;
        QTest::newRow("taken beyond submitted") << M { caller(256, 256), worker(288, 256, 32) } << quint64(0)
                                                << quint64(0) << quint64(32) << quint64(0) << false;
        PoolMember replaced = caller(128, 96, 0, 0, true); // killed with 32 of its results still to come
        PoolMember successor = caller(128, 100);
        successor.tasks.orphaned = 20; // it took 20 of them
        QTest::newRow("a replaced caller's results are orphaned, not stray")
            << M { replaced, successor, worker(256, 256, 0) } << quint64(0) << quint64(3) << quint64(0) << quint64(0)
            << true;
        QTest::newRow("caller killed inside a put explains it")
            << M { caller(256, 256, 0, 0, true, true), worker(288, 256, 32) } << quint64(0) << quint64(0) << quint64(32)
            << quint64(0) << true;
    }
    void poolLedgerJudgesTheTasks()
    {
        QFETCH(std::vector<PoolMember>, members);
        QFETCH(quint64, taskFramesLeft);
        QFETCH(quint64, resultFramesLeft);
        QFETCH(quint64, heldAtStop);
        QFETCH(quint64, died);
        QFETCH(bool, exact);
        const PoolLedger p = poolLedger(members, taskFramesLeft, resultFramesLeft, 32, true);
        QCOMPARE(p.heldAtStop, heldAtStop);
        QCOMPARE(p.diedWithWorkers, died);
        QCOMPARE(p.exact, exact);
        // The identity the report prints holds whenever nothing was duplicated or stray.
        if (p.duplicated == 0 && p.stray == 0 && p.taken <= p.submitted)
            QCOMPARE(p.submitted,
                p.collected + p.orphaned + p.inTaskQueue + p.inResultQueue + p.heldAtStop + p.diedWithWorkers
                    + p.dropped);
        QCOMPARE(poolLedger(members, taskFramesLeft, resultFramesLeft, 32, false).exact, false);
    }
};

QTEST_GUILESS_MAIN(TestProgram)
#include "tst_program.moc"

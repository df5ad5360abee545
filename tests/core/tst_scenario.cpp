// Scenario: every bundled scenario loads; every kind of bad input is rejected with the offending field named; and
// what scenarioToJson writes reads back the same.
#include "test_support.h"

#include "ipccore/limits.h"
#include "ipccore/scenario.h"

#include <QTemporaryDir>
#include <QtTest>

#include <optional>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::ErrorCode)
Q_DECLARE_METATYPE(ipccore::TransportKind)
Q_DECLARE_METATYPE(std::optional<std::uint64_t>)

namespace {

// A valid scenario with one object and a producer/consumer pair; rows of the bad-input table change one thing.
QString scenarioText(const QString& objects, const QString& workers, const QString& top = QString())
{
    return QStringLiteral(R"({ "name": "t", "title": "T", %1 "objects": [ %2 ], "workers": [ %3 ] })")
        .arg(top.isEmpty() ? QString() : top + ",", objects, workers);
}

const QString MqObject = R"({ "name": "q", "transport": "mq", "capacity": 4, "message_size": 64 })";
const QString PairOnQ = R"({ "name": "p", "role": "producer", "object": "q" },
                           { "name": "c", "role": "consumer", "object": "q" })";

// A scenario built in code, one producer and one consumer per object, for the size checks.
Scenario withObjects(const std::vector<ObjectSpec>& objects)
{
    Scenario s;
    s.name = "sizes";
    s.objects = objects;
    for (const ObjectSpec& o : objects) {
        s.workers.push_back({ .name = o.name + "-p", .role = Role::Producer, .object = o.name, .messageSize = 32 });
        s.workers.push_back({ .name = o.name + "-c", .role = Role::Consumer, .object = o.name, .messageSize = 32 });
    }
    return s;
}

ObjectSpec object(const std::string& name, TransportKind transport, std::uint32_t capacity, std::uint32_t size)
{
    return { .name = name, .transport = transport, .capacity = capacity, .messageSize = size };
}

void compareScenarios(const Scenario& a, const Scenario& b)
{
    QCOMPARE(a.name, b.name);
    QCOMPARE(a.title, b.title);
    QCOMPARE(a.description, b.description);
    QCOMPARE(a.durationS, b.durationS);
    QCOMPARE(a.sampleHz, b.sampleHz);
    QCOMPARE(a.objects.size(), b.objects.size());
    for (std::size_t i = 0; i < a.objects.size(); ++i) {
        QCOMPARE(a.objects[i].name, b.objects[i].name);
        QCOMPARE(a.objects[i].transport, b.objects[i].transport);
        // What the transport uses survives; what it ignores (a stream's capacity, a semaphore's message size) is
        // not written, so it need not.
        const TransportTraits& t = traits(a.objects[i].transport);
        if (t.capacity != CapacityUnit::KernelBytes && t.capacity != CapacityUnit::OneValue)
            QCOMPARE(a.objects[i].capacity, b.objects[i].capacity);
        QCOMPARE(displayedCapacity(a.objects[i]), displayedCapacity(b.objects[i]));
        if (t.carriesMessages)
            QCOMPARE(a.objects[i].messageSize, b.objects[i].messageSize);
        QCOMPARE(a.objects[i].repair, b.objects[i].repair);
    }
    QCOMPARE(a.workers.size(), b.workers.size());
    for (std::size_t i = 0; i < a.workers.size(); ++i) {
        const WorkerSpec& x = a.workers[i];
        const WorkerSpec& y = b.workers[i];
        QCOMPARE(x.name, y.name);
        QCOMPARE(x.role, y.role);
        QCOMPARE(x.object, y.object);
        QCOMPARE(x.rate, y.rate);
        QCOMPARE(x.messageSize, y.messageSize);
        QCOMPARE(x.workUs, y.workUs);
        QCOMPARE(x.count, y.count);
        QCOMPARE(x.priority, y.priority);
    }
}

} // namespace

class TestScenario : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase()
    {
        const QStringList left = ipctest::leftoversOfThisProcess();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void requiredScenariosAreBundled()
    {
        QStringList names;
        for (const BundledScenario& b : bundledScenarios())
            names << QString::fromStdString(b.name);
        for (const char* required : { "producer-consumer-mq", "producer-consumer-fifo", "producer-consumer-socket",
                 "producer-consumer-shm-ring", "producer-consumer-shm-value", "fast-producer-slow-consumer",
                 "slow-producer-fast-consumer", "bounded-buffer-3x2", "shared-value-overwritten", "counter-race",
                 "counter-race-locked", "semaphore-pool" })
            QVERIFY2(names.contains(required), required);
        QVERIFY(names.contains(DefaultScenarioName));
        QCOMPARE(names.removeDuplicates(), 0);
    }

    // The scenario was renamed for what it shows (overwritten values, not lost updates); the old name still works.
    void renamedScenarioKeepsItsOldName()
    {
        auto old = resolveScenario("shared-value-lost-updates");
        QVERIFY2(old, old ? "" : old.error().message().c_str());
        QCOMPARE(old->name, std::string("shared-value-overwritten"));
    }

    void bundledScenarioLoads_data()
    {
        QTest::addColumn<int>("index");
        const auto& all = bundledScenarios();
        for (std::size_t i = 0; i < all.size(); ++i)
            QTest::newRow(all[i].name.c_str()) << int(i);
    }

    void bundledScenarioLoads()
    {
        QFETCH(int, index);
        const BundledScenario& b = bundledScenarios()[std::size_t(index)];
        QVERIFY(!b.title.empty());
        QVERIFY2(b.description.size() > 80, "a paragraph for students");
        auto s = parseScenario(b.json, b.name);
        QVERIFY2(s, s ? "" : s.error().message().c_str());
        QCOMPARE(s->name, b.name); // the file name and the scenario's own name agree
        QVERIFY(!s->objects.empty());
        QVERIFY(!s->workers.empty());
        QVERIFY(validateScenario(*s, readMqLimits()));
        auto resolved = resolveScenario(b.name);
        QVERIFY(resolved);
        compareScenarios(*resolved, *s);
    }

    void malformedJsonReportsLineAndColumn_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        QTest::newRow("bare word") << "{\n  \"name\": \"x\",\n  oops\n}"
                                   << "line 3, column 3";
        QTest::newRow("missing comma") << "{\n \"name\": \"x\"\n \"title\": \"y\"\n}"
                                       << "line 3, column"; // the column is where the unexpected token ends
        QTest::newRow("first character") << "]"
                                         << "line 1, column 1";
        QTest::newRow("trailing comma") << "{ \"name\": \"x\", }"
                                        << "line 1, column 16";
    }

    void malformedJsonReportsLineAndColumn()
    {
        QFETCH(QString, text);
        QFETCH(QString, where);
        auto s = parseScenario(text.toStdString(), "broken.json");
        QVERIFY(!s);
        QCOMPARE(s.error().code, ErrorCode::InvalidArgument);
        const QString message = QString::fromStdString(s.error().message());
        QVERIFY2(message.contains("broken.json"), qPrintable(message));
        QVERIFY2(message.contains(where), qPrintable(message));
    }

    void truncatedJsonIsRejected()
    {
        for (const char* text : { "{", "{ \"name\": ", "{ \"name\": \"x\", \"objects\": [" }) {
            auto s = parseScenario(text, "cut.json");
            QVERIFY2(!s, text);
            QVERIFY2(QString::fromStdString(s.error().hint).contains("line 1"), s.error().hint.c_str());
        }
    }

    void emptyFileIsCalledEmpty()
    {
        for (const char* text : { "", " \n\t\n" }) {
            auto s = parseScenario(text, "empty.json");
            QVERIFY(!s);
            QCOMPARE(s.error().code, ErrorCode::InvalidArgument);
            QVERIFY2(QString::fromStdString(s.error().hint).contains("The file is empty"), s.error().hint.c_str());
        }
    }

    void badField_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("explains");
        QTest::addColumn<ErrorCode>("code");
        const long msgMax = readMqLimits().msgMax;
        const auto invalid = ErrorCode::InvalidArgument;

        QTest::newRow("not an object") << "[1, 2]"
                                       << "(top level)"
                                       << "JSON object" << invalid;
        QTest::newRow("unknown top-level field") << scenarioText(MqObject, PairOnQ, R"("colour": "red")") << "colour"
                                                 << "unknown field" << invalid;
        QTest::newRow("unknown object field")
            << scenarioText(R"({ "name": "q", "transport": "mq", "size": 4 })", PairOnQ) << "objects[0].size"
            << "unknown field" << invalid;
        QTest::newRow("unknown worker field")
            << scenarioText(MqObject, R"({ "name": "p", "role": "producer", "object": "q", "speed": 1 })")
            << "workers[0].speed"
            << "unknown field" << invalid;
        QTest::newRow("missing name") << R"({ "objects": [ { "name": "q", "transport": "mq" } ] })"
                                      << "name"
                                      << "missing" << invalid;
        QTest::newRow("name of wrong type") << R"({ "name": 5, "objects": [] })"
                                            << "name"
                                            << "expected a string" << invalid;
        QTest::newRow("capacity of wrong type")
            << scenarioText(R"({ "name": "q", "transport": "mq", "capacity": "ten" })", PairOnQ)
            << "objects[0].capacity"
            << "expected a number" << invalid;
        QTest::newRow("fractional capacity")
            << scenarioText(R"({ "name": "q", "transport": "mq", "capacity": 2.5 })", PairOnQ) << "objects[0].capacity"
            << "whole number" << invalid;
        QTest::newRow("objects not a list") << R"({ "name": "t", "objects": {} })"
                                            << "objects"
                                            << "list" << invalid;
        QTest::newRow("no objects") << scenarioText("", "") << "objects"
                                    << "at least one" << invalid;
        QTest::newRow("unknown transport")
            << scenarioText(R"({ "name": "q", "transport": "carrier-pigeon" })", PairOnQ) << "objects[0].transport"
            << "carrier-pigeon" << invalid;
        QTest::newRow("mq capacity msg_max+1") << scenarioText(
            QStringLiteral(R"({ "name": "q", "transport": "mq", "capacity": %1 })").arg(msgMax + 1), PairOnQ)
                                               << "objects[0].capacity"
                                               << "/proc/sys/fs/mqueue/msg_max" << ErrorCode::LimitReached;
        QTest::newRow("mq capacity 0") << scenarioText(R"({ "name": "q", "transport": "mq", "capacity": 0 })", PairOnQ)
                                       << "objects[0].capacity"
                                       << "msg_max" << ErrorCode::LimitReached;
        QTest::newRow("mq message_size 31")
            << scenarioText(R"({ "name": "q", "transport": "mq", "message_size": 31 })", PairOnQ)
            << "objects[0].message_size"
            << "32-byte frame header" << ErrorCode::LimitReached;
        QTest::newRow("ring message_size 31")
            << scenarioText(R"({ "name": "q", "transport": "shm-ring", "message_size": 31 })", PairOnQ)
            << "objects[0].message_size"
            << "31 bytes" << invalid;
        QTest::newRow("ring capacity 0") << scenarioText(R"({ "name": "q", "transport": "shm-ring", "capacity": 0 })",
            PairOnQ) << "objects[0].capacity"
                                         << "0 slots" << invalid;
        QTest::newRow("rendezvous with a buffer")
            << scenarioText(R"({ "name": "q", "transport": "rendezvous", "capacity": 4 })", PairOnQ)
            << "objects[0].capacity"
            << "a rendezvous holds nothing, so its capacity is 0" << invalid;
        QTest::newRow("unknown transport lists them all")
            << scenarioText(R"({ "name": "q", "transport": "chan" })", PairOnQ) << "objects[0].transport"
            << "socketpair, shm-array, semaphore, rendezvous, global" << invalid;
        QTest::newRow("global of several cells")
            << scenarioText(R"({ "name": "q", "transport": "global", "capacity": 4 })", PairOnQ)
            << "objects[0].capacity"
            << "a global is one integer" << invalid;
        QTest::newRow("bad object name") << scenarioText(R"({ "name": "a/b", "transport": "mq" })", "")
                                         << "objects[0].name"
                                         << "'/'" << invalid;
        QTest::newRow("duplicate object names") << scenarioText(MqObject + "," + MqObject, PairOnQ) << "objects[1].name"
                                                << "used twice" << invalid;
        QTest::newRow("worker references missing object") << scenarioText(MqObject,
            R"({ "name": "p", "role": "producer", "object": "q" },
                      { "name": "c", "role": "consumer", "object": "nowhere" })")
                                                          << "workers[1].object"
                                                          << "nowhere" << invalid;
        QTest::newRow("duplicate worker names") << scenarioText(MqObject,
            R"({ "name": "w", "role": "producer", "object": "q" },
                      { "name": "w", "role": "consumer", "object": "q" })")
                                                << "workers[1].name"
                                                << "used twice" << invalid;
        QTest::newRow("unknown role") << scenarioText(MqObject, R"({ "name": "p", "role": "boss", "object": "q" })")
                                      << "workers[0].role"
                                      << "boss" << invalid;
        QTest::newRow("two consumers on a fifo") << scenarioText(R"({ "name": "f", "transport": "fifo" })",
            R"({ "name": "p", "role": "producer", "object": "f" },
                      { "name": "c1", "role": "consumer", "object": "f" },
                      { "name": "c2", "role": "consumer", "object": "f" })")
                                                 << "objects[0]"
                                                 << "only one consumer" << invalid;
        QTest::newRow("two consumers on a shared value") << scenarioText(R"({ "name": "v", "transport": "shm-value" })",
            R"({ "name": "c1", "role": "consumer", "object": "v" },
                      { "name": "c2", "role": "consumer", "object": "v" })")
                                                         << "objects[0]"
                                                         << "only one consumer" << invalid;
        QTest::newRow("fifo producers with frames over PIPE_BUF")
            << scenarioText(R"({ "name": "f", "transport": "fifo", "message_size": 4097 })",
                   R"({ "name": "p1", "role": "producer", "object": "f" },
                      { "name": "p2", "role": "producer", "object": "f" })")
            << "objects[0].message_size"
            << "PIPE_BUF" << invalid;
        QTest::newRow("priority on a non-mq object") << scenarioText(R"({ "name": "r", "transport": "shm-ring" })",
            R"({ "name": "p", "role": "producer", "object": "r", "priority": 3 })")
                                                     << "workers[0].priority"
                                                     << "shm-ring" << invalid;
        QTest::newRow("priority 32768") << scenarioText(
            MqObject, R"({ "name": "p", "role": "producer", "object": "q", "priority": 32768 })")
                                        << "workers[0].priority"
                                        << "0..32767" << invalid;
        QTest::newRow("rate -1") << scenarioText(
            MqObject, R"({ "name": "p", "role": "producer", "object": "q", "rate": -1 })")
                                 << "workers[0].rate"
                                 << "-1" << invalid;
        QTest::newRow("rate of wrong type")
            << scenarioText(MqObject, R"({ "name": "p", "role": "producer", "object": "q", "rate": "fast" })")
            << "workers[0].rate"
            << "expected a number" << invalid;
        QTest::newRow("worker message_size above the object's")
            << scenarioText(MqObject, R"({ "name": "p", "role": "producer", "object": "q", "message_size": 65 })")
            << "workers[0].message_size"
            << "at most 64" << invalid;
        QTest::newRow("work_us too large")
            << scenarioText(MqObject, R"({ "name": "p", "role": "producer", "object": "q", "work_us": 1000001 })")
            << "workers[0].work_us"
            << "1000001" << invalid;
        QTest::newRow("count negative") << scenarioText(
            MqObject, R"({ "name": "p", "role": "producer", "object": "q", "count": -3 })")
                                        << "workers[0].count"
                                        << "whole number from 0 to 1000000000000000" << invalid;
        QTest::newRow("sample_hz 0") << scenarioText(MqObject, PairOnQ, R"("sample_hz": 0)") << "sample_hz"
                                     << "1..1000" << invalid;
        QTest::newRow("sample_hz 1001") << scenarioText(MqObject, PairOnQ, R"("sample_hz": 1001)") << "sample_hz"
                                        << "1..1000" << invalid;
        QTest::newRow("duration_s 0") << scenarioText(MqObject, PairOnQ, R"("duration_s": 0)") << "duration_s"
                                      << "outside" << invalid;
        // Worker hosts.
        const QString lab2 = "\"controller_key\": \"c.key\", \"hosts\": [ { \"name\": \"lab2\", \"endpoint\": "
                             "\"tcp://10.0.0.2:5555\", \"key\": \"lab2.pub\" } ]";
        const QString pairThere = "{ \"name\": \"p\", \"role\": \"producer\", \"object\": \"q\", \"host\": \"lab2\" }, "
                                  "{ \"name\": \"c\", \"role\": \"consumer\", \"object\": \"q\", \"host\": \"lab2\" }";
        QTest::newRow("hosts not a list") << scenarioText(MqObject, PairOnQ, "\"hosts\": {}") << "hosts"
                                          << "a list" << invalid;
        QTest::newRow("host without endpoint")
            << scenarioText(MqObject, PairOnQ, "\"hosts\": [ { \"name\": \"lab2\", \"key\": \"k.pub\" } ]")
            << "hosts[0].endpoint"
            << "is missing" << invalid;
        QTest::newRow("host endpoint not tcp") << scenarioText(MqObject, PairOnQ,
            "\"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"ipc:///tmp/x\", \"key\": \"k.pub\" } ]")
                                               << "hosts[0].endpoint"
                                               << "tcp://" << invalid;
        QTest::newRow("host named twice") << scenarioText(MqObject, PairOnQ,
            "\"hosts\": [ { \"name\": \"a\", \"endpoint\": \"tcp://10.0.0.2:1\", \"key\": \"k\" }, { \"name\": \"a\", "
            "\"endpoint\": \"tcp://10.0.0.3:1\", \"key\": \"k\" } ]")
                                          << "hosts[1].name"
                                          << "used twice" << invalid;
        QTest::newRow("two hosts at one endpoint") << scenarioText(MqObject, PairOnQ,
            "\"hosts\": [ { \"name\": \"a\", \"endpoint\": \"tcp://10.0.0.2:1\", \"key\": \"k\" }, { \"name\": \"b\", "
            "\"endpoint\": \"tcp://10.0.0.2:1\", \"key\": \"k\" } ]")
                                                   << "hosts[1].endpoint"
                                                   << "is host 'a''s endpoint too" << invalid;
        QTest::newRow("unknown host") << scenarioText(MqObject,
            "{ \"name\": \"p\", \"role\": \"producer\", \"object\": \"q\", \"host\": \"lab3\" }, { \"name\": \"c\", "
            "\"role\": \"consumer\", \"object\": \"q\", \"host\": \"lab3\" }",
            lab2) << "workers[0].host"
                                      << "the hosts are 'lab2'" << invalid;
        QTest::newRow("no controller key") << scenarioText(MqObject, pairThere,
            "\"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"tcp://10.0.0.2:5555\", \"key\": \"lab2.pub\" } ]")
                                           << "controller_key"
                                           << "--keygen controller" << invalid;
        QTest::newRow("controller key is a .pub") << scenarioText(MqObject, pairThere,
            "\"controller_key\": \"c.pub\", \"hosts\": [ { \"name\": \"lab2\", \"endpoint\": "
            "\"tcp://10.0.0.2:5555\", \"key\": \"lab2.pub\" } ]")
                                                  << "controller_key"
                                                  << "is a public key file" << invalid;
        QTest::newRow("host key is a .key") << scenarioText(MqObject, pairThere,
            "\"controller_key\": \"c.key\", \"hosts\": [ { \"name\": \"lab2\", \"endpoint\": "
            "\"tcp://10.0.0.2:5555\", \"key\": \"lab2.key\" } ]")
                                            << "hosts[0].key"
                                            << "is a secret key file" << invalid;
        QTest::newRow("object on two machines") << scenarioText(MqObject,
            "{ \"name\": \"p\", \"role\": \"producer\", \"object\": \"q\" }, { \"name\": \"c\", \"role\": "
            "\"consumer\", \"object\": \"q\", \"host\": \"lab2\" }",
            lab2) << "workers"
                                                << "lives on one machine" << invalid;
        // zmq-pub-tcp does not reach between machines yet: its workers split between machines are refused so.
        QTest::newRow("zmq-pub-tcp subscriber on a host")
            << scenarioText(R"({ "name": "q", "transport": "zmq-pub-tcp" })",
                   "{ \"name\": \"p\", \"role\": \"producer\", \"object\": \"q\" }, { \"name\": \"c\", \"role\": "
                   "\"consumer\", \"object\": \"q\", \"host\": \"lab2\" }",
                   lab2)
            << "workers"
            << "a broadcast across machines is not built" << invalid;
        // zmq-tcp reaches between machines only as built: consumers on hosts, producers here.
        const QString zmqObject = R"({ "name": "q", "transport": "zmq-tcp" })";
        QTest::newRow("zmq-tcp consumer here, producer there") << scenarioText(zmqObject,
            "{ \"name\": \"c\", \"role\": \"consumer\", \"object\": \"q\" }, { \"name\": \"p\", \"role\": "
            "\"producer\", \"object\": \"q\", \"host\": \"lab2\" }",
            lab2) << "workers"
                                                               << "put its consumers on a worker host" << invalid;
        QTest::newRow("zmq-tcp producers on two machines") << scenarioText(zmqObject,
            "{ \"name\": \"p\", \"role\": \"producer\", \"object\": \"q\", \"host\": \"lab2\" }, { \"name\": "
            "\"p2\", \"role\": \"producer\", \"object\": \"q\" }, { \"name\": \"c\", \"role\": \"consumer\", "
            "\"object\": \"q\", \"host\": \"lab2\" }",
            lab2) << "workers"
                                                           << "put its producers on this machine" << invalid;
        QTest::newRow("zmq-tcp consumers on two hosts, no producer") << scenarioText(zmqObject,
            "{ \"name\": \"c\", \"role\": \"consumer\", \"object\": \"q\", \"host\": \"lab2\" }, { \"name\": "
            "\"c2\", \"role\": \"consumer\", \"object\": \"q\", \"host\": \"lab3\" }",
            "\"controller_key\": \"c.key\", \"hosts\": [ { \"name\": \"lab2\", \"endpoint\": "
            "\"tcp://10.0.0.2:5555\", \"key\": \"lab2.pub\" }, { \"name\": \"lab3\", \"endpoint\": "
            "\"tcp://10.0.0.3:5555\", \"key\": \"lab3.pub\" } ]") << "workers"
                                                                     << "give it a producer on this machine" << invalid;
        QTest::newRow("program on a host") << scenarioText(MqObject,
            "{ \"name\": \"g\", \"role\": \"program\", \"program\": [\"put q\"], \"host\": \"lab2\" }, { \"name\": "
            "\"c\", \"role\": \"consumer\", \"object\": \"q\", \"host\": \"lab2\" }",
            lab2) << "workers[0].host"
                                           << "programs run on this machine only" << invalid;
        // Each field in range, their product not: refused naming the field, not later by shm_open.
        QTest::newRow("ring 4096 x 1 MiB") << scenarioText(
            R"({ "name": "q", "transport": "shm-ring", "capacity": 4096, "message_size": 1048576 })", PairOnQ)
                                           << "objects[0].capacity"
                                           << "at most 256 MiB" << ErrorCode::LimitReached;
        QTest::newRow("spsc 4096 x 65600") << scenarioText(
            R"({ "name": "q", "transport": "shm-spsc", "capacity": 4096, "message_size": 65600 })", PairOnQ)
                                           << "objects[0].capacity"
                                           << "objects[0].message_size" << ErrorCode::LimitReached;
    }

    // Hosts, the controller's key and each worker's host are written back as read; a host's part holds its
    // workers (their host cleared) and the objects they use, this machine's part the rest.
    void hostsRoundTripAndSplit()
    {
        const QString text = scenarioText(MqObject + ", " + R"({ "name": "r", "transport": "mq" })",
            PairOnQ + ", " + R"({ "name": "p2", "role": "producer", "object": "r", "host": "lab2" })",
            "\"controller_key\": \"/keys/c.key\", \"hosts\": [ { \"name\": \"lab2\", \"endpoint\": "
            "\"tcp://10.0.0.2:5555\", \"key\": \"/keys/lab2.pub\" } ]");
        auto s = parseScenario(text.toStdString(), "hosts.json");
        QVERIFY2(s, s ? "" : s.error().message().c_str());
        auto again = parseScenario(scenarioToJson(*s), "again");
        QVERIFY2(again, again ? "" : again.error().message().c_str());
        QCOMPARE(again->hosts.size(), std::size_t(1));
        QCOMPARE(again->hosts[0].endpoint, std::string("tcp://10.0.0.2:5555"));
        QCOMPARE(again->hosts[0].keyFile, std::string("/keys/lab2.pub"));
        QCOMPARE(again->controllerKey, std::string("/keys/c.key"));
        QCOMPARE(again->workers[2].host, std::string("lab2"));
        QCOMPARE(hostsInUse(*again), std::vector<std::string> { "lab2" });
        const Scenario there = scenarioPart(*again, "lab2");
        QCOMPARE(there.workers.size(), std::size_t(1));
        QCOMPARE(there.workers[0].host, std::string());
        QCOMPARE(there.objects.size(), std::size_t(1));
        QCOMPARE(there.objects[0].name, std::string("r"));
        QVERIFY(there.hosts.empty() && there.controllerKey.empty());
        const Scenario here = scenarioPart(*again, "");
        QCOMPARE(here.workers.size(), std::size_t(2));
        QCOMPARE(here.objects.size(), std::size_t(1));
        QCOMPARE(here.objects[0].name, std::string("q"));
        QVERIFY(objectsBetweenMachines(*again).empty());
    }

    // A zmq-tcp object with its producer here and its consumers on a host reaches between machines: it is in both
    // parts, each with its own workers of it. The host's address may be IPv4 or IPv6.
    void zmqTcpBetweenMachinesIsInBothParts_data()
    {
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<int>("consumers");
        QTest::newRow("IPv4") << "tcp://10.0.0.2:5555" << 1;
        QTest::newRow("IPv6") << "tcp://[fd00::2]:5555" << 1;
        QTest::newRow("two consumers on the host") << "tcp://10.0.0.2:5555" << 2;
        QTest::newRow("a consumer on each of two hosts") << "tcp://10.0.0.2:5555" << 3;
    }
    void zmqTcpBetweenMachinesIsInBothParts()
    {
        QFETCH(QString, endpoint);
        QFETCH(int, consumers);
        // 3: "c" on lab2 and "c2" on lab3, each host's part with its own consumer.
        const QString second = QString(", { \"name\": \"c2\", \"role\": \"consumer\", \"object\": \"q\", "
                                       "\"host\": \"%1\" }")
                                   .arg(consumers == 3 ? "lab3" : "lab2");
        const QString lab3 = ", { \"name\": \"lab3\", \"endpoint\": \"tcp://10.0.0.3:5555\", \"key\": \"lab3.pub\" }";
        const QString text = scenarioText(R"({ "name": "q", "transport": "zmq-tcp" })",
            "{ \"name\": \"p\", \"role\": \"producer\", \"object\": \"q\" }, { \"name\": \"c\", \"role\": "
            "\"consumer\", \"object\": \"q\", \"host\": \"lab2\" }"
                + (consumers > 1 ? second : QString()),
            "\"controller_key\": \"c.key\", \"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"" + endpoint
                + "\", \"key\": \"lab2.pub\" }" + (consumers == 3 ? lab3 : QString()) + " ]");
        auto s = parseScenario(text.toStdString(), "between.json");
        QVERIFY2(s, s ? "" : s.error().message().c_str());
        QCOMPARE(objectsBetweenMachines(*s), std::vector<std::string> { "q" });
        const Scenario there = scenarioPart(*s, "lab2");
        const Scenario here = scenarioPart(*s, "");
        QCOMPARE(there.objects.size(), std::size_t(1));
        QCOMPARE(here.objects.size(), std::size_t(1));
        QCOMPARE(there.workers.size(), std::size_t(consumers == 2 ? 2 : 1));
        QCOMPARE(there.workers[0].name, std::string("c"));
        if (consumers == 2)
            QCOMPARE(there.workers[1].name, std::string("c2"));
        if (consumers == 3) {
            const Scenario third = scenarioPart(*s, "lab3");
            QCOMPARE(third.objects.size(), std::size_t(1));
            QCOMPARE(third.workers.size(), std::size_t(1));
            QCOMPARE(third.workers[0].name, std::string("c2"));
            QCOMPARE(hostsInUse(*s), (std::vector<std::string> { "lab2", "lab3" }));
            QCOMPARE(objectHosts(*s), std::vector<std::string> { "lab2+lab3" }); // as a run names it
        }
        QCOMPARE(here.workers.size(), std::size_t(1));
        QCOMPARE(here.workers[0].name, std::string("p"));
    }

    void badField()
    {
        QFETCH(QString, text);
        QFETCH(QString, field);
        QFETCH(QString, explains);
        QFETCH(ErrorCode, code);
        auto s = parseScenario(text.toStdString(), "bad.json");
        QVERIFY2(!s, qPrintable(text));
        QCOMPARE(s.error().code, code);
        const QString message = QString::fromStdString(s.error().message());
        QVERIFY2(message.contains("bad.json"), qPrintable(message));
        // The field path starts the explanation, so "objects[1].name" does not match inside "objects[10].name".
        QVERIFY2(message.contains(field + ":"), qPrintable(message));
        QVERIFY2(message.contains(explains), qPrintable(message));
    }

    // The per-object cap counts the message slots (capacity x message_size rounded up to 64 bytes): 256 MiB
    // exactly is accepted, one slot more is not. The free space of /dev/shm is left out (std::nullopt).
    void objectSizeCap_data()
    {
        QTest::addColumn<TransportKind>("transport");
        QTest::addColumn<uint>("capacity");
        QTest::addColumn<uint>("messageSize");
        QTest::addColumn<bool>("accepted");
        const auto ring = TransportKind::ShmRing;
        const auto spsc = TransportKind::ShmSpsc;
        QTest::newRow("ring 4096 x 64 KiB = max") << ring << 4096u << 65536u << true;
        QTest::newRow("ring 4096 x (64 KiB + 1) = max + one stride") << ring << 4096u << 65537u << false;
        QTest::newRow("ring 256 x 1 MiB = max") << ring << 256u << 1048576u << true;
        QTest::newRow("ring 257 x 1 MiB") << ring << 257u << 1048576u << false;
        QTest::newRow("spsc 4096 x 64 KiB = max") << spsc << 4096u << 65536u << true;
        QTest::newRow("spsc 4096 x 1 MiB") << spsc << 4096u << 1048576u << false;
        QTest::newRow("value 1 MiB") << TransportKind::ShmValue << 1u << 1048576u << true;
    }

    void objectSizeCap()
    {
        QFETCH(TransportKind, transport);
        QFETCH(uint, capacity);
        QFETCH(uint, messageSize);
        QFETCH(bool, accepted);
        const ObjectSpec o = object("o", transport, capacity, messageSize);
        QCOMPARE(objectSlotBytes(o) <= ScenarioLimits::MaxObjectBytes, accepted);
        const Status st = validateScenario(withObjects({ o }), readMqLimits(), std::nullopt);
        QVERIFY2(bool(st) == accepted, st ? "accepted" : st.error().message().c_str());
        if (!accepted) {
            QCOMPARE(st.error().code, ErrorCode::LimitReached);
            QVERIFY2(
                QString::fromStdString(st.error().hint).startsWith("objects[0].capacity: "), st.error().hint.c_str());
        }
    }

    // Every shared-memory object together must fit in the free space of /dev/shm; the object that tips the total
    // over is named, and no free-space figure (std::nullopt) means no such check.
    void sharedMemoryMustFitInFreeSpace_data()
    {
        QTest::addColumn<int>("objectCount"); // rings of 16 x 64 KiB plus one shm-value of 1 MiB last
        QTest::addColumn<bool>("withValue");
        QTest::addColumn<std::optional<std::uint64_t>>("free");
        QTest::addColumn<QString>("field"); // empty when accepted
        const std::uint64_t ring = objectShmBytes(object("r", TransportKind::ShmRing, 16, 65536));
        const std::uint64_t value = objectShmBytes(object("v", TransportKind::ShmValue, 1, 1048576));
        QTest::newRow("one ring, exactly enough") << 1 << false << std::optional(ring) << "";
        QTest::newRow("one ring, a byte short") << 1 << false << std::optional(ring - 1) << "objects[0].capacity";
        QTest::newRow("second ring tips over") << 2 << false << std::optional(2 * ring - 1) << "objects[1].capacity";
        QTest::newRow("value tips over") << 2 << true << std::optional(2 * ring + value - 1)
                                         << "objects[2].message_size";
        QTest::newRow("no figure, no check") << 3 << true << std::optional<std::uint64_t>() << "";
    }

    void sharedMemoryMustFitInFreeSpace()
    {
        QFETCH(int, objectCount);
        QFETCH(bool, withValue);
        QFETCH(std::optional<std::uint64_t>, free);
        QFETCH(QString, field);
        std::vector<ObjectSpec> objects;
        for (int i = 0; i < objectCount; ++i)
            objects.push_back(object("r" + std::to_string(i), TransportKind::ShmRing, 16, 65536));
        if (withValue)
            objects.push_back(object("v", TransportKind::ShmValue, 1, 1048576));
        const Status st = validateScenario(withObjects(objects), readMqLimits(), free);
        QVERIFY2(bool(st) == field.isEmpty(), st ? "accepted" : st.error().message().c_str());
        if (!st) {
            const QString hint = QString::fromStdString(st.error().hint);
            QCOMPARE(st.error().code, ErrorCode::LimitReached);
            QVERIFY2(hint.startsWith(field + ": "), qPrintable(hint));
            QVERIFY2(hint.contains("df /dev/shm"), qPrintable(hint));
        }
        // A region, its header and its semaphores take whole pages in tmpfs.
        const ObjectSpec ring = object("r", TransportKind::ShmRing, 16, 65536);
        QVERIFY(objectShmBytes(ring) >= objectSlotBytes(ring) + 4 * std::uint64_t(sysconf(_SC_PAGESIZE)));
    }

    // The queues of a run share the per-user RLIMIT_MSGQUEUE: the one that exceeds it is named.
    void queuesMustFitInRlimitMsgqueue()
    {
        MqLimits limits = readMqLimits();
        const ObjectSpec q = object("q", TransportKind::Mq, 4, 64);
        limits.rlimitMsgqueue = 2 * mqQueueCost(4, 64);
        QVERIFY(validateScenario(withObjects({ q, object("q2", TransportKind::Mq, 4, 64) }), limits, std::nullopt));
        const Status st = validateScenario(
            withObjects({ q, object("q2", TransportKind::Mq, 4, 64), object("q3", TransportKind::Mq, 4, 64) }), limits,
            std::nullopt);
        QVERIFY(!st);
        QVERIFY2(st.error().hint.starts_with("objects[2].capacity: "), st.error().hint.c_str());
        QVERIFY2(st.error().hint.find("ulimit -q") != std::string::npos, st.error().hint.c_str());
    }

    // Only a regular file is read; everything else is refused at once with what the path is.
    void onlyRegularFilesAreRead_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("says");
        QTest::newRow("directory") << "directory"
                                   << "is a directory";
        QTest::newRow("FIFO without writer") << "fifo"
                                             << "is a FIFO (named pipe)";
        QTest::newRow("/dev/null") << "/dev/null"
                                   << "is a character device";
        QTest::newRow("Unix socket") << "socket"
                                     << "is a Unix socket";
        QTest::newRow("1 MiB + 1 byte") << "big"
                                        << "at most 1 MiB";
        QTest::newRow("1 MiB of whitespace: read, then called empty") << "max"
                                                                      << "The file is empty";
    }

    void onlyRegularFilesAreRead()
    {
        QFETCH(QString, kind);
        QFETCH(QString, says);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        std::string path = dir.filePath("x.json").toStdString();
        if (kind == "directory") {
            QVERIFY(mkdir(path.c_str(), 0700) == 0);
        } else if (kind == "fifo") {
            QVERIFY(mkfifo(path.c_str(), 0600) == 0);
        } else if (kind == "socket") {
            const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un addr {};
            addr.sun_family = AF_UNIX;
            QVERIFY(fd >= 0 && path.size() < sizeof addr.sun_path);
            path.copy(addr.sun_path, path.size());
            QVERIFY(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
            close(fd);
        } else if (kind == "big" || kind == "max") {
            QFile f(QString::fromStdString(path));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(qsizetype(ScenarioLimits::MaxFileBytes) + (kind == "big" ? 1 : 0), ' '));
        } else {
            path = kind.toStdString();
        }
        auto s = loadScenarioFile(path);
        QVERIFY(!s);
        const QString message = QString::fromStdString(s.error().message());
        QVERIFY2(message.contains(says), qPrintable(message));
        QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
        auto resolved = resolveScenario(path);
        QVERIFY(!resolved);
        QCOMPARE(resolved.error().message(), s.error().message());
    }

    void oversizedTextIsRefusedUnparsed()
    {
        const std::string text(ScenarioLimits::MaxFileBytes + 1, '{');
        auto s = parseScenario(text, "pasted");
        QVERIFY(!s);
        QVERIFY2(s.error().hint.find("at most 1 MiB") != std::string::npos, s.error().hint.c_str());
    }

    void roundTripBundled_data() { bundledScenarioLoads_data(); }

    void roundTripBundled()
    {
        QFETCH(int, index);
        const BundledScenario& b = bundledScenarios()[std::size_t(index)];
        auto original = parseScenario(b.json, b.name);
        QVERIFY(original);
        auto again = parseScenario(scenarioToJson(*original), "written");
        QVERIFY2(again, again ? "" : again.error().message().c_str());
        compareScenarios(*again, *original);
    }

    // The total adds what got through once: consumers (or a shared value's writers) when there are any, else the
    // programs' passes; never a CSP stage's passes on top of its sink's messages.
    void totalCountsEachFlowOnce_data()
    {
        using P = ThroughputParty;
        QTest::addColumn<std::vector<P>>("workers");
        QTest::addColumn<std::vector<bool>>("counted");
        QTest::newRow("queue") << std::vector<P> { { TransportKind::Mq, Role::Producer },
            { TransportKind::Mq, Role::Consumer } }
                               << std::vector<bool> { false, true };
        QTest::newRow("shared value: its writer") << std::vector<P> { { TransportKind::ShmValue, Role::Producer },
            { TransportKind::ShmValue, Role::Consumer } }
                                                  << std::vector<bool> { true, false };
        QTest::newRow("programs only") << std::vector<P> { { TransportKind::ShmArray, Role::Program },
            { TransportKind::ShmArray, Role::Program } }
                                       << std::vector<bool> { true, true };
        QTest::newRow("csp pipeline: the sink") << std::vector<P> { { TransportKind::Rendezvous, Role::Producer },
            { TransportKind::Rendezvous, Role::Program }, { TransportKind::Rendezvous, Role::Consumer } }
                                                << std::vector<bool> { false, false, true };
        QTest::newRow("nobody") << std::vector<P> {} << std::vector<bool> {};
    }
    void totalCountsEachFlowOnce()
    {
        QFETCH(std::vector<ThroughputParty>, workers);
        QFETCH(std::vector<bool>, counted);
        QCOMPARE(countedInTotal(workers), counted);
    }

    void roundTripEveryField()
    {
        Scenario s;
        s.name = "every-field";
        s.title = "Title with \"quotes\" and unicode \u00e9";
        s.description = "Line one.\nLine two.";
        s.durationS = 2.5;
        s.sampleHz = 125;
        s.objects = { { "q", TransportKind::Mq, 3, 128 }, { "ring", TransportKind::ShmRing, 16, 256 },
            { "f", TransportKind::Fifo, 8, 512 }, { "s", TransportKind::Socket, 8, 1024 },
            { "v", TransportKind::ShmValue, 8, 48 } };
        s.workers = {
            { "p", Role::Producer, "q", 12.5, 100, 10, 1000, 32767 },
            { "c", Role::Consumer, "q", 0, 128, 250, 0, 0 },
            { "rp", Role::Producer, "ring", 0.001, 32, 0, 7, 0 },
            { "vc", Role::Consumer, "v", 9999999, 48, 1000000, 0, 0 },
        };
        QVERIFY(validateScenario(s, readMqLimits()));
        auto again = parseScenario(scenarioToJson(s), "written");
        QVERIFY2(again, again ? "" : again.error().message().c_str());
        compareScenarios(*again, s);

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("every-field.json").toStdString();
        QVERIFY(saveScenarioFile(s, path));
        auto loaded = loadScenarioFile(path);
        QVERIFY(loaded);
        compareScenarios(*loaded, s);
        auto resolved = resolveScenario(path);
        QVERIFY(resolved);
        compareScenarios(*resolved, s);
    }

    void saveRefusesInvalidScenario()
    {
        Scenario s;
        s.name = "no-objects";
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.json").toStdString();
        QVERIFY(!saveScenarioFile(s, path));
        QVERIFY(!QFile::exists(QString::fromStdString(path)));
    }

    // A file that cannot be written says so in a file's words, not an IPC object's.
    void saveIntoAMissingFolderSaysSo()
    {
        auto s = resolveScenario("producer-consumer-mq");
        QVERIFY(s);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto missing = saveScenarioFile(*s, dir.filePath("no-such-folder/x.json").toStdString());
        QVERIFY(!missing);
        QCOMPARE(missing.error().sysErrno, ENOENT);
        QVERIFY2(missing.error().hint.find("folder does not exist") != std::string::npos, missing.error().hint.c_str());
        const auto folder = saveScenarioFile(*s, dir.path().toStdString());
        QVERIFY(!folder);
        QVERIFY2(folder.error().hint.find("That is a folder") != std::string::npos, folder.error().hint.c_str());
    }

    void workerMessageSizeDefaultsToObjects()
    {
        auto s = parseScenario(
            scenarioText(R"({ "name": "q", "transport": "mq", "message_size": 200 })", PairOnQ).toStdString());
        QVERIFY(s);
        QCOMPARE(s->workers[0].messageSize, 200u);
    }

    void unknownScenarioName()
    {
        auto s = resolveScenario("no-such-scenario");
        QVERIFY(!s);
        QCOMPARE(s.error().code, ErrorCode::NotFound);
        // The remedy lists what does exist.
        QVERIFY(QString::fromStdString(s.error().hint).contains("producer-consumer-mq"));
        auto file = loadScenarioFile("/nonexistent/dir/x.json");
        QVERIFY(!file);
        QCOMPARE(file.error().code, ErrorCode::NotFound);
    }

    void transportNames()
    {
        for (auto k : { TransportKind::Mq, TransportKind::Fifo, TransportKind::Socket, TransportKind::ShmRing,
                 TransportKind::ShmValue }) {
            auto parsed = parseTransport(transportName(k));
            QVERIFY(parsed);
            QCOMPARE(*parsed, k);
        }
        QVERIFY(!parseTransport("MQ"));
        QVERIFY(!parseTransport(""));
        QVERIFY(!transportConsumes(TransportKind::ShmValue));
        QVERIFY(transportConsumes(TransportKind::Mq));
    }
};

QTEST_GUILESS_MAIN(TestScenario)
#include "tst_scenario.moc"

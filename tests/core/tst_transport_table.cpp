// The transport table's contract: every row says what its transport really does. Each row's object is made through
// the same factories the runner uses, over real IPC, and the row is held against what happens: a capacity in
// messages blocks the next producer, a byte stream ignores capacity, a shared value never blocks a writer, reads
// that consume leave nothing behind, stream contents die with their descriptors and are drained, a lock shows as a
// lock, priorities reorder. The scenario validation and parser must agree with the row as well.
#include "test_support.h"

#include "ipccore/channel.h"
#include "ipccore/framing.h"
#include "ipccore/scenario.h"
#include "ipccore/transport.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::TransportKind)

namespace {

constexpr std::uint32_t FrameBytes = 64;
constexpr std::uint32_t Capacity = 4; // within the default fs.mqueue.msg_max of 10

// Lets a send or receive go on until it says it would wait, then asks it to stop: a blocking call comes back
// Interrupted instead of hanging the test, and says what it waited for.
class StopWhenBlocked final : public WaitHooks {
public:
    void enter(WorkerState state) override
    {
        if (isBlocked(state))
            blocked = state;
    }
    bool stopRequested() override { return blocked.has_value(); }
    std::optional<WorkerState> blocked;
};

// Records what a wait was for, and never asks it to stop (for waits with a timeout of their own).
class RecordWaits final : public WaitHooks {
public:
    void enter(WorkerState state) override
    {
        if (isBlocked(state))
            blocked = state;
    }
    bool stopRequested() override { return false; }
    std::optional<WorkerState> blocked;
};

// For a reader of data already sent: waits a while (a socket's connection is accepted first), then gives up.
// A file's contents, or nothing when it cannot be read (a socket's path, or no file).
QByteArray readAll(const std::string& path)
{
    QFile file(QString::fromStdString(path));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

class GiveUpAfterASecond final : public WaitHooks {
public:
    void enter(WorkerState) override { }
    bool stopRequested() override { return std::chrono::steady_clock::now() > m_deadline; }

private:
    std::chrono::steady_clock::time_point m_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
};

// Lets a send wait up to `patience` each time before it is stopped: for ZeroMQ, whose connection is made in the
// background, and whose queue toward a consumer empties into the kernel a moment after it fills.
class StopWhenBlockedFor final : public WaitHooks {
public:
    explicit StopWhenBlockedFor(std::chrono::milliseconds patience)
        : m_patience(patience)
    { }
    void enter(WorkerState state) override
    {
        if (isBlocked(state)) {
            blocked = state;
            m_since = std::chrono::steady_clock::now();
        }
    }
    bool stopRequested() override { return blocked && std::chrono::steady_clock::now() - m_since > m_patience; }
    void reset() { blocked.reset(); }
    std::optional<WorkerState> blocked;

private:
    std::chrono::milliseconds m_patience;
    std::chrono::steady_clock::time_point m_since;
};

std::vector<std::byte> frame(std::uint64_t seq)
{
    std::vector<std::byte> f(FrameBytes);
    buildFrame(f, 1, seq, 0);
    return f;
}

ChannelAddress addressFor(const TransportTraits& row, const std::string& tag)
{
    ChannelAddress a;
    a.transport = row.kind;
    a.capacity = Capacity;
    a.messageSize = FrameBytes * 2;
    a.name = row.pathSuffix ? ipctest::uniquePath(tag) + row.pathSuffix : ipctest::uniqueName(tag);
    return a;
}

// A broadcast's first message (zmq-pub), sent once the consumer has subscribed. A ZeroMQ subscriber sends its
// subscription when its own thread next calls into libzmq (a worker's receive does, all the time), and the producer
// sends nothing before every subscription has come: so the consumer is given turns (its tryReceive finds nothing,
// as nothing is sent yet) between sends that give up at once, up to 5 s.
bool sendFirstToSubscriber(ProducerEndpoint& producer, ConsumerEndpoint& consumer, std::span<const std::byte> first)
{
    std::vector<std::byte> buffer(first.size());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
        StopWhenBlocked once;
        if (producer.send(first, 0, once))
            return true;
        if (std::chrono::steady_clock::now() > deadline) {
            qWarning("no subscription came in 5 s");
            return false;
        }
        RecordWaits none;
        if (auto taken = consumer.tryReceive(buffer, none); !taken || *taken != 0) {
            qWarning("the subscriber took something before anything was sent");
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// The sequence number of the frame a receive returned; 0 when it returned none.
std::uint64_t seqOf(const Result<std::size_t>& r, std::span<const std::byte> buffer)
{
    if (!r || *r == 0)
        return 0;
    FrameHeader header;
    if (checkFrame(buffer.first(*r), header) != FrameCheck::Ok)
        return 0;
    return header.seq;
}

Scenario oneObject(const TransportTraits& row, std::uint32_t producers, std::uint32_t consumers)
{
    Scenario s;
    s.name = "contract";
    s.objects.push_back({ "o", row.kind, row.capacity == CapacityUnit::None ? 0 : Capacity, FrameBytes });
    for (std::uint32_t i = 0; i < producers; ++i)
        s.workers.push_back({ "p" + std::to_string(i), Role::Producer, "o" });
    for (std::uint32_t i = 0; i < consumers; ++i)
        s.workers.push_back({ "c" + std::to_string(i), Role::Consumer, "o" });
    return s;
}

// Enough workers of a role that a limit of the scenario's own would not be mistaken for the transport's.
constexpr std::uint32_t Many = 3;

} // namespace

class TestTransportTable : public QObject {
    Q_OBJECT

    struct Channel {
        ChannelAddress address;
        std::unique_ptr<ChannelObject> object;
        // Where a producer or consumer opens it: the object's name, or for an anonymous pipe or socketpair the
        // descriptor of the end that role holds (this process is both workers here).
        ChannelAddress end(Role role) const
        {
            ChannelAddress a = address;
            if (traits(a.transport).anonymous)
                a.name = "fd:" + std::to_string(object->endFd(role, role == Role::Producer ? 0 : 1));
            return a;
        }
    };
    // Creates the row's object; the caller checks `object` (null on failure, with the reason logged).
    static Channel create(TransportKind kind, const std::string& tag, std::uint32_t messageSize = 0)
    {
        Channel c;
        c.address = addressFor(traits(kind), tag);
        if (messageSize != 0)
            c.address.messageSize = messageSize;
        auto object = ChannelObject::create(c.address);
        if (!object) {
            qWarning("%s", object.error().message().c_str());
            return c;
        }
        c.object = std::move(*object);
        c.address.listenFd = c.object->listenFd();
        return c;
    }

    // ZeroMQ's queues are inside the two processes: the object sees nothing (depth -1), a producer waits while no
    // consumer is there, and with one there (not reading) it sends at least the high-water mark before it waits.
    static void queueCapacityInsideTheProcesses(Channel& c)
    {
        StopWhenBlocked alone;
        auto producer = openProducer(c.end(Role::Producer), alone);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        QCOMPARE((*producer)->send(frame(1), 0, alone).error().code, ErrorCode::Interrupted);
        QCOMPARE(alone.blocked, std::optional(WorkerState::BlockedFull)); // nobody to send to
        auto consumer = openConsumer(c.end(Role::Consumer));
        QVERIFY2(consumer, consumer ? "" : consumer.error().message().c_str());
        StopWhenBlockedFor hooks(std::chrono::milliseconds(500));
        std::uint32_t sent = 0;
        Status last;
        if (traits(c.address.transport).broadcast) {
            QVERIFY(sendFirstToSubscriber(**producer, **consumer, frame(1)));
            sent = 1;
        }
        for (; sent < 1'000'000; ++sent) {
            last = (*producer)->send(frame(sent + 1), 0, hooks);
            if (!last)
                break;
            hooks.reset();
        }
        QVERIFY2(!last, "a million sends and never a wait: the high-water mark is not set");
        QCOMPARE(last.error().code, ErrorCode::Interrupted);
        QCOMPARE(hooks.blocked, std::optional(WorkerState::BlockedFull));
        // At least the mark; at most both sides' marks and what the kernel's socket buffers hold (each frame costs
        // them at least its own bytes; four times the buffer leaves room for how the kernel counts). A Unix socket
        // has one buffer of wmem_default. zmq-tcp (and zmq-pub-tcp) sets each connection's send and receive buffer to
        // 128 KiB, which Linux doubles (without that, TCP grew them to megabytes).
        std::uint64_t kernelBytes = 4 * 128 * 1024;
        if (!traits(c.address.transport).tcp) {
            QFile wmem(QStringLiteral("/proc/sys/net/core/wmem_default"));
            QVERIFY(wmem.open(QIODevice::ReadOnly));
            bool ok = false;
            kernelBytes = wmem.readAll().trimmed().toULongLong(&ok);
            QVERIFY(ok);
        }
        const std::uint64_t most = 2 * Capacity + 4 * kernelBytes / FrameBytes;
        QVERIFY2(
            sent >= Capacity && sent <= most, qPrintable(QStringLiteral("%1 sent, at most %2").arg(sent).arg(most)));
        QCOMPARE(c.object->depth(), std::int64_t(-1));
        QCOMPARE(displayedCapacity({ "o", c.address.transport, Capacity, FrameBytes }), Capacity);
    }

    // A producer that closes flushes its queue to the consumer, which takes it all at its stop (takeReadAhead)
    // until the producer's connection has closed; the object has nothing to drain. At most the consumer's
    // high-water mark: beyond it libzmq may drop what the closing connection still carries (about 1 run in 30 here
    // lost the 5th of 5 with a mark of 4), which is why the runner holds producers open at a stop until their
    // consumers have taken everything.
    static void consumerTakesWhatWasInFlight(Channel& c)
    {
        auto consumer = openConsumer(c.end(Role::Consumer));
        QVERIFY2(consumer, consumer ? "" : consumer.error().message().c_str());
        constexpr std::uint64_t Sent = Capacity;
        {
            StopWhenBlockedFor hooks(std::chrono::seconds(5));
            auto producer = openProducer(c.end(Role::Producer), hooks);
            QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
            std::uint64_t seq = 1;
            if (traits(c.address.transport).broadcast)
                QVERIFY(sendFirstToSubscriber(**producer, **consumer, frame(seq++)));
            for (; seq <= Sent; ++seq)
                QVERIFY((*producer)->send(frame(seq), 0, hooks));
        } // closed: its queue is written out before the close returns
        std::vector<std::byte> buffer(c.address.messageSize);
        StopWhenBlocked hooks;
        for (std::uint64_t seq = 1; seq <= Sent; ++seq)
            QCOMPARE(seqOf((*consumer)->takeReadAhead(buffer, hooks), buffer), seq);
        // Done when the producer's connection has closed, seen by the monitor: at once, not after the 2 s limit.
        const std::uint64_t before = monotonicNs();
        QCOMPARE(*(*consumer)->takeReadAhead(buffer, hooks), std::size_t(0));
        QVERIFY2(monotonicNs() - before < 1'000'000'000ull, "the consumer did not see the connection close");
        QCOMPARE(c.object->drainLeftovers(), 0ull);
        QCOMPARE(c.object->depth(), std::int64_t(-1));
    }

    // The rows producers and consumers use, or the rows only programs use.
    static void rows(bool messages = true)
    {
        QTest::addColumn<TransportKind>("kind");
        for (const TransportTraits& row : transportTable()) {
            if (row.carriesMessages == messages)
                QTest::addRow("%s", row.name) << row.kind;
        }
    }

private slots:
    void cleanupTestCase() { QCOMPARE(ipctest::leftoversOfThisProcess(), QStringList()); }

    void everyKindHasItsRow()
    {
        const auto table = transportTable();
        QCOMPARE(table.size(), std::size_t(TransportKind::ZmqPubTcp) + 1);
        for (std::size_t i = 0; i < table.size(); ++i) {
            QCOMPARE(std::size_t(table[i].kind), i);
            QCOMPARE(&traits(table[i].kind), &table[i]);
        }
    }

    void nameRoundTripsThroughTheScenarioParser_data() { rows(); }
    void nameRoundTripsThroughTheScenarioParser()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        QCOMPARE(parseTransport(row.name), std::optional(kind));
        QCOMPARE(std::string(transportName(kind)), std::string(row.name));
        const Scenario written = oneObject(row, 1, 1);
        auto read = parseScenario(scenarioToJson(written), "contract");
        QVERIFY2(read, read ? "" : read.error().message().c_str());
        QCOMPARE(read->objects.at(0).transport, kind);
        QVERIFY(scenarioToJson(written).find(std::string("\"") + row.name + "\"") != std::string::npos);
    }

    void workerLimitsAgreeWithValidation_data() { rows(); }
    void workerLimitsAgreeWithValidation()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        const MqLimits limits = readMqLimits();
        for (const Role role : { Role::Producer, Role::Consumer }) {
            const std::uint32_t most = role == Role::Producer ? row.maxProducers : row.maxConsumers;
            QCOMPARE(maxWorkers(kind, role), most);
            const std::uint32_t allowed = most == 0 ? Many : most;
            const auto scenario
                = [&](std::uint32_t n) { return role == Role::Producer ? oneObject(row, n, 1) : oneObject(row, 1, n); };
            const Status fits = validateScenario(scenario(allowed), limits, std::nullopt);
            QVERIFY2(fits, fits ? "" : fits.error().message().c_str());
            const Status oneMore = validateScenario(scenario(allowed + 1), limits, std::nullopt);
            QCOMPARE(bool(oneMore), most == 0);
            if (!oneMore)
                QVERIFY2(oneMore.error().hint.find("objects[0]: ") == 0, oneMore.error().hint.c_str());
        }
    }

    void lockAndPriorityFieldsAgreeWithValidation_data() { rows(); }
    void lockAndPriorityFieldsAgreeWithValidation()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        const ObjectSpec object { "o", kind, Capacity, FrameBytes };
        for (const Role role : { Role::Producer, Role::Consumer }) {
            WorkerSpec w { "w", role, "o" };
            w.crashInLockAfter = 1;
            QCOMPARE(bool(validateWorker(w, object)), role == Role::Producer ? row.producersLock : row.consumersLock);
            w.crashInLockAfter = 0;
            w.priority = 3;
            QCOMPARE(bool(validateWorker(w, object)), row.priorities);
        }
    }

    void osNamesLiveWhereTheRowSays_data() { rows(); }
    void osNamesLiveWhereTheRowSays()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        bool inFileSystem = false;
        for (const OsName& name : channelOsNames(addressFor(row, "names")))
            inFileSystem = inFileSystem || name.kind == "path";
        QCOMPARE(inFileSystem, row.pathSuffix != nullptr);
    }

    void capacityMeansWhatTheRowSays_data() { rows(); }
    void capacityMeansWhatTheRowSays()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        Channel c = create(kind, "cap");
        QVERIFY(c.object);
        if (row.depthFromCounters) {
            QCOMPARE(row.capacity, CapacityUnit::Messages);
            queueCapacityInsideTheProcesses(c);
            return;
        }
        StopWhenBlocked hooks;
        auto producer = openProducer(c.end(Role::Producer), hooks);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        // Twice the capacity, unless the transport blocks first.
        std::uint32_t sent = 0;
        Status last;
        while (sent < 2 * Capacity) {
            last = (*producer)->send(frame(sent + 1), 0, hooks);
            if (!last)
                break;
            ++sent;
        }
        switch (row.capacity) {
        case CapacityUnit::Messages:
            QCOMPARE(sent, Capacity);
            QCOMPARE(last.error().code, ErrorCode::Interrupted);
            QCOMPARE(hooks.blocked, std::optional(WorkerState::BlockedFull));
            QCOMPARE(c.object->depth(), std::int64_t(Capacity));
            QCOMPARE(displayedCapacity({ "o", kind, Capacity, FrameBytes }), Capacity);
            break;
        case CapacityUnit::KernelBytes:
        case CapacityUnit::OneValue:
            QCOMPARE(sent, 2 * Capacity); // the capacity field did not stop it
            QCOMPARE(hooks.blocked, std::nullopt);
            break;
        case CapacityUnit::None:
            // A rendezvous: the first message waits in the channel for its receiver (the send stops waiting when
            // told to, and the message stays); the second finds no room at all.
            QCOMPARE(sent, 1u);
            QCOMPARE(last.error().code, ErrorCode::Interrupted);
            QCOMPARE(hooks.blocked, std::optional(WorkerState::BlockedFull));
            QCOMPARE(c.object->depth(), std::int64_t(1));
            QCOMPARE(displayedCapacity({ "o", kind, 0, FrameBytes }), 0u);
            break;
        case CapacityUnit::Cells:
        case CapacityUnit::Permits:
            QFAIL("a row that carries messages counts its capacity in messages or bytes");
        }
        QCOMPARE(capacityInMessages(kind), row.capacity == CapacityUnit::Messages);
    }

    void readsConsumeWhenTheRowSays_data() { rows(); }
    void readsConsumeWhenTheRowSays()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        Channel c = create(kind, "read");
        QVERIFY(c.object);
        // ZeroMQ connects in the background, and its send waits (reporting it) until the connection is made.
        StopWhenBlockedFor hooks(std::chrono::milliseconds(row.depthFromCounters ? 5000 : 0));
        auto producer = openProducer(c.end(Role::Producer), hooks);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        auto first = openConsumer(c.end(Role::Consumer));
        QVERIFY2(first, first ? "" : first.error().message().c_str());
        if (row.broadcast)
            QVERIFY(sendFirstToSubscriber(**producer, **first, frame(1)));
        else
            QVERIFY((*producer)->send(frame(1), 0, hooks));
        // Only a rendezvous waits after a send (for its receiver, which here comes after it).
        const bool rendezvous = row.capacity == CapacityUnit::None;
        if (!row.depthFromCounters)
            QCOMPARE(hooks.blocked, rendezvous ? std::optional(WorkerState::BlockedFull) : std::nullopt);
        std::vector<std::byte> buffer(c.address.messageSize);
        GiveUpAfterASecond reader;
        QCOMPARE(seqOf((*first)->receive(buffer, reader), buffer), 1ull);
        if (row.depthFromCounters) {
            // Each ZeroMQ consumer binds an endpoint of its own (ChannelAddress::consumers), so a second opened on
            // this address would take the first one's over; tst_runner runs several, each with its own.
            QCOMPARE(row.maxConsumers, 0u);
            QCOMPARE(c.object->depth(), std::int64_t(-1));
            return;
        }
        // A second reader opened now finds the value still there only if reads do not consume.
        auto second = openConsumer(c.end(Role::Consumer));
        QVERIFY2(second, second ? "" : second.error().message().c_str());
        QCOMPARE(seqOf((*second)->tryReceive(buffer, reader), buffer), row.consumingReads ? 0ull : 1ull);
        if (row.consumingReads && c.object->depth() >= 0)
            QCOMPARE(c.object->depth(), 0);
        QCOMPARE(transportConsumes(kind), row.consumingReads);
        QCOMPARE(countsThroughput(kind, Role::Consumer), row.consumingReads);
        QCOMPARE(countsThroughput(kind, Role::Producer), !row.consumingReads);
    }

    void leftoversAreDrainedAtStopWhenTheRowSays_data() { rows(); }
    void leftoversAreDrainedAtStopWhenTheRowSays()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        Channel c = create(kind, "drain");
        QVERIFY(c.object);
        if (row.depthFromCounters) {
            QVERIFY(!row.drainedAtStop);
            consumerTakesWhatWasInFlight(c);
            return;
        }
        // Two messages, or the one a rendezvous keeps while its sender waits for a receiver.
        const std::uint64_t sent = row.capacity == CapacityUnit::None ? 1 : 2;
        {
            StopWhenBlocked hooks;
            auto producer = openProducer(c.end(Role::Producer), hooks);
            QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
            for (std::uint64_t seq = 1; seq <= sent; ++seq)
                QVERIFY((*producer)->send(frame(seq), 0, hooks));
        } // the producer exits, as every worker has when the runner stops
        if (row.drainedAtStop) {
            QCOMPARE(c.object->drainLeftovers(), sent);
        } else {
            QCOMPARE(c.object->drainLeftovers(), 0ull);
            if (row.consumingReads)
                QCOMPARE(c.object->depth(), std::int64_t(sent)); // kept, and seen without reading
        }
    }

    void aLockShowsAsALock_data() { rows(); }
    void aLockShowsAsALock()
    {
        QFETCH(TransportKind, kind);
        Channel c = create(kind, "lock");
        QVERIFY(c.object);
        QCOMPARE(c.object->lockValue(), hasLock(traits(kind)) ? 1 : -1); // free, or no lock at all
    }

    // The rows only programs use: producers and consumers are refused with the row's reason, the endpoints refuse
    // to open, and the program target does what the capacity says (cells to read and write; permits to take).
    void programRowsRefuseMessages_data() { rows(false); }
    void programRowsRefuseMessages()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        QCOMPARE(std::string(transportName(kind)), std::string(row.name));
        QCOMPARE(parseTransport(row.name), std::optional(kind));
        const std::vector<TransportKind> queueing = queueingTransports();
        QVERIFY(std::find(queueing.begin(), queueing.end(), kind) == queueing.end());
        const ObjectSpec object { "o", kind, Capacity, FrameBytes };
        for (const Role role : { Role::Producer, Role::Consumer }) {
            const Status st = validateWorker(WorkerSpec { "w", role, "o" }, object);
            QVERIFY(!st);
            QVERIFY2(st.error().hint.find(row.workerLimitWhy) != std::string::npos, st.error().hint.c_str());
        }
        Channel c = create(kind, "prog");
        QVERIFY(c.object);
        StopWhenBlocked hooks;
        QCOMPARE(openProducer(c.end(Role::Producer), hooks).error().code, ErrorCode::NotSupported);
        QCOMPARE(openConsumer(c.end(Role::Consumer)).error().code, ErrorCode::NotSupported);
        QCOMPARE(displayedCapacity(object), Capacity);
    }

    void programRowsDoWhatTheCapacitySays_data() { rows(false); }
    void programRowsDoWhatTheCapacitySays()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        Channel c = create(kind, "steps");
        QVERIFY(c.object);
        auto target = openProgramTarget(c.address);
        QVERIFY2(target, target ? "" : target.error().message().c_str());
        RecordWaits hooks;
        if (row.perProcess) {
            // A global: nothing in the system, and every opening is a copy of its own, as each process's is.
            QVERIFY(channelOsNames(c.address).empty());
            QVERIFY(c.object->cells().empty());
            auto other = openProgramTarget(c.address);
            QVERIFY(other);
            (*target)->write(0, 42);
            QCOMPARE((*target)->read(0), 42);
            QCOMPARE((*other)->read(0), 0);
            return;
        }
        switch (row.capacity) {
        case CapacityUnit::Cells:
            QCOMPARE(c.object->cells(), std::vector<std::int64_t>(Capacity, 0));
            (*target)->write(Capacity - 1, 42);
            QCOMPARE((*target)->read(Capacity - 1), 42);
            QCOMPARE(c.object->cells().back(), 42); // the runner's mapping sees the worker's write
            // The lock: free, taken once, then a try and a short timed wait both fail without blocking for ever.
            QCOMPARE(c.object->semaphores().at(0).value, 1);
            QCOMPARE(*(*target)->acquire(std::nullopt, hooks), true);
            QCOMPARE(*(*target)->acquire(std::chrono::milliseconds(0), hooks), false);
            QCOMPARE(*(*target)->acquire(std::chrono::milliseconds(20), hooks), false);
            QVERIFY((*target)->release());
            QCOMPARE(c.object->semaphores().at(0).value, 1);
            break;
        case CapacityUnit::Permits: {
            QCOMPARE(c.object->semaphores().at(0).value, int(Capacity));
            for (std::uint32_t i = 0; i < Capacity; ++i)
                QCOMPARE(*(*target)->acquire(std::chrono::milliseconds(0), hooks), true);
            QCOMPARE(c.object->semaphores().at(0).value, 0);
            const std::uint64_t before = monotonicNs();
            QCOMPARE(*(*target)->acquire(std::chrono::milliseconds(50), hooks), false);
            QVERIFY(monotonicNs() - before >= 50'000'000ull); // it did wait the timeout
            QCOMPARE(hooks.blocked, std::optional(WorkerState::WaitingLock));
            QVERIFY((*target)->release());
            QCOMPARE(c.object->semaphores().at(0).value, 1);
            break;
        }
        default:
            QFAIL("a row only programs use counts cells or permits");
        }
    }

    // Zero-copy: an object whose slots live in shared memory lends them. A loaned slot is not in the object until
    // committed (a stop while waiting for one publishes nothing); a peeked frame stays in the object until released.
    // shm-ring lends under its lock, held from loan to commit and from peek to release, and only with slots of 8 KiB
    // or more (below, copying measured faster); shm-spsc's single consumer owns its slot without a lock, and
    // peeking again shows the same bytes.
    void loansMoveFramesInPlace_data() { rows(); }
    void loansMoveFramesInPlace()
    {
        QFETCH(TransportKind, kind);
        const bool locked = kind == TransportKind::ShmRing;
        if (locked) {
            Channel small = create(kind, "small");
            QVERIFY(small.object);
            StopWhenBlocked none;
            auto smallProducer = openProducer(small.end(Role::Producer), none);
            auto smallConsumer = openConsumer(small.end(Role::Consumer));
            QVERIFY(smallProducer && smallConsumer);
            QVERIFY(!(*smallProducer)->lends() && !(*smallConsumer)->lends());
        }
        Channel c = create(kind, "loan", locked ? 16384 : 0);
        QVERIFY(c.object);
        StopWhenBlocked hooks;
        auto producer = openProducer(c.end(Role::Producer), hooks);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        auto consumer = openConsumer(c.end(Role::Consumer));
        QVERIFY2(consumer, consumer ? "" : consumer.error().message().c_str());
        const bool lends = kind == TransportKind::ShmSpsc || locked;
        QCOMPARE((*producer)->lends(), lends);
        QCOMPARE((*consumer)->lends(), lends);
        if (!lends)
            return;
        for (std::uint64_t seq = 1; seq <= Capacity; ++seq) {
            auto slot = (*producer)->loan(FrameBytes, hooks);
            QVERIFY2(slot, slot ? "" : slot.error().message().c_str());
            QCOMPARE(slot->size(), std::size_t(FrameBytes));
            buildFrame(*slot, 1, seq, 0, FrameStores::SharedSlot);
            QCOMPARE(c.object->depth(), std::int64_t(seq - 1)); // not in the object before the commit
            if (locked)
                QCOMPARE(c.object->lockValue(), 0);
            (*producer)->commit();
            QCOMPARE(c.object->depth(), std::int64_t(seq));
            if (locked)
                QCOMPARE(c.object->lockValue(), 1);
        }
        auto full = (*producer)->loan(FrameBytes, hooks);
        QVERIFY(!full);
        QCOMPARE(full.error().code, ErrorCode::Interrupted);
        QCOMPARE(hooks.blocked, std::optional(WorkerState::BlockedFull));
        QCOMPARE(c.object->depth(), std::int64_t(Capacity));
        QCOMPARE(
            (*producer)->loan(std::size_t(c.address.messageSize) * 2, hooks).error().code, ErrorCode::MessageTooLarge);

        GiveUpAfterASecond reader;
        for (std::uint64_t seq = 1; seq <= Capacity; ++seq) {
            auto first = (*consumer)->peek(reader);
            QVERIFY2(first, first ? "" : first.error().message().c_str());
            if (locked)
                QCOMPARE(c.object->lockValue(), 0);
            else {
                auto again = (*consumer)->peek(reader);
                QVERIFY(again && again->data() == first->data() && again->size() == first->size());
            }
            FrameHeader header;
            QCOMPARE(checkFrame(*first, header), FrameCheck::Ok);
            QCOMPARE(header.seq, seq);
            QCOMPARE(c.object->depth(), std::int64_t(Capacity - seq + 1)); // still in the object
            (*consumer)->release();
            QCOMPARE(c.object->depth(), std::int64_t(Capacity - seq));
            if (locked)
                QCOMPARE(c.object->lockValue(), 1);
        }
        StopWhenBlocked emptyReader;
        QCOMPARE((*consumer)->peek(emptyReader).error().code, ErrorCode::Interrupted);
        QCOMPARE(emptyReader.blocked, std::optional(WorkerState::BlockedEmpty));
    }

    // shm-spsc's sleeping handshake: a side that went to sleep on its futex is woken by the other side's next
    // publish, every time. Each wait may last 10 s here, so a lost wake-up would show as a message 10 s late; the
    // pauses make the waiting side reach its futex before most publishes (counted, so the test knows it slept). A
    // pause alone was not enough on a busy machine (CI's ASan stage: the producer slept 10 times in 200): the waiting
    // side yields the core 100 times before it sleeps, and each yield may give it to another test for milliseconds.
    // So after its pause the other side also waits (at most 2 s) until the waiting side has said it goes to sleep.
    void spscWakesASleepingSideEveryTime()
    {
        class LongSleeps final : public WaitHooks {
        public:
            void enter(WorkerState state) override
            {
                if (isBlocked(state))
                    ++sleeps;
            }
            bool stopRequested() override { return std::chrono::steady_clock::now() > m_deadline; }
            Duration slice(Duration) override { return std::chrono::seconds(10); }
            std::atomic<int> sleeps { 0 };
            // Until it has gone to sleep more than `n` times (or 2 s have passed).
            void awaitSleeps(int n) const
            {
                const auto give = std::chrono::steady_clock::now() + std::chrono::seconds(2);
                while (sleeps.load() <= n && std::chrono::steady_clock::now() < give)
                    std::this_thread::sleep_for(std::chrono::microseconds(100));
            }

        private:
            std::chrono::steady_clock::time_point m_deadline
                = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        };
        constexpr int Messages = 200;
        for (const bool slowProducer : { true, false }) {
            Channel c = create(TransportKind::ShmSpsc, slowProducer ? "wake-consumer" : "wake-producer");
            QVERIFY(c.object);
            LongSleeps producerHooks, consumerHooks;
            auto producer = openProducer(c.end(Role::Producer), producerHooks);
            auto consumer = openConsumer(c.end(Role::Consumer));
            QVERIFY(producer && consumer);
            std::atomic<std::int64_t> longestWaitUs { 0 };
            std::thread reader([&] {
                std::vector<std::byte> buffer(c.address.messageSize);
                for (int i = 0; i < Messages; ++i) {
                    if (!slowProducer) {
                        std::this_thread::sleep_for(std::chrono::microseconds(300));
                        // Its first Capacity sends find room; each later one waits for this receive.
                        if (i < Messages - int(Capacity))
                            producerHooks.awaitSleeps(i);
                    }
                    const auto start = std::chrono::steady_clock::now();
                    if (!(*consumer)->receive(buffer, consumerHooks))
                        return;
                    const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                                            .count();
                    longestWaitUs = std::max<std::int64_t>(longestWaitUs, waited);
                }
            });
            int sent = 0;
            for (; sent < Messages; ++sent) {
                if (slowProducer) {
                    std::this_thread::sleep_for(std::chrono::microseconds(300));
                    consumerHooks.awaitSleeps(sent);
                }
                if (!(*producer)->send(frame(std::uint64_t(sent) + 1), 0, producerHooks))
                    break;
            }
            reader.join();
            QCOMPARE(sent, Messages);
            QCOMPARE(c.object->depth(), std::int64_t(0));
            const int sleeps = slowProducer ? consumerHooks.sleeps.load() : producerHooks.sleeps.load();
            qInfo("%s: slept %d times; longest receive %lld us", slowProducer ? "consumer" : "producer", sleeps,
                static_cast<long long>(longestWaitUs.load()));
            QVERIFY2(sleeps >= Messages / 4, "the waiting side hardly ever went to sleep: the test tested nothing");
            QVERIFY2(longestWaitUs < 5'000'000, "a sleeping side was not woken by a publish");
        }
    }

    void prioritiesReorderWhenTheRowSays_data() { rows(); }
    void prioritiesReorderWhenTheRowSays()
    {
        QFETCH(TransportKind, kind);
        const TransportTraits& row = traits(kind);
        if (!row.consumingReads)
            QSKIP("a shared value holds one message; there is no order to change");
        if (row.capacity == CapacityUnit::None)
            QSKIP("a rendezvous holds one message at most; there is no order to change");
        Channel c = create(kind, "prio");
        QVERIFY(c.object);
        // A ZeroMQ producer sends only once a consumer is there (ZMQ_IMMEDIATE): it comes first, and the sends may
        // wait for the connection.
        std::optional<Result<std::unique_ptr<ConsumerEndpoint>>> early;
        if (row.depthFromCounters)
            early = openConsumer(c.end(Role::Consumer));
        StopWhenBlockedFor hooks(std::chrono::milliseconds(row.depthFromCounters ? 5000 : 0));
        auto producer = openProducer(c.end(Role::Producer), hooks);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        if (row.broadcast) {
            QVERIFY2(*early, *early ? "" : early->error().message().c_str());
            QVERIFY(sendFirstToSubscriber(**producer, **(*early), frame(1)));
        } else
            QVERIFY((*producer)->send(frame(1), 0, hooks));
        QVERIFY((*producer)->send(frame(2), row.priorities ? 9 : 0, hooks));
        auto consumer = early ? std::move(*early) : openConsumer(c.end(Role::Consumer));
        QVERIFY2(consumer, consumer ? "" : consumer.error().message().c_str());
        std::vector<std::byte> buffer(c.address.messageSize);
        GiveUpAfterASecond reader;
        QCOMPARE(seqOf((*consumer)->receive(buffer, reader), buffer), row.priorities ? 2ull : 1ull);
    }

    // A broadcast whose only subscriber ended before it ever connected (over tcp://, before it published its port):
    // the producer does not wait for it, and its messages go to no one, as over ipc:// once every subscriber has
    // gone. (It waited for a first connection, as PUSH does, until its stop.)
    void broadcastWithEveryoneGoneSendsToNoOne_data()
    {
        QTest::addColumn<TransportKind>("kind");
        QTest::newRow("zmq-pub") << TransportKind::ZmqPub;
        QTest::newRow("zmq-pub-tcp") << TransportKind::ZmqPubTcp;
    }
    void broadcastWithEveryoneGoneSendsToNoOne()
    {
        QFETCH(TransportKind, kind);
        Channel c = create(kind, "gone");
        QVERIFY(c.object);
        // Its one subscriber never opened its end, and the runner has seen it end.
        class SubscriberEnded final : public WaitHooks {
        public:
            void enter(WorkerState) override { }
            bool stopRequested() override { return std::chrono::steady_clock::now() > m_deadline; }
            bool consumerEnded(std::uint32_t index) override { return index == 0; }

        private:
            std::chrono::steady_clock::time_point m_deadline
                = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        } hooks;
        auto producer = openProducer(c.end(Role::Producer), hooks);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        for (std::uint64_t seq = 1; seq <= 3; ++seq) {
            const Status sent = (*producer)->send(frame(seq), 0, hooks);
            QVERIFY2(sent, sent ? "" : sent.error().message().c_str());
        }
    }

    // Requests and replies over a zmq object (DEALER/ROUTER, openZmqRequests), real sockets over ipc://: each reply
    // goes back on the connection its request came on; a reply to a client that has closed its connection fails
    // with PeerGone (the server goes on), and a client waiting for a reply whose server goes away fails with
    // PeerGone too, as a Python proxy raises EOFError.
    void zmqRequestsComeBackOnTheirOwnConnection_data()
    {
        QTest::addColumn<TransportKind>("kind");
        QTest::newRow("zmq") << TransportKind::Zmq;
        QTest::newRow("zmq-tcp") << TransportKind::ZmqTcp;
    }
    void zmqRequestsComeBackOnTheirOwnConnection()
    {
        QFETCH(TransportKind, kind);
        Channel c = create(kind, "requests");
        QVERIFY(c.object);
        // A client that asks before the server is there (over tcp:// before it has published its port) waits,
        // blocked, until its stop; once the server is there the same client gets through.
        auto one = openZmqRequests(c.address, false);
        QVERIFY2(one, one ? "" : one.error().message().c_str());
        std::vector<std::byte> buffer(c.address.messageSize);
        StopWhenBlockedFor early(std::chrono::milliseconds(200));
        const Status tooEarly = one->sending->send(frame(1), 0, early);
        QVERIFY(!tooEarly);
        QCOMPARE(tooEarly.error().code, ErrorCode::Interrupted);
        QCOMPARE(early.blocked, std::optional<WorkerState>(WorkerState::BlockedFull));
        auto server = openZmqRequests(c.address, true);
        QVERIFY2(server, server ? "" : server.error().message().c_str());
        const std::string endpointFile = c.address.name;
        const QByteArray published = readAll(endpointFile);
        QVERIFY(kind == TransportKind::Zmq || published.startsWith("tcp://127.0.0.1:"));
        auto two = openZmqRequests(c.address, false);
        QVERIFY(two);
        StopWhenBlockedFor patient(std::chrono::milliseconds(2000));
        QVERIFY(one->sending->send(frame(1), 0, patient));
        QVERIFY(two->sending->send(frame(2), 0, patient));
        // The server answers each request it takes with a frame one higher, to whoever sent it.
        for (int k = 0; k < 2; ++k) {
            GiveUpAfterASecond wait;
            const std::uint64_t asked = seqOf(server->receiving->receive(buffer, wait), buffer);
            QVERIFY(asked == 1 || asked == 2);
            QVERIFY(server->sending->send(frame(asked + 10), 0, patient));
        }
        GiveUpAfterASecond waitOne, waitTwo;
        QCOMPARE(seqOf(one->receiving->receive(buffer, waitOne), buffer), 11ull);
        QCOMPARE(seqOf(two->receiving->receive(buffer, waitTwo), buffer), 12ull);

        // Client two asks and goes away before the server has taken the request.
        QVERIFY(two->sending->send(frame(3), 0, patient));
        std::this_thread::sleep_for(std::chrono::milliseconds(100)); // on its way before the socket closes
        two.value() = {};
        std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the server's side sees the connection close
        GiveUpAfterASecond wait;
        QCOMPARE(seqOf(server->receiving->receive(buffer, wait), buffer), 3ull);
        const Status refused = server->sending->send(frame(13), 0, patient);
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::PeerGone);
        // One request of `client`'s, taken by `answering` and answered with a frame ten higher.
        const auto roundTrip
            = [&buffer](DuplexEndpoints& client, DuplexEndpoints& answering, std::uint64_t ask, WaitHooks& sending) {
                  QVERIFY(client.sending->send(frame(ask), 0, sending));
                  GiveUpAfterASecond taking;
                  QCOMPARE(seqOf(answering.receiving->receive(buffer, taking), buffer), ask);
                  QVERIFY(answering.sending->send(frame(ask + 10), 0, sending));
                  GiveUpAfterASecond returning;
                  QCOMPARE(seqOf(client.receiving->receive(buffer, returning), buffer), ask + 10);
              };
        // The server goes on with the other client.
        roundTrip(*one, *server, 4, patient);

        // The server goes away while client one waits for a reply.
        QVERIFY(one->sending->send(frame(5), 0, patient));
        server.value() = {};
        GiveUpAfterASecond untilClosed; // Interrupted after a second, had the closed connection not ended the wait
        const auto gone = one->receiving->receive(buffer, untilClosed);
        QVERIFY(!gone);
        QCOMPARE(gone.error().code, ErrorCode::PeerGone);
        QVERIFY(gone.error().hint.find("EOFError") != std::string::npos);

        // A server in its place binds where the first did (over tcp://, the port it published), and the client's
        // next request reaches it.
        auto replacement = openZmqRequests(c.address, true);
        QVERIFY2(replacement, replacement ? "" : replacement.error().message().c_str());
        QCOMPARE(readAll(endpointFile), published);
        StopWhenBlockedFor later(std::chrono::milliseconds(5000));
        roundTrip(*one, *replacement, 6, later);
    }
};

QTEST_GUILESS_MAIN(TestTransportTable)
#include "tst_transport_table.moc"

// Hostile names and squatters: ipccore creates every object with O_EXCL and mode 0600 (even under umask 000), never
// adopts an object someone else made under the name it wanted, and never removes that object while backing out.
#include "test_support.h"

#include "ipccore/channel.h"
#include "ipccore/framing.h"
#include "ipccore/message_queue.h"
#include "ipccore/semaphore.h"
#include "ipccore/shared_memory.h"
#include "ipccore/stream.h"

#include <QtTest>

#include <fcntl.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cstring>
#include <fstream>
#include <thread>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::TransportKind)

namespace {

mode_t modeOf(const std::string& path)
{
    struct stat st { };
    return stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : mode_t(0);
}

bool exists(const std::string& path)
{
    struct stat st { };
    return lstat(path.c_str(), &st) == 0;
}

// A zmq-tcp object (or another over tcp://) of 64-byte frames, at a fresh path.
ChannelAddress zmqTcpAddress(const std::string& tag, TransportKind transport = TransportKind::ZmqTcp)
{
    ChannelAddress a;
    a.transport = transport;
    a.capacity = 4;
    a.messageSize = 64;
    a.name = ipctest::uniquePath(tag) + ".zmq";
    return a;
}

// A WaitHooks that lets a wait go on for at most a few seconds.
class GiveUpAfterSeconds final : public WaitHooks {
public:
    void enter(WorkerState) override { }
    bool stopRequested() override { return std::chrono::steady_clock::now() > m_deadline; }

private:
    std::chrono::steady_clock::time_point m_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
};

// A WaitHooks that gives up at once: a send tries once without waiting.
class TryOnce final : public WaitHooks {
public:
    void enter(WorkerState) override { }
    bool stopRequested() override { return true; }
};

// A local stranger's socket (PUSH toward a consumer, PUB toward a subscriber, DEALER toward a Manager's server):
// connects to `endpoint`, with CURVE toward `serverKey` if one is given (a key it guessed), and sends one 64-byte
// message. Returns what its socket's monitor saw: "refused" once the TCP connection was made and then closed or its
// handshake failed (within 5 s), or what happened instead.
std::string strangerSends(const std::string& endpoint, const char* serverKey, int type = ZMQ_PUSH)
{
    void* context = zmq_ctx_new();
    void* socket = zmq_socket(context, type);
    void* monitor = zmq_socket(context, ZMQ_PAIR);
    std::string outcome = "set-up failed";
    const int noLinger = 0;
    const int second = 1000;
    char publicKey[41] = {};
    char secretKey[41] = {};
    bool ready = zmq_setsockopt(socket, ZMQ_LINGER, &noLinger, sizeof noLinger) == 0
        && zmq_setsockopt(socket, ZMQ_SNDTIMEO, &second, sizeof second) == 0
        && zmq_socket_monitor(socket, "inproc://stranger", ZMQ_EVENT_ALL) == 0
        && zmq_connect(monitor, "inproc://stranger") == 0;
    if (ready && serverKey)
        ready = zmq_curve_keypair(publicKey, secretKey) == 0
            && zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, serverKey, 40) == 0
            && zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, publicKey, 40) == 0
            && zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, secretKey, 40) == 0;
    if (ready && zmq_connect(socket, endpoint.c_str()) == 0) {
        std::vector<std::byte> message(64, std::byte { 0x41 });
        (void)zmq_send(socket, message.data(), message.size(), ZMQ_DONTWAIT); // queued until a handshake succeeds
        const int waitMs = 5000;
        zmq_setsockopt(monitor, ZMQ_RCVTIMEO, &waitMs, sizeof waitMs);
        bool connected = false;
        outcome = "no connection within 5 s";
        for (;;) {
            zmq_msg_t event;
            zmq_msg_init(&event);
            if (zmq_msg_recv(&event, monitor, 0) < 0) {
                zmq_msg_close(&event);
                break;
            }
            std::uint16_t id = 0;
            std::memcpy(&id, zmq_msg_data(&event), sizeof id);
            zmq_msg_close(&event);
            zmq_msg_t address; // the second frame names the endpoint
            zmq_msg_init(&address);
            (void)zmq_msg_recv(&address, monitor, 0);
            zmq_msg_close(&address);
            if (id == ZMQ_EVENT_CONNECTED) {
                connected = true;
                outcome = "connected, and not refused within 5 s";
            } else if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                outcome = "the handshake succeeded";
                break;
            } else if (connected
                && (id == ZMQ_EVENT_DISCONNECTED || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                    || id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)) {
                outcome = "refused";
                break;
            }
        }
    }
    zmq_close(monitor);
    zmq_close(socket);
    zmq_ctx_term(context);
    return outcome;
}

} // namespace

class TestHostile : public QObject {
    Q_OBJECT
private slots:
    void createdPrivateEvenUnderUmask000()
    {
        const mode_t old = umask(0);
        const std::string shmName = ipctest::uniqueName("m-shm");
        const std::string semName = ipctest::uniqueName("m-sem");
        auto shm = SharedMemory::create(shmName, 4096);
        auto sem = NamedSemaphore::create(semName, 0);
        umask(old);
        QVERIFY(shm && sem);
        QCOMPARE(modeOf("/dev/shm" + shmName), mode_t(0600));
        QCOMPARE(modeOf("/dev/shm/sem." + semName.substr(1)), mode_t(0600));
    }

    // A squatter made the name first (mode 0666, like an attacker would). Creation must fail with AlreadyExists,
    // the squatter's object must survive untouched, and nothing we made on the way may remain.
    void squattedNameIsNotAdopted_data()
    {
        QTest::addColumn<TransportKind>("transport");
        QTest::addColumn<QString>("squat"); // which of the channel's names is taken: "main" or a semaphore role
        QTest::newRow("mq") << TransportKind::Mq << "main";
        QTest::newRow("shm-ring, shm taken") << TransportKind::ShmRing << "main";
        QTest::newRow("shm-ring, mutex semaphore taken") << TransportKind::ShmRing << "mutex";
        QTest::newRow("shm-value") << TransportKind::ShmValue << "main";
        QTest::newRow("shm-spsc") << TransportKind::ShmSpsc << "main";
        QTest::newRow("fifo") << TransportKind::Fifo << "main";
        QTest::newRow("socket") << TransportKind::Socket << "main";
        QTest::newRow("zmq") << TransportKind::Zmq << "main";
        QTest::newRow("zmq-pub") << TransportKind::ZmqPub << "main";
        QTest::newRow("zmq-tcp, endpoint file taken") << TransportKind::ZmqTcp << "main";
        QTest::newRow("zmq-tcp, key file taken") << TransportKind::ZmqTcp << "key";
        QTest::newRow("zmq-pub-tcp, key file taken") << TransportKind::ZmqPubTcp << "key";
    }

    void squattedNameIsNotAdopted()
    {
        QFETCH(TransportKind, transport);
        QFETCH(QString, squat);
        ChannelAddress a;
        a.transport = transport;
        a.capacity = 4;
        a.messageSize = 64;
        const bool isPath = traits(transport).pathSuffix != nullptr;
        a.name = isPath ? ipctest::uniquePath("squat") : ipctest::uniqueName("squat");

        // The squatter's object, made with raw calls and a world-writable mode.
        std::string squatterFile;
        if (transport == TransportKind::Mq) {
            mq_attr attr {};
            attr.mq_maxmsg = 4;
            attr.mq_msgsize = 64;
            const mqd_t q = mq_open(a.name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0666, &attr);
            QVERIFY(q >= 0);
            mq_close(q);
        } else if (squat == "mutex") {
            sem_t* s = sem_open((a.name + ".mutex").c_str(), O_CREAT | O_EXCL, 0666, 1);
            QVERIFY(s != SEM_FAILED);
            sem_close(s);
            squatterFile = "/dev/shm/sem." + a.name.substr(1) + ".mutex";
        } else if (isPath) {
            squatterFile = squat == "key" ? a.name + ".key" : a.name;
            QVERIFY(mkfifo(squatterFile.c_str(), 0666) == 0);
        } else {
            const int fd = shm_open(a.name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0666);
            QVERIFY(fd >= 0);
            QVERIFY(ftruncate(fd, 4096) == 0);
            close(fd);
            squatterFile = "/dev/shm" + a.name;
        }

        auto channel = ChannelObject::create(a);
        QVERIFY(!channel);
        QVERIFY2(channel.error().code == ErrorCode::AlreadyExists, channel.error().message().c_str());

        // The squatter's object is still there...
        if (transport == TransportKind::Mq) {
            const mqd_t q = mq_open(a.name.c_str(), O_RDONLY);
            QVERIFY2(q >= 0, "the squatter's queue was removed");
            mq_close(q);
            QVERIFY(MessageQueue::unlink(a.name));
        } else {
            QVERIFY2(exists(squatterFile), "the squatter's object was removed");
            if (squat == "mutex")
                QVERIFY(NamedSemaphore::unlink(a.name + ".mutex"));
            else if (isPath)
                QVERIFY(removePath(squatterFile));
            else
                QVERIFY(SharedMemory::unlink(a.name));
        }
        // ...and nothing of ours remains (for the ring: the shm and the semaphores made before the clash).
        QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), qPrintable(ipctest::leftoversOfThisProcess().join(", ")));
    }

    // zmq-tcp listens on a loopback port that every local user can reach. Only a producer of the run, which read
    // the consumer's public key from the run's private key file, gets a message through: a stranger without CURVE
    // and one that guessed a key are both refused, and nothing of theirs reaches the consumer. The same for a
    // subscriber of zmq-pub-tcp and a stranger's PUB.
    void zmqTcpLetsOnlyTheRunsProducersIn_data()
    {
        QTest::addColumn<TransportKind>("transport");
        QTest::addColumn<int>("strangerType");
        QTest::newRow("zmq-tcp") << TransportKind::ZmqTcp << ZMQ_PUSH;
        QTest::newRow("zmq-pub-tcp") << TransportKind::ZmqPubTcp << ZMQ_PUB;
    }
    void zmqTcpLetsOnlyTheRunsProducersIn()
    {
        QFETCH(TransportKind, transport);
        QFETCH(int, strangerType);
        const ChannelAddress a = zmqTcpAddress("zmq-stranger", transport);
        const mode_t old = umask(0);
        auto object = ChannelObject::create(a);
        umask(old);
        QVERIFY2(object, object ? "" : object.error().message().c_str());
        QCOMPARE(modeOf(a.name + ".key"), mode_t(0600)); // even under umask 000
        QCOMPARE(modeOf(a.name + ".pub"), mode_t(0600));
        auto consumer = openConsumer(a);
        QVERIFY2(consumer, consumer ? "" : consumer.error().message().c_str());
        std::string endpoint;
        std::getline(std::ifstream(a.name), endpoint);
        QVERIFY2(endpoint.starts_with("tcp://127.0.0.1:"), endpoint.c_str()); // never all interfaces

        QCOMPARE(strangerSends(endpoint, nullptr, strangerType), std::string("refused"));
        char guessedPublic[41] = {};
        char guessedSecret[41] = {};
        QVERIFY(zmq_curve_keypair(guessedPublic, guessedSecret) == 0);
        QCOMPARE(strangerSends(endpoint, guessedPublic, strangerType), std::string("refused"));

        GiveUpAfterSeconds hooks;
        auto producer = openProducer(a, hooks);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        std::vector<std::byte> frame(64);
        buildFrame(frame, 1, 7, 0);
        std::vector<std::byte> buffer(a.messageSize);
        GiveUpAfterSeconds reader;
        // Tries without waiting, giving the consumer turns between them: a subscriber subscribes when its own thread
        // next calls into libzmq, and a broadcast's producer sends nothing before that. Up to 5 s.
        bool sent = false;
        for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
             !sent && std::chrono::steady_clock::now() < deadline;) {
            TryOnce once;
            const Status st = (*producer)->send(frame, 0, once);
            sent = bool(st);
            QVERIFY2(sent || st.error().code == ErrorCode::Interrupted, st ? "" : st.error().message().c_str());
            if (!sent) {
                auto taken = (*consumer)->tryReceive(buffer, reader);
                QVERIFY2(taken && *taken == 0, "the consumer took something before anything was sent");
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
        QVERIFY2(sent, "the run's own producer could not send in 5 s");
        auto got = (*consumer)->receive(buffer, reader);
        QVERIFY2(got, got ? "" : got.error().message().c_str());
        FrameHeader header;
        QCOMPARE(checkFrame(std::span<const std::byte>(buffer).first(*got), header), FrameCheck::Ok);
        QCOMPARE(header.seq, 7ull); // the producer's, not a stranger's
        QCOMPARE(*(*consumer)->tryReceive(buffer, reader), std::size_t(0));
        producer->reset();
        consumer->reset();
        object->reset();
        for (const char* suffix : { "", ".key", ".pub", ".new" }) // the object removes what it made
            QVERIFY2(!exists(a.name + suffix), suffix);
    }

    // A Manager's server over zmq-tcp (ROUTER) listens on a loopback port too. A stranger's DEALER, without CURVE or
    // with a key it guessed, is refused; the run's client, which read the server's key from the private key file,
    // gets its request through, and nothing else reaches the server.
    void zmqTcpServerLetsOnlyTheRunsClientsIn()
    {
        ChannelAddress a = zmqTcpAddress("zmq-router");
        a.requests = true;
        auto object = ChannelObject::create(a);
        QVERIFY2(object, object ? "" : object.error().message().c_str());
        auto server = openZmqRequests(a, true);
        QVERIFY2(server, server ? "" : server.error().message().c_str());
        std::string endpoint;
        std::getline(std::ifstream(a.name), endpoint);
        QVERIFY2(endpoint.starts_with("tcp://127.0.0.1:"), endpoint.c_str()); // never all interfaces

        QCOMPARE(strangerSends(endpoint, nullptr, ZMQ_DEALER), std::string("refused"));
        char guessedPublic[41] = {};
        char guessedSecret[41] = {};
        QVERIFY(zmq_curve_keypair(guessedPublic, guessedSecret) == 0);
        QCOMPARE(strangerSends(endpoint, guessedPublic, ZMQ_DEALER), std::string("refused"));

        auto client = openZmqRequests(a, false);
        QVERIFY2(client, client ? "" : client.error().message().c_str());
        GiveUpAfterSeconds hooks;
        std::vector<std::byte> frame(64);
        buildFrame(frame, 1, 7, 0);
        QVERIFY(client->sending->send(frame, 0, hooks));
        std::vector<std::byte> buffer(a.messageSize);
        GiveUpAfterSeconds reader;
        auto got = server->receiving->receive(buffer, reader);
        QVERIFY2(got, got ? "" : got.error().message().c_str());
        FrameHeader header;
        QCOMPARE(checkFrame(std::span<const std::byte>(buffer).first(*got), header), FrameCheck::Ok);
        QCOMPARE(header.seq, 7ull); // the client's, not a stranger's
        QCOMPARE(*server->receiving->tryReceive(buffer, reader), std::size_t(0));
        client.value() = {};
        server.value() = {};
        object->reset();
        for (const char* suffix : { "", ".key", ".pub", ".new" }) // the object removes what it made
            QVERIFY2(!exists(a.name + suffix), suffix);
    }

    // The files a zmq-tcp producer reads must be private files of this user: a key file someone made readable, or
    // an endpoint file swapped for a symbolic link, is refused with a message, and nothing is connected. (It reads
    // the consumer's public key when the endpoint is published: between machines the key comes just before it.)
    void zmqTcpReadsOnlyPrivateFilesOfItsOwn()
    {
        const ChannelAddress a = zmqTcpAddress("zmq-files");
        auto object = ChannelObject::create(a);
        QVERIFY2(object, object ? "" : object.error().message().c_str());
        GiveUpAfterSeconds hooks;
        auto consumer = openConsumer(a);
        QVERIFY2(consumer, consumer ? "" : consumer.error().message().c_str());
        QVERIFY(chmod((a.name + ".pub").c_str(), 0644) == 0);
        {
            auto readable = openProducer(a, hooks);
            QVERIFY2(readable, readable ? "" : readable.error().message().c_str());
            std::vector<std::byte> frame(64);
            buildFrame(frame, 1, 1, 0);
            const Status refused = (*readable)->send(frame, 0, hooks);
            QVERIFY(!refused);
            QCOMPARE(refused.error().code, ErrorCode::PermissionDenied);
        }
        QVERIFY(chmod((a.name + ".pub").c_str(), 0600) == 0);
        // The endpoint, as a link to a copy of itself.
        const std::string copy = a.name + ".copy";
        {
            std::string endpoint;
            std::getline(std::ifstream(a.name), endpoint);
            std::ofstream(copy) << endpoint;
        }
        QVERIFY(chmod(copy.c_str(), 0600) == 0);
        QVERIFY(unlink(a.name.c_str()) == 0);
        QVERIFY(symlink(copy.c_str(), a.name.c_str()) == 0);
        auto producer = openProducer(a, hooks);
        QVERIFY2(producer, producer ? "" : producer.error().message().c_str());
        std::vector<std::byte> frame(64);
        buildFrame(frame, 1, 1, 0);
        const Status sent = (*producer)->send(frame, 0, hooks);
        QVERIFY(!sent);
        QVERIFY2(sent.error().code != ErrorCode::Interrupted, sent.error().message().c_str());
        producer->reset();
        consumer->reset();
        object->reset();
        QVERIFY(unlink(copy.c_str()) == 0);
        QVERIFY(!exists(a.name));
    }

    // Between machines, the producers' side writes what the consumers' hosts sent only when all of it is what a
    // consumer publishes: one entry per consumer, each a tcp:// endpoint or empty (not bound yet, or on another host),
    // and a key. Each endpoint is written as it first comes, its key just before it, so the producers reach every
    // consumer that has bound, each with its own host's key.
    void zmqTcpWritesOnlyTheEndpointsAHostMaySend()
    {
        ChannelAddress a = zmqTcpAddress("zmq-reach");
        a.consumerElsewhere = true;
        a.consumers = 3;
        auto object = ChannelObject::create(a);
        QVERIFY2(object, object ? "" : object.error().message().c_str());
        char key[41] = {}, secret[41] = {}, other[41] = {};
        QCOMPARE(zmq_curve_keypair(key, secret), 0);
        QCOMPARE(zmq_curve_keypair(other, secret), 0);
        const std::string first = "tcp://10.0.0.2:5555", second = "tcp://10.0.0.2:5556";
        const auto refused = [&](const ChannelObject::Reach& reach, const char* says) {
            const Status st = (*object)->publishReach(reach);
            QVERIFY(!st);
            QCOMPARE(st.error().code, ErrorCode::Corrupt);
            QVERIFY2(st.error().message().find(says) != std::string::npos, st.error().message().c_str());
        };
        refused({ { first }, key }, "1 endpoint for 3 consumers");
        refused({ { first, "10.0.0.2:5556", "" }, key }, "not one");
        refused({ { first, "tcp://10.0.0.2:5556;tcp://10.0.0.3:1", "" }, key }, "not one");
        refused({ { first, "", "" }, "short" }, "not one");
        QVERIFY(!exists(a.name + ".pub") && !exists(a.name) && !exists(a.name + ".1"));
        const auto read = [](const std::string& path) {
            std::string line;
            std::getline(std::ifstream(path), line);
            return line;
        };
        QVERIFY((*object)->publishReach({ { first, "", "" }, key }));
        QCOMPARE(read(a.name + ".pub"), std::string(key));
        QCOMPARE(read(a.name), first);
        QVERIFY(!exists(a.name + ".1") && !exists(a.name + ".1.pub")); // its consumer has not bound yet
        QVERIFY((*object)->publishReach({ { first, second, "" }, key }));
        QCOMPARE(read(a.name + ".1"), second);
        QCOMPARE(read(a.name + ".1.pub"), std::string(key));
        refused({ { first, second, "" }, other }, "another key");
        // The third consumer on another host, with that host's key: written beside its endpoint, the others' kept.
        const std::string third = "tcp://10.0.0.3:6000";
        QVERIFY((*object)->publishReach({ { "", "", third }, other }));
        QCOMPARE(read(a.name + ".2"), third);
        QCOMPARE(read(a.name + ".2.pub"), std::string(other));
        QCOMPARE(read(a.name + ".pub"), std::string(key));
        refused({ { "", "", third }, key }, "another key");
        object->reset();
        for (const char* end : { "", ".pub", ".1", ".1.pub", ".2", ".2.pub" })
            QVERIFY2(!exists(a.name + end), end);
    }

    void cleanupTestCase() { QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), "objects left behind"); }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"

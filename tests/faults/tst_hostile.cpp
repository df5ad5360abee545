// Hostile names and squatters: ipccore creates every object with O_EXCL and mode 0600 (even under umask 000), never
// adopts an object someone else made under the name it wanted, and never removes that object while backing out.
#include "test_support.h"

#include "ipccore/channel.h"
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
    }

    void squattedNameIsNotAdopted()
    {
        QFETCH(TransportKind, transport);
        QFETCH(QString, squat);
        ChannelAddress a;
        a.transport = transport;
        a.capacity = 4;
        a.messageSize = 64;
        const bool isPath = transport == TransportKind::Fifo || transport == TransportKind::Socket;
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
            QVERIFY(mkfifo(a.name.c_str(), 0666) == 0);
            squatterFile = a.name;
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
                QVERIFY(removePath(a.name));
            else
                QVERIFY(SharedMemory::unlink(a.name));
        }
        // ...and nothing of ours remains (for the ring: the shm and the semaphores made before the clash).
        QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), qPrintable(ipctest::leftoversOfThisProcess().join(", ")));
    }

    void cleanupTestCase() { QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), "objects left behind"); }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"

// SharedMemory: create/open contracts, size bounds, data shared with another process, and the checks open() makes
// before attaching (size, owner, mode).
#include "child_process.h"
#include "test_support.h"

#include "ipccore/limits.h"
#include "ipccore/shared_memory.h"

#include <QFileInfo>
#include <QtTest>

#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::ErrorCode)

namespace {
QString shmPath(const std::string& name)
{
    return QString::fromStdString("/dev/shm" + name);
}
} // namespace

class TestSharedMemory : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase()
    {
        const QStringList left = ipctest::leftoversOfThisProcess();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void createSizes_data()
    {
        QTest::addColumn<qulonglong>("size");
        QTest::addColumn<bool>("ok");
        QTest::newRow("0") << qulonglong(0) << false;
        QTest::newRow("1") << qulonglong(1) << true;
        QTest::newRow("page") << qulonglong(4096) << true;
        QTest::newRow("page+1") << qulonglong(4097) << true;
        // MaxShmBytes itself would reserve 1 GiB of /dev/shm on a shared CI machine, so only max+1 is checked.
        QTest::newRow("MaxShmBytes+1") << qulonglong(MaxShmBytes + 1) << false;
        QTest::newRow("huge") << qulonglong(std::size_t(1) << 62) << false;
    }

    void createSizes()
    {
        QFETCH(qulonglong, size);
        QFETCH(bool, ok);
        const std::string n = ipctest::uniqueName("size");
        auto shm = SharedMemory::create(n, std::size_t(size));
        QCOMPARE(bool(shm), ok);
        if (!ok) {
            QCOMPARE(shm.error().code, ErrorCode::InvalidArgument);
            QVERIFY(!QFileInfo::exists(shmPath(n)));
            return;
        }
        QCOMPARE(shm->size(), std::size_t(size));
        QVERIFY(shm->writable());
        QVERIFY(shm->ownsName());
        const auto* p = static_cast<const unsigned char*>(shm->data());
        for (std::size_t i = 0; i < shm->size(); ++i)
            QCOMPARE(p[i], 0); // zero-filled
        const QFileInfo info(shmPath(n));
        QVERIFY(info.exists());
        QCOMPARE(info.size(), qint64(size));
        struct stat st { };
        QCOMPARE(stat(info.filePath().toLocal8Bit().constData(), &st), 0);
        QCOMPARE(st.st_mode & 07777, mode_t(0600));
    }

    void createExclusiveOnExistingNameIsAlreadyExists()
    {
        const std::string n = ipctest::uniqueName("excl");
        auto first = SharedMemory::create(n, 64);
        QVERIFY(first);
        auto second = SharedMemory::create(n, 64);
        QVERIFY(!second);
        QCOMPARE(second.error().code, ErrorCode::AlreadyExists);
        QCOMPARE(first->size(), std::size_t(64)); // the loser did not truncate the winner's object
    }

    void openMissingIsNotFound()
    {
        const std::string n = ipctest::uniqueName("missing");
        auto shm = SharedMemory::open(n, Access::ReadOnly);
        QVERIFY(!shm);
        QCOMPARE(shm.error().code, ErrorCode::NotFound);
        QCOMPARE(SharedMemory::unlink(n).error().code, ErrorCode::NotFound);
    }

    void openExpectedSize_data()
    {
        QTest::addColumn<qulonglong>("expected");
        QTest::addColumn<bool>("ok");
        QTest::newRow("any (0)") << qulonglong(0) << true;
        QTest::newRow("exact") << qulonglong(1000) << true;
        QTest::newRow("smaller") << qulonglong(999) << false;
        QTest::newRow("larger") << qulonglong(1001) << false;
    }

    void openExpectedSize()
    {
        QFETCH(qulonglong, expected);
        QFETCH(bool, ok);
        const std::string n = ipctest::uniqueName("expect");
        auto owner = SharedMemory::create(n, 1000);
        QVERIFY(owner);
        auto opened = SharedMemory::open(n, Access::ReadOnly, std::size_t(expected));
        QCOMPARE(bool(opened), ok);
        if (ok) {
            QCOMPARE(opened->size(), std::size_t(1000));
            QVERIFY(!opened->writable());
            QVERIFY(!opened->ownsName());
        } else {
            QCOMPARE(opened.error().code, ErrorCode::Corrupt);
        }
    }

    void dataVisibleAcrossFork()
    {
        const std::string n = ipctest::uniqueName("fork");
        auto shm = SharedMemory::create(n, 8192);
        QVERIFY(shm);
        auto* bytes = static_cast<unsigned char*>(shm->data());
        for (std::size_t i = 0; i < 4096; ++i)
            bytes[i] = static_cast<unsigned char>(i * 7);
        // The child maps the object by name (not the inherited mapping), checks the parent's bytes and answers in
        // the second page.
        const pid_t child = ipctest::forkChild([&] {
            auto mine = SharedMemory::open(n, Access::ReadWrite, 8192);
            if (!mine)
                return 1;
            auto* p = static_cast<unsigned char*>(mine->data());
            for (std::size_t i = 0; i < 4096; ++i) {
                if (p[i] != static_cast<unsigned char>(i * 7))
                    return 2;
            }
            std::memcpy(p + 4096, "child was here", 15);
            return 0;
        });
        QVERIFY(child > 0);
        QCOMPARE(ipctest::waitChild(child), 0);
        QCOMPARE(QByteArray(reinterpret_cast<const char*>(bytes + 4096)), QByteArray("child was here"));
    }

    void writesThroughSecondMappingAreShared()
    {
        const std::string n = ipctest::uniqueName("twomaps");
        auto owner = SharedMemory::create(n, 64);
        QVERIFY(owner);
        auto other = SharedMemory::open(n, Access::ReadWrite, 64);
        QVERIFY(other);
        QVERIFY(other->data() != owner->data());
        static_cast<char*>(other->data())[10] = 'z';
        QCOMPARE(static_cast<const char*>(owner->data())[10], 'z');
    }

    void refusesObjectReadableByOthers_data()
    {
        QTest::addColumn<uint>("mode");
        QTest::addColumn<bool>("ok");
        QTest::newRow("0600") << 0600u << true;
        QTest::newRow("0644") << 0644u << false;
        QTest::newRow("0660") << 0660u << false;
        QTest::newRow("0606") << 0606u << false;
    }

    void refusesObjectReadableByOthers()
    {
        QFETCH(uint, mode);
        QFETCH(bool, ok);
        const std::string n = ipctest::uniqueName("mode");
        // Made with the raw calls, as another program would; the guard unlinks it whatever happens below.
        const int fd = shm_open(n.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
        QVERIFY(fd >= 0);
        const std::unique_ptr<const std::string, void (*)(const std::string*)> guard(
            &n, [](const std::string* p) { shm_unlink(p->c_str()); });
        QCOMPARE(ftruncate(fd, 4096), 0);
        QCOMPARE(fchmod(fd, mode_t(mode)), 0);
        close(fd);
        auto opened = SharedMemory::open(n, Access::ReadOnly);
        QCOMPARE(bool(opened), ok);
        if (!ok) {
            QCOMPARE(opened.error().code, ErrorCode::PermissionDenied);
            QVERIFY2(QString::fromStdString(opened.error().hint).contains(QString::number(mode, 8)),
                opened.error().hint.c_str());
        }
    }

    void refusesEmptyObject()
    {
        const std::string n = ipctest::uniqueName("empty");
        const int fd = shm_open(n.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
        QVERIFY(fd >= 0);
        close(fd);
        auto opened = SharedMemory::open(n, Access::ReadOnly);
        QVERIFY(SharedMemory::unlink(n));
        QVERIFY(!opened);
        QCOMPARE(opened.error().code, ErrorCode::Corrupt);
    }

    void unlinkSemantics()
    {
        const std::string n = ipctest::uniqueName("unlink");
        {
            auto owner = SharedMemory::create(n, 128);
            QVERIFY(owner);
            static_cast<char*>(owner->data())[0] = 'k';
            owner->release();
        }
        QVERIFY(QFileInfo::exists(shmPath(n))); // unmapping is not unlinking
        {
            auto opened = SharedMemory::open(n, Access::ReadOnly, 128);
            QVERIFY(opened);
            QCOMPARE(static_cast<const char*>(opened->data())[0], 'k');
            QVERIFY(SharedMemory::unlink(n));
            QVERIFY(!QFileInfo::exists(shmPath(n)));
            QCOMPARE(static_cast<const char*>(opened->data())[0], 'k'); // the mapping outlives the name
        }
        {
            auto owner = SharedMemory::create(n, 128);
            QVERIFY(owner);
        }
        QVERIFY(!QFileInfo::exists(shmPath(n))); // the owner unlinks on destruction
    }

    void badNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("no slash") << "noslash";
        QTest::newRow("slash only") << "/";
        QTest::newRow("inner slash") << "/a/b";
        QTest::newRow("dot dot") << "/..";
        QTest::newRow("sem. prefix") << "/sem.x";
        QTest::newRow("201 chars") << "/" + QString(201, 'm');
    }

    void badNames()
    {
        QFETCH(QString, name);
        const std::string n = name.toStdString();
        QCOMPARE(SharedMemory::create(n, 64).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(SharedMemory::open(n, Access::ReadOnly).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(SharedMemory::unlink(n).error().code, ErrorCode::InvalidArgument);
        if (name == "/sem.x")
            QVERIFY(!QFileInfo::exists("/dev/shm/sem.x"));
    }
};

QTEST_GUILESS_MAIN(TestSharedMemory)
#include "tst_shared_memory.moc"

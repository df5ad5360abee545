// NamedSemaphore: create/open contracts, counting, non-blocking and timed waits, a post from another process, the
// SEM_VALUE_MAX bounds and what unlink does to open handles.
#include "child_process.h"
#include "test_support.h"

#include "ipccore/semaphore.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QtTest>

#include <climits>

using namespace ipccore;

Q_DECLARE_METATYPE(ipccore::ErrorCode)

namespace {
// glibc keeps named semaphore NAME as /dev/shm/sem.NAME.
bool semaphoreFileExists(const std::string& name)
{
    return QFileInfo::exists(QString::fromStdString("/dev/shm/sem." + name.substr(1)));
}
} // namespace

class TestSemaphore : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase()
    {
        const QStringList left = ipctest::leftoversOfThisProcess();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void createExclusiveOnExistingNameIsAlreadyExists()
    {
        const std::string n = ipctest::uniqueName("excl");
        auto first = NamedSemaphore::create(n, 0);
        QVERIFY2(first, first ? "" : first.error().message().c_str());
        QVERIFY(first->ownsName());
        QVERIFY(semaphoreFileExists(n));
        auto second = NamedSemaphore::create(n, 0);
        QVERIFY(!second);
        QCOMPARE(second.error().code, ErrorCode::AlreadyExists);
        QCOMPARE(second.error().object, n);
    }

    void openMissingIsNotFound()
    {
        const std::string n = ipctest::uniqueName("missing");
        auto s = NamedSemaphore::open(n);
        QVERIFY(!s);
        QCOMPARE(s.error().code, ErrorCode::NotFound);
        QCOMPARE(NamedSemaphore::unlink(n).error().code, ErrorCode::NotFound);
        QVERIFY(!semaphoreFileExists(n));
    }

    void initialValue_data()
    {
        QTest::addColumn<uint>("initial");
        QTest::addColumn<bool>("ok");
        QTest::newRow("0") << 0u << true;
        QTest::newRow("1") << 1u << true;
        QTest::newRow("SEM_VALUE_MAX") << uint(SEM_VALUE_MAX) << true;
        QTest::newRow("SEM_VALUE_MAX+1") << uint(SEM_VALUE_MAX) + 1 << false;
        QTest::newRow("UINT_MAX") << uint(UINT_MAX) << false;
    }

    void initialValue()
    {
        QFETCH(uint, initial);
        QFETCH(bool, ok);
        const std::string n = ipctest::uniqueName("initial");
        auto s = NamedSemaphore::create(n, initial);
        QCOMPARE(bool(s), ok);
        if (ok) {
            QCOMPARE(*s->value(), int(initial));
            return;
        }
        QCOMPARE(s.error().code, ErrorCode::InvalidArgument);
        QVERIFY(QString::fromStdString(s.error().hint).contains("SEM_VALUE_MAX"));
        QVERIFY(!semaphoreFileExists(n));
    }

    void postAtMaximumIsLimitReached()
    {
        auto s = NamedSemaphore::create(ipctest::uniqueName("max"), unsigned(SEM_VALUE_MAX));
        QVERIFY(s);
        const Status st = s->post();
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::LimitReached);
        QCOMPARE(*s->value(), SEM_VALUE_MAX);
    }

    void valueAfterPosts_data()
    {
        QTest::addColumn<int>("posts");
        QTest::newRow("0") << 0;
        QTest::newRow("1") << 1;
        QTest::newRow("7") << 7;
        QTest::newRow("1000") << 1000;
    }

    void valueAfterPosts()
    {
        QFETCH(int, posts);
        const std::string n = ipctest::uniqueName("posts");
        auto s = NamedSemaphore::create(n, 0);
        QVERIFY(s);
        auto other = NamedSemaphore::open(n);
        QVERIFY(other);
        for (int i = 0; i < posts; ++i)
            QVERIFY(s->post());
        QCOMPARE(*s->value(), posts);
        QCOMPARE(*other->value(), posts); // one object, two handles
        for (int i = 0; i < posts; ++i)
            QVERIFY(other->tryWait());
        QCOMPARE(*s->value(), 0);
    }

    void tryWaitOnZeroIsWouldBlock()
    {
        auto s = NamedSemaphore::create(ipctest::uniqueName("try"), 1);
        QVERIFY(s);
        QVERIFY(s->tryWait());
        const Status st = s->tryWait();
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::WouldBlock);
        QCOMPARE(*s->value(), 0);
    }

    void waitForTimeout_data()
    {
        QTest::addColumn<int>("initial");
        QTest::addColumn<int>("timeoutMs");
        QTest::addColumn<bool>("acquired");
        QTest::newRow("available, 0") << 1 << 0 << true;
        QTest::newRow("available, 200ms") << 1 << 200 << true;
        QTest::newRow("zero, 0") << 0 << 0 << false;
        QTest::newRow("zero, 1ms") << 0 << 1 << false;
        QTest::newRow("zero, 200ms") << 0 << 200 << false;
        QTest::newRow("zero, negative") << 0 << -5 << false;
    }

    void waitForTimeout()
    {
        QFETCH(int, initial);
        QFETCH(int, timeoutMs);
        QFETCH(bool, acquired);
        auto s = NamedSemaphore::create(ipctest::uniqueName("timed"), unsigned(initial));
        QVERIFY(s);
        QElapsedTimer timer;
        timer.start();
        const Status st = s->waitFor(std::chrono::milliseconds(timeoutMs));
        const qint64 elapsedMs = timer.elapsed();
        QCOMPARE(bool(st), acquired);
        if (!acquired) {
            QCOMPARE(st.error().code, ErrorCode::TimedOut);
            QVERIFY2(elapsedMs >= std::max(timeoutMs, 0) - 1, qPrintable(QString::number(elapsedMs)));
        }
        QVERIFY2(elapsedMs < std::max(timeoutMs, 0) + 5000, qPrintable(QString::number(elapsedMs)));
        QCOMPARE(*s->value(), 0);
    }

    void postFromForkedChildWakesWaiter()
    {
        const std::string n = ipctest::uniqueName("wake");
        auto s = NamedSemaphore::create(n, 0);
        QVERIFY(s);
        const pid_t parent = getpid();
        const pid_t child = ipctest::forkChild([&] {
            auto other = NamedSemaphore::open(n);
            if (!other)
                return 1;
            ipctest::waitUntilSleeping(parent);
            return other->post() ? 0 : 2;
        });
        QVERIFY(child > 0);
        QVERIFY(s->wait());
        QCOMPARE(ipctest::waitChild(child), 0);
        QCOMPARE(*s->value(), 0);
    }

    void timedWaitWokenBeforeTimeout()
    {
        const std::string n = ipctest::uniqueName("wake-timed");
        auto s = NamedSemaphore::create(n, 0);
        QVERIFY(s);
        const pid_t parent = getpid();
        const pid_t child = ipctest::forkChild([&] {
            auto other = NamedSemaphore::open(n);
            if (!other)
                return 1;
            ipctest::waitUntilSleeping(parent);
            return other->post() ? 0 : 2;
        });
        QVERIFY(child > 0);
        const Status st = s->waitFor(std::chrono::seconds(30));
        QCOMPARE(ipctest::waitChild(child), 0);
        QVERIFY2(st, st ? "" : st.error().message().c_str());
    }

    void unlinkSemantics()
    {
        const std::string n = ipctest::uniqueName("unlink");
        {
            auto owner = NamedSemaphore::create(n, 2);
            QVERIFY(owner);
            owner->release();
        }
        QVERIFY(semaphoreFileExists(n)); // close is not unlink
        auto opened = NamedSemaphore::open(n);
        QVERIFY(opened);
        QVERIFY(!opened->ownsName());
        QCOMPARE(*opened->value(), 2);
        QVERIFY(NamedSemaphore::unlink(n));
        QVERIFY(!semaphoreFileExists(n));
        // The open handle still works on the unlinked object; the name is free again.
        QVERIFY(opened->post());
        QCOMPARE(*opened->value(), 3);
        QCOMPARE(NamedSemaphore::open(n).error().code, ErrorCode::NotFound);
        auto fresh = NamedSemaphore::create(n, 0);
        QVERIFY(fresh);
        QCOMPARE(*fresh->value(), 0);
        QCOMPARE(*opened->value(), 3);
    }

    void ownerUnlinksOnDestruction()
    {
        const std::string n = ipctest::uniqueName("owner");
        {
            auto owner = NamedSemaphore::create(n, 0);
            QVERIFY(owner);
            auto opened = NamedSemaphore::open(n);
            QVERIFY(opened);
            opened = NamedSemaphore::open(n); // destroying a non-owner keeps the name
            QVERIFY(semaphoreFileExists(n));
        }
        QVERIFY(!semaphoreFileExists(n));
    }

    void badNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("no slash") << "noslash";
        QTest::newRow("slash only") << "/";
        QTest::newRow("inner slash") << "/a/b";
        QTest::newRow("dot dot") << "/..";
        QTest::newRow("sem. prefix") << "/sem.x";
        QTest::newRow("201 chars") << "/" + QString(201, 's');
    }

    void badNames()
    {
        QFETCH(QString, name);
        const std::string n = name.toStdString();
        QCOMPARE(NamedSemaphore::create(n, 0).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(NamedSemaphore::open(n).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(NamedSemaphore::unlink(n).error().code, ErrorCode::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestSemaphore)
#include "tst_semaphore.moc"

// MessageQueue: the semantics posix_ipc's tests pin down (create-exclusive, open missing, close is not unlink,
// priority order, non-blocking and timed calls), the limits a student runs into, and name validation.
#include "child_process.h"
#include "test_support.h"

#include "ipccore/limits.h"
#include "ipccore/message_queue.h"
#include "ipccore/names.h"

#include <QElapsedTimer>
#include <QtTest>

#include <cstring>
#include <fcntl.h>
#include <mqueue.h>

using namespace ipccore;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(ipccore::ErrorCode)
Q_DECLARE_METATYPE(ipccore::Access)

namespace {

std::span<const std::byte> bytesOf(const std::string& text)
{
    return std::as_bytes(std::span(text.data(), text.size()));
}

std::string textOf(const std::vector<std::byte>& buffer, std::size_t size)
{
    return std::string(reinterpret_cast<const char*>(buffer.data()), size);
}

// /dev/mqueue is not mounted on the CI machines, so the leak check cannot list queues: ask the kernel instead.
bool queueExists(const std::string& name)
{
    const mqd_t q = mq_open(name.c_str(), O_RDONLY);
    if (q == mqd_t(-1))
        return false;
    mq_close(q);
    return true;
}

} // namespace

class TestMessageQueue : public QObject {
    Q_OBJECT

    std::vector<std::string> m_names; // every name handed out, checked at the end

    std::string name(const std::string& tag)
    {
        m_names.push_back(ipctest::uniqueName(tag));
        return m_names.back();
    }

private slots:
    void cleanupTestCase()
    {
        for (const std::string& n : m_names)
            QVERIFY2(!queueExists(n), n.c_str());
        const QStringList left = ipctest::leftoversOfThisProcess();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void createExclusiveOnExistingNameIsAlreadyExists()
    {
        const std::string n = name("excl");
        auto first = MessageQueue::create(n, 4, 64);
        QVERIFY2(first, first ? "" : first.error().message().c_str());
        QVERIFY(first->ownsName());
        auto second = MessageQueue::create(n, 4, 64);
        QVERIFY(!second);
        QCOMPARE(second.error().code, ErrorCode::AlreadyExists);
        QCOMPARE(second.error().sysErrno, EEXIST);
        QCOMPARE(second.error().object, n);
        QVERIFY(QString::fromStdString(second.error().message()).contains(QString::fromStdString(n)));
    }

    void openMissingIsNotFound()
    {
        const std::string n = name("missing");
        auto q = MessageQueue::open(n, Access::ReadOnly);
        QVERIFY(!q);
        QCOMPARE(q.error().code, ErrorCode::NotFound);
        QCOMPARE(q.error().sysErrno, ENOENT);
        QVERIFY(!MessageQueue::unlink(n));
        QCOMPARE(MessageQueue::unlink(n).error().code, ErrorCode::NotFound);
    }

    void closeIsNotUnlink()
    {
        const std::string n = name("survive");
        {
            auto q = MessageQueue::create(n, 4, 64, Access::WriteOnly);
            QVERIFY(q);
            QVERIFY(q->send(bytesOf("one")));
            QVERIFY(q->send(bytesOf("two")));
            q->release();
        }
        // The creating handle is gone; the messages are still in the kernel.
        auto reader = MessageQueue::open(n, Access::ReadOnly);
        QVERIFY2(reader, reader ? "" : reader.error().message().c_str());
        QVERIFY(!reader->ownsName());
        QCOMPARE(reader->attributes()->depth, 2);
        std::vector<std::byte> buffer(64);
        auto r = reader->tryReceive(buffer);
        QVERIFY(r);
        QCOMPARE(textOf(buffer, r->size), std::string("one"));
        QVERIFY(MessageQueue::unlink(n));
        // An open descriptor keeps an unlinked queue usable, but the name is gone.
        r = reader->tryReceive(buffer);
        QVERIFY(r);
        QCOMPARE(textOf(buffer, r->size), std::string("two"));
        QCOMPARE(MessageQueue::open(n, Access::ReadOnly).error().code, ErrorCode::NotFound);
    }

    void openHandleDoesNotUnlinkButOwnerDoes()
    {
        const std::string n = name("owner");
        auto owner = MessageQueue::create(n, 4, 64);
        QVERIFY(owner);
        {
            auto other = MessageQueue::open(n, Access::ReadWrite);
            QVERIFY(other);
            QVERIFY(other->send(bytesOf("kept")));
        }
        QCOMPARE(owner->attributes()->depth, 1);
        owner = MessageQueue::create(name("replacement"), 1, 32); // destroys the first handle
        QVERIFY(owner);
        QCOMPARE(MessageQueue::open(n, Access::ReadOnly).error().code, ErrorCode::NotFound);
    }

    void openModeContract_data()
    {
        QTest::addColumn<Access>("access");
        QTest::addColumn<bool>("canSend");
        QTest::addColumn<bool>("canReceive");
        QTest::newRow("ReadOnly") << Access::ReadOnly << false << true;
        QTest::newRow("WriteOnly") << Access::WriteOnly << true << false;
        QTest::newRow("ReadWrite") << Access::ReadWrite << true << true;
    }

    void openModeContract()
    {
        QFETCH(Access, access);
        QFETCH(bool, canSend);
        QFETCH(bool, canReceive);
        const std::string n = name("mode");
        auto owner = MessageQueue::create(n, 4, 64);
        QVERIFY(owner);
        QVERIFY(owner->send(bytesOf("x")));
        auto q = MessageQueue::open(n, access);
        QVERIFY(q);
        const Status sent = q->trySend(bytesOf("y"));
        QCOMPARE(bool(sent), canSend);
        if (!canSend)
            QCOMPARE(sent.error().code, ErrorCode::InvalidArgument);
        std::vector<std::byte> buffer(64);
        const auto received = q->tryReceive(buffer);
        QCOMPARE(bool(received), canReceive);
        if (!canReceive)
            QCOMPARE(received.error().code, ErrorCode::InvalidArgument);
    }

    void highestPriorityFirst()
    {
        auto q = MessageQueue::create(name("prio"), 8, 64);
        QVERIFY(q);
        const std::vector<std::pair<std::string, unsigned>> sent
            = { { "p1", 1 }, { "p5a", 5 }, { "p0", 0 }, { "p3", 3 }, { "p5b", 5 }, { "pmax", 32767 } };
        for (const auto& [text, prio] : sent)
            QVERIFY(q->send(bytesOf(text), prio));
        // Within one priority the order is FIFO.
        const std::vector<std::pair<std::string, unsigned>> expected
            = { { "pmax", 32767 }, { "p5a", 5 }, { "p5b", 5 }, { "p3", 3 }, { "p1", 1 }, { "p0", 0 } };
        std::vector<std::byte> buffer(64);
        for (const auto& [text, prio] : expected) {
            auto r = q->receive(buffer);
            QVERIFY(r);
            QCOMPARE(textOf(buffer, r->size), text);
            QCOMPARE(r->priority, prio);
        }
    }

    void priorityOutOfRange()
    {
        auto q = MessageQueue::create(name("prio-range"), 2, 64);
        QVERIFY(q);
        const Status st = q->send(bytesOf("x"), 32768);
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(q->attributes()->depth, 0);
    }

    void trySendOnFullIsWouldBlock()
    {
        auto q = MessageQueue::create(name("full"), 2, 64);
        QVERIFY(q);
        QVERIFY(q->trySend(bytesOf("a")));
        QVERIFY(q->trySend(bytesOf("b")));
        const Status st = q->trySend(bytesOf("c"));
        QVERIFY(!st);
        QCOMPARE(st.error().code, ErrorCode::WouldBlock);
        QCOMPARE(q->attributes()->depth, 2);
    }

    void tryReceiveOnEmptyIsWouldBlock()
    {
        auto q = MessageQueue::create(name("empty"), 2, 64);
        QVERIFY(q);
        std::vector<std::byte> buffer(64);
        const auto r = q->tryReceive(buffer);
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::WouldBlock);
    }

    // Documented in message_queue.h: timeout 0 behaves like try* (WouldBlock), > 0 gives TimedOut after it.
    void timeouts_data()
    {
        QTest::addColumn<bool>("sending");
        QTest::addColumn<int>("timeoutMs");
        QTest::addColumn<ErrorCode>("expected");
        QTest::newRow("receive 0") << false << 0 << ErrorCode::WouldBlock;
        QTest::newRow("receive 1ms") << false << 1 << ErrorCode::TimedOut;
        QTest::newRow("receive 200ms") << false << 200 << ErrorCode::TimedOut;
        QTest::newRow("send 0") << true << 0 << ErrorCode::WouldBlock;
        QTest::newRow("send 1ms") << true << 1 << ErrorCode::TimedOut;
        QTest::newRow("send 200ms") << true << 200 << ErrorCode::TimedOut;
    }

    void timeouts()
    {
        QFETCH(bool, sending);
        QFETCH(int, timeoutMs);
        QFETCH(ErrorCode, expected);
        auto q = MessageQueue::create(name("timeout"), 1, 64);
        QVERIFY(q);
        if (sending)
            QVERIFY(q->trySend(bytesOf("fill")));
        std::vector<std::byte> buffer(64);
        QElapsedTimer timer;
        timer.start();
        const Duration timeout = std::chrono::milliseconds(timeoutMs);
        const ErrorCode code = sending ? q->sendFor(bytesOf("more"), 0, timeout).error().code
                                       : q->receiveFor(buffer, timeout).error().code;
        const qint64 elapsedMs = timer.elapsed();
        QCOMPARE(code, expected);
        QVERIFY2(elapsedMs >= timeoutMs - 1, qPrintable(QString::number(elapsedMs)));
        QVERIFY2(elapsedMs < timeoutMs + 5000, qPrintable(QString::number(elapsedMs))); // liveness only
    }

    void blockingReceiveWokenByForkedSender()
    {
        const std::string n = name("wake");
        auto q = MessageQueue::create(n, 4, 64, Access::ReadOnly);
        QVERIFY(q);
        const pid_t parent = getpid();
        const pid_t child = ipctest::forkChild([&] {
            auto w = MessageQueue::open(n, Access::WriteOnly);
            if (!w)
                return 1;
            ipctest::waitUntilSleeping(parent);
            return w->send(bytesOf("wake up"), 7) ? 0 : 2;
        });
        QVERIFY(child > 0);
        std::vector<std::byte> buffer(64);
        auto r = q->receive(buffer);
        QCOMPARE(ipctest::waitChild(child), 0);
        QVERIFY(r);
        QCOMPARE(textOf(buffer, r->size), std::string("wake up"));
        QCOMPARE(r->priority, 7u);
    }

    void blockingSendWokenByForkedReceiver()
    {
        const std::string n = name("wake-send");
        auto q = MessageQueue::create(n, 1, 64, Access::WriteOnly);
        QVERIFY(q);
        QVERIFY(q->send(bytesOf("first")));
        const pid_t parent = getpid();
        const pid_t child = ipctest::forkChild([&] {
            auto r = MessageQueue::open(n, Access::ReadOnly);
            if (!r)
                return 1;
            ipctest::waitUntilSleeping(parent);
            std::vector<std::byte> buffer(64);
            auto got = r->receive(buffer);
            return got && textOf(buffer, got->size) == "first" ? 0 : 2;
        });
        QVERIFY(child > 0);
        QVERIFY(q->send(bytesOf("second"))); // blocks until the child made room
        QCOMPARE(ipctest::waitChild(child), 0);
        QCOMPARE(q->attributes()->depth, 1);
    }

    void depthFromAttributes()
    {
        auto q = MessageQueue::create(name("depth"), 5, 100);
        QVERIFY(q);
        auto a = q->attributes();
        QVERIFY(a);
        QCOMPARE(a->capacity, 5);
        QCOMPARE(a->messageSize, 100);
        QCOMPARE(a->depth, 0);
        for (int i = 1; i <= 5; ++i) {
            QVERIFY(q->trySend(bytesOf("m")));
            QCOMPARE(q->attributes()->depth, i);
        }
        std::vector<std::byte> buffer(100);
        QVERIFY(q->tryReceive(buffer));
        QCOMPARE(q->attributes()->depth, 4);
    }

    void createLimits_data()
    {
        const MqLimits limits = readMqLimits();
        QTest::addColumn<long>("capacity");
        QTest::addColumn<long>("messageSize");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<ErrorCode>("code");
        QTest::addColumn<QString>("hintNames");
        QTest::newRow("capacity 0") << 0l << 64l << false << ErrorCode::InvalidArgument << "capacity";
        QTest::newRow("capacity 1") << 1l << 64l << true << ErrorCode::Unexpected << "";
        QTest::newRow("capacity msg_max") << limits.msgMax << 64l << true << ErrorCode::Unexpected << "";
        QTest::newRow("capacity msg_max+1")
            << limits.msgMax + 1 << 64l << false << ErrorCode::LimitReached << "/proc/sys/fs/mqueue/msg_max";
        QTest::newRow("size 0") << 2l << 0l << false << ErrorCode::InvalidArgument << "message size";
        QTest::newRow("size 1") << 2l << 1l << true << ErrorCode::Unexpected << "";
        QTest::newRow("size msgsize_max") << 2l << limits.msgsizeMax << true << ErrorCode::Unexpected << "";
        QTest::newRow("size msgsize_max+1")
            << 2l << limits.msgsizeMax + 1 << false << ErrorCode::LimitReached << "/proc/sys/fs/mqueue/msgsize_max";
    }

    void createLimits()
    {
        QFETCH(long, capacity);
        QFETCH(long, messageSize);
        QFETCH(bool, ok);
        QFETCH(ErrorCode, code);
        QFETCH(QString, hintNames);
        const std::string n = name("limits");
        auto q = MessageQueue::create(n, capacity, messageSize);
        QCOMPARE(bool(q), ok);
        if (ok) {
            QCOMPARE(q->capacity(), capacity);
            QCOMPARE(q->messageSize(), messageSize);
            return;
        }
        QCOMPARE(q.error().code, code);
        QVERIFY2(QString::fromStdString(q.error().hint).contains(hintNames), q.error().hint.c_str());
        QVERIFY(!queueExists(n)); // nothing half-created
    }

    void messageSizeBoundaries_data()
    {
        QTest::addColumn<int>("size");
        QTest::addColumn<bool>("ok");
        QTest::newRow("0") << 0 << true;
        QTest::newRow("1") << 1 << true;
        QTest::newRow("max") << 64 << true;
        QTest::newRow("max+1") << 65 << false;
    }

    void messageSizeBoundaries()
    {
        QFETCH(int, size);
        QFETCH(bool, ok);
        auto q = MessageQueue::create(name("msgsize"), 2, 64);
        QVERIFY(q);
        const std::vector<std::byte> data(std::size_t(size), std::byte { 0x5a });
        const Status st = q->trySend(data);
        QCOMPARE(bool(st), ok);
        if (!ok) {
            QCOMPARE(st.error().code, ErrorCode::MessageTooLarge);
            QCOMPARE(q->attributes()->depth, 0);
            return;
        }
        std::vector<std::byte> buffer(64);
        auto r = q->tryReceive(buffer);
        QVERIFY(r);
        QCOMPARE(r->size, std::size_t(size));
    }

    void receiveBufferSmallerThanMessageSize()
    {
        auto q = MessageQueue::create(name("smallbuf"), 2, 64);
        QVERIFY(q);
        QVERIFY(q->trySend(bytesOf("x")));
        std::vector<std::byte> buffer(63);
        auto r = q->tryReceive(buffer);
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(q->attributes()->depth, 1); // the message was not consumed
    }

    void badNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("no slash") << "noslash";
        QTest::newRow("slash only") << "/";
        QTest::newRow("empty") << "";
        QTest::newRow("inner slash") << "/a/b";
        QTest::newRow("double slash") << "//x";
        QTest::newRow("dot") << "/.";
        QTest::newRow("dot dot") << "/..";
        QTest::newRow("sem. prefix") << "/sem.x";
        QTest::newRow("space") << "/a b";
        QTest::newRow("201 chars") << "/" + QString(201, 'n');
    }

    void badNames()
    {
        QFETCH(QString, name);
        const std::string n = name.toStdString();
        auto created = MessageQueue::create(n, 2, 64);
        QVERIFY(!created);
        QCOMPARE(created.error().code, ErrorCode::InvalidArgument);
        QVERIFY(!created.error().hint.empty());
        QCOMPARE(MessageQueue::open(n, Access::ReadOnly).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(MessageQueue::openOrCreate(n, 2, 64).error().code, ErrorCode::InvalidArgument);
        QCOMPARE(MessageQueue::unlink(n).error().code, ErrorCode::InvalidArgument);
        if (n.size() > 1 && n[0] == '/' && n.find('/', 1) == std::string::npos)
            QVERIFY(!queueExists(n)); // nothing reached the kernel
    }

    void longestNameIsAccepted()
    {
        std::string n = name("long");
        n.append(MaxNameLength + 1 - n.size(), 'x');
        QCOMPARE(n.size(), MaxNameLength + 1);
        m_names.push_back(n);
        auto q = MessageQueue::create(n, 1, 32);
        QVERIFY2(q, q ? "" : q.error().message().c_str());
    }

    void openOrCreateOwnership()
    {
        const std::string n = name("ooc");
        auto first = MessageQueue::openOrCreate(n, 4, 64);
        QVERIFY(first);
        QVERIFY(first->ownsName());
        {
            // The second call opens what the first created, whatever attributes it asks for.
            auto second = MessageQueue::openOrCreate(n, 2, 32);
            QVERIFY(second);
            QVERIFY(!second->ownsName());
            QCOMPARE(second->capacity(), 4);
            QCOMPARE(second->messageSize(), 64);
            QVERIFY(first->send(bytesOf("shared")));
            std::vector<std::byte> buffer(64);
            auto r = second->tryReceive(buffer);
            QVERIFY(r);
            QCOMPARE(textOf(buffer, r->size), std::string("shared"));
        }
        QVERIFY(queueExists(n)); // the non-owner left the name alone
        first = MessageQueue::create(name("ooc-other"), 1, 32);
        QVERIFY(!queueExists(n)); // the owner unlinked it
    }

    void movedFromHandleDoesNotUnlink()
    {
        const std::string n = name("move");
        auto q = MessageQueue::create(n, 2, 64);
        QVERIFY(q);
        MessageQueue moved = std::move(*q);
        q = MessageQueue::create(name("move-other"), 1, 32); // destroys the moved-from handle
        QVERIFY(queueExists(n));
        QVERIFY(moved.ownsName());
        QVERIFY(moved.trySend(bytesOf("still mine")));
    }
};

QTEST_GUILESS_MAIN(TestMessageQueue)
#include "tst_message_queue.moc"

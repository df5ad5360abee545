// `ipclab-cli ls` and scanSystemIpc(): every POSIX queue, semaphore and segment on the machine, made by programs
// that are not IPC Lab (the bundled Python demo, forked children of this test), listed with owner, mode, depth or
// value and the processes using them, without disturbing any of them.
#include "test_support.h"

#include "ipccore/system_ipc.h"
#include "ipccore/system_process.h"
#include "ipccore/system_watch.h"

#include "../core/child_process.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <fcntl.h>
#include <mqueue.h>
#include <pwd.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ipccore;
using namespace ipccore::systemipc;

namespace {

using CliResult = ipctest::ProgramResult;

// ipclab-cli with `args`; `asUser` (e.g. setpriv and its options) runs the copy `cli` through it.
CliResult runCli(const QStringList& args, const QString& cli = ipctest::cliPath(), const QStringList& asUser = {})
{
    if (asUser.isEmpty())
        return ipctest::runProgram(cli, args);
    return ipctest::runProgram(asUser.front(), asUser.mid(1) + QStringList { cli } + args);
}

bool mqueueMounted()
{
    SystemScanOptions options;
    options.processes = false;
    return scanSystemIpc(options).mqueueMounted;
}

// The object of `kind` named `name` in one `ls --json` listing, or an empty object.
QJsonObject findObject(const QJsonObject& listing, const QString& kind, const QString& name)
{
    for (const QJsonValue v : listing.value("objects").toArray())
        if (v["kind"].toString() == kind && v["name"].toString() == name)
            return v.toObject();
    return {};
}

QList<qint64> userPids(const QJsonObject& object)
{
    QList<qint64> pids;
    for (const QJsonValue u : object.value("users").toArray())
        pids << u["pid"].toInteger();
    return pids;
}

const SystemObject* findObject(const SystemListing& listing, SystemObjectKind kind, const std::string& name)
{
    for (const SystemObject& o : listing.objects)
        if (o.kind == kind && o.name == name)
            return &o;
    return nullptr;
}

std::string currentUserName()
{
    const passwd* pw = getpwuid(geteuid());
    return pw ? pw->pw_name : std::to_string(geteuid());
}

// A queue, a semaphore and a segment this test makes (mode 0600) and removes.
struct ThreeObjects {
    std::string queue = ipctest::uniqueName("lsq");
    std::string semaphore = ipctest::uniqueName("lss");
    std::string segment = ipctest::uniqueName("lsm");
    mqd_t q = mqd_t(-1);
    sem_t* sem = SEM_FAILED;
    int shm = -1;

    bool create(long messages, unsigned value)
    {
        mq_attr attr {};
        attr.mq_maxmsg = 8;
        attr.mq_msgsize = 32;
        q = mq_open(queue.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
        sem = sem_open(semaphore.c_str(), O_CREAT | O_EXCL, 0600, value);
        shm = shm_open(segment.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
        if (q == mqd_t(-1) || sem == SEM_FAILED || shm < 0 || ftruncate(shm, 12345) != 0)
            return false;
        for (long i = 0; i < messages; ++i) {
            const std::string text = "message " + std::to_string(i);
            if (mq_send(q, text.data(), text.size(), 0) != 0)
                return false;
        }
        return true;
    }
    ~ThreeObjects()
    {
        if (q != mqd_t(-1))
            mq_close(q);
        mq_unlink(queue.c_str());
        if (sem != SEM_FAILED)
            sem_close(sem);
        sem_unlink(semaphore.c_str());
        if (shm >= 0)
            close(shm);
        shm_unlink(segment.c_str());
    }
};

} // namespace

class TestSystemIpc : public QObject {
    Q_OBJECT

private slots:
    void decodeSemaphore_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("decoded");
        QTest::addColumn<quint32>("value");
        QTest::addColumn<quint32>("waiters");
        QTest::addRow("empty file") << QByteArray() << false << 0u << 0u;
        QTest::addRow("7 bytes") << QByteArray(7, '\0') << false << 0u << 0u;
        QTest::addRow("value 5") << QByteArray::fromHex("0500000000000000") << true << 5u << 0u;
        QTest::addRow("value 0, 3 waiting") << QByteArray::fromHex("0000000003000000") << true << 0u << 3u;
        QTest::addRow("largest value") << QByteArray::fromHex("ffffff7f01000000"
                                                              "0000000000000000")
                                       << true << 0x7fffffffu << 1u;
    }
    void decodeSemaphore()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, decoded);
        const auto word = systemipc::decodeSemaphore(std::string_view(bytes.constData(), std::size_t(bytes.size())));
        QCOMPARE(word.has_value(), decoded);
        if (word) {
            QTEST(word->value, "value");
            QTEST(word->waiters, "waiters");
        }
    }

    void parseShmMapping_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<bool>("parsed");
        QTest::addColumn<QString>("device");
        QTest::addColumn<QString>("file");
        QTest::addColumn<quint64>("inode");
        QTest::addColumn<bool>("deleted");
        const QString range = QStringLiteral("7f2a1c000000-7f2a1c001000 ");
        QTest::addRow("segment") << range + "rw-s 00000000 00:1a 1234                       /dev/shm/stats" << true
                                 << "00:1a"
                                 << "stats" << quint64(1234) << false;
        QTest::addRow("creator's semaphore")
            << range + "rw-s 00000000 00:1a 99 /dev/shm/sem.Xa9kQ2 (deleted)" << true << "00:1a"
            << "sem.Xa9kQ2" << quint64(99) << true;
        const auto refused = [&](const char* tag, const QString& line) {
            QTest::addRow("%s", tag) << line << false << QString() << QString() << quint64(0) << false;
        };
        refused("library", range + "r-xp 00000000 08:01 5555 /usr/lib/libc.so.6");
        refused("anonymous", range + "rw-p 00000000 00:00 0");
        refused("file in a folder", range + "rw-s 00000000 00:1a 7 /dev/shm/dir/x");
        refused("/dev/shm/ inside another path", range + "rw-s 00000000 08:01 1234 /tmp/x/dev/shm/stats");
        refused("no inode field", range + "rw-s /dev/shm/stats");
        refused("reversed range", "7f2a1c001000-7f2a1c000000 rw-s 00000000 00:1a 7 /dev/shm/stats");
    }
    void parseShmMapping()
    {
        QFETCH(QString, line);
        QFETCH(bool, parsed);
        const std::string text = line.toStdString();
        const auto m = systemipc::parseShmMapping(text);
        QCOMPARE(m.has_value(), parsed);
        if (m) {
            QTEST(QString::fromStdString(m->device), "device");
            QTEST(QString::fromStdString(m->file), "file");
            QTEST(quint64(m->inode), "inode");
            QTEST(m->deleted, "deleted");
            QVERIFY(m->end > m->start);
        }
    }

    void printableText_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("shown");
        QTest::addRow("plain") << QByteArray("/jobs-1") << "/jobs-1";
        QTest::addRow("escape sequence") << QByteArray("a\x1b[2Jb") << "a\\x1b[2Jb";
        QTest::addRow("newline and DEL") << QByteArray("a\n\x7f") << "a\\x0a\\x7f";
        QTest::addRow("accented letter") << QByteArray("caf\xc3\xa9") << QStringLiteral("caf\u00e9");
        QTest::addRow("emoji") << QByteArray("\xf0\x9f\x98\x80") << QString::fromUtf8("\xf0\x9f\x98\x80");
        QTest::addRow("not UTF-8") << QByteArray("\xff\xfe") << "\\xff\\xfe";
        QTest::addRow("overlong slash") << QByteArray("\xc0\xaf") << "\\xc0\\xaf";
        QTest::addRow("overlong three bytes") << QByteArray("\xe0\x80\xaf") << "\\xe0\\x80\\xaf";
        QTest::addRow("surrogate") << QByteArray("\xed\xa0\x80") << "\\xed\\xa0\\x80";
        QTest::addRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << "\\xf4\\x90\\x80\\x80";
        QTest::addRow("cut short") << QByteArray("a\xc3") << "a\\xc3";
        QTest::addRow("C1 control") << QByteArray("\xc2\x9b") << "\\xc2\\x9b";
        QTest::addRow("right-to-left override") << QByteArray("gpj.\xe2\x80\xae"
                                                              "exe")
                                                << "gpj.\\xe2\\x80\\xaeexe";
        QTest::addRow("zero-width space") << QByteArray("jo\xe2\x80\x8b"
                                                        "bs")
                                          << "jo\\xe2\\x80\\x8bbs";
    }
    void printableText()
    {
        QFETCH(QByteArray, bytes);
        const std::string shown
            = ipccore::printableText(std::string_view(bytes.constData(), std::size_t(bytes.size())));
        QTEST(QString::fromStdString(shown), "shown");
    }

    void parseSyscallLine_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("parsed");
        QTest::addColumn<qlonglong>("number");
        QTest::addColumn<quint64>("arg0");
        QTest::addRow("futex") << "202 0x7f9c2a4b3000 0x80 0x0 0x0 0x0 0x0 0x7ffd5e1c 0x7f9c2a\n"
                               << true << qlonglong(202) << quint64(0x7f9c2a4b3000);
        QTest::addRow("mq_timedsend on fd 3") << "242 0x3 0x7f00 0x5 0x0 0x0 0x0 0x7ffd 0x7f9c\n"
                                              << true << qlonglong(242) << quint64(3);
        QTest::addRow("running") << "running\n" << false << qlonglong(0) << quint64(0);
        QTest::addRow("outside a call") << "-1 0x7ffd5e1c 0x7f9c2a\n" << false << qlonglong(0) << quint64(0);
        QTest::addRow("empty") << "" << false << qlonglong(0) << quint64(0);
        QTest::addRow("no argument") << "202\n" << false << qlonglong(0) << quint64(0);
    }
    void parseSyscallLine()
    {
        QFETCH(QString, text);
        QFETCH(bool, parsed);
        const std::string line = text.toStdString();
        const auto call = systemipc::parseSyscallLine(line);
        QCOMPARE(call.has_value(), parsed);
        if (call) {
            QTEST(qlonglong(call->number), "number");
            QTEST(quint64(call->arg0), "arg0");
        }
    }

    // Depth, value and size as the objects' own calls report them; the owner and mode as made.
    void listsWhatTheObjectsHold()
    {
        ThreeObjects objects;
        QVERIFY(objects.create(3, 5));
        const SystemListing listing = scanSystemIpc();
        const SystemObject* q = findObject(listing, SystemObjectKind::MessageQueue, objects.queue);
        const SystemObject* s = findObject(listing, SystemObjectKind::Semaphore, objects.semaphore);
        const SystemObject* m = findObject(listing, SystemObjectKind::SharedMemory, objects.segment);
        if (!listing.mqueueMounted)
            QVERIFY(!listing.notes.empty() && listing.notes.front().find("mount -t mqueue") != std::string::npos);
        else {
            QVERIFY(q);
            QCOMPARE(q->depth.value_or(-1), 3L);
            QCOMPARE(q->capacity.value_or(-1), 8L);
            QCOMPARE(q->messageSize.value_or(-1), 32L);
            QCOMPARE(q->sizeBytes, std::uint64_t(3 * std::string("message 0").size()));
            QCOMPARE(q->owner, currentUserName());
            QCOMPARE(q->mode, 0600u);
        }
        QVERIFY(s);
        int value = -1;
        QCOMPARE(sem_getvalue(objects.sem, &value), 0);
        QCOMPARE(int(s->value.value_or(999)), value);
        QCOMPARE(s->waiters.value_or(999), 0u);
        QCOMPARE(s->mode, 0600u);
        QVERIFY(m);
        QCOMPARE(m->sizeBytes, std::uint64_t(12345));
        QVERIFY(m->lab && s->lab); // a test's names start with "/ipclab-t", as the lab's own do
        QVERIFY2(s->problem.empty() && m->problem.empty(), s->problem.c_str());
    }

    // A child asleep in sem_wait is a waiter of the semaphore, shown in sem_wait; a child asleep in mq_send on a
    // full queue is shown in mq_timedsend. Both found through /proc, in another process.
    void showsWhoSleepsOnWhat()
    {
        ThreeObjects objects;
        QVERIFY(objects.create(8, 0)); // the queue is full, the semaphore 0
        const pid_t waiter = ipctest::forkChild([&] { return sem_wait(objects.sem) == 0 ? 0 : 1; });
        const pid_t sender = ipctest::forkChild([&] { return mq_send(objects.q, "late", 4, 0) == 0 ? 0 : 1; });
        QVERIFY(waiter > 0 && sender > 0);
        QVERIFY(ipctest::waitUntilSleeping(waiter));
        QVERIFY(ipctest::waitUntilSleeping(sender));
        const SystemObject* s = nullptr;
        const SystemObject* q = nullptr;
        SystemListing listing;
        // "Sleeping" in /proc/PID/stat can come a moment before the futex word counts the waiter.
        QTRY_VERIFY_WITH_TIMEOUT(
            (listing = scanSystemIpc(), s = findObject(listing, SystemObjectKind::Semaphore, objects.semaphore),
                s && s->waiters.value_or(0) == 1),
            5000);
        QCOMPARE(s->value.value_or(999), 0u);
        const auto user = [](const SystemObject* o, pid_t pid) -> const ObjectUser* {
            for (const ObjectUser& u : o->users)
                if (u.pid == pid)
                    return &u;
            return nullptr;
        };
        QVERIFY(user(s, waiter));
        QCOMPARE(QString::fromStdString(user(s, waiter)->blockedIn), QStringLiteral("sem_wait"));
        QVERIFY(user(s, waiter)->hasMapped);
        if (listing.mqueueMounted) {
            q = findObject(listing, SystemObjectKind::MessageQueue, objects.queue);
            QVERIFY(q && user(q, sender));
            QCOMPARE(QString::fromStdString(user(q, sender)->blockedIn), QStringLiteral("mq_timedsend"));
            QCOMPARE(q->depth.value_or(-1), 8L);
            // The waiter has the queue too (a forked child inherits its descriptor): it waits elsewhere, and the
            // listing names where.
            QVERIFY(user(q, waiter));
            QCOMPARE(QString::fromStdString(user(q, waiter)->elsewhere),
                QStringLiteral("sem_wait on %1").arg(QString::fromStdString(objects.semaphore)));
        }
        // Let both go: the listing took nothing, so one post wakes the waiter and one receive makes room.
        QCOMPARE(sem_post(objects.sem), 0);
        char buffer[32];
        QVERIFY(mq_receive(objects.q, buffer, sizeof buffer, nullptr) >= 0);
        QCOMPARE(ipctest::waitChild(waiter), 0);
        QCOMPARE(ipctest::waitChild(sender), 0);
    }

    // Listing many times, also with --watch, takes no message, changes no value and removes nothing.
    void neverDisturbs()
    {
        ThreeObjects objects;
        QVERIFY(objects.create(4, 2));
        const QStringList before = ipctest::leftoversOfThisProcess();
        QCOMPARE(before.size(), mqueueMounted() ? 3 : 2);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(runCli({ "ls" }).exitCode, 0);
        const CliResult watched = runCli({ "ls", "--json", "--watch", "0.1", "--count", "3" });
        QCOMPARE(watched.exitCode, 0);
        const QStringList lines = watched.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3); // three listings, one JSON line each
        for (const QString& line : lines) { // each read what the objects hold
            const QJsonObject listing = QJsonDocument::fromJson(line.toUtf8()).object();
            QCOMPARE(findObject(listing, "semaphore", QString::fromStdString(objects.semaphore))["value"].toInt(), 2);
            if (listing["mqueue_mounted"].toBool())
                QCOMPARE(findObject(listing, "queue", QString::fromStdString(objects.queue))["depth"].toInt(), 4);
        }
        QCOMPARE(ipctest::leftoversOfThisProcess(), before);
        int value = -1;
        QCOMPARE(sem_getvalue(objects.sem, &value), 0);
        QCOMPARE(value, 2);
        for (int i = 0; i < 4; ++i) { // the same four messages, in order
            char buffer[32] = {};
            const ssize_t n = mq_receive(objects.q, buffer, sizeof buffer, nullptr);
            QCOMPARE(QByteArray(buffer, int(n)), QByteArray("message ") + QByteArray::number(i));
        }
        mq_attr attr {};
        QCOMPARE(mq_getattr(objects.q, &attr), 0);
        QCOMPARE(attr.mq_curmsgs, 0L);
    }

    // The bundled example program, run as a user would: its three objects are listed with owner, mode and
    // depth/value within 1 of the program's own counts, its processes among their users, and the producer shown
    // asleep in mq_timedsend on the full queue. The program removes its objects when stopped.
    void listsTheExampleProgram()
    {
        const QString script
            = QString::fromLocal8Bit(qgetenv("IPCLAB_SOURCE_DIR")) + "/resources/examples/posix_jobs.py";
        QVERIFY2(QFileInfo::exists(script), qPrintable(script));
        if (QStandardPaths::findExecutable(QStringLiteral("python3")).isEmpty())
            QSKIP("python3 is not installed (apt-get install python3)");
        QProcess demo;
        demo.start(QStringLiteral("python3"), { script, "--put-every", "0.01", "--handle-seconds", "60" });
        QVERIFY(demo.waitForStarted(10000));
        const qint64 pid = demo.processId();
        // "posix_jobs: producer P, consumer C, ..." then "sent S  handled H  queue D of 10  semaphore V" each second.
        QRegularExpression started(QStringLiteral("producer (\\d+), consumer (\\d+)"));
        QRegularExpression counts(QStringLiteral("sent (\\d+)  handled (\\d+)  queue (\\d+) of 10  semaphore (\\d+)"));
        QString output;
        QTRY_VERIFY_WITH_TIMEOUT((output += QString::fromLocal8Bit(demo.readAllStandardOutput()),
                                     output.contains(QStringLiteral("queue 10 of 10"))),
            15000);
        const auto ids = started.match(output);
        QVERIFY2(ids.hasMatch(), qPrintable(output));
        const qint64 producer = ids.captured(1).toLongLong();
        QRegularExpressionMatch full;
        for (auto it = counts.globalMatch(output); it.hasNext();)
            full = it.next();
        QVERIFY(full.hasMatch());

        const CliResult r = runCli({ "ls", "--json" });
        demo.terminate(); // SIGTERM: the program removes its objects
        QVERIFY(demo.waitForFinished(10000));
        QCOMPARE(r.exitCode, 0);
        const QJsonObject listing = QJsonDocument::fromJson(r.out.toUtf8()).object();
        const QString base = QStringLiteral("/demo-%1").arg(pid);
        const QJsonObject jobs = findObject(listing, "queue", base + "-jobs");
        const QJsonObject handled = findObject(listing, "semaphore", base + "-handled");
        const QJsonObject stats = findObject(listing, "segment", base + "-stats");
        const QString user = QString::fromStdString(currentUserName());
        if (listing.value("mqueue_mounted").toBool()) {
            QVERIFY2(!jobs.isEmpty(), qPrintable(r.out));
            QVERIFY(std::abs(jobs["depth"].toInt() - full.captured(3).toInt()) <= 1);
            QCOMPARE(jobs["capacity"].toInt(), 10);
            QCOMPARE(jobs["owner"].toString(), user);
            QCOMPARE(jobs["mode"].toString(), QStringLiteral("0600"));
            QVERIFY(userPids(jobs).contains(pid));
            QVERIFY(userPids(jobs).contains(producer));
            // Where the producer's calls may be read (root, or kernel.yama.ptrace_scope 0): it sleeps in mq_timedsend.
            if (QFile(QStringLiteral("/proc/%1/syscall").arg(producer)).open(QIODevice::ReadOnly))
                for (const QJsonValue u : jobs["users"].toArray())
                    if (u["pid"].toInteger() == producer)
                        QCOMPARE(u["blocked_in"].toString(), QStringLiteral("mq_timedsend"));
        }
        QVERIFY2(!handled.isEmpty() && !stats.isEmpty(), qPrintable(r.out));
        QVERIFY(std::abs(handled["value"].toInt() - full.captured(4).toInt()) <= 1);
        for (const QJsonObject& o : { handled, stats }) {
            QCOMPARE(o["owner"].toString(), user);
            QCOMPARE(o["mode"].toString(), QStringLiteral("0600"));
            QVERIFY2(userPids(o).contains(pid), qPrintable(QJsonDocument(o).toJson()));
        }
        QCOMPARE(stats["size_bytes"].toInt(), 4096);
        QCOMPARE(stats["lab"].toBool(), false);
        QTRY_VERIFY(ipctest::leftoverObjects(base.mid(1) + "-").isEmpty());
    }

    // Run as the user nobody, the listing shows this test's 0600 objects with their owner and mode and
    // "no permission" where their contents would be, exits 0 and writes nothing to stderr.
    void otherUsersObjectsAreNoPermission()
    {
        if (geteuid() != 0)
            QSKIP("listing as another user needs root (setpriv to the user nobody); run the suite as root");
        const passwd* nobody = getpwnam("nobody");
        if (!nobody)
            QSKIP("there is no user nobody to list as");
        ThreeObjects objects;
        QVERIFY(objects.create(2, 1));
        QTemporaryDir binaries;
        const QString cli = ipctest::copyForOtherUsers(ipctest::cliPath(), binaries.path());
        QVERIFY(!cli.isEmpty());
        const QStringList asNobody { "setpriv", QStringLiteral("--reuid=%1").arg(nobody->pw_uid),
            QStringLiteral("--regid=%1").arg(nobody->pw_gid), "--clear-groups" };
        const CliResult r = runCli({ "ls", "--json" }, cli, asNobody);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.err, QString());
        const QJsonObject listing = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QVERIFY(listing["processes_unreadable"].toInt() > 0); // this test process, at least
        const QJsonObject s = findObject(listing, "semaphore", QString::fromStdString(objects.semaphore));
        QVERIFY2(!s.isEmpty(), qPrintable(r.out));
        QCOMPARE(s["owner"].toString(), QStringLiteral("root"));
        QCOMPARE(s["mode"].toString(), QStringLiteral("0600"));
        QVERIFY(!s.contains("value"));
        QVERIFY2(s["problem"].toString().startsWith("no permission"), qPrintable(s["problem"].toString()));
        QVERIFY(!findObject(listing, "segment", QString::fromStdString(objects.segment)).isEmpty());
        if (listing["mqueue_mounted"].toBool()) {
            const QJsonObject q = findObject(listing, "queue", QString::fromStdString(objects.queue));
            QVERIFY(!q.isEmpty() && !q.contains("depth"));
            QVERIFY(!q.contains("size_bytes")); // unknown, not 0
            QVERIFY(q["problem"].toString().startsWith("no permission"));
            QVERIFY2(q["problem"].toString().endsWith("Run as root (sudo ipclab-cli ls)"),
                qPrintable(q["problem"].toString()));
        }
        // The table says it once, with the remedy, not once per object.
        const CliResult text = runCli({ "ls" }, cli, asNobody);
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains("no permission") && text.out.contains("run as the owner or as root"),
            qPrintable(text.out));
        QCOMPARE(text.out.count(QStringLiteral("could not be read (no permission)")), 1);
        // This test process uses the objects, but nobody may not look into it: "none seen", never "none".
        QVERIFY2(text.out.contains("none seen") && !text.out.contains(QRegularExpression("\\bnone\\n")),
            qPrintable(text.out));
    }

    // Without /dev/mqueue (a private mount namespace in which it is unmounted), a queue a process holds open is
    // still found through its descriptor, and the note says how to mount the directory.
    void queuesWithoutDevMqueue()
    {
        if (geteuid() != 0)
            QSKIP("unmounting /dev/mqueue in a private mount namespace needs root (unshare -m)");
        ThreeObjects objects;
        QVERIFY(objects.create(1, 0));
        const QString script = QStringLiteral("umount /dev/mqueue 2>/dev/null; exec \"$0\" ls --json");
        const CliResult r = ipctest::runProgram(
            QStringLiteral("unshare"), { "-m", "--propagation", "private", "sh", "-c", script, ipctest::cliPath() });
        if (r.exitCode != 0 && r.err.contains("unshare"))
            QSKIP(qPrintable("unshare -m is not permitted here: " + r.err));
        QCOMPARE(r.exitCode, 0);
        const QJsonObject listing = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(listing["mqueue_mounted"].toBool(), false);
        QVERIFY(listing["notes"].toArray().first().toString().contains("mount -t mqueue none /dev/mqueue"));
        const QJsonObject q = findObject(listing, "queue", QString::fromStdString(objects.queue));
        QVERIFY2(!q.isEmpty(), qPrintable(r.out));
        QCOMPARE(q["listed"].toBool(), false);
        QCOMPARE(q["depth"].toInt(), 1);
        QVERIFY(userPids(q).contains(qint64(getpid())));
    }

    // Files another user may have planted in /dev/shm: names with terminal escapes or bytes that are not UTF-8, a
    // "semaphore" of the wrong size, a FIFO and a symbolic link under semaphore names. The FIFO and the link are not
    // listed (they are not POSIX objects), no name drives the terminal, and the JSON stays valid.
    void plantedFilesAreListedSafely()
    {
        const std::string prefix = ipctest::uniqueName("planted").substr(1);
        const std::string escape = prefix + "-esc\x1b[2J";
        const std::string notUtf8 = prefix + "-bad\xff\xfe";
        const std::string shortSem = "sem." + prefix + "-short";
        const std::string fifo = "sem." + prefix + "-fifo";
        const std::string link = "sem." + prefix + "-link";
        const auto path = [](const std::string& file) { return "/dev/shm/" + file; };
        for (const std::string& file : { escape, notUtf8, shortSem }) {
            const int fd = open(path(file).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
            QVERIFY(fd >= 0);
            QCOMPARE(write(fd, "abc", 3), ssize_t(3));
            close(fd);
        }
        QCOMPARE(mkfifo(path(fifo).c_str(), 0600), 0);
        QCOMPARE(symlink("/etc/passwd", path(link).c_str()), 0);
        const CliResult text = runCli({ "ls" });
        const CliResult json = runCli({ "ls", "--json" });
        for (const std::string& file : { escape, notUtf8, shortSem, fifo, link })
            unlink(path(file).c_str());
        QCOMPARE(text.exitCode, 0);
        QVERIFY(!text.out.contains(QChar(0x1b)));
        QVERIFY2(text.out.contains(QString::fromStdString(prefix) + "-esc\\x1b[2J"), qPrintable(text.out));
        QVERIFY(text.out.contains(QString::fromStdString(prefix) + "-bad\\xff\\xfe"));
        QVERIFY(!text.out.contains(QString::fromStdString(prefix) + "-fifo"));
        QVERIFY(!text.out.contains(QString::fromStdString(prefix) + "-link"));
        QCOMPARE(json.exitCode, 0);
        QJsonParseError error;
        const QJsonObject listing = QJsonDocument::fromJson(json.out.toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        const QJsonObject sem = findObject(listing, "semaphore", "/" + QString::fromStdString(prefix) + "-short");
        QVERIFY2(sem["problem"].toString().startsWith("not a semaphore: its file holds 3 bytes"), qPrintable(json.out));
        QVERIFY(!sem.contains("value"));
    }

    // SystemWatch reads what the objects hold at each sample, takes nothing, follows a name removed and made again,
    // and says when a name is gone.
    void watchFollowsTheObjects()
    {
        ThreeObjects objects;
        QVERIFY(objects.create(2, 3));
        const bool queues = mqueueMounted();
        SystemWatch watch({ { SystemObjectKind::MessageQueue, objects.queue },
            { SystemObjectKind::Semaphore, objects.semaphore }, { SystemObjectKind::SharedMemory, objects.segment } });
        for (int i = 0; i < 20; ++i) { // reading disturbs nothing
            const auto r = watch.sample();
            QCOMPARE(r.size(), std::size_t(3));
            QCOMPARE(r[0].depth.value_or(-1), 2L);
            QCOMPARE(r[0].capacity.value_or(-1), 8L);
            QCOMPARE(r[1].value.value_or(999), 3u);
            QCOMPARE(r[2].sizeBytes, std::uint64_t(12345));
            QVERIFY(r[0].present && r[1].present && r[2].present);
        }
        QCOMPARE(mq_send(objects.q, "x", 1, 0), 0);
        QCOMPARE(sem_post(objects.sem), 0);
        QCOMPARE(ftruncate(objects.shm, 100), 0);
        auto r = watch.sample();
        QCOMPARE(r[0].depth.value_or(-1), 3L);
        QCOMPARE(r[1].value.value_or(999), 4u);
        QCOMPARE(r[2].sizeBytes, std::uint64_t(100));
        QCOMPARE(QString::fromStdString(watchReadingText(watch.targets()[1], r[1])), QStringLiteral("value 4"));
        QCOMPARE(QString::fromStdString(watchReadingText(watch.targets()[0], r[0])), QStringLiteral("3 of 8"));

        // The semaphore removed and made again under its name, with another value: the new one is read.
        QCOMPARE(sem_unlink(objects.semaphore.c_str()), 0);
        r = watch.sample();
        QVERIFY(!r[1].present);
        QCOMPARE(QString::fromStdString(watchReadingText(watch.targets()[1], r[1])), QStringLiteral("gone"));
        sem_t* again = sem_open(objects.semaphore.c_str(), O_CREAT | O_EXCL, 0600, 7);
        QVERIFY(again != SEM_FAILED);
        r = watch.sample();
        QCOMPARE(r[1].value.value_or(999), 7u);
        sem_close(again);
        if (queues) {
            QCOMPARE(mq_unlink(objects.queue.c_str()), 0);
            QVERIFY(!watch.sample()[0].present);
        }
    }

    // `ipclab-cli watch` as a user runs it: one JSON line per sample with the semaphore's value and its waiter.
    void watchCommand()
    {
        ThreeObjects objects;
        QVERIFY(objects.create(1, 0));
        const pid_t waiter = ipctest::forkChild([&] { return sem_wait(objects.sem) == 0 ? 0 : 1; });
        QVERIFY(waiter > 0 && ipctest::waitUntilSleeping(waiter));
        const CliResult r = runCli(
            { "watch", QString::fromStdString(objects.semaphore), "--hz", "50", "--seconds", "0.5", "--json" });
        QCOMPARE(sem_post(objects.sem), 0);
        QCOMPARE(ipctest::waitChild(waiter), 0);
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QVERIFY2(lines.size() >= 10 && lines.size() <= 26, qPrintable(QString::number(lines.size()))); // 50 Hz, 0.5 s
        const QJsonObject last = QJsonDocument::fromJson(lines.last().toUtf8()).object();
        const QJsonObject sem = last["objects"].toArray().first().toObject();
        QCOMPARE(sem["kind"].toString(), QStringLiteral("semaphore"));
        QCOMPARE(sem["value"].toInt(), 0);
        QCOMPARE(sem["waiters"].toInt(), 1);

        const CliResult text = runCli({ "watch", QString::fromStdString(objects.segment), "--seconds=0.15" });
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(
            text.out.contains("segment " + QString::fromStdString(objects.segment)) && text.out.contains("12.1 KiB"),
            qPrintable(text.out));
    }

    // --watch shows each depth's and value's change, marks new objects and names vanished ones.
    void watchShowsChanges()
    {
        SystemListing before;
        SystemObject q;
        q.kind = SystemObjectKind::MessageQueue;
        q.name = "/jobs";
        q.owner = "ada";
        q.mode = 0600;
        q.depth = 3;
        q.capacity = 10;
        SystemObject gone = q;
        gone.name = "/old";
        before.objects = { q, gone };
        SystemListing now;
        q.depth = 10;
        SystemObject sem;
        sem.kind = SystemObjectKind::Semaphore;
        sem.name = "/lock";
        sem.value = 0;
        sem.waiters = 2;
        now.objects = { q, sem };
        const QString text = QString::fromStdString(systemListingToText(now, &before));
        QVERIFY2(text.contains(QRegularExpression("/jobs .* 10 of 10 \\(full\\) \\+7")), qPrintable(text));
        QVERIFY2(
            text.contains(QRegularExpression("new\\s+semaphore\\s+/lock .*value 0 \\(2 waiting\\)")), qPrintable(text));
        QVERIFY2(text.contains("gone since the last listing: queue /old"), qPrintable(text));
    }

    // ls and watch refuse bad input with exit status 2, a message naming it, and nothing on stdout.
    void badOptions_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::addRow("unknown option") << QStringList { "ls", "--all" } << "unknown option '--all'";
        QTest::addRow("misspelt --json") << QStringList { "ls", "--jsn" } << "did you mean --json?";
        QTest::addRow("a name") << QStringList { "ls", "/jobs" }
                                << "takes no name ('/jobs'): to follow a few objects, "
                                   "use ipclab-cli watch";
        QTest::addRow("watch= without value") << QStringList { "ls", "--watch=" } << "--watch: ''";
        QTest::addRow("watch without value") << QStringList { "ls", "--watch" } << "--watch needs a value";
        QTest::addRow("watch not a number") << QStringList { "ls", "--watch", "soon" } << "--watch: 'soon'";
        QTest::addRow("watch 0") << QStringList { "ls", "--watch", "0" } << "from 0.1 to 3600";
        QTest::addRow("watch nan") << QStringList { "ls", "--watch", "nan" } << "from 0.1 to 3600";
        QTest::addRow("count 0") << QStringList { "ls", "--watch", "1", "--count", "0" } << "at least 1";
        QTest::addRow("count without watch") << QStringList { "ls", "--count", "2" } << "give --watch SECONDS too";
        QTest::addRow("no name") << QStringList { "watch" } << "name at least one queue";
        QTest::addRow("not a name") << QStringList { "watch", "jobs" } << "'jobs' is not an object's name";
        QTest::addRow("unknown name") << QStringList { "watch", "/ipclab-no-such-object" }
                                      << "no queue, semaphore or segment is named /ipclab-no-such-object";
        QTest::addRow("hz 0") << QStringList { "watch", "--hz", "0", "/x" } << "--hz: '0' is not a number more than 0";
        QTest::addRow("hz too high") << QStringList { "watch", "--hz", "5000", "/x" } << "at most 1000";
        QTest::addRow("seconds nan") << QStringList { "watch", "--seconds", "nan", "/x" } << "--seconds: 'nan'";
        QTest::addRow("unknown option") << QStringList { "watch", "--fast", "/x" } << "unknown option '--fast'";
        QTest::addRow("misspelt --json") << QStringList { "watch", "--jsn", "/x" } << "did you mean --json?";
        QTest::addRow("hz= not a number") << QStringList { "watch", "--hz=lots", "/x" } << "--hz: 'lots'";
    }
    void badOptions()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const CliResult r = runCli(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QCOMPARE(r.out, QString());
    }

    // --watch=SECONDS and --count=N, as most tools accept them.
    void attachedValues()
    {
        const CliResult r = runCli({ "ls", "--json", "--watch=0.1", "--count=2" });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.split('\n', Qt::SkipEmptyParts).size(), 2);
    }

    // /proc/PID/stat: the command name may hold spaces and ')'; fields are counted after the last ')'.
    void parseProcessStat_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<bool>("parsed");
        QTest::addColumn<QChar>("state");
        QTest::addColumn<quint64>("cpu");
        QTest::addColumn<quint64>("start");
        const QString tail = QStringLiteral(" 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n");
        QTest::addRow("plain") << "8917 (python3) S 1 8917 8917 0 -1 4194304 890 0 0 0 120 30 0 0 20 0 1 0 555777"
                + tail << true << QChar('S')
                               << quint64(150) << quint64(555777);
        QTest::addRow("name with ') S '") << "42 (a) S (b) T 1 42 42 0 -1 0 0 0 0 0 7 5 0 0 20 0 1 0 99" + tail << true
                                          << QChar('T') << quint64(12) << quint64(99);
        QTest::addRow("no closing bracket") << "42 (abc S 1 2" << false << QChar() << quint64(0) << quint64(0);
        QTest::addRow("cut short") << "42 (abc) S 1 2 3" << false << QChar() << quint64(0) << quint64(0);
        QTest::addRow("not a number") << "42 (x) R 1 42 42 0 -1 0 0 0 0 0 x 5 0 0 20 0 1 0 99" + tail << false
                                      << QChar() << quint64(0) << quint64(0);
    }
    void parseProcessStat()
    {
        QFETCH(QString, line);
        QFETCH(bool, parsed);
        ipccore::ProcessInfo info;
        const std::string text = line.toStdString();
        QCOMPARE(ipccore::parseProcessStat(text, info), parsed);
        if (parsed) {
            QTEST(QChar(info.state), "state");
            QTEST(quint64(info.cpuTicks), "cpu");
            QTEST(quint64(info.startTicks), "start");
        }
    }

    // This process and a child as /proc shows them; a child's pid with another start time is never signalled.
    void readsAndSignalsProcesses()
    {
        const ipccore::ProcessInfo self = ipccore::readProcessInfo(int(getpid()));
        QVERIFY(self.exists);
        QVERIFY2(QString::fromStdString(self.commandLine).contains("tst_system_ipc"), self.commandLine.c_str());
        QCOMPARE(self.uid, std::uint32_t(getuid()));
        QVERIFY(!self.owner.empty());
        QVERIFY(self.startTicks > 0);
        QCOMPARE(self.ppid, int(getppid()));
        QVERIFY(!ipccore::readProcessInfo(0).exists);

        const pid_t child = ipctest::forkChild([] {
            std::signal(SIGTERM, SIG_DFL); // not the test library's handler, which prints a stack trace
            pause();
            return 0;
        });
        QVERIFY(child > 0);
        ipctest::ChildGuard guard(child);
        QVERIFY(ipctest::waitUntilSleeping(child));
        const ipccore::ProcessInfo info = ipccore::readProcessInfo(child);
        QVERIFY(info.exists);
        QCOMPARE(info.state, 'S');
        QCOMPARE(QString::fromLatin1(ipccore::processStateName(info.state)), QStringLiteral("sleeping"));

        // Another start time: as if the pid had been handed to a new process. Refused, and the child lives on.
        const std::string refused = ipccore::signalProcess(child, info.startTicks + 1, SIGKILL);
        QVERIFY2(refused.find("has exited") != std::string::npos, refused.c_str());
        QTest::qWait(100);
        QVERIFY(ipccore::readProcessInfo(child).exists);
        QCOMPARE(ipccore::readProcessInfo(child).state, 'S');

        QCOMPARE(ipccore::signalProcess(child, info.startTicks, SIGTERM), std::string());
        guard.release();
        QCOMPARE(ipctest::waitChild(child), 128 + SIGTERM);
        const std::string gone = ipccore::signalProcess(child, info.startTicks, SIGKILL);
        QVERIFY2(gone.find("has exited") != std::string::npos, gone.c_str());
    }

    // The first bytes of a segment, read without mapping it; a symbolic link planted in /dev/shm is not followed.
    void readsTheFirstBytesOfASegment()
    {
        const std::string name = ipctest::uniqueName("peek");
        const std::string link = ipctest::uniqueName("peek-link");
        const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
        QVERIFY(fd >= 0);
        const auto cleanup = qScopeGuard([&] {
            close(fd);
            shm_unlink(name.c_str());
            unlink(("/dev/shm" + link).c_str());
        });
        const std::string bytes("Hi\0\x01\xff", 5);
        QCOMPARE(pwrite(fd, bytes.data(), bytes.size(), 0), ssize_t(bytes.size()));
        std::string problem;
        const auto start = ipccore::readSegmentStart(name, 256, problem);
        QVERIFY2(start.has_value(), problem.c_str());
        QCOMPARE(*start, bytes); // the size is 5: no more
        QCOMPARE(ipccore::hexDumpText(*start),
            std::string("00000000  48 69 00 01 ff                                    |Hi...|\n"));
        QCOMPARE(ipccore::hexDumpText(std::string(17, 'A')).substr(79),
            std::string("00000010  41                                                |A|\n"));

        QCOMPARE(symlink(("/dev/shm" + name).c_str(), ("/dev/shm" + link).c_str()), 0);
        QVERIFY(!ipccore::readSegmentStart(link, 16, problem));
        QVERIFY2(problem.find("is a symbolic link, not a segment") != std::string::npos, problem.c_str());
        QVERIFY(!ipccore::readSegmentStart("/../etc/passwd", 16, problem));
        QVERIFY2(problem.find("is not a segment's name") != std::string::npos, problem.c_str());
        QVERIFY(!ipccore::readSegmentStart(name + "-none", 16, problem));
        QVERIFY2(problem.find("no longer exists") != std::string::npos, problem.c_str());
    }
};

QTEST_GUILESS_MAIN(TestSystemIpc)
#include "tst_system_ipc.moc"

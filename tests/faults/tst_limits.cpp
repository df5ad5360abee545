// Resource limits a student can hit, each provoked for real inside a private namespace so the rest of the machine
// (and tests running in parallel) are not disturbed: a full /dev/shm (a 1 MiB tmpfs in a private mount namespace),
// the system-wide queue count (fs.mqueue.queues_max, in a private IPC namespace) and the per-user queue budget
// RLIMIT_MSGQUEUE. Each must give one message naming the limit and its remedy, and leave nothing half-made.
#include "test_support.h"

#include "ipccore/message_queue.h"
#include "ipccore/runner.h"
#include "ipccore/shared_memory.h"

#include <QDir>
#include <QtTest>

#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ipccore;

namespace {

// Runs body in a forked child and returns its exit status; the child reports failures on stderr.
// 77 means "cannot run here" (no permission for the namespace).
int inChild(const std::function<int()>& body)
{
    const pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int check(bool ok, const std::string& what)
{
    if (!ok)
        std::fprintf(stderr, "check failed: %s\n", what.c_str());
    return ok ? 0 : 1;
}

constexpr int Skip = 77;

} // namespace

class TestLimits : public QObject {
    Q_OBJECT
private slots:
    void fullDevShm()
    {
        const int rc = inChild([] {
            if (unshare(CLONE_NEWNS) != 0)
                return Skip;
            if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0
                || mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=1m,mode=1777") != 0)
                return Skip;
            const std::string name = ipctest::uniqueName("big");
            auto shm = SharedMemory::create(name, 8u << 20);
            if (int r = check(!shm, "an 8 MiB object cannot fit a 1 MiB /dev/shm"))
                return r;
            if (int r = check(shm.error().code == ErrorCode::LimitReached, "LimitReached: " + shm.error().message()))
                return r;
            if (int r = check(shm.error().message().find("/dev/shm") != std::string::npos,
                    "message names /dev/shm: " + shm.error().message()))
                return r;
            std::fprintf(stderr, "message: %s\n", shm.error().message().c_str());
            // Nothing half-made: the object was unlinked after posix_fallocate failed.
            if (int r = check(QDir(QStringLiteral("/dev/shm")).entryList(QDir::Files | QDir::System).isEmpty(),
                    "/dev/shm is empty after the failure"))
                return r;

            // The same through the runner: a ring too big for /dev/shm fails at start, with nothing left.
            Scenario s;
            s.name = "too-big";
            s.objects.push_back({ "ring", TransportKind::ShmRing, 64, 65536 });
            RunOptions options;
            options.workerPath = ipctest::workerPath().toStdString();
            auto runner = Runner::start(s, options);
            if (int r = check(!runner, "a 4 MiB ring cannot start in a 1 MiB /dev/shm"))
                return r;
            std::fprintf(stderr, "runner message: %s\n", runner.error().message().c_str());
            if (int r = check(runner.error().message().find("/dev/shm") != std::string::npos,
                    "runner message names /dev/shm: " + runner.error().message()))
                return r;
            return check(QDir(QStringLiteral("/dev/shm")).entryList(QDir::Files | QDir::System).isEmpty(),
                "/dev/shm is empty after the failed start");
        });
        if (rc == Skip)
            QSKIP("no permission for a private mount namespace (needs root or user namespaces)");
        QCOMPARE(rc, 0);
    }

    void queuesMax()
    {
        const int rc = inChild([] {
            if (unshare(CLONE_NEWIPC) != 0)
                return Skip;
            std::vector<MessageQueue> queues;
            for (int i = 0; i < 400; ++i) {
                auto q = MessageQueue::create(ipctest::uniqueName("q"), 1, 32);
                if (!q) {
                    std::fprintf(stderr, "queue %d: %s\n", i + 1, q.error().message().c_str());
                    if (int r = check(q.error().code == ErrorCode::LimitReached, "LimitReached"))
                        return r;
                    return check(q.error().message().find("queues_max") != std::string::npos,
                        "message names fs.mqueue.queues_max");
                }
                queues.push_back(std::move(*q));
            }
            return Skip; // CAP_SYS_RESOURCE lifts queues_max
        });
        if (rc == Skip)
            QSKIP("no private IPC namespace here, or this process may exceed queues_max (CAP_SYS_RESOURCE)");
        QCOMPARE(rc, 0);
    }

    void rlimitMsgqueue()
    {
        const int rc = inChild([] {
            if (unshare(CLONE_NEWIPC) != 0)
                return Skip;
            // Room for two queues of 10 x 8192 bytes; the third must fail.
            const rlim_t budget = rlim_t(mqQueueCost(10, 8192) * 2 + 100);
            rlimit rl { budget, budget };
            if (setrlimit(RLIMIT_MSGQUEUE, &rl) != 0)
                return Skip;
            std::vector<MessageQueue> queues;
            for (int i = 0; i < 3; ++i) {
                auto q = MessageQueue::create(ipctest::uniqueName("rl"), 10, 8192);
                if (!q) {
                    std::fprintf(stderr, "queue %d: %s\n", i + 1, q.error().message().c_str());
                    if (int r = check(q.error().code == ErrorCode::LimitReached, "LimitReached"))
                        return r;
                    return check(q.error().message().find("RLIMIT_MSGQUEUE") != std::string::npos
                            && q.error().message().find("ulimit -q") != std::string::npos,
                        "message names RLIMIT_MSGQUEUE and ulimit -q");
                }
                queues.push_back(std::move(*q));
            }
            return 1; // three queues fit a two-queue budget: the limit was not enforced
        });
        if (rc == Skip)
            QSKIP("no private IPC namespace here");
        QCOMPARE(rc, 0);
    }

    void cleanupTestCase() { QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), "objects left behind"); }
};

QTEST_GUILESS_MAIN(TestLimits)
#include "tst_limits.moc"

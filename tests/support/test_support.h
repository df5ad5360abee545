#pragma once

// Helpers shared by the tests: unique object names per process (so ctest -j2 is safe), the path of the worker
// and CLI executables, and a listing of leftover objects.

#include "ipccore/runner.h"

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <semaphore.h>

#include <string>

namespace ipctest {

// "/ipclab-t<pid>-<n>-<tag>": unique per process and per call.
std::string uniqueName(const std::string& tag);
// A fresh path for FIFOs and sockets under a per-process temporary directory.
std::string uniquePath(const std::string& tag);

// A named semaphore made for one test (O_EXCL: a fresh one), closed and removed when it goes out of scope, also when
// a failed check leaves the test early.
class TestSemaphore {
public:
    TestSemaphore(const std::string& tag, unsigned value);
    ~TestSemaphore();
    TestSemaphore(const TestSemaphore&) = delete;
    TestSemaphore& operator=(const TestSemaphore&) = delete;
    bool ok() const { return m_sem != SEM_FAILED; }
    sem_t* get() const { return m_sem; }
    const std::string& name() const { return m_name; }

private:
    std::string m_name;
    sem_t* m_sem;
};

// The position of the worker named `worker` in a snapshot, or snap.workers.size() when there is none.
std::size_t workerIndex(const ipccore::Snapshot& snap, const std::string& worker);

// A ring (shm-ring) whose consumers are all paused is full once its 'empty' semaphore is 0: no producer can put
// more in. Its depth (head - tail) is then its capacity, or one less for each consumer the pause stopped between
// moving the tail and posting 'empty' (that slot is free in the indices but not yet announced to the producers; a
// slow machine, or TSan, widens that window). Empty when full so; else what was seen.
QString ringFullProblem(const ipccore::ObjectStatus& ring, int pausedConsumers);

// The built executables (CTest passes their paths in IPCLAB_WORKER / IPCLAB_CLI).
QString workerPath();
QString cliPath();

// What a program printed and how it ended; exitCode is -1 when it did not start, crashed or was killed.
struct ProgramResult {
    int exitCode = -1;
    qint64 pid = 0;
    QString out;
    QString err;
};
// Runs `program` to its end, killing it after `timeoutMs`.
ProgramResult runProgram(const QString& program, const QStringList& args,
    const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(), int timeoutMs = 30000);

// A copy of the executable at `path` in `dir` (made traversable by everyone), for tests that run a program as
// another user: the build tree itself may sit below a directory only its owner can enter. Empty on failure.
QString copyForOtherUsers(const QString& path, const QString& dir);

// Entries in /dev/shm and /dev/mqueue (if mounted) whose name contains `needle`.
QStringList leftoverObjects(const QString& needle);
// Objects created by this test process ("ipclab-t<pid>-").
QStringList leftoversOfThisProcess();

// The process exists and is not a zombie (an orphan's new parent may be slow to reap it, or never do so).
bool isRunning(qint64 pid);

} // namespace ipctest

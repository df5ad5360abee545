#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>

#include <atomic>
#include <fcntl.h>
#include <unistd.h>

namespace ipctest {

std::string uniqueName(const std::string& tag)
{
    static std::atomic<int> counter { 0 };
    return "/ipclab-t" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" + tag;
}

std::string uniquePath(const std::string& tag)
{
    static const std::string dir = [] {
        std::string d = QDir::tempPath().toStdString() + "/ipclab-test-" + std::to_string(getpid());
        QDir().mkpath(QString::fromStdString(d));
        return d;
    }();
    static std::atomic<int> counter { 0 };
    return dir + "/" + std::to_string(++counter) + "-" + tag;
}

std::size_t workerIndex(const ipccore::Snapshot& snap, const std::string& worker)
{
    for (std::size_t i = 0; i < snap.workers.size(); ++i) {
        if (snap.workers[i].name == worker)
            return i;
    }
    return snap.workers.size();
}

QString ringFullProblem(const ipccore::ObjectStatus& ring, int pausedConsumers)
{
    int empty = -1;
    for (const ipccore::SemaphoreValue& sem : ring.semaphores) {
        if (sem.role == "empty")
            empty = sem.value;
    }
    const auto capacity = std::int64_t(ring.capacity);
    if (empty == 0 && ring.depth <= capacity && ring.depth >= capacity - pausedConsumers)
        return {};
    return QStringLiteral("'empty' %1, depth %2 of %3, %4 consumers paused")
        .arg(empty)
        .arg(ring.depth)
        .arg(capacity)
        .arg(pausedConsumers);
}

QString workerPath()
{
    return QProcessEnvironment::systemEnvironment().value("IPCLAB_WORKER");
}
QString cliPath()
{
    return QProcessEnvironment::systemEnvironment().value("IPCLAB_CLI");
}

TestSemaphore::TestSemaphore(const std::string& tag, unsigned value)
    : m_name(uniqueName(tag))
    , m_sem(sem_open(m_name.c_str(), O_CREAT | O_EXCL, 0600, value))
{ }

TestSemaphore::~TestSemaphore()
{
    if (m_sem != SEM_FAILED) {
        sem_close(m_sem);
        sem_unlink(m_name.c_str());
    }
}

ProgramResult runProgram(const QString& program, const QStringList& args, const QProcessEnvironment& env, int timeoutMs)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    ProgramResult r;
    if (!p.waitForStarted(10000))
        return r;
    r.pid = p.processId();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}

QString copyForOtherUsers(const QString& path, const QString& dir)
{
    const QString copy = dir + "/" + QFileInfo(path).fileName();
    QFile::remove(copy);
    if (!QFile::copy(path, copy))
        return {};
    const auto readExec = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
        | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::ExeOther;
    if (!QFile::setPermissions(copy, readExec) || !QFile::setPermissions(dir, readExec))
        return {};
    return copy;
}

QStringList leftoverObjects(const QString& needle)
{
    QStringList found;
    for (const QString& dirPath : { QStringLiteral("/dev/shm"), QStringLiteral("/dev/mqueue") }) {
        const QDir dir(dirPath);
        if (!dir.exists())
            continue;
        for (const QString& entry : dir.entryList(QDir::Files | QDir::System | QDir::Hidden)) {
            if (entry.contains(needle))
                found << dirPath + "/" + entry;
        }
    }
    return found;
}

QStringList leftoversOfThisProcess()
{
    return leftoverObjects(QStringLiteral("ipclab-t%1-").arg(getpid()));
}

bool isRunning(qint64 pid)
{
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses, so look after the last ')'.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')');
    return close > 0 && close + 2 < text.size() && text.at(close + 2) != 'Z';
}

} // namespace ipctest

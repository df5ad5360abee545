#include "run_directory.h"

#include "ipccore/runner.h"
#include "sys_error.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace ipccore {

std::string runtimeDirectory()
{
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    struct stat st { };
    if (xdg && *xdg && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
        return std::string(xdg) + "/ipclab";
    return "/tmp/ipclab-" + std::to_string(geteuid());
}

namespace {
// The runtime directory must be ours and private: /tmp is shared, and a directory made by someone else there
// could redirect our FIFOs and sockets.
Status ensurePrivateDirectory(const std::string& path)
{
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
        return detail::sysError("mkdir", path, errno);
    struct stat st { };
    if (lstat(path.c_str(), &st) != 0)
        return detail::sysError("lstat", path, errno);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return detail::makeError(ErrorCode::PermissionDenied, "use directory", path,
            "This directory is not a private (0700) directory of this user; another user may have created it. "
            "Remove it or set XDG_RUNTIME_DIR to a directory of your own");
    return {};
}
} // namespace

namespace detail {

Result<RunDirectory> RunDirectory::create(const std::string& runId)
{
    const std::string root = runtimeDirectory();
    if (Status st = ensurePrivateDirectory(root); !st)
        return st.error();
    // Built under a hidden name and renamed once locked, so a cleanup in another process never sees a run whose
    // lock file exists but is not held yet (it would take the run for dead). Cleanups skip hidden names.
    const std::string building = root + "/." + runId;
    const std::string path = root + "/" + runId;
    if (mkdir(building.c_str(), 0700) != 0)
        return sysError("mkdir", building, errno);
    auto undo = [&](const char* op, const std::string& what, int err) -> Result<RunDirectory> {
        unlink((building + "/manifest").c_str());
        unlink((building + "/lock").c_str());
        rmdir(building.c_str());
        return sysError(op, what, err);
    };
    const int lockFd = ::open((building + "/lock").c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (lockFd < 0)
        return undo("open", building + "/lock", errno);
    if (flock(lockFd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        close(lockFd);
        return undo("flock", building + "/lock", err);
    }
    const std::string pidText = std::to_string(getpid()) + "\n";
    (void)!write(lockFd, pidText.data(), pidText.size());
    const int manifestFd
        = ::open((building + "/manifest").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (manifestFd < 0) {
        const int err = errno;
        close(lockFd);
        return undo("open", building + "/manifest", err);
    }
    if (rename(building.c_str(), path.c_str()) != 0) {
        const int err = errno;
        close(manifestFd);
        close(lockFd);
        return undo("rename", path, err);
    }
    return RunDirectory(path, lockFd, manifestFd);
}

RunDirectory::RunDirectory(RunDirectory&& other) noexcept
    : m_path(std::move(other.m_path))
    , m_lockFd(std::exchange(other.m_lockFd, -1))
    , m_manifestFd(std::exchange(other.m_manifestFd, -1))
{ }

RunDirectory::~RunDirectory()
{
    if (m_manifestFd >= 0)
        close(m_manifestFd);
    if (m_lockFd >= 0)
        close(m_lockFd);
}

Status RunDirectory::record(const OsName& name)
{
    const std::string line = name.kind + " " + name.name + "\n";
    if (write(m_manifestFd, line.data(), line.size()) != ssize_t(line.size()))
        return sysError("write", m_path + "/manifest", errno);
    return {};
}

void RunDirectory::remove()
{
    unlink((m_path + "/manifest").c_str());
    unlink((m_path + "/lock").c_str());
    rmdir(m_path.c_str());
}

} // namespace detail

namespace {
// True when the named object exists and belongs to this user. A manifest is only a list of names: someone else may
// have taken a name after our run died, and their object must not be removed.
bool ownedByMe(const OsName& n)
{
    struct stat st { };
    if (n.kind == "path")
        return lstat(n.name.c_str(), &st) == 0 && st.st_uid == geteuid();
    if (n.kind == "shm")
        return stat(("/dev/shm/" + n.name.substr(1)).c_str(), &st) == 0 && st.st_uid == geteuid();
    if (n.kind == "sem")
        return stat(("/dev/shm/sem." + n.name.substr(1)).c_str(), &st) == 0 && st.st_uid == geteuid();
    if (n.kind == "mq") {
        const mqd_t q = mq_open(n.name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (q < 0)
            return false;
        const bool mine = fstat(q, &st) == 0 && st.st_uid == geteuid(); // an mqd is a descriptor on Linux
        mq_close(q);
        return mine;
    }
    return false;
}

// The bench (bench_internal.h) names its short-lived objects "/ipclab-b<pid>-<n>-<tag>" after its own process, and
// lists its queues in "ipclab-b<pid>.queues": one is alive exactly while that pid is. Returns the pid of such a
// name whose process is gone, or 0 (not a bench name, or its bench still runs).
pid_t deadBenchPid(std::string_view entry)
{
    constexpr std::string_view prefix = "ipclab-b";
    if (entry.rfind(prefix, 0) != 0)
        return 0;
    const std::size_t end = entry.find_first_not_of("0123456789", prefix.size());
    const std::string_view digits = entry.substr(prefix.size(), end - prefix.size());
    if (end == std::string_view::npos || (entry[end] != '-' && entry[end] != '.') || digits.empty()
        || digits.size() > 9)
        return 0;
    const pid_t pid = pid_t(std::stol(std::string(digits)));
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH ? pid : 0;
}

std::vector<std::string> entriesOf(const std::string& directory)
{
    std::vector<std::string> names;
    if (DIR* dir = opendir(directory.c_str())) {
        while (dirent* entry = readdir(dir))
            names.emplace_back(entry->d_name);
        closedir(dir);
    }
    return names;
}

// Objects of benches killed before they could unlink them (SIGKILL mid-measurement), if they are ours.
void cleanupDeadBenches(std::vector<std::string>& removed)
{
    std::vector<OsName> names;
    for (const std::string& e : entriesOf("/dev/shm")) {
        if (e.rfind("sem.", 0) == 0) {
            if (deadBenchPid(std::string_view(e).substr(4)))
                names.push_back({ "sem", "/" + e.substr(4) });
        } else if (deadBenchPid(e))
            names.push_back({ "shm", "/" + e });
    }
    for (const std::string& e : entriesOf("/dev/mqueue")) // listed only where the mqueue filesystem is mounted
        if (deadBenchPid(e))
            names.push_back({ "mq", "/" + e });
    const std::string runtime = runtimeDirectory();
    std::vector<std::string> lists;
    for (const std::string& e : entriesOf(runtime)) {
        const pid_t pid = deadBenchPid(e);
        if (!pid)
            continue;
        const std::string path = runtime + "/" + e;
        if (e.size() > 7 && e.compare(e.size() - 7, 7, ".queues") == 0) {
            // Its queues, one name per line; only names of that bench are taken from it.
            const std::string own = "/ipclab-b" + std::to_string(pid) + "-";
            std::ifstream list(path);
            for (std::string line; std::getline(list, line);)
                if (line.rfind(own, 0) == 0 && line.find('/', 1) == std::string::npos)
                    names.push_back({ "mq", line });
            lists.push_back(path);
        } else
            names.push_back({ "path", path });
    }
    for (const OsName& n : names) {
        if (ownedByMe(n) && removeOsName(n))
            removed.push_back(n.kind + " " + n.name + " (left by a killed bench)");
    }
    for (const std::string& list : lists) {
        struct stat st { };
        if (lstat(list.c_str(), &st) == 0 && st.st_uid == geteuid())
            unlink(list.c_str());
    }
}

} // namespace

std::vector<std::string> cleanupStaleRuns()
{
    std::vector<std::string> removed;
    cleanupDeadBenches(removed);
    const std::string root = runtimeDirectory();
    for (const std::string& run : entriesOf(root)) {
        if (run.empty() || run[0] == '.')
            continue; // hidden: a run being set up right now (and . and ..)
        const std::string path = root + "/" + run;
        const int lockFd = ::open((path + "/lock").c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (lockFd < 0)
            continue; // being created right now, or not ours
        if (flock(lockFd, LOCK_EX | LOCK_NB) != 0) {
            close(lockFd); // a live controller holds it: hands off
            continue;
        }
        std::ifstream manifest(path + "/manifest");
        std::string line;
        while (std::getline(manifest, line)) {
            std::istringstream fields(line);
            OsName n;
            fields >> n.kind >> n.name;
            // Only names this program makes are ever removed, whatever the manifest says.
            const bool ours = (n.kind == "path" && n.name.rfind(path + "/", 0) == 0)
                || (n.kind != "path" && n.name.rfind("/ipclab-", 0) == 0);
            if (!ours || !ownedByMe(n))
                continue;
            if (removeOsName(n))
                removed.push_back(n.kind + " " + n.name + " (left by dead run " + run + ")");
        }
        unlink((path + "/manifest").c_str());
        unlink((path + "/lock").c_str());
        rmdir(path.c_str());
        close(lockFd);
    }
    return removed;
}

} // namespace ipccore

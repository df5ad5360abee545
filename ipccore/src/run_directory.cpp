#include "run_directory.h"

#include "file_kind.h"
#include "ipccore/names.h"
#include "ipccore/runner.h"
#include "sys_error.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>

namespace ipccore {

std::string runtimeDirectory()
{
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    struct stat st { };
    // Ours, and nobody else may rename entries in it (not writable by others, or sticky like /tmp): the run's
    // FIFOs and sockets are later made by path below it.
    if (xdg && *xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid()
        && ((st.st_mode & 022) == 0 || (st.st_mode & S_ISVTX) != 0))
        return std::string(xdg) + "/ipclab";
    return "/tmp/ipclab-" + std::to_string(geteuid());
}

namespace {

constexpr std::size_t MaxManifestBytes = 1 << 20; // a run with every object of 128 workers needs a few KiB

std::string userName(uid_t uid)
{
    const std::string name = detail::accountName(uid);
    return "uid " + std::to_string(uid) + (name.empty() ? std::string() : " (" + name + ")");
}

// Why `st` is not a directory this user may trust, or "" when it is: a real directory, ours, nobody else may write.
std::string untrustedReason(const struct stat& st)
{
    if (!S_ISDIR(st.st_mode))
        return std::string("it is ") + detail::fileKindText(st.st_mode) + ", not a directory";
    if (st.st_uid != geteuid())
        return "it is owned by " + userName(st.st_uid) + ", not by you (" + userName(geteuid()) + "), mode "
            + detail::fileModeText(st.st_mode);
    if ((st.st_mode & 077) != 0)
        return "its mode is " + detail::fileModeText(st.st_mode) + ", which lets other users in (it must be 0700)";
    return {};
}

// Printable, bounded text of a manifest line for a report (it may hold anything).
std::string shown(std::string_view text)
{
    std::string out;
    for (char c : text.substr(0, 160))
        out += (c >= 32 && c < 127) ? c : '?';
    return text.size() > 160 ? out + "..." : out;
}

// Reads a regular file of this user through `dirFd`, at most `limit` bytes; nullopt when it is anything else.
std::optional<std::string> readOwnFile(int dirFd, const char* name, std::size_t limit)
{
    detail::DirFd fd(openat(dirFd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st { };
    if (fd.get() < 0 || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
        return std::nullopt;
    std::string text;
    char buffer[4096];
    while (text.size() < limit) {
        const ssize_t n = detail::retryOnEintr([&] { return read(fd.get(), buffer, sizeof buffer); });
        if (n <= 0)
            break;
        text.append(buffer, std::size_t(n));
    }
    text.resize(std::min(text.size(), limit));
    return text;
}

bool isPlainFileName(std::string_view name)
{
    return !name.empty() && name.size() <= NAME_MAX && name != "." && name != ".." && name != "lock"
        && name != "manifest" && name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

} // namespace

namespace detail {

DirFd::~DirFd()
{
    if (m_fd >= 0)
        close(m_fd);
}

Result<DirFd> openRuntimeRoot(bool create)
{
    const std::string root = runtimeDirectory();
    if (create && mkdir(root.c_str(), 0700) != 0 && errno != EEXIST)
        return sysError("mkdir", root, errno,
            "The runtime directory cannot be made. Set XDG_RUNTIME_DIR to a private directory of yours, for example "
            "export XDG_RUNTIME_DIR=$(mktemp -d)");
    // O_NOFOLLOW: a symlink planted in /tmp under our name is refused, not followed (ELOOP).
    DirFd fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st { };
    std::string why;
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ENOENT)
            return sysError("open runtime directory", root, err, "It does not exist yet");
        if (lstat(root.c_str(), &st) != 0)
            return sysError("open runtime directory", root, err);
        // Refused (ELOOP, ENOTDIR) or unreadable (EACCES: another user's 0700 directory): say whose it is.
        why = S_ISDIR(st.st_mode) ? untrustedReason(st) : std::string("it is ") + detail::fileKindText(st.st_mode);
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX] = {};
            if (readlink(root.c_str(), target, sizeof target - 1) > 0)
                why += std::string(" (to ") + shown(target) + ")";
        }
        if (!S_ISDIR(st.st_mode))
            why += ", not a directory, owned by " + userName(st.st_uid);
        if (why.empty())
            return sysError("open runtime directory", root, err);
    } else if (fstat(fd.get(), &st) != 0)
        return sysError("fstat", root, errno);
    else
        why = untrustedReason(st);
    if (why.empty())
        return fd;
    const bool mine = st.st_uid == geteuid() && !S_ISLNK(st.st_mode);
    return makeError(ErrorCode::PermissionDenied, "use runtime directory", root,
        "IPC Lab keeps run locks, manifests, FIFOs and sockets there, but " + why
            + "; another user may have planted it, so it is neither used nor changed. "
            + (mine && S_ISDIR(st.st_mode) ? "Make it private with: chmod 700 " + root + ", or set" : "Set")
            + " XDG_RUNTIME_DIR to a private directory of yours, for example: export XDG_RUNTIME_DIR=$(mktemp -d)");
}

Result<RunDirectory> RunDirectory::create(const std::string& runId)
{
    auto root = openRuntimeRoot(true);
    if (!root)
        return root.error();
    const std::string rootPath = runtimeDirectory();
    // Built under a hidden name and renamed once locked, so a cleanup in another process never sees a run whose
    // lock file exists but is not held yet (it would take the run for dead). Cleanups skip hidden names.
    const std::string building = "." + runId;
    const std::string path = rootPath + "/" + runId;
    if (mkdirat(root->get(), building.c_str(), 0700) != 0)
        return sysError("mkdir", rootPath + "/" + building, errno);
    DirFd dir(openat(root->get(), building.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    auto undo = [&](const char* op, const std::string& what, int err) -> Result<RunDirectory> {
        if (dir.get() >= 0) {
            unlinkat(dir.get(), "manifest", 0);
            unlinkat(dir.get(), "lock", 0);
        }
        unlinkat(root->get(), building.c_str(), AT_REMOVEDIR);
        return sysError(op, what, err);
    };
    if (dir.get() < 0)
        return undo("open", rootPath + "/" + building, errno);
    DirFd lock(openat(dir.get(), "lock", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (lock.get() < 0)
        return undo("open", path + "/lock", errno);
    if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
        return undo("flock", path + "/lock", errno);
    const std::string pidText = std::to_string(getpid()) + "\n";
    (void)!write(lock.get(), pidText.data(), pidText.size());
    DirFd manifest(
        openat(dir.get(), "manifest", O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (manifest.get() < 0)
        return undo("open", path + "/manifest", errno);
    if (renameat(root->get(), building.c_str(), root->get(), runId.c_str()) != 0)
        return undo("rename", path, errno);
    return RunDirectory(path, runId, std::move(*root), std::move(dir), std::move(lock), std::move(manifest));
}

Status RunDirectory::record(const OsName& name)
{
    std::string shownName = name.name;
    if (name.kind == "path") {
        const std::string inside = m_path + "/";
        shownName = name.name.rfind(inside, 0) == 0 ? name.name.substr(inside.size()) : std::string();
        if (!isPlainFileName(shownName))
            return makeError(ErrorCode::InvalidArgument, "record", name.name,
                "A run's FIFOs and sockets must be files directly inside its folder " + m_path);
    }
    const std::string line = name.kind + " " + shownName + "\n";
    if (write(m_manifest.get(), line.data(), line.size()) != ssize_t(line.size()))
        return sysError("write", m_path + "/manifest", errno);
    return {};
}

void RunDirectory::remove()
{
    unlinkat(m_dir.get(), "manifest", 0);
    unlinkat(m_dir.get(), "lock", 0);
    unlinkat(m_root.get(), m_runId.c_str(), AT_REMOVEDIR);
}

} // namespace detail

namespace {
// True when the named object exists and belongs to this user. A manifest is only a list of names: someone else may
// have taken a name after our run died, and their object must not be removed. lstat: /dev/shm is shared and
// a symlink there proves nothing.
bool ownedByMe(const OsName& n)
{
    struct stat st { };
    if (n.kind == "shm")
        return lstat(("/dev/shm/" + n.name.substr(1)).c_str(), &st) == 0 && S_ISREG(st.st_mode)
            && st.st_uid == geteuid();
    if (n.kind == "sem")
        return lstat(("/dev/shm/sem." + n.name.substr(1)).c_str(), &st) == 0 && S_ISREG(st.st_mode)
            && st.st_uid == geteuid();
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

// Removes the file `name` directly inside the trusted directory `dirFd` if it is this user's FIFO, socket or
// regular file; a symlink or a directory is left alone. Returns "" when removed (or already gone), else why not.
std::string removeOwnFile(int dirFd, const std::string& name)
{
    struct stat st { };
    if (fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? std::string() : std::string("fstatat failed: ") + strerrorname_np(errno);
    if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
        return std::string("it is ") + detail::fileKindText(st.st_mode) + ", which IPC Lab never makes there";
    if (st.st_uid != geteuid())
        return "it is owned by " + userName(st.st_uid);
    if (unlinkat(dirFd, name.c_str(), 0) != 0 && errno != ENOENT)
        return std::string("unlinkat failed: ") + strerrorname_np(errno);
    return {};
}

// The bench (bench_internal.h) names its short-lived objects "/ipclab-b<pid>-..." after its own process, and lists
// its queues in "ipclab-b<pid>.queues": one is alive exactly while that pid is. Returns the pid of such a name
// whose process is gone, or 0 (not a bench name, or its bench still runs).
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

// Entries of an open directory; the descriptor stays open and usable for *at() calls.
std::vector<std::string> entriesOf(int dirFd)
{
    std::vector<std::string> names;
    const int copy = fcntl(dirFd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        return names;
    DIR* dir = fdopendir(copy);
    if (!dir) {
        close(copy);
        return names;
    }
    rewinddir(dir); // the copy shares its offset with dirFd, which an earlier listing left at the end
    while (dirent* entry = readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..")
            names.emplace_back(name);
    }
    closedir(dir);
    return names;
}

// Objects of benches killed before they could unlink them (SIGKILL mid-measurement), if they are ours. `rootFd` is
// the trusted runtime directory, or -1 when there is none.
void cleanupDeadBenches(int rootFd, std::vector<std::string>& lines)
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
    std::vector<std::string> files; // FIFOs and sockets in the runtime directory, and the queue lists
    if (rootFd >= 0) {
        for (const std::string& e : entriesOf(rootFd)) {
            const pid_t pid = deadBenchPid(e);
            if (!pid)
                continue;
            if (e.size() > 7 && e.compare(e.size() - 7, 7, ".queues") == 0) {
                // Its queues, one name per line; only names of that bench are taken from it.
                const std::string own = "/ipclab-b" + std::to_string(pid) + "-";
                std::istringstream list(readOwnFile(rootFd, e.c_str(), MaxManifestBytes).value_or(""));
                for (std::string line; std::getline(list, line);)
                    if (line.rfind(own, 0) == 0 && validateObjectName(line))
                        names.push_back({ "mq", line });
            }
            files.push_back(e);
        }
    }
    for (const OsName& n : names) {
        if (ownedByMe(n) && removeOsName(n))
            lines.push_back("removed " + n.kind + " " + n.name + " (left by a killed bench)");
    }
    for (const std::string& f : files) {
        const bool isList = f.size() > 7 && f.compare(f.size() - 7, 7, ".queues") == 0;
        if (removeOwnFile(rootFd, f).empty() && !isList)
            lines.push_back("removed path " + runtimeDirectory() + "/" + f + " (left by a killed bench)");
    }
}

// A run folder is named "<pid>-<hex>" by Runner::start.
bool isRunId(std::string_view name)
{
    const std::size_t dash = name.find('-');
    if (dash == 0 || dash == std::string_view::npos || dash + 1 == name.size() || name.size() > 64)
        return false;
    return name.substr(0, dash).find_first_not_of("0123456789") == std::string_view::npos
        && name.substr(dash + 1).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Removes what the manifest of the dead run `run` (its folder open as `runFd`) lists, acting only on names with
// the run's own prefix and plain file names inside its folder.
void cleanupDeadRun(int runFd, const std::string& run, const std::string& runPath, std::vector<std::string>& lines)
{
    const std::string prefix = "/ipclab-" + run + "-";
    std::istringstream manifest(readOwnFile(runFd, "manifest", MaxManifestBytes).value_or(""));
    auto suspicious = [&](const std::string& line, const std::string& why) {
        lines.push_back("left alone the manifest line '" + shown(line) + "' of dead run " + run + ": " + why
            + " (a run only lists names starting with " + prefix + " and plain file names in " + runPath + ")");
    };
    for (std::string line; std::getline(manifest, line);) {
        if (line.empty())
            continue;
        const std::size_t space = line.find(' ');
        OsName n { line.substr(0, space), space == std::string::npos ? std::string() : line.substr(space + 1) };
        if (n.kind == "path") {
            if (!isPlainFileName(n.name)) {
                suspicious(line, "not a plain file name inside the run folder");
                continue;
            }
            const std::string why = removeOwnFile(runFd, n.name);
            if (!why.empty())
                suspicious(line, why);
            else
                lines.push_back("removed path " + runPath + "/" + n.name + " (left by dead run " + run + ")");
            continue;
        }
        if (n.kind != "mq" && n.kind != "shm" && n.kind != "sem") {
            suspicious(line, "unknown kind of object");
            continue;
        }
        if (n.name.rfind(prefix, 0) != 0 || !validateObjectName(n.name)) {
            suspicious(line, "not a name of this run");
            continue;
        }
        if (ownedByMe(n) && removeOsName(n))
            lines.push_back("removed " + n.kind + " " + n.name + " (left by dead run " + run + ")");
    }
}

} // namespace

std::vector<std::string> cleanupStaleRuns()
{
    std::vector<std::string> lines;
    auto root = detail::openRuntimeRoot(false);
    if (!root && root.error().code != ErrorCode::NotFound) {
        cleanupDeadBenches(-1, lines); // its objects in /dev/shm are checked one by one, the folder is not needed
        lines.push_back("left alone " + runtimeDirectory() + ": " + root.error().hint);
        return lines;
    }
    const int rootFd = root ? root->get() : -1;
    cleanupDeadBenches(rootFd, lines);
    if (rootFd < 0)
        return lines;
    const std::string rootPath = runtimeDirectory();
    for (const std::string& run : entriesOf(rootFd)) {
        if (run[0] == '.' || !isRunId(run))
            continue; // hidden: a run being set up right now; anything else is not a run folder
        const std::string runPath = rootPath + "/" + run;
        detail::DirFd runFd(openat(rootFd, run.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st { };
        if (runFd.get() < 0 || fstat(runFd.get(), &st) != 0) {
            if (fstatat(rootFd, run.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
                lines.push_back("left alone " + runPath + ": it is " + detail::fileKindText(st.st_mode) + " owned by "
                    + userName(st.st_uid) + ", not a run folder IPC Lab made");
            continue;
        }
        if (const std::string why = untrustedReason(st); !why.empty()) {
            lines.push_back("left alone " + runPath + ": " + why + "; it is not a run folder IPC Lab made");
            continue;
        }
        detail::DirFd lockFd(openat(runFd.get(), "lock", O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        struct stat lockSt { };
        if (lockFd.get() < 0 || fstat(lockFd.get(), &lockSt) != 0 || !S_ISREG(lockSt.st_mode))
            continue; // being created right now
        if (flock(lockFd.get(), LOCK_EX | LOCK_NB) != 0)
            continue; // a live controller holds it: hands off
        cleanupDeadRun(runFd.get(), run, runPath, lines);
        unlinkat(runFd.get(), "manifest", 0);
        unlinkat(runFd.get(), "lock", 0);
        if (unlinkat(rootFd, run.c_str(), AT_REMOVEDIR) != 0 && errno == ENOTEMPTY)
            lines.push_back("kept the folder " + runPath + " of dead run " + run
                + ": it still holds files IPC Lab did not list; look at them and remove the folder yourself");
    }
    return lines;
}

} // namespace ipccore

#pragma once

// Private: the per-run directory under runtimeDirectory(). It holds
//   lock      flock()ed by the live controller for the whole run, so a free lock proves the controller is dead;
//   manifest  one line "<kind> <name>" per OS object, written *before* the object is created, so a crash at any
//             point leaves a list that covers everything that might exist. Objects are named with the run's
//             prefix ("mq /ipclab-<run id>-jobs"); files are plain names inside the run folder ("path jobs.fifo");
//   *.fifo, *.sock  the run's named pipes and sockets.
//
// Everything under the runtime directory may have been planted by another local user (it lives in /tmp when
// XDG_RUNTIME_DIR is unset), so the root and each run folder are trusted only as real directories owned by this
// user with mode 0700, opened with O_NOFOLLOW and checked with fstat; every later step is relative to those
// descriptors (openat, unlinkat, fstatat), so nothing can be swapped in between the check and the use.

#include "ipccore/channel.h"
#include "ipccore/result.h"

#include <string>
#include <utility>

namespace ipccore::detail {

// A descriptor that closes itself.
class DirFd {
public:
    DirFd() = default;
    explicit DirFd(int fd)
        : m_fd(fd)
    { }
    DirFd(DirFd&& other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
    { }
    DirFd& operator=(DirFd&&) = delete;
    ~DirFd();
    int get() const { return m_fd; }

private:
    int m_fd = -1;
};

// Opens the runtime directory (runtimeDirectory()), making it (0700) when `create` and it is missing. Refused with
// PermissionDenied, naming its owner, mode and a remedy, unless it is a real directory of this user that nobody
// else may write; NotFound when missing and not `create`.
Result<DirFd> openRuntimeRoot(bool create);

class RunDirectory {
public:
    static Result<RunDirectory> create(const std::string& runId);

    RunDirectory(RunDirectory&& other) noexcept = default;
    RunDirectory& operator=(RunDirectory&&) = delete;
    ~RunDirectory() = default; // releases the lock; the directory stays unless remove() ran

    // Appends one line to the manifest. A "path" must be a file directly inside this run's folder; it is written
    // as its plain file name.
    Status record(const OsName& name);
    const std::string& path() const { return m_path; }
    // Deletes the manifest, the lock and the directory (the objects must be gone already).
    void remove();

private:
    RunDirectory(std::string path, std::string runId, DirFd root, DirFd dir, DirFd lock, DirFd manifest)
        : m_path(std::move(path))
        , m_runId(std::move(runId))
        , m_root(std::move(root))
        , m_dir(std::move(dir))
        , m_lock(std::move(lock))
        , m_manifest(std::move(manifest))
    { }
    std::string m_path;
    std::string m_runId;
    DirFd m_root;
    DirFd m_dir;
    DirFd m_lock;
    DirFd m_manifest;
};

} // namespace ipccore::detail

#pragma once

// Private: the per-run directory under runtimeDirectory(). It holds
//   lock      flock()ed by the live controller for the whole run, so a free lock proves the controller is dead;
//   manifest  one line "<kind> <name>" per OS object, written *before* the object is created, so a crash at any
//             point leaves a list that covers everything that might exist;
//   *.fifo, *.sock  the run's named pipes and sockets.

#include "ipccore/channel.h"
#include "ipccore/result.h"

#include <string>

namespace ipccore::detail {

class RunDirectory {
public:
    static Result<RunDirectory> create(const std::string& runId);

    RunDirectory(RunDirectory&& other) noexcept;
    RunDirectory& operator=(RunDirectory&&) = delete;
    ~RunDirectory(); // releases the lock; the directory stays unless remove() ran

    Status record(const OsName& name);
    const std::string& path() const { return m_path; }
    // Deletes the manifest, the lock and the directory (the objects must be gone already).
    void remove();

private:
    RunDirectory(std::string path, int lockFd, int manifestFd)
        : m_path(std::move(path))
        , m_lockFd(lockFd)
        , m_manifestFd(manifestFd)
    { }
    std::string m_path;
    int m_lockFd = -1;
    int m_manifestFd = -1;
};

} // namespace ipccore::detail

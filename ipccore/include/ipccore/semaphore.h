#pragma once

// POSIX named semaphore (sem_open) as a move-only RAII handle.
//
// Ownership: create() owns the name and unlinks it on destruction unless release() is called; open() never unlinks.
// A named semaphore lives in /dev/shm/sem.NAME until unlinked, and a process that dies between wait and post takes
// its token with it (there is no SEM_UNDO for POSIX semaphores).
//
// Blocking: wait() blocks (EINTR retried); tryWait() returns WouldBlock at once; waitFor() uses sem_clockwait on
// CLOCK_MONOTONIC and returns TimedOut.

#include "ipccore/clock.h"
#include "ipccore/result.h"

#include <semaphore.h>
#include <string>

namespace ipccore {

class NamedSemaphore {
public:
    // O_CREAT|O_EXCL, mode 0600. AlreadyExists if taken; InvalidArgument if value > SEM_VALUE_MAX.
    static Result<NamedSemaphore> create(const std::string& name, unsigned initialValue);
    static Result<NamedSemaphore> open(const std::string& name);
    static Status unlink(const std::string& name);

    NamedSemaphore(NamedSemaphore&& other) noexcept;
    NamedSemaphore& operator=(NamedSemaphore&& other) noexcept;
    NamedSemaphore(const NamedSemaphore&) = delete;
    NamedSemaphore& operator=(const NamedSemaphore&) = delete;
    ~NamedSemaphore();

    // LimitReached at SEM_VALUE_MAX.
    Status post();
    Status wait();
    Status tryWait();
    // tryWait for hot paths: false when the value was 0, with no Error built (a message and a name each time were
    // a malloc per contended shm-ring message).
    Result<bool> tryTake();
    Status waitFor(Duration timeout);
    // The value now; may be stale the moment it returns.
    Result<int> value() const;

    const std::string& name() const { return m_name; }
    bool ownsName() const { return m_owner; }
    void release() { m_owner = false; }

private:
    NamedSemaphore(std::string name, sem_t* sem, bool owner);
    void reset();

    std::string m_name;
    sem_t* m_sem = nullptr;
    bool m_owner = false;
};

} // namespace ipccore

// The objects programs use directly, with no messages in them:
//   shm-array  integers in shared memory plus a lock, the named semaphore "<name>.lock" (multiprocessing.Array,
//              and Value as an array of one; the lock is what `get_lock()` returns).
//   semaphore  one named counting semaphore whose initial value is the object's capacity (posix_ipc.Semaphore).
//   global     a global variable: nothing in the system at all. Each process that uses it keeps its own copy in
//              its own memory (GlobalTarget) and publishes it in its telemetry slot after each write.
// The runner's side (ChannelObject) creates, samples and removes them; the worker's side (ProgramTarget) does the
// program's steps on them.

#include "channel_family.h"

#include "ipccore/semaphore.h"
#include "ipccore/shared_memory.h"
#include "sys_error.h"

#include <atomic>
#include <new>
#include <vector>

namespace ipccore {

namespace {

using detail::isCode;
using detail::stopped;
constexpr Duration Slice = detail::WaitSlice;

std::string lockName(const std::string& base)
{
    return base + ".lock";
}

std::atomic_ref<std::int64_t> cellRef(const SharedMemory& shm, std::uint32_t cell)
{
    auto* cells = reinterpret_cast<std::int64_t*>(static_cast<std::byte*>(shm.data()) + shmlayout::ArrayHeaderBytes);
    return std::atomic_ref<std::int64_t>(cells[cell]);
}

// sem_trywait first; then, unless told to try only once, sem_clockwait in slices of at most 100 ms until the
// deadline, asking between slices whether to stop.
Result<bool> acquireSemaphore(NamedSemaphore& sem, std::optional<Duration> timeout, WaitHooks& hooks)
{
    Result<bool> taken = sem.tryTake();
    if (!taken || *taken)
        return taken;
    if (timeout && timeout->count() == 0)
        return false;
    const std::uint64_t deadline = timeout ? monotonicNs() + std::uint64_t(timeout->count()) : 0;
    hooks.enter(WorkerState::WaitingLock);
    for (;;) {
        if (hooks.stopRequested())
            return stopped(sem.name());
        Duration slice = Slice;
        if (timeout) {
            const std::uint64_t now = monotonicNs();
            if (now >= deadline) {
                hooks.gaveUp();
                hooks.enter(WorkerState::Running); // the wait is over, in vain: it ends here, not at the next step
                return false;
            }
            slice = std::min<Duration>(Slice, Duration(deadline - now));
        }
        Status st = sem.waitFor(slice);
        if (st) {
            hooks.enter(WorkerState::Running);
            return true;
        }
        if (!isCode(st, ErrorCode::TimedOut))
            return st.error();
    }
}

class ArrayObject final : public ChannelObject {
public:
    std::string waitingOn(const std::string& n, WorkerState state) const override
    {
        return state == WorkerState::WaitingLock
            ? n + ": lock held by another process (sem_wait on " + m_address.name + ".lock)"
            : std::string();
    }
    // A program killed on its way into the array's lock (only programs use arrays) has no phase yet.
    bool mayHaveJustTakenLock(Role, std::uint32_t phase) const override { return phase == 0; }

    ArrayObject(ChannelAddress address, SharedMemory shm, NamedSemaphore lock)
        : ChannelObject(std::move(address))
        , m_shm(std::move(shm))
        , m_lock(std::move(lock))
    { }
    std::int64_t depth() override { return -1; }
    std::vector<SemaphoreValue> semaphores() override
    {
        auto v = m_lock.value();
        return { { "lock", m_lock.name(), v ? *v : -1 } };
    }
    std::vector<std::int64_t> cells() override
    {
        std::vector<std::int64_t> out(m_address.capacity);
        for (std::uint32_t i = 0; i < m_address.capacity; ++i)
            out[i] = cellRef(m_shm, i).load(std::memory_order_relaxed);
        return out;
    }
    // The lock repair of a run (see ChannelObject): a dead holder's lock is posted once it has stayed taken with
    // no live holder and nobody got through it.
    int lockValue() override
    {
        auto v = m_lock.value();
        return v && *v > 0 ? 1 : 0;
    }
    std::uint64_t lockProgress() override
    {
        return static_cast<shmlayout::ArrayHeader*>(m_shm.data())->lockPasses.load(std::memory_order_acquire);
    }
    std::string releaseDeadLock() override
    {
        if (Status st = m_lock.post(); !st)
            return "could not post the lock: " + st.error().message();
        return "posted the array's lock (a write the dead process had not made yet is simply not there)";
    }

private:
    SharedMemory m_shm;
    NamedSemaphore m_lock;
};

class SemaphoreObject final : public ChannelObject {
public:
    std::string waitingOn(const std::string& n, WorkerState state) const override
    {
        return state == WorkerState::WaitingLock ? n + ": no permit free (sem_wait on " + m_address.name + ")"
                                                 : std::string();
    }

    SemaphoreObject(ChannelAddress address, NamedSemaphore sem)
        : ChannelObject(std::move(address))
        , m_sem(std::move(sem))
    { }
    std::int64_t depth() override { return -1; }
    std::vector<SemaphoreValue> semaphores() override
    {
        auto v = m_sem.value();
        return { { "permits", m_sem.name(), v ? *v : -1 } };
    }

private:
    NamedSemaphore m_sem;
};

// A global has no object of its own: the runner keeps only its address.
class GlobalObject final : public ChannelObject {
public:
    explicit GlobalObject(ChannelAddress address)
        : ChannelObject(std::move(address))
    { }
    std::int64_t depth() override { return -1; }
};

// The process's own copy, in its own memory, starting at 0 as `counter = 0` does in every process.
class GlobalTarget final : public ProgramTarget {
public:
    explicit GlobalTarget(std::uint32_t cells)
        : m_cells(cells, 0)
    { }
    Result<bool> acquire(std::optional<Duration>, WaitHooks&) override { return false; } // validation refuses it
    Status release() override { return {}; }
    std::int64_t read(std::uint32_t cell) override { return cell < m_cells.size() ? m_cells[cell] : 0; }
    void write(std::uint32_t cell, std::int64_t value) override
    {
        if (cell < m_cells.size())
            m_cells[cell] = value;
    }

private:
    std::vector<std::int64_t> m_cells;
};

class ArrayTarget final : public ProgramTarget {
public:
    ArrayTarget(SharedMemory shm, NamedSemaphore lock)
        : m_shm(std::move(shm))
        , m_lock(std::move(lock))
    { }
    Result<bool> acquire(std::optional<Duration> timeout, WaitHooks& hooks) override
    {
        return acquireSemaphore(m_lock, timeout, hooks);
    }
    Status release() override
    {
        static_cast<shmlayout::ArrayHeader*>(m_shm.data())->lockPasses.fetch_add(1, std::memory_order_release);
        return m_lock.post();
    }
    bool isLock() const override { return true; }
    std::int64_t read(std::uint32_t cell) override { return cellRef(m_shm, cell).load(std::memory_order_relaxed); }
    void write(std::uint32_t cell, std::int64_t value) override
    {
        cellRef(m_shm, cell).store(value, std::memory_order_relaxed);
    }

private:
    SharedMemory m_shm;
    NamedSemaphore m_lock;
};

class SemaphoreTarget final : public ProgramTarget {
public:
    explicit SemaphoreTarget(NamedSemaphore sem)
        : m_sem(std::move(sem))
    { }
    Result<bool> acquire(std::optional<Duration> timeout, WaitHooks& hooks) override
    {
        return acquireSemaphore(m_sem, timeout, hooks);
    }
    Status release() override { return m_sem.post(); }

private:
    NamedSemaphore m_sem;
};

class ProgramObjectFamily final : public detail::ChannelFamily {
public:
    std::vector<OsName> osNames(const ChannelAddress& a) const override
    {
        if (a.transport == TransportKind::ShmArray)
            return { { "shm", a.name }, { "sem", lockName(a.name) } };
        if (traits(a.transport).perProcess)
            return {};
        return { { "sem", a.name } };
    }
    Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& a) const override
    {
        if (traits(a.transport).perProcess)
            return std::unique_ptr<ChannelObject>(new GlobalObject(a));
        if (a.transport == TransportKind::Semaphore) {
            auto sem = NamedSemaphore::create(a.name, a.capacity);
            if (!sem)
                return sem.error();
            return std::unique_ptr<ChannelObject>(new SemaphoreObject(a, std::move(*sem)));
        }
        auto shm = SharedMemory::create(a.name, shmlayout::arrayBytes(a.capacity));
        if (!shm)
            return shm.error();
        auto* header = new (shm->data()) shmlayout::ArrayHeader {};
        header->version = shmlayout::LayoutVersion;
        header->cells = a.capacity;
        std::atomic_ref<std::uint32_t>(header->magic).store(shmlayout::ArrayMagic, std::memory_order_release);
        auto lock = NamedSemaphore::create(lockName(a.name), 1);
        if (!lock)
            return lock.error(); // the region is unlinked by its destructor
        return std::unique_ptr<ChannelObject>(new ArrayObject(a, std::move(*shm), std::move(*lock)));
    }
    // They carry no messages (validation keeps producers and consumers off them): only program steps use them.
    Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks&) const override
    {
        return noMessages(a);
    }
    Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const override
    {
        return noMessages(a);
    }

private:
    static Error noMessages(const ChannelAddress& a)
    {
        return detail::makeError(ErrorCode::NotSupported, "open channel", a.name,
            std::string("A ") + traits(a.transport).description
                + " carries no messages; only a program's steps (read, write, acquire, release) use it");
    }
};

} // namespace

const detail::ChannelFamily& detail::programObjectFamily()
{
    static const ProgramObjectFamily family;
    return family;
}

std::size_t shmlayout::arrayBytes(std::uint32_t cells)
{
    return ArrayHeaderBytes + std::size_t(cells) * sizeof(std::int64_t);
}

Result<std::unique_ptr<ProgramTarget>> openProgramTarget(const ChannelAddress& a)
{
    if (a.transport == TransportKind::Semaphore) {
        auto sem = NamedSemaphore::open(a.name);
        if (!sem)
            return sem.error();
        return std::unique_ptr<ProgramTarget>(new SemaphoreTarget(std::move(*sem)));
    }
    if (traits(a.transport).perProcess)
        return std::unique_ptr<ProgramTarget>(new GlobalTarget(a.capacity));
    if (a.transport != TransportKind::ShmArray)
        return detail::makeError(ErrorCode::NotSupported, "open", a.name,
            std::string("A ") + transportName(a.transport)
                + " carries messages; program steps read, write, acquire and release only shm-array and semaphore "
                  "objects");
    auto shm = SharedMemory::open(a.name, Access::ReadWrite, shmlayout::arrayBytes(a.capacity));
    if (!shm)
        return shm.error();
    auto* header = static_cast<shmlayout::ArrayHeader*>(shm->data());
    if (std::atomic_ref<std::uint32_t>(header->magic).load(std::memory_order_acquire) != shmlayout::ArrayMagic
        || header->version != shmlayout::LayoutVersion || header->cells != a.capacity)
        return detail::makeError(ErrorCode::Corrupt, "open array", a.name,
            "The array's header (magic, version or number of cells) does not match; the object was made by another "
            "program or overwritten");
    auto lock = NamedSemaphore::open(lockName(a.name));
    if (!lock)
        return lock.error();
    return std::unique_ptr<ProgramTarget>(new ArrayTarget(std::move(*shm), std::move(*lock)));
}

} // namespace ipccore

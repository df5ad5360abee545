#include "ipccore/channel.h"

#include "ipccore/framing.h"
#include "ipccore/message_queue.h"
#include "ipccore/semaphore.h"
#include "ipccore/shared_memory.h"
#include "ipccore/stream.h"
#include "program_objects.h"
#include "sys_error.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <new>

namespace ipccore {

namespace {

constexpr Duration Slice = std::chrono::milliseconds(100);
constexpr Duration ConnectTimeout = std::chrono::seconds(5);

// For waits that have no worker behind them (draining at stop): never asked to stop, reports nothing.
class NoHooks final : public WaitHooks {
public:
    void enter(WorkerState) override { }
    bool stopRequested() override { return false; }
};

Error stopped(const std::string& name)
{
    return detail::makeError(ErrorCode::Interrupted, "wait", name, "Stop requested");
}

bool isCode(const Status& st, ErrorCode code)
{
    return !st && st.error().code == code;
}

// ---- POSIX message queue -----------------------------------------------------------------------------------

class MqProducer final : public ProducerEndpoint {
public:
    explicit MqProducer(MessageQueue q)
        : m_queue(std::move(q))
    { }
    Status send(std::span<const std::byte> frame, unsigned priority, WaitHooks& hooks) override
    {
        Status st = m_queue.trySend(frame, priority);
        if (!isCode(st, ErrorCode::WouldBlock))
            return st;
        hooks.enter(WorkerState::BlockedFull);
        for (;;) {
            if (hooks.stopRequested())
                return stopped(m_queue.name());
            st = m_queue.sendFor(frame, priority, hooks.slice(Slice));
            if (!isCode(st, ErrorCode::TimedOut))
                return st;
        }
    }

private:
    MessageQueue m_queue;
};

class MqConsumer final : public ConsumerEndpoint {
public:
    explicit MqConsumer(MessageQueue q)
        : m_queue(std::move(q))
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        auto r = m_queue.tryReceive(buffer);
        if (r)
            return r->size;
        if (r.error().code != ErrorCode::WouldBlock)
            return r.error();
        hooks.enter(WorkerState::BlockedEmpty);
        for (;;) {
            if (hooks.stopRequested())
                return stopped(m_queue.name());
            r = m_queue.receiveFor(buffer, hooks.slice(Slice));
            if (r)
                return r->size;
            if (r.error().code != ErrorCode::TimedOut)
                return r.error();
        }
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        auto r = m_queue.tryReceive(buffer);
        if (r)
            return r->size;
        if (r.error().code == ErrorCode::WouldBlock)
            return std::size_t(0);
        return r.error();
    }

private:
    MessageQueue m_queue;
};

class MqObject final : public ChannelObject {
public:
    MqObject(ChannelAddress address, MessageQueue q)
        : ChannelObject(std::move(address))
        , m_queue(std::move(q))
    { }
    std::int64_t depth() override
    {
        auto attr = m_queue.attributes();
        return attr ? attr->depth : -1;
    }

private:
    MessageQueue m_queue;
};

// ---- Shared-memory ring guarded by three named semaphores ----------------------------------------------------

std::string semName(const std::string& base, const char* role)
{
    return base + "." + role;
}

Status acquire(NamedSemaphore& sem, WorkerState waitState, WaitHooks& hooks)
{
    Status st = sem.tryWait();
    if (!isCode(st, ErrorCode::WouldBlock))
        return st;
    hooks.enter(waitState);
    for (;;) {
        if (hooks.stopRequested())
            return stopped(sem.name());
        st = sem.waitFor(hooks.slice(Slice));
        if (!isCode(st, ErrorCode::TimedOut))
            return st;
    }
}

struct RingView {
    shmlayout::RingHeader* header = nullptr;
    std::byte* slots = nullptr;
    std::uint32_t capacity = 0;
    std::uint32_t stride = 0;
};

Result<RingView> viewRing(const SharedMemory& shm, const ChannelAddress& address)
{
    auto* header = static_cast<shmlayout::RingHeader*>(shm.data());
    const std::uint32_t stride = shmlayout::ringSlotStride(address.messageSize);
    if (header->magic != shmlayout::RingMagic || header->version != shmlayout::LayoutVersion
        || header->capacity != address.capacity || header->slotStride != stride)
        return detail::makeError(ErrorCode::Corrupt, "open ring", address.name,
            "The ring's header (magic, version, capacity or slot size) does not match; the object was made by "
            "another program or overwritten");
    return RingView { header, static_cast<std::byte*>(shm.data()) + shmlayout::RingHeaderBytes, address.capacity,
        stride };
}

struct RingParts {
    SharedMemory shm;
    NamedSemaphore empty, full, mutex;
    RingView view;
};

Result<RingParts> openRing(const ChannelAddress& address)
{
    auto shm = SharedMemory::open(
        address.name, Access::ReadWrite, shmlayout::ringBytes(address.capacity, address.messageSize));
    if (!shm)
        return shm.error();
    auto view = viewRing(*shm, address);
    if (!view)
        return view.error();
    auto empty = NamedSemaphore::open(semName(address.name, "empty"));
    if (!empty)
        return empty.error();
    auto full = NamedSemaphore::open(semName(address.name, "full"));
    if (!full)
        return full.error();
    auto mutex = NamedSemaphore::open(semName(address.name, "mutex"));
    if (!mutex)
        return mutex.error();
    return RingParts { std::move(*shm), std::move(*empty), std::move(*full), std::move(*mutex), *view };
}

class RingProducer final : public ProducerEndpoint {
public:
    explicit RingProducer(RingParts parts)
        : m_ring(std::move(parts))
    { }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        if (frame.size() > m_ring.view.stride)
            return detail::makeError(ErrorCode::MessageTooLarge, "ring send", m_ring.shm.name(),
                "The frame does not fit a slot of " + std::to_string(m_ring.view.stride) + " bytes");
        // The textbook order: an empty slot first, then the lock. Taking them the other way round deadlocks.
        // The phase is published after each step so the runner can return the tokens of a worker killed mid-way.
        for (;;) {
            if (Status st = acquire(m_ring.empty, WorkerState::BlockedFull, hooks); !st)
                return st;
            hooks.setPhase(RingPhase::HasSlot);
            auto done = publishLocked(frame, hooks);
            if (!done || *done)
                return done ? Status {} : Status(done.error());
            // A surplus "empty" token: the ring was full after all. Drop the token and wait again.
        }
    }

private:
    // Holds one "empty" token. Returns true once the frame is in the ring, false when the token turned out to be
    // surplus: a token handed back twice after a worker was killed between its post and its phase update. The
    // semaphores are only hints here; the indices, read under the lock, are the truth (shared/RELIABILITY.md F4).
    Result<bool> publishLocked(std::span<const std::byte> frame, WaitHooks& hooks)
    {
        if (Status st = acquire(m_ring.mutex, WorkerState::WaitingLock, hooks); !st) {
            (void)m_ring.empty.post(); // give the slot back
            hooks.setPhase(0);
            return st.error();
        }
        hooks.lockTaken();
        RingView& v = m_ring.view;
        const std::uint64_t head = v.header->head.load(std::memory_order_relaxed);
        const std::uint64_t tail = v.header->tail.load(std::memory_order_relaxed);
        hooks.setPhaseIndex(head);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock);
        hooks.insideLock();
        if (head >= tail && head - tail == v.capacity) {
            (void)m_ring.mutex.post();
            hooks.setPhase(0);
            return false;
        }
        if (head < tail || head - tail > v.capacity) {
            (void)m_ring.mutex.post();
            (void)m_ring.empty.post();
            hooks.setPhase(0);
            return detail::makeError(ErrorCode::Corrupt, "ring send", m_ring.shm.name(),
                "Ring indices are inconsistent (head " + std::to_string(head) + ", tail " + std::to_string(tail)
                    + ", capacity " + std::to_string(v.capacity) + ")",
                EBADMSG);
        }
        std::memcpy(v.slots + (head % v.capacity) * v.stride, frame.data(), frame.size());
        v.header->head.store(head + 1, std::memory_order_release);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock | RingPhase::Moved);
        (void)m_ring.mutex.post();
        hooks.setPhase(RingPhase::HasSlot | RingPhase::Moved);
        Status st = m_ring.full.post();
        hooks.setPhase(0);
        if (!st)
            return st.error();
        return true;
    }

    RingParts m_ring;
};

class RingConsumer final : public ConsumerEndpoint {
public:
    explicit RingConsumer(RingParts parts)
        : m_ring(std::move(parts))
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        for (;;) {
            if (Status st = acquire(m_ring.full, WorkerState::BlockedEmpty, hooks); !st)
                return st.error();
            hooks.setPhase(RingPhase::HasSlot);
            auto r = takeLocked(buffer, hooks);
            if (!r || *r > 0)
                return r;
            // A surplus "full" token: the ring was empty after all (see takeLocked). Wait again.
        }
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        Status st = m_ring.full.tryWait();
        if (isCode(st, ErrorCode::WouldBlock))
            return std::size_t(0);
        if (!st)
            return st.error();
        NoHooks none;
        return takeLocked(buffer, none);
    }

private:
    // Holds one "full" token; takes the lock and the slot. Returns 0 when the token turned out to be surplus (the
    // ring is empty: a token handed back twice after a kill); the indices, not the semaphores, are the truth.
    Result<std::size_t> takeLocked(std::span<std::byte> buffer, WaitHooks& hooks)
    {
        if (Status st = acquire(m_ring.mutex, WorkerState::WaitingLock, hooks); !st) {
            (void)m_ring.full.post();
            hooks.setPhase(0);
            return st.error();
        }
        hooks.lockTaken();
        RingView& v = m_ring.view;
        const std::uint64_t head = v.header->head.load(std::memory_order_acquire);
        const std::uint64_t tail = v.header->tail.load(std::memory_order_relaxed);
        hooks.setPhaseIndex(tail);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock);
        hooks.insideLock();
        if (head == tail) {
            (void)m_ring.mutex.post();
            hooks.setPhase(0);
            return std::size_t(0);
        }
        if (head < tail || head - tail > v.capacity) {
            (void)m_ring.mutex.post();
            (void)m_ring.full.post();
            hooks.setPhase(0);
            return detail::makeError(ErrorCode::Corrupt, "ring receive", m_ring.shm.name(),
                "Ring indices are inconsistent (head " + std::to_string(head) + ", tail " + std::to_string(tail)
                    + ", capacity " + std::to_string(v.capacity) + ")",
                EBADMSG);
        }
        const std::byte* slot = v.slots + (tail % v.capacity) * v.stride;
        FrameHeader header;
        std::memcpy(&header, slot, sizeof header); // copy once: the length is checked on our copy
        const std::size_t length = header.length;
        Result<std::size_t> result = length;
        if (length < FrameHeaderSize || length > v.stride || length > buffer.size())
            result = detail::makeError(ErrorCode::Corrupt, "ring receive", m_ring.shm.name(),
                "Slot " + std::to_string(tail % v.capacity) + " holds an impossible length " + std::to_string(length)
                    + " (slot size " + std::to_string(v.stride) + ")");
        else {
            std::memcpy(buffer.data(), slot, length);
            // The copied header must be the one we checked.
            std::memcpy(buffer.data(), &header, sizeof header);
        }
        v.header->tail.store(tail + 1, std::memory_order_release);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock | RingPhase::Moved);
        (void)m_ring.mutex.post();
        hooks.setPhase(RingPhase::HasSlot | RingPhase::Moved);
        (void)m_ring.empty.post();
        hooks.setPhase(0);
        return result;
    }

    RingParts m_ring;
};

class RingObject final : public ChannelObject {
public:
    RingObject(
        ChannelAddress address, SharedMemory shm, NamedSemaphore empty, NamedSemaphore full, NamedSemaphore mutex)
        : ChannelObject(std::move(address))
        , m_shm(std::move(shm))
        , m_empty(std::move(empty))
        , m_full(std::move(full))
        , m_mutex(std::move(mutex))
    { }
    std::int64_t depth() override
    {
        auto* header = static_cast<shmlayout::RingHeader*>(m_shm.data());
        const std::uint64_t tail = header->tail.load(std::memory_order_acquire);
        const std::uint64_t head = header->head.load(std::memory_order_acquire);
        if (head < tail || head - tail > m_address.capacity)
            return -1; // torn read between two updates, or a damaged header
        return std::int64_t(head - tail);
    }
    std::vector<SemaphoreValue> semaphores() override
    {
        std::vector<SemaphoreValue> values;
        for (auto* sem : { &m_empty, &m_full, &m_mutex }) {
            auto v = sem->value();
            const std::string& n = sem->name();
            values.push_back({ n.substr(n.rfind('.') + 1), n, v ? *v : -1 });
        }
        return values;
    }
    std::uint64_t lockProgress() override
    {
        auto* header = static_cast<shmlayout::RingHeader*>(m_shm.data());
        return header->head.load(std::memory_order_acquire) + header->tail.load(std::memory_order_acquire);
    }
    int lockValue() override
    {
        auto v = m_mutex.value();
        return v ? std::min(*v, 1) : -1;
    }
    std::string releaseDeadLock() override
    {
        (void)m_mutex.post();
        return "posted " + m_mutex.name();
    }
    std::string returnTokens(const DeadHolder& dead) override
    {
        if (!(dead.phase & RingPhase::HasSlot))
            return {};
        auto* header = static_cast<shmlayout::RingHeader*>(m_shm.data());
        bool moved = dead.phase & RingPhase::Moved;
        if (!moved && (dead.phase & RingPhase::HasLock)) {
            // Killed inside the lock: nobody has touched the indices since, so they tell whether it got as far
            // as advancing its index.
            const auto& index = dead.role == Role::Producer ? header->head : header->tail;
            moved = index.load(std::memory_order_acquire) == dead.phaseIndex + 1;
        }
        NamedSemaphore& give = dead.role == Role::Producer ? (moved ? m_full : m_empty) : (moved ? m_empty : m_full);
        (void)give.post();
        return "posted " + give.name();
    }
    std::string checkAgainstRing() override
    {
        auto* header = static_cast<shmlayout::RingHeader*>(m_shm.data());
        const std::uint64_t head = header->head.load(std::memory_order_acquire);
        const std::uint64_t tail = header->tail.load(std::memory_order_acquire);
        if (head < tail || head - tail > m_address.capacity)
            return "ring indices inconsistent (head " + std::to_string(head) + ", tail " + std::to_string(tail)
                + "): not adjusted";
        std::string done;
        // A token can be given back twice if its holder died between its post and the phase update; take the
        // surplus away again so the semaphores never promise more than the ring holds.
        auto clamp = [&](NamedSemaphore& sem, std::uint64_t allowed) {
            auto v = sem.value();
            while (v && std::uint64_t(std::max(*v, 0)) > allowed && sem.tryWait()) {
                done += (done.empty() ? "" : ", ") + std::string("took back a surplus token of ") + sem.name();
                v = sem.value();
            }
        };
        clamp(m_full, head - tail);
        clamp(m_empty, m_address.capacity - (head - tail));
        return done;
    }

private:
    SharedMemory m_shm;
    NamedSemaphore m_empty, m_full, m_mutex;
};

// ---- Shared value (one slot, overwritten by each write; a seqlock keeps reads untorn) -------------------------

struct ValueView {
    shmlayout::ValueHeader* header = nullptr;
    std::byte* data = nullptr;
    std::uint32_t slotSize = 0;
};

Result<ValueView> viewValue(const SharedMemory& shm, const ChannelAddress& address)
{
    auto* header = static_cast<shmlayout::ValueHeader*>(shm.data());
    if (header->magic != shmlayout::ValueMagic || header->version != shmlayout::LayoutVersion
        || header->slotSize != address.messageSize)
        return detail::makeError(ErrorCode::Corrupt, "open value", address.name,
            "The shared value's header does not match; the object was made by another program or overwritten");
    return ValueView { header, static_cast<std::byte*>(shm.data()) + shmlayout::ValueHeaderBytes, address.messageSize };
}

class ValueProducer final : public ProducerEndpoint {
public:
    ValueProducer(SharedMemory shm, ValueView view)
        : m_shm(std::move(shm))
        , m_view(view)
    { }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        if (frame.size() > m_view.slotSize)
            return detail::makeError(ErrorCode::MessageTooLarge, "value write", m_shm.name(),
                "The frame is larger than the value's " + std::to_string(m_view.slotSize) + " bytes");
        auto& seq = m_view.header->sequence;
        std::uint64_t s = seq.load(std::memory_order_relaxed);
        int spins = 0;
        // Writers exclude each other by making the sequence odd.
        while ((s & 1) || !seq.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) {
            if (++spins == 64)
                hooks.enter(WorkerState::WaitingLock);
            if (spins > 64) {
                if (hooks.stopRequested())
                    return stopped(m_shm.name());
                sched_yield();
            }
            s = seq.load(std::memory_order_relaxed);
        }
        hooks.lockTaken();
        hooks.setPhaseIndex(s + 1);
        hooks.setPhase(RingPhase::HasLock);
        hooks.insideLock();
        std::atomic_thread_fence(std::memory_order_release);
        std::memcpy(m_view.data, frame.data(), frame.size());
        m_view.header->length.store(std::uint32_t(frame.size()), std::memory_order_relaxed);
        seq.store(s + 2, std::memory_order_release);
        hooks.setPhase(0);
        return {};
    }

private:
    SharedMemory m_shm;
    ValueView m_view;
};

class ValueConsumer final : public ConsumerEndpoint {
public:
    ValueConsumer(SharedMemory shm, ValueView view)
        : m_shm(std::move(shm))
        , m_view(view)
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        bool reported = false;
        for (;;) {
            auto r = tryReceive(buffer, hooks);
            if (!r || *r > 0)
                return r;
            if (!reported) {
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
            if (hooks.stopRequested())
                return stopped(m_shm.name());
            // No doorbell: a reader of multiprocessing.Value polls too. 50 us keeps latency low and CPU modest.
            usleep(50);
        }
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        auto& seq = m_view.header->sequence;
        for (int attempt = 0; attempt < 1000; ++attempt) {
            const std::uint64_t s1 = seq.load(std::memory_order_acquire);
            if (s1 & 1) {
                sched_yield();
                continue;
            }
            if (s1 == m_lastSeen)
                return std::size_t(0);
            const std::uint32_t length = m_view.header->length.load(std::memory_order_relaxed);
            if (length == 0 && seq.load(std::memory_order_acquire) == s1) {
                m_lastSeen = s1; // emptied by the runner after a writer died mid-write: no value to read
                return std::size_t(0);
            }
            const bool sane = length >= FrameHeaderSize && length <= m_view.slotSize && length <= buffer.size();
            if (sane)
                std::memcpy(buffer.data(), m_view.data, length);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq.load(std::memory_order_relaxed) != s1)
                continue; // a writer came in; read again
            m_lastSeen = s1;
            if (!sane)
                return detail::makeError(ErrorCode::Corrupt, "value read", m_shm.name(),
                    "The value holds an impossible length " + std::to_string(length));
            return std::size_t(length);
        }
        return std::size_t(0);
    }

private:
    SharedMemory m_shm;
    ValueView m_view;
    std::uint64_t m_lastSeen = 0;
};

class ValueObject final : public ChannelObject {
public:
    ValueObject(ChannelAddress address, SharedMemory shm)
        : ChannelObject(std::move(address))
        , m_shm(std::move(shm))
    { }
    std::int64_t depth() override
    {
        auto* header = static_cast<shmlayout::ValueHeader*>(m_shm.data());
        return header->sequence.load(std::memory_order_relaxed) > 0 ? 1 : 0;
    }
    std::uint64_t lockProgress() override
    {
        return static_cast<shmlayout::ValueHeader*>(m_shm.data())->sequence.load(std::memory_order_acquire);
    }
    int lockValue() override
    {
        auto* header = static_cast<shmlayout::ValueHeader*>(m_shm.data());
        return (header->sequence.load(std::memory_order_acquire) & 1) ? 0 : 1;
    }
    // The dead writer may have left half a value: mark the slot empty (length 0) so no reader takes the torn
    // bytes for a message, then make the sequence even again.
    std::string releaseDeadLock() override
    {
        auto* header = static_cast<shmlayout::ValueHeader*>(m_shm.data());
        header->length.store(0, std::memory_order_relaxed);
        const std::uint64_t s = header->sequence.load(std::memory_order_relaxed);
        header->sequence.store((s | 1) + 1, std::memory_order_release);
        return "cleared the half-written value and released the sequence lock";
    }

private:
    SharedMemory m_shm;
};

// ---- Lock-free single-producer single-consumer ring ------------------------------------------------------------
//
// The producer owns head, the consumer owns tail; each keeps a cached copy of the other's index and reloads it
// only when the ring looks full (or empty), so in steady state a message costs one store and no shared-line
// read. A side that finds nothing to do spins briefly, then sleeps on a futex after announcing it in its
// *Sleeping word; the other side wakes it after publishing. The seq_cst fences on both sides make the
// announce/publish pair a Dekker handshake: at least one of them sees the other's store, so no wake-up is lost.
// Sleeps are also bounded (100 ms) so a stop request is noticed.

long futexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, Duration timeout)
{
    const timespec ts = toTimespec(std::uint64_t(timeout.count()));
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void futexWake(std::atomic<std::uint32_t>& word)
{
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// A waiting side spins briefly (a hand-over between two cores takes well under a microsecond), then yields the core
// for a while before it sleeps. Yielding matters when both sides share one core (a busy 2-core machine): a pure spin
// holds the core the other side needs for the whole spin (2000 pauses were ~55 us on AMD Zen), so every message
// waited that long (the bench measured p50 = 53 us one-way instead of 0.4 us).
constexpr int PauseSpins = 64;
constexpr int SpinsBeforeSleep = PauseSpins + 100;

inline void cpuRelax()
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

inline void spinOnce(int spins)
{
    if (spins < PauseSpins)
        cpuRelax();
    else
        sched_yield();
}

struct SpscView {
    shmlayout::SpscHeader* header = nullptr;
    std::byte* slots = nullptr;
    std::uint32_t capacity = 0;
    std::uint32_t stride = 0;
};

Result<SpscView> viewSpsc(const SharedMemory& shm, const ChannelAddress& address)
{
    auto* header = static_cast<shmlayout::SpscHeader*>(shm.data());
    const std::uint32_t stride = shmlayout::ringSlotStride(address.messageSize);
    if (header->magic != shmlayout::SpscMagic || header->version != shmlayout::LayoutVersion
        || header->capacity != address.capacity || header->slotStride != stride)
        return detail::makeError(ErrorCode::Corrupt, "open ring", address.name,
            "The ring's header (magic, version, capacity or slot size) does not match; the object was made by "
            "another program or overwritten");
    return SpscView { header, static_cast<std::byte*>(shm.data()) + shmlayout::SpscHeaderBytes, address.capacity,
        stride };
}

class SpscProducer final : public ProducerEndpoint {
public:
    SpscProducer(SharedMemory shm, SpscView view)
        : m_shm(std::move(shm))
        , m_v(view)
        , m_head(view.header->head.load(std::memory_order_relaxed))
        , m_cachedTail(view.header->tail.load(std::memory_order_acquire))
    { }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        if (frame.size() > m_v.stride)
            return detail::makeError(ErrorCode::MessageTooLarge, "ring send", m_shm.name(),
                "The frame does not fit a slot of " + std::to_string(m_v.stride) + " bytes");
        auto* h = m_v.header;
        if (m_head - m_cachedTail >= m_v.capacity) {
            m_cachedTail = h->tail.load(std::memory_order_acquire);
            int spins = 0;
            bool reported = false;
            while (m_head - m_cachedTail >= m_v.capacity) {
                if (++spins < SpinsBeforeSleep) {
                    spinOnce(spins);
                } else {
                    if (!reported) {
                        hooks.enter(WorkerState::BlockedFull);
                        reported = true;
                    }
                    if (hooks.stopRequested())
                        return stopped(m_shm.name());
                    h->producerSleeping.store(1, std::memory_order_relaxed);
                    std::atomic_thread_fence(std::memory_order_seq_cst);
                    if (m_head - h->tail.load(std::memory_order_acquire) >= m_v.capacity)
                        futexWait(h->producerSleeping, 1, hooks.slice(Slice));
                    h->producerSleeping.store(0, std::memory_order_relaxed);
                }
                m_cachedTail = h->tail.load(std::memory_order_acquire);
            }
        }
        std::memcpy(m_v.slots + (m_head % m_v.capacity) * m_v.stride, frame.data(), frame.size());
        h->head.store(++m_head, std::memory_order_release);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (h->consumerSleeping.load(std::memory_order_relaxed)) {
            h->consumerSleeping.store(0, std::memory_order_relaxed);
            futexWake(h->consumerSleeping);
        }
        return {};
    }

private:
    SharedMemory m_shm;
    SpscView m_v;
    std::uint64_t m_head;
    std::uint64_t m_cachedTail;
};

class SpscConsumer final : public ConsumerEndpoint {
public:
    SpscConsumer(SharedMemory shm, SpscView view)
        : m_shm(std::move(shm))
        , m_v(view)
        , m_tail(view.header->tail.load(std::memory_order_relaxed))
        , m_cachedHead(view.header->head.load(std::memory_order_acquire))
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        auto* h = m_v.header;
        if (m_cachedHead == m_tail) {
            m_cachedHead = h->head.load(std::memory_order_acquire);
            int spins = 0;
            bool reported = false;
            while (m_cachedHead == m_tail) {
                if (++spins < SpinsBeforeSleep) {
                    spinOnce(spins);
                } else {
                    if (!reported) {
                        hooks.enter(WorkerState::BlockedEmpty);
                        reported = true;
                    }
                    if (hooks.stopRequested())
                        return stopped(m_shm.name());
                    h->consumerSleeping.store(1, std::memory_order_relaxed);
                    std::atomic_thread_fence(std::memory_order_seq_cst);
                    if (h->head.load(std::memory_order_acquire) == m_tail)
                        futexWait(h->consumerSleeping, 1, hooks.slice(Slice));
                    h->consumerSleeping.store(0, std::memory_order_relaxed);
                }
                m_cachedHead = h->head.load(std::memory_order_acquire);
            }
        }
        return take(buffer);
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        if (m_cachedHead == m_tail)
            m_cachedHead = m_v.header->head.load(std::memory_order_acquire);
        if (m_cachedHead == m_tail)
            return std::size_t(0);
        return take(buffer);
    }

private:
    Result<std::size_t> take(std::span<std::byte> buffer)
    {
        auto* h = m_v.header;
        if (m_cachedHead - m_tail > m_v.capacity)
            return detail::makeError(ErrorCode::Corrupt, "ring receive", m_shm.name(),
                "Ring indices are inconsistent (head " + std::to_string(m_cachedHead) + ", tail "
                    + std::to_string(m_tail) + ", capacity " + std::to_string(m_v.capacity) + ")",
                EBADMSG);
        const std::byte* slot = m_v.slots + (m_tail % m_v.capacity) * m_v.stride;
        FrameHeader header;
        std::memcpy(&header, slot, sizeof header);
        const std::size_t length = header.length;
        Result<std::size_t> result = length;
        if (length < FrameHeaderSize || length > m_v.stride || length > buffer.size())
            result = detail::makeError(ErrorCode::Corrupt, "ring receive", m_shm.name(),
                "Slot " + std::to_string(m_tail % m_v.capacity) + " holds an impossible length "
                    + std::to_string(length) + " (slot size " + std::to_string(m_v.stride) + ")");
        else {
            std::memcpy(buffer.data(), slot, length);
            std::memcpy(buffer.data(), &header, sizeof header);
        }
        h->tail.store(++m_tail, std::memory_order_release);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (h->producerSleeping.load(std::memory_order_relaxed)) {
            h->producerSleeping.store(0, std::memory_order_relaxed);
            futexWake(h->producerSleeping);
        }
        return result;
    }

    SharedMemory m_shm;
    SpscView m_v;
    std::uint64_t m_tail;
    std::uint64_t m_cachedHead;
};

class SpscObject final : public ChannelObject {
public:
    SpscObject(ChannelAddress address, SharedMemory shm)
        : ChannelObject(std::move(address))
        , m_shm(std::move(shm))
    { }
    std::int64_t depth() override
    {
        auto* header = static_cast<shmlayout::SpscHeader*>(m_shm.data());
        const std::uint64_t tail = header->tail.load(std::memory_order_acquire);
        const std::uint64_t head = header->head.load(std::memory_order_acquire);
        if (head < tail || head - tail > m_address.capacity)
            return -1;
        return std::int64_t(head - tail);
    }

private:
    SharedMemory m_shm;
};

// ---- Streams: FIFO and Unix socket ---------------------------------------------------------------------------

// Counts the complete frames in a byte stream read until it is empty or ends.
std::uint64_t countFrames(int fd)
{
    std::uint64_t frames = 0;
    std::vector<std::byte> pending;
    std::byte chunk[65536];
    for (;;) {
        const ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        pending.insert(pending.end(), chunk, chunk + n);
    }
    std::size_t pos = 0;
    while (pending.size() - pos >= FrameHeaderSize) {
        FrameHeader header;
        std::memcpy(&header, pending.data() + pos, sizeof header);
        if (header.magic != FrameMagic || header.length < FrameHeaderSize || header.length > pending.size() - pos)
            break;
        pos += header.length;
        ++frames;
    }
    return frames;
}

class StreamProducer final : public ProducerEndpoint {
public:
    // reconnectPath: for sockets, where to connect again when the consumer holding this connection dies.
    StreamProducer(Stream stream, std::string reconnectPath = {})
        : m_stream(std::move(stream))
        , m_reconnectPath(std::move(reconnectPath))
    { }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        for (;;) {
            Status st = m_stream.writeAll(
                frame, [&] { return hooks.stopRequested(); }, [&] { hooks.enter(WorkerState::BlockedFull); });
            if (st || st.error().code != ErrorCode::PeerGone || m_reconnectPath.empty())
                return st;
            // The consumer died with this connection (and whatever part of the frame it had read). The runner's
            // listener is still there: connect again and send the whole frame on the new connection.
            hooks.enter(WorkerState::BlockedFull);
            auto again = UnixSocket::connect(m_reconnectPath, ConnectTimeout, [&] { return hooks.stopRequested(); });
            if (!again)
                return again.error();
            m_stream = std::move(*again);
        }
    }

private:
    Stream m_stream;
    std::string m_reconnectPath;
};

// Reads frames out of a byte stream through a user-space buffer: one read() brings in as many frames as the kernel
// has (up to 64 KiB), so a busy consumer makes far fewer system calls than one read for the header and one for the
// body of every frame. Waiting happens only between frames, never inside one (a started frame is finished).
// What sits in that buffer is gone if the process is killed; given hooks, the reader keeps them told how much.
class FrameReader {
public:
    FrameReader(Stream stream, std::size_t maxFrame)
        : m_stream(std::move(stream))
        , m_maxFrame(maxFrame)
        , m_buffer(streamReadAheadBytes(maxFrame))
    { }

    enum class Fill { Data, Empty, Ended };

    // Returns the next complete frame if the buffer holds one, after at most one non-blocking read(). 0 means no
    // complete frame yet; PeerGone means the stream ended between frames; Corrupt with ENODATA means it ended
    // inside a frame (its writer was killed); Corrupt otherwise means damaged bytes (once; the reader then slides
    // to the next frame boundary by itself).
    Result<std::size_t> tryNext(std::span<std::byte> out, WaitHooks* hooks = nullptr)
    {
        for (int attempt = 0; attempt < 2; ++attempt) {
            auto framed = takeBuffered(out);
            if (framed && *framed > 0 && hooks)
                hooks->setReadAhead(m_ahead);
            if (!framed || *framed > 0)
                return framed;
            if (attempt == 1)
                break;
            const Fill fill = fillOnce(hooks, readLimit(hooks ? hooks->framesWanted() : 0));
            if (fill == Fill::Ended)
                return ended();
            if (fill == Fill::Empty)
                break;
        }
        return std::size_t(0);
    }

    // At a stop: the frames already read ahead, one by one, finishing a begun frame from the stream (its writer
    // wrote it whole, so the rest is there or comes at once). Reads nothing beyond that frame.
    Result<std::size_t> takeReadAhead(std::span<std::byte> out, WaitHooks& hooks)
    {
        const std::uint64_t deadline = monotonicNs() + 1'000'000'000ull;
        for (;;) {
            auto framed = takeBuffered(out);
            if (framed && *framed > 0)
                hooks.setReadAhead(m_ahead);
            if (!framed || *framed > 0)
                return framed;
            const std::size_t rest = restOfBegunFrame();
            if (rest == 0 || monotonicNs() > deadline)
                return std::size_t(0);
            const Fill fill = fillOnce(&hooks, rest);
            if (fill == Fill::Ended)
                return ended();
            if (fill == Fill::Empty)
                waitReadable(std::chrono::milliseconds(10));
        }
    }

    // Waits until the stream may have more to read (or the timeout passes).
    void waitReadable(Duration timeout) const { (void)m_stream.waitReadable(timeout); }
    int nativeHandle() const { return m_stream.nativeHandle(); }
    const std::string& name() const { return m_stream.name(); }

private:
    std::size_t buffered() const { return m_end - m_begin; }

    static bool plausible(const FrameHeader& h, std::size_t maxFrame, std::size_t outSize)
    {
        return h.magic == FrameMagic && h.length >= FrameHeaderSize && h.length <= maxFrame && h.length <= outSize;
    }

    Result<std::size_t> takeBuffered(std::span<std::byte> out)
    {
        while (buffered() >= FrameHeaderSize) {
            FrameHeader header;
            std::memcpy(&header, m_buffer.data() + m_begin, sizeof header);
            if (!plausible(header, m_maxFrame, out.size())) {
                // Slide one byte at a time to the next plausible header; report the damage once per episode.
                ++m_begin;
                ++m_skipped;
                clampAhead();
                if (!m_resyncing) {
                    m_resyncing = true;
                    return detail::makeError(ErrorCode::Corrupt, "read frame", name(),
                        "A frame header is damaged (magic or length " + std::to_string(header.length)
                            + "); skipping to the next frame boundary");
                }
                continue;
            }
            if (buffered() < header.length)
                return std::size_t(0);
            m_resyncing = false;
            std::memcpy(out.data(), m_buffer.data() + m_begin, header.length);
            m_begin += header.length;
            if (m_ahead > 0)
                --m_ahead;
            clampAhead();
            return std::size_t(header.length);
        }
        return std::size_t(0);
    }

    // Past a damaged header m_ahead is a guess (a frame per 32 bytes); it can never exceed what is left.
    void clampAhead()
    {
        m_ahead = std::min(m_ahead, std::uint32_t((buffered() + FrameHeaderSize - 1) / FrameHeaderSize));
    }

    // Bytes still missing from the frame begun at the front of the buffer (its header first); 0 when none is
    // begun, or when its header is damaged (then nothing about it is known).
    std::size_t restOfBegunFrame() const
    {
        if (buffered() == 0)
            return 0;
        if (buffered() < FrameHeaderSize)
            return FrameHeaderSize - buffered();
        const FrameHeader header = headerAt(m_begin);
        if (!plausible(header, m_maxFrame, m_maxFrame))
            return 0;
        return header.length > buffered() ? header.length - buffered() : 0;
    }

    // How much one read may take when the caller wants only `wanted` more frames (0: no limit): the rest of the
    // begun frame, plus one smallest frame's worth per frame still wanted, so no more frames than that can begin.
    std::size_t readLimit(std::uint64_t wanted) const
    {
        if (wanted == 0)
            return SIZE_MAX;
        const std::uint64_t more = wanted > m_ahead ? wanted - m_ahead : 0;
        return restOfBegunFrame()
            + std::size_t(std::min<std::uint64_t>(more, SIZE_MAX / 2 / FrameHeaderSize)) * FrameHeaderSize;
    }

    Fill fillOnce(WaitHooks* hooks, std::size_t limit)
    {
        if (m_begin > 0 && (m_end == m_begin || m_buffer.size() - m_end < m_maxFrame)) {
            std::memmove(m_buffer.data(), m_buffer.data() + m_begin, buffered());
            m_end -= m_begin;
            m_begin = 0;
        }
        const std::size_t space = std::min(m_buffer.size() - m_end, limit);
        if (space == 0)
            return Fill::Empty;
        // Killed inside the read or just after it, the process takes at most this many frames with it.
        if (hooks)
            hooks->setReadAhead(std::uint32_t(m_ahead + 1 + space / FrameHeaderSize));
        for (;;) {
            const ssize_t n = read(m_stream.nativeHandle(), m_buffer.data() + m_end, space);
            if (n > 0) {
                m_end += std::size_t(n);
                m_ahead = countAhead();
                if (hooks)
                    hooks->setReadAhead(m_ahead);
                return Fill::Data;
            }
            if (n == 0)
                return Fill::Ended;
            if (errno == EINTR)
                continue;
            if (hooks)
                hooks->setReadAhead(m_ahead);
            return Fill::Empty; // EAGAIN, or an error that the next poll will show as hang-up
        }
    }

    // Frames whole or begun in the buffer. A fill starts only when no whole frame is buffered, so this walk is
    // over new frames only. It parses as takeBuffered will: a damaged stretch (the rest of a frame a killed reader
    // began) counts as one, and the walk goes on from the next plausible header.
    std::uint32_t countAhead() const
    {
        std::uint32_t frames = 0;
        std::size_t at = m_begin;
        while (at < m_end) {
            if (m_end - at < FrameHeaderSize)
                return frames + 1;
            ++frames;
            const FrameHeader header = headerAt(at);
            if (plausible(header, m_maxFrame, m_maxFrame)) {
                at += header.length;
                continue;
            }
            do
                ++at;
            while (m_end - at >= FrameHeaderSize && !plausible(headerAt(at), m_maxFrame, m_maxFrame));
        }
        return frames;
    }
    FrameHeader headerAt(std::size_t at) const
    {
        FrameHeader header;
        std::memcpy(&header, m_buffer.data() + at, sizeof header);
        return header;
    }

    Result<std::size_t> ended()
    {
        if (buffered() == 0)
            return detail::makeError(ErrorCode::PeerGone, "read", name(), "The writer has closed its end");
        return detail::makeError(ErrorCode::Corrupt, "read", name(),
            "Truncated message: the writer closed after " + std::to_string(buffered()) + " bytes of a frame", ENODATA);
    }

    Stream m_stream;
    std::size_t m_maxFrame;
    std::vector<std::byte> m_buffer;
    std::size_t m_begin = 0, m_end = 0;
    std::uint32_t m_ahead = 0; // frames whole or begun between m_begin and m_end (an upper bound while resyncing)
    bool m_resyncing = false;
    std::uint64_t m_skipped = 0;
};

class FifoConsumer final : public ConsumerEndpoint {
public:
    FifoConsumer(Stream stream, std::size_t maxFrame)
        : m_reader(std::move(stream), maxFrame)
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        bool reported = false;
        for (;;) {
            auto r = m_reader.tryNext(buffer, &hooks);
            if (!r || *r > 0)
                return r;
            if (hooks.stopRequested())
                return stopped(m_reader.name());
            if (!reported) {
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
            m_reader.waitReadable(Slice);
        }
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        return m_reader.tryNext(buffer);
    }
    Result<std::size_t> takeReadAhead(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        return m_reader.takeReadAhead(buffer, hooks);
    }

private:
    FrameReader m_reader; // the descriptor is O_RDWR, so the stream never ends while this reader lives
};

class FifoObject final : public ChannelObject {
public:
    FifoObject(ChannelAddress address, FileDescriptor holder)
        : ChannelObject(std::move(address))
        , m_holder(std::move(holder))
    { }
    ~FifoObject() override { (void)removePath(m_address.name); }
    std::int64_t depth() override { return -1; }
    std::int64_t bytesQueued() const override
    {
        int bytes = 0;
        return ioctl(m_holder.get(), FIONREAD, &bytes) == 0 ? bytes : -1;
    }
    std::int64_t byteCapacity() const override { return fcntl(m_holder.get(), F_GETPIPE_SZ); }
    std::uint64_t drainLeftovers() override { return countFrames(m_holder.get()); }

private:
    FileDescriptor m_holder; // a read end kept open so data survives the consumer and can be counted at stop
};

class SocketConsumer final : public ConsumerEndpoint {
public:
    SocketConsumer(int listenFd, std::string path, std::size_t maxFrame)
        : m_listenFd(listenFd)
        , m_path(std::move(path))
        , m_maxFrame(maxFrame)
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        bool reported = false;
        for (;;) {
            auto r = takeFromAny(buffer);
            if (!r || *r > 0)
                return r;
            if (hooks.stopRequested())
                return stopped(m_path);
            if (!reported) {
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
            waitAny(int(std::chrono::duration_cast<std::chrono::milliseconds>(Slice).count()), hooks);
        }
    }
    // At a stop: producers have exited, so everything they sent is in the connections (or still queued at the
    // listener). Take it all, connection by connection, until nothing is left.
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        acceptPending(hooks);
        for (int round = 0; round < 4; ++round) {
            auto r = takeFromAny(buffer);
            if (!r || *r > 0)
                return r;
        }
        return std::size_t(0);
    }

private:
    // A refused accept4 (EMFILE when this process has no descriptor left) leaves the connection in the listener's
    // backlog, so the listener stays readable: polling it again at once spun a core at thousands of failures a
    // second. Instead the listener is left out of the poll for a pause that doubles with each failure up to a
    // second, while the connections already accepted are served; one of them closing frees a descriptor and ends
    // the pause.
    static constexpr std::uint64_t FirstAcceptPauseNs = 10'000'000ull;
    static constexpr std::uint64_t MaxAcceptPauseNs = 1'000'000'000ull;

    void acceptPending(WaitHooks& hooks)
    {
        if (monotonicNs() < m_acceptResumeNs)
            return;
        for (;;) {
            auto fd = UnixSocket::tryAccept(m_listenFd);
            if (!fd) {
                hooks.recoverableError(WorkerErrorOp::Accept, fd.error().sysErrno);
                m_acceptResumeNs = monotonicNs() + m_acceptPauseNs;
                m_acceptPauseNs = std::min(m_acceptPauseNs * 2, MaxAcceptPauseNs);
                return;
            }
            if (!fd->valid())
                return;
            m_acceptPauseNs = FirstAcceptPauseNs;
            m_connections.emplace_back(Stream(std::move(*fd), m_path), m_maxFrame);
        }
    }
    void waitAny(int timeoutMs, WaitHooks& hooks)
    {
        std::vector<pollfd> fds;
        const std::uint64_t now = monotonicNs();
        const bool listening = now >= m_acceptResumeNs;
        if (listening)
            fds.push_back({ m_listenFd, POLLIN, 0 });
        else
            timeoutMs = std::min<int>(timeoutMs, int((m_acceptResumeNs - now + 999'999) / 1'000'000));
        for (const FrameReader& c : m_connections)
            fds.push_back({ c.nativeHandle(), POLLIN, 0 });
        if (poll(fds.data(), fds.size(), timeoutMs) > 0 && listening && (fds[0].revents & POLLIN))
            acceptPending(hooks);
    }
    // One frame from the connections in turn (round robin, so no producer is starved); 0 when none has one now.
    Result<std::size_t> takeFromAny(std::span<std::byte> buffer)
    {
        for (std::size_t k = 0; k < m_connections.size(); ++k) {
            const std::size_t i = (m_next + k) % m_connections.size();
            auto r = m_connections[i].tryNext(buffer);
            if (r && *r == 0)
                continue;
            if (!r) {
                // Ended (its producer exited or was killed mid-frame: that frame was never counted as sent), or
                // damaged: either way this connection is finished. Only damage is reported.
                const Error e = r.error();
                m_connections.erase(m_connections.begin() + long(i));
                m_acceptResumeNs = 0; // a descriptor is free again: a waiting connection can be accepted now
                if (e.code == ErrorCode::PeerGone || (e.code == ErrorCode::Corrupt && e.sysErrno == ENODATA))
                    return takeFromAny(buffer);
                return e;
            }
            m_next = i + 1;
            return r;
        }
        return std::size_t(0);
    }

    int m_listenFd;
    std::string m_path;
    std::size_t m_maxFrame;
    std::vector<FrameReader> m_connections;
    std::size_t m_next = 0;
    std::uint64_t m_acceptResumeNs = 0; // the listener is left alone until then (see acceptPending)
    std::uint64_t m_acceptPauseNs = FirstAcceptPauseNs;
};

class SocketObject final : public ChannelObject {
public:
    SocketObject(ChannelAddress address, FileDescriptor listener)
        : ChannelObject(std::move(address))
        , m_listener(std::move(listener))
    { }
    ~SocketObject() override { (void)removePath(m_address.name); }
    std::int64_t depth() override { return -1; }
    int listenFd() const override { return m_listener.get(); }
    // Connections that no consumer accepted still hold their data in the listener's backlog.
    std::uint64_t drainLeftovers() override
    {
        std::uint64_t frames = 0;
        for (;;) {
            auto fd = UnixSocket::tryAccept(m_listener.get());
            if (!fd || !fd->valid())
                return frames;
            frames += countFrames(fd->get());
        }
    }

private:
    FileDescriptor m_listener;
};

} // namespace

namespace shmlayout {
std::uint32_t ringSlotStride(std::uint32_t messageSize)
{
    return (messageSize + 63u) & ~63u;
}
std::size_t ringBytes(std::uint32_t capacity, std::uint32_t messageSize)
{
    return RingHeaderBytes + std::size_t(capacity) * ringSlotStride(messageSize);
}
std::size_t valueBytes(std::uint32_t messageSize)
{
    return ValueHeaderBytes + messageSize;
}
std::size_t spscBytes(std::uint32_t capacity, std::uint32_t messageSize)
{
    return SpscHeaderBytes + std::size_t(capacity) * ringSlotStride(messageSize);
}
} // namespace shmlayout

std::size_t streamReadAheadBytes(std::size_t messageSize)
{
    return std::max<std::size_t>(65536, 2 * messageSize);
}

std::vector<OsName> channelOsNames(const ChannelAddress& a)
{
    switch (a.transport) {
    case TransportKind::Mq:
        return { { "mq", a.name } };
    case TransportKind::ShmRing:
        return { { "shm", a.name }, { "sem", semName(a.name, "empty") }, { "sem", semName(a.name, "full") },
            { "sem", semName(a.name, "mutex") } };
    case TransportKind::ShmValue:
    case TransportKind::ShmSpsc:
        return { { "shm", a.name } };
    case TransportKind::Fifo:
    case TransportKind::Socket:
        return { { "path", a.name } };
    case TransportKind::ShmArray:
    case TransportKind::Semaphore:
        return detail::programObjectOsNames(a);
    }
    return {};
}

Status removeOsName(const OsName& n)
{
    if (n.kind == "mq")
        return MessageQueue::unlink(n.name);
    if (n.kind == "shm")
        return SharedMemory::unlink(n.name);
    if (n.kind == "sem")
        return NamedSemaphore::unlink(n.name);
    if (n.kind == "path")
        return removePath(n.name);
    return detail::makeError(ErrorCode::InvalidArgument, "remove", n.name, "Unknown object kind '" + n.kind + "'");
}

Result<std::unique_ptr<ChannelObject>> ChannelObject::create(const ChannelAddress& a)
{
    switch (a.transport) {
    case TransportKind::Mq: {
        auto q = MessageQueue::create(a.name, a.capacity, a.messageSize, Access::ReadOnly);
        if (!q)
            return q.error();
        return std::unique_ptr<ChannelObject>(new MqObject(a, std::move(*q)));
    }
    case TransportKind::ShmRing: {
        auto shm = SharedMemory::create(a.name, shmlayout::ringBytes(a.capacity, a.messageSize));
        if (!shm)
            return shm.error();
        auto* header = new (shm->data()) shmlayout::RingHeader {};
        header->version = shmlayout::LayoutVersion;
        header->capacity = a.capacity;
        header->slotStride = shmlayout::ringSlotStride(a.messageSize);
        std::atomic_ref<std::uint32_t>(header->magic).store(shmlayout::RingMagic, std::memory_order_release);
        auto empty = NamedSemaphore::create(semName(a.name, "empty"), a.capacity);
        if (!empty)
            return empty.error();
        auto full = NamedSemaphore::create(semName(a.name, "full"), 0);
        if (!full)
            return full.error();
        auto mutex = NamedSemaphore::create(semName(a.name, "mutex"), 1);
        if (!mutex)
            return mutex.error();
        return std::unique_ptr<ChannelObject>(
            new RingObject(a, std::move(*shm), std::move(*empty), std::move(*full), std::move(*mutex)));
    }
    case TransportKind::ShmValue: {
        auto shm = SharedMemory::create(a.name, shmlayout::valueBytes(a.messageSize));
        if (!shm)
            return shm.error();
        auto* header = new (shm->data()) shmlayout::ValueHeader {};
        header->version = shmlayout::LayoutVersion;
        header->slotSize = a.messageSize;
        std::atomic_ref<std::uint32_t>(header->magic).store(shmlayout::ValueMagic, std::memory_order_release);
        return std::unique_ptr<ChannelObject>(new ValueObject(a, std::move(*shm)));
    }
    case TransportKind::ShmSpsc: {
        auto shm = SharedMemory::create(a.name, shmlayout::spscBytes(a.capacity, a.messageSize));
        if (!shm)
            return shm.error();
        auto* header = new (shm->data()) shmlayout::SpscHeader {};
        header->version = shmlayout::LayoutVersion;
        header->capacity = a.capacity;
        header->slotStride = shmlayout::ringSlotStride(a.messageSize);
        std::atomic_ref<std::uint32_t>(header->magic).store(shmlayout::SpscMagic, std::memory_order_release);
        return std::unique_ptr<ChannelObject>(new SpscObject(a, std::move(*shm)));
    }
    case TransportKind::Fifo: {
        if (Status st = Fifo::create(a.name); !st)
            return st.error();
        const int fd = ::open(a.name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            const int err = errno;
            (void)removePath(a.name);
            return detail::sysError("open", a.name, err);
        }
        return std::unique_ptr<ChannelObject>(new FifoObject(a, FileDescriptor(fd)));
    }
    case TransportKind::Socket: {
        auto listener = UnixSocket::listen(a.name);
        if (!listener)
            return listener.error();
        return std::unique_ptr<ChannelObject>(new SocketObject(a, std::move(*listener)));
    }
    case TransportKind::ShmArray:
    case TransportKind::Semaphore:
        return detail::createProgramObject(a);
    }
    return detail::makeError(ErrorCode::NotSupported, "create channel", a.name, "Unknown transport");
}

namespace {
Error noMessages(const ChannelAddress& a)
{
    return detail::makeError(ErrorCode::NotSupported, "open channel", a.name,
        std::string("A ") + traits(a.transport).description
            + " carries no messages; only a program's steps (read, write, acquire, release) use it");
}

// Opens a channel's shared memory, checks its header with `view`, and builds the endpoint from the two.
template <typename Endpoint, typename Base, typename ViewFn>
Result<std::unique_ptr<Base>> openMapped(const ChannelAddress& a, Access access, std::size_t bytes, ViewFn view)
{
    auto shm = SharedMemory::open(a.name, access, bytes);
    if (!shm)
        return shm.error();
    auto checked = view(*shm, a);
    if (!checked)
        return checked.error();
    return std::unique_ptr<Base>(new Endpoint(std::move(*shm), *checked));
}
} // namespace

Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks& hooks)
{
    auto cancel = [&] { return hooks.stopRequested(); };
    switch (a.transport) {
    case TransportKind::Mq: {
        auto q = MessageQueue::open(a.name, Access::WriteOnly);
        if (!q)
            return q.error();
        return std::unique_ptr<ProducerEndpoint>(new MqProducer(std::move(*q)));
    }
    case TransportKind::ShmRing: {
        auto parts = openRing(a);
        if (!parts)
            return parts.error();
        return std::unique_ptr<ProducerEndpoint>(new RingProducer(std::move(*parts)));
    }
    case TransportKind::ShmValue:
        return openMapped<ValueProducer, ProducerEndpoint>(
            a, Access::ReadWrite, shmlayout::valueBytes(a.messageSize), viewValue);
    case TransportKind::ShmSpsc:
        return openMapped<SpscProducer, ProducerEndpoint>(
            a, Access::ReadWrite, shmlayout::spscBytes(a.capacity, a.messageSize), viewSpsc);
    case TransportKind::Fifo: {
        auto s = Fifo::openWriter(a.name, ConnectTimeout, cancel);
        if (!s)
            return s.error();
        return std::unique_ptr<ProducerEndpoint>(new StreamProducer(std::move(*s)));
    }
    case TransportKind::Socket: {
        auto s = UnixSocket::connect(a.name, ConnectTimeout, cancel);
        if (!s)
            return s.error();
        return std::unique_ptr<ProducerEndpoint>(new StreamProducer(std::move(*s), a.name));
    }
    case TransportKind::ShmArray:
    case TransportKind::Semaphore:
        return noMessages(a);
    }
    return detail::makeError(ErrorCode::NotSupported, "open channel", a.name, "Unknown transport");
}

Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a)
{
    switch (a.transport) {
    case TransportKind::Mq: {
        auto q = MessageQueue::open(a.name, Access::ReadOnly);
        if (!q)
            return q.error();
        return std::unique_ptr<ConsumerEndpoint>(new MqConsumer(std::move(*q)));
    }
    case TransportKind::ShmRing: {
        auto parts = openRing(a);
        if (!parts)
            return parts.error();
        return std::unique_ptr<ConsumerEndpoint>(new RingConsumer(std::move(*parts)));
    }
    case TransportKind::ShmValue:
        return openMapped<ValueConsumer, ConsumerEndpoint>(
            a, Access::ReadOnly, shmlayout::valueBytes(a.messageSize), viewValue);
    case TransportKind::ShmSpsc:
        return openMapped<SpscConsumer, ConsumerEndpoint>(
            a, Access::ReadWrite, shmlayout::spscBytes(a.capacity, a.messageSize), viewSpsc);
    case TransportKind::Fifo: {
        auto s = Fifo::openReader(a.name);
        if (!s)
            return s.error();
        return std::unique_ptr<ConsumerEndpoint>(new FifoConsumer(std::move(*s), a.messageSize));
    }
    case TransportKind::Socket:
        if (a.listenFd < 0)
            return detail::makeError(ErrorCode::InvalidArgument, "open channel", a.name,
                "A socket consumer needs the runner's listening descriptor (--listen-fd)");
        return std::unique_ptr<ConsumerEndpoint>(new SocketConsumer(a.listenFd, a.name, a.messageSize));
    case TransportKind::ShmArray:
    case TransportKind::Semaphore:
        return noMessages(a);
    }
    return detail::makeError(ErrorCode::NotSupported, "open channel", a.name, "Unknown transport");
}

} // namespace ipccore

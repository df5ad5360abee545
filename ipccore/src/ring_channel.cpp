// The textbook bounded buffer: a ring of slots in shared memory guarded by three named semaphores (empty,
// full, mutex), with the phases a killed worker leaves behind so the runner can repair it.
// A rendezvous (a CSP channel) is the same ring with one slot and a fourth semaphore, "taken": a receiver posts it
// after each take, and a sender, once its message is in the slot, waits on it until the ring's tail has passed its
// message. So the sender goes on only when a receiver has the message, as an unbuffered channel demands.

#include "channel_family.h"

#include "ipccore/framing.h"
#include "ipccore/semaphore.h"
#include "ipccore/shared_memory.h"

#include <atomic>
#include <cstddef>
#include <cstring>
#include <new>
#include <optional>

namespace ipccore {

namespace {

using detail::cpuRelax;
using detail::isCode;
using detail::NoHooks;
using detail::stopped;
constexpr Duration Slice = detail::WaitSlice;

// ---- Shared-memory ring guarded by three named semaphores ----------------------------------------------------

std::string semName(const std::string& base, const char* role)
{
    return base + "." + role;
}

constexpr int AcquireSpins = 32;

Status acquire(NamedSemaphore& sem, WorkerState waitState, WaitHooks& hooks)
{
    // A few tries before sleeping in the kernel: the other side usually posts within a few hundred nanoseconds.
    // (Without them, 4 KiB messages went from 2.0 M to 1.3-1.4 M msgs/s once a failed try stopped building an
    // error message, which had been the only pause; 8, 32 and 128 tries measured the same, 1.9-2.1 M.)
    for (int spin = 0;; ++spin) {
        Result<bool> taken = sem.tryTake();
        if (!taken)
            return taken.error();
        if (*taken)
            return {};
        if (spin == AcquireSpins)
            break;
        cpuRelax();
    }
    // A call that may not wait (put_nowait: its deadline has passed already) gives up here, never blocked.
    if (hooks.stopRequested())
        return stopped(sem.name());
    hooks.enter(waitState);
    for (;;) {
        if (hooks.stopRequested())
            return stopped(sem.name());
        Status st = sem.waitFor(hooks.slice(Slice));
        if (!isCode(st, ErrorCode::TimedOut))
            return st;
    }
}

// The smallest slot a ring lends (zero-copy loans, held under the lock). A loan saves a copy but lengthens the
// critical section by building or checking the frame, which a copy does outside it, so the two sides no longer
// overlap. shm-ring msgs/s, `ipclab-cli bench --pin`, alternated with copying on both sides: lending at every size,
// 64 B 2.6-3.1 M against 3.3-5.7 M, 4 KiB 0.72-0.84 M against 0.91-1.45 M, 64 KiB 90-95 k against 57-60 k; lending
// from 8 KiB, 64 KiB 87-104 k (the consumer's loan alone 83-85 k, the producer's alone 56-66 k). Decided per ring, by
// its slot size: a ring of large slots lends a small frame too.
constexpr std::uint32_t LendFrom = 8192;

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
    std::optional<NamedSemaphore> taken; // a rendezvous only
};

// A rendezvous is written with capacity 0 (nothing waits in it) and built as a ring of one slot.
ChannelAddress ringAddress(ChannelAddress a)
{
    if (a.transport == TransportKind::Rendezvous)
        a.capacity = 1;
    return a;
}

Result<RingParts> openRing(const ChannelAddress& written)
{
    const ChannelAddress address = ringAddress(written);
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
    RingParts parts { std::move(*shm), std::move(*empty), std::move(*full), std::move(*mutex), *view, std::nullopt };
    if (address.transport == TransportKind::Rendezvous) {
        auto taken = NamedSemaphore::open(semName(address.name, "taken"));
        if (!taken)
            return taken.error();
        parts.taken = std::move(*taken);
    }
    return parts;
}

class RingProducer final : public ProducerEndpoint {
public:
    explicit RingProducer(RingParts parts)
        : m_ring(std::move(parts))
    { }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        auto slot = loanSlot(frame.size(), hooks);
        if (!slot)
            return slot.error();
        std::memcpy(slot->data(), frame.data(), frame.size());
        if (Status st = publishHeld(hooks); !st)
            return st;
        return m_ring.taken ? awaitReceiver(hooks) : Status {};
    }
    // A loan holds the lock from loan to commit: the frame is built where the textbook copies it, inside the
    // critical section, after "empty" and the lock. A kill in between leaves the phase of a copy begun, which the
    // runner repairs as before. Only rings of large slots lend (see LendFrom). A rendezvous sends through send(),
    // which waits for a receiver after publishing.
    bool lends() const override { return !m_ring.taken && m_ring.view.stride >= LendFrom; }
    Result<std::span<std::byte>> loan(std::size_t size, WaitHooks& hooks) override
    {
        auto slot = loanSlot(size, hooks);
        if (slot)
            m_loanHooks = &hooks;
        return slot;
    }
    void commit() override
    {
        if (m_loanHooks)
            (void)publishHeld(*m_loanHooks); // full.post fails only past SEM_VALUE_MAX, which capacity rules out
        m_loanHooks = nullptr;
    }

private:
    // Waits for an empty slot, then the lock: the textbook order (taking them the other way round deadlocks).
    // Returns the slot at the head with the lock held. The phase is published after each step so the runner can
    // return the tokens of a worker killed mid-way.
    Result<std::span<std::byte>> loanSlot(std::size_t size, WaitHooks& hooks)
    {
        if (size > m_ring.view.stride)
            return detail::makeError(ErrorCode::MessageTooLarge, "ring send", m_ring.shm.name(),
                "The frame does not fit a slot of " + std::to_string(m_ring.view.stride) + " bytes");
        for (;;) {
            if (Status st = acquire(m_ring.empty, WorkerState::BlockedFull, hooks); !st)
                return st.error();
            hooks.setPhase(RingPhase::HasSlot);
            auto locked = lockFreeSlot(hooks);
            if (!locked)
                return locked.error();
            if (*locked) {
                const RingView& v = m_ring.view;
                return std::span(v.slots + (m_written % v.capacity) * v.stride, size);
            }
            // A surplus "empty" token: the ring was full after all. Drop the token and wait again.
        }
    }

    // A rendezvous: the message is in the slot; wait until a receiver has taken it (the tail has passed it).
    Status awaitReceiver(WaitHooks& hooks)
    {
        hooks.enter(WorkerState::BlockedFull);
        for (;;) {
            // Every message's receiver posts one token, and every sender takes one when it comes, so tokens do not
            // pile up. The tail says whose message went: a token taken for a message still in the slot was stale
            // or another sender's, and a sender whose token another took finds its message gone at the next slice.
            Status st = m_ring.taken->waitFor(std::min<Duration>(hooks.slice(Slice), std::chrono::milliseconds(5)));
            const bool passed = m_ring.view.header->tail.load(std::memory_order_acquire) > m_written;
            if (!st && !isCode(st, ErrorCode::TimedOut))
                return st;
            if (passed || (!st && hooks.stopRequested()))
                return {}; // a stop does not take the message back: it is in the channel, counted as sent
        }
    }

    // Holds one "empty" token. Returns true with the lock held and m_written at the free slot, false when the token
    // turned out to be surplus: a token handed back twice after a worker was killed between its post and its phase
    // update. The semaphores are only hints here; the indices, read under the lock, are the truth.
    Result<bool> lockFreeSlot(WaitHooks& hooks)
    {
        if (Status st = acquire(m_ring.mutex, WorkerState::WaitingLock, hooks); !st) {
            (void)m_ring.empty.post(); // give the slot back
            hooks.setPhase(0);
            return st.error();
        }
        hooks.lockTaken();
        const RingView& v = m_ring.view;
        const std::uint64_t head = v.header->head.load(std::memory_order_relaxed);
        const std::uint64_t tail = v.header->tail.load(std::memory_order_relaxed);
        hooks.setPhaseIndex(head);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock);
        hooks.insideLock();
        if (head >= tail && head - tail == v.capacity) {
            hooks.lockReleased();
            (void)m_ring.mutex.post();
            hooks.setPhase(0);
            return false;
        }
        if (head < tail || head - tail > v.capacity) {
            hooks.lockReleased();
            (void)m_ring.mutex.post();
            (void)m_ring.empty.post();
            hooks.setPhase(0);
            return detail::makeError(ErrorCode::Corrupt, "ring send", m_ring.shm.name(),
                "Ring indices are inconsistent (head " + std::to_string(head) + ", tail " + std::to_string(tail)
                    + ", capacity " + std::to_string(v.capacity) + ")",
                EBADMSG);
        }
        m_written = head;
        return true;
    }

    // The frame is in the slot at m_written and the lock is held: advance the head, unlock, announce the frame.
    Status publishHeld(WaitHooks& hooks)
    {
        m_ring.view.header->head.store(m_written + 1, std::memory_order_release);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock | RingPhase::Moved);
        hooks.lockReleased();
        (void)m_ring.mutex.post();
        hooks.setPhase(RingPhase::HasSlot | RingPhase::Moved);
        Status st = m_ring.full.post();
        hooks.setPhase(0);
        return st;
    }

    RingParts m_ring;
    std::uint64_t m_written = 0; // the index of the slot this producer wrote last
    WaitHooks* m_loanHooks = nullptr; // from a loan to its commit
};

class RingConsumer final : public ConsumerEndpoint {
public:
    explicit RingConsumer(RingParts parts)
        : m_ring(std::move(parts))
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        auto slot = peekSlot(hooks);
        if (!slot)
            return slot.error();
        return copyOut(*slot, buffer, hooks);
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        Result<bool> taken = m_ring.full.tryTake();
        if (!taken)
            return taken.error();
        if (!*taken)
            return std::size_t(0);
        NoHooks none;
        auto slot = lockFullSlot(none);
        if (!slot)
            return slot.error();
        if (slot->empty())
            return std::size_t(0);
        return copyOut(*slot, buffer, none);
    }
    // As the producer's loan: the frame is read where it lies with the lock held, from peek to release.
    bool lends() const override { return !m_ring.taken && m_ring.view.stride >= LendFrom; }
    Result<std::span<const std::byte>> peek(WaitHooks& hooks) override
    {
        auto slot = peekSlot(hooks);
        if (slot)
            m_loanHooks = &hooks;
        return slot;
    }
    void release() override
    {
        if (m_loanHooks)
            releaseHeld(*m_loanHooks);
        m_loanHooks = nullptr;
    }

private:
    // Waits for a full slot, then the lock, and returns the frame at the tail with the lock held.
    Result<std::span<const std::byte>> peekSlot(WaitHooks& hooks)
    {
        for (;;) {
            if (Status st = acquire(m_ring.full, WorkerState::BlockedEmpty, hooks); !st)
                return st.error();
            hooks.setPhase(RingPhase::HasSlot);
            auto slot = lockFullSlot(hooks);
            if (!slot || !slot->empty())
                return slot;
            // A surplus "full" token: the ring was empty after all (see lockFullSlot). Wait again.
        }
    }

    // receive's copy: the frame peek would return, copied into buffer, its slot given back. The header is copied
    // from the checked length's read, so the length the caller sees is the one checked.
    Result<std::size_t> copyOut(std::span<const std::byte> slot, std::span<std::byte> buffer, WaitHooks& hooks)
    {
        Result<std::size_t> result = slot.size();
        if (slot.size() > buffer.size())
            result = detail::makeError(ErrorCode::Corrupt, "ring receive", m_ring.shm.name(),
                "A slot holds a frame of " + std::to_string(slot.size()) + " bytes, more than the "
                    + std::to_string(buffer.size()) + " the reader has room for");
        else {
            std::memcpy(buffer.data(), slot.data(), slot.size());
            std::memcpy(buffer.data() + offsetof(FrameHeader, length), &m_length, sizeof m_length);
        }
        releaseHeld(hooks);
        return result;
    }

    // Holds one "full" token; takes the lock. Returns the frame at the tail with the lock held, or an empty span
    // when the token turned out to be surplus (the ring is empty: a token handed back twice after a kill); the
    // indices, not the semaphores, are the truth. A slot with an impossible length is given back (the tail passes
    // it) before the error returns; inconsistent indices give back the token and nothing else.
    Result<std::span<const std::byte>> lockFullSlot(WaitHooks& hooks)
    {
        if (Status st = acquire(m_ring.mutex, WorkerState::WaitingLock, hooks); !st) {
            (void)m_ring.full.post();
            hooks.setPhase(0);
            return st.error();
        }
        hooks.lockTaken();
        const RingView& v = m_ring.view;
        const std::uint64_t head = v.header->head.load(std::memory_order_acquire);
        const std::uint64_t tail = v.header->tail.load(std::memory_order_relaxed);
        hooks.setPhaseIndex(tail);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock);
        hooks.insideLock();
        if (head == tail) {
            hooks.lockReleased();
            (void)m_ring.mutex.post();
            hooks.setPhase(0);
            return std::span<const std::byte>();
        }
        if (head < tail || head - tail > v.capacity) {
            hooks.lockReleased();
            (void)m_ring.mutex.post();
            (void)m_ring.full.post();
            hooks.setPhase(0);
            return detail::makeError(ErrorCode::Corrupt, "ring receive", m_ring.shm.name(),
                "Ring indices are inconsistent (head " + std::to_string(head) + ", tail " + std::to_string(tail)
                    + ", capacity " + std::to_string(v.capacity) + ")",
                EBADMSG);
        }
        m_tail = tail;
        const std::byte* slot = v.slots + (tail % v.capacity) * v.stride;
        std::memcpy(&m_length, slot + offsetof(FrameHeader, length), sizeof m_length); // read once, checked once
        if (m_length < FrameHeaderSize || m_length > v.stride) {
            auto error = detail::makeError(ErrorCode::Corrupt, "ring receive", m_ring.shm.name(),
                "Slot " + std::to_string(tail % v.capacity) + " holds an impossible length " + std::to_string(m_length)
                    + " (slot size " + std::to_string(v.stride) + ")");
            releaseHeld(hooks);
            return error;
        }
        return std::span(slot, m_length);
    }

    // The frame at m_tail has been read and the lock is held: advance the tail, unlock, announce the free slot.
    void releaseHeld(WaitHooks& hooks)
    {
        m_ring.view.header->tail.store(m_tail + 1, std::memory_order_release);
        hooks.setPhase(RingPhase::HasSlot | RingPhase::HasLock | RingPhase::Moved);
        hooks.lockReleased();
        (void)m_ring.mutex.post();
        hooks.setPhase(RingPhase::HasSlot | RingPhase::Moved);
        // A rendezvous: the sender hears that its message went before another sender can get the slot.
        if (m_ring.taken)
            (void)m_ring.taken->post();
        (void)m_ring.empty.post();
        hooks.setPhase(0);
    }

    RingParts m_ring;
    std::uint64_t m_tail = 0; // the index of the slot this consumer holds, from lockFullSlot to releaseHeld
    std::uint32_t m_length = 0; // that slot's frame length, as read and checked
    WaitHooks* m_loanHooks = nullptr; // from a peek to its release
};

class RingObject final : public ChannelObject {
public:
    // A rendezvous is a ring of one slot: its lock and slots are the ring's, and a full wait is for a receiver.
    std::string waitingOn(const std::string& n, WorkerState state) const override
    {
        const std::string& os = m_address.name;
        switch (state) {
        case WorkerState::BlockedFull:
            return m_taken
                ? n + ": waiting for a receiver to take the message (sem_wait on " + os + ".taken or " + os + ".empty)"
                : n + ": no empty slot (sem_wait on " + os + ".empty)";
        case WorkerState::BlockedEmpty:
            return n + ": no full slot (sem_wait on " + os + ".full)";
        case WorkerState::WaitingLock:
            return n + ": lock held by another worker (sem_wait on " + os + ".mutex)";
        default:
            return {};
        }
    }
    // Holding a slot token and nothing else: on its way into the lock, perhaps through it.
    bool mayHaveJustTakenLock(Role, std::uint32_t phase) const override
    {
        return (phase & RingPhase::HasSlot) && !(phase & (RingPhase::HasLock | RingPhase::Moved));
    }

    RingObject(ChannelAddress address, SharedMemory shm, NamedSemaphore empty, NamedSemaphore full,
        NamedSemaphore mutex, std::optional<NamedSemaphore> taken)
        : ChannelObject(std::move(address))
        , m_shm(std::move(shm))
        , m_empty(std::move(empty))
        , m_full(std::move(full))
        , m_mutex(std::move(mutex))
        , m_taken(std::move(taken))
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
        for (auto* sem : { &m_empty, &m_full, &m_mutex, m_taken ? &*m_taken : nullptr }) {
            if (!sem)
                continue;
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
    std::optional<NamedSemaphore> m_taken; // a rendezvous only
};

class RingFamily final : public detail::ChannelFamily {
public:
    std::vector<OsName> osNames(const ChannelAddress& a) const override
    {
        std::vector<OsName> names { { "shm", a.name }, { "sem", semName(a.name, "empty") },
            { "sem", semName(a.name, "full") }, { "sem", semName(a.name, "mutex") } };
        if (a.transport == TransportKind::Rendezvous)
            names.push_back({ "sem", semName(a.name, "taken") });
        return names;
    }
    Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& written) const override
    {
        const ChannelAddress a = ringAddress(written);
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
        std::optional<NamedSemaphore> taken;
        if (a.transport == TransportKind::Rendezvous) {
            auto made = NamedSemaphore::create(semName(a.name, "taken"), 0);
            if (!made)
                return made.error();
            taken = std::move(*made);
        }
        return std::unique_ptr<ChannelObject>(new RingObject(
            a, std::move(*shm), std::move(*empty), std::move(*full), std::move(*mutex), std::move(taken)));
    }
    Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks&) const override
    {
        auto parts = openRing(a);
        if (!parts)
            return parts.error();
        return std::unique_ptr<ProducerEndpoint>(new RingProducer(std::move(*parts)));
    }
    Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const override
    {
        auto parts = openRing(a);
        if (!parts)
            return parts.error();
        return std::unique_ptr<ConsumerEndpoint>(new RingConsumer(std::move(*parts)));
    }
};

} // namespace

const detail::ChannelFamily& detail::ringFamily()
{
    static const RingFamily family;
    return family;
}
} // namespace ipccore

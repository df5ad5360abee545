// The lock-free single-producer single-consumer ring in shared memory; sides sleep on a futex only when idle.

#include "channel_family.h"
#include "futex.h"

#include "ipccore/framing.h"
#include "ipccore/shared_memory.h"

#include <linux/membarrier.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <new>
#include <sys/syscall.h>
#include <unistd.h>

namespace ipccore {

namespace {

using detail::cpuRelax;
using detail::stopped;
constexpr Duration Slice = detail::WaitSlice;

// ---- Lock-free single-producer single-consumer ring ------------------------------------------------------------
//
// The producer owns head, the consumer owns tail; each keeps a cached copy of the other's index and reloads it
// only when the ring looks full (or empty), so in steady state a message costs one store and no shared-line
// read. A side that finds nothing to do spins briefly, then sleeps on a futex after announcing it in its
// *Sleeping word; the other side wakes it after publishing. The announce/publish pair is a Dekker handshake: each
// side stores, then loads the other's word, and a full fence between the two on both sides makes sure at least
// one of them sees the other's store, so no wake-up is lost. Sleeps are also bounded (100 ms) so a stop request is
// noticed.
//
// A fence on every publish is what made shm-spsc slow at 64 B: the publishing side waits at each fence until its
// stores into the slot are out, which a bare ring never does (perf: the producer's commit and buildFrame, stalled
// behind it, took 41 % of a run). So the fence is moved to the side that is about to sleep, which is rare: where
// the kernel has membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) (Linux 4.16), every process that opens an endpoint
// registers for it, publishes with a compiler barrier only, and a side going to sleep calls membarrier, which runs
// a full fence on every CPU that runs a registered process (about 1 us). That fence falls either after the
// publisher's store (which the sleeper then sees) or before its load (which then sees the sleeper's announce), as
// in userspace RCU. Where membarrier is missing both sides fence every message, as before.

// True when this process is registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED (asked once).
bool asymmetricFences()
{
    static const bool registered = [] {
        const long commands = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        return commands > 0 && (commands & MEMBARRIER_CMD_GLOBAL_EXPEDITED)
            && syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0;
    }();
    return registered;
}

// Between a publish and the load of the other side's *Sleeping word.
inline void publishFence(bool asymmetric)
{
    if (asymmetric)
        std::atomic_signal_fence(std::memory_order_seq_cst); // the compiler keeps the order; membarrier does the rest
    else
        std::atomic_thread_fence(std::memory_order_seq_cst);
}

// Between announcing a sleep and looking again at the other side's index.
inline void sleepFence(bool asymmetric)
{
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // Once this process is registered it cannot fail; were it to, a lost wake-up would cost one bounded sleep.
    if (asymmetric)
        (void)syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
}

long futexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, Duration timeout)
{
    return detail::futexWait(word, expected, std::uint64_t(timeout.count()));
}
using detail::futexWake;

// A waiting side spins briefly (a hand-over between two cores takes well under a microsecond), then yields the core
// for a while before it sleeps. Yielding matters when both sides share one core (a busy 2-core machine): a pure spin
// holds the core the other side needs for the whole spin (2000 pauses were ~55 us on AMD Zen), so every message
// waited that long (the bench measured p50 = 53 us one-way instead of 0.4 us).
constexpr int PauseSpins = 64;
constexpr int SpinsBeforeSleep = PauseSpins + 100;

inline void spinOnce(int spins)
{
    if (spins < PauseSpins)
        cpuRelax();
    else
        sched_yield();
}

// The wait both sides share. `stillWaiting` reloads the other side's index and says whether there is still nothing
// to do: spin, then yield, then sleep on `sleeping` (announced, fenced, looked at again) in bounded slices.
template <typename StillWaiting>
Status waitForTheOtherSide(StillWaiting stillWaiting, std::atomic<std::uint32_t>& sleeping, WorkerState blocked,
    bool asymmetric, const std::string& name, WaitHooks& hooks)
{
    int spins = 0;
    bool reported = false;
    while (stillWaiting()) {
        if (++spins < SpinsBeforeSleep) {
            // Past the short pause loop a wait shows as spinning: the quick hand-offs cost no event.
            if (spins == PauseSpins)
                hooks.enter(WorkerState::Spinning);
            spinOnce(spins);
            continue;
        }
        // Asked first: a call that may not wait (put_nowait) gives up without having been blocked.
        if (hooks.stopRequested())
            return stopped(name);
        if (!reported) {
            hooks.enter(blocked);
            reported = true;
        }
        sleeping.store(1, std::memory_order_relaxed);
        sleepFence(asymmetric);
        if (stillWaiting())
            futexWait(sleeping, 1, hooks.slice(Slice));
        sleeping.store(0, std::memory_order_relaxed);
    }
    return {};
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
        auto slot = loan(frame.size(), hooks);
        if (!slot)
            return slot.error();
        std::memcpy(slot->data(), frame.data(), frame.size());
        commit();
        return {};
    }
    bool lends() const override { return true; }
    Result<std::span<std::byte>> loan(std::size_t size, WaitHooks& hooks) override
    {
        if (size > m_v.stride)
            return detail::makeError(ErrorCode::MessageTooLarge, "ring send", m_shm.name(),
                "The frame does not fit a slot of " + std::to_string(m_v.stride) + " bytes");
        if (m_head - m_cachedTail >= m_v.capacity) {
            if (Status room = waitForRoom(hooks); !room)
                return room.error();
        }
        return std::span(m_v.slots + (m_head % m_v.capacity) * m_v.stride, size);
    }
    void commit() override
    {
        auto* h = m_v.header;
        h->head.store(++m_head, std::memory_order_release);
        publishFence(m_asymmetric);
        if (h->consumerSleeping.load(std::memory_order_relaxed)) {
            h->consumerSleeping.store(0, std::memory_order_relaxed);
            futexWake(h->consumerSleeping);
        }
    }

private:
    Status waitForRoom(WaitHooks& hooks)
    {
        auto* h = m_v.header;
        return waitForTheOtherSide(
            [&] {
                m_cachedTail = h->tail.load(std::memory_order_acquire);
                return m_head - m_cachedTail >= m_v.capacity;
            },
            h->producerSleeping, WorkerState::BlockedFull, m_asymmetric, m_shm.name(), hooks);
    }

    SharedMemory m_shm;
    SpscView m_v;
    std::uint64_t m_head;
    std::uint64_t m_cachedTail;
    const bool m_asymmetric = asymmetricFences();
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
        if (m_cachedHead == m_tail) {
            if (Status frame = waitForFrame(hooks); !frame)
                return frame.error();
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
    bool lends() const override { return true; }
    Result<std::span<const std::byte>> peek(WaitHooks& hooks) override
    {
        if (m_cachedHead == m_tail) {
            if (Status frame = waitForFrame(hooks); !frame)
                return frame.error();
        }
        return nextSlot();
    }
    void release() override
    {
        auto* h = m_v.header;
        h->tail.store(++m_tail, std::memory_order_release);
        publishFence(m_asymmetric);
        if (h->producerSleeping.load(std::memory_order_relaxed)) {
            h->producerSleeping.store(0, std::memory_order_relaxed);
            futexWake(h->producerSleeping);
        }
    }

private:
    Status waitForFrame(WaitHooks& hooks)
    {
        auto* h = m_v.header;
        return waitForTheOtherSide(
            [&] {
                m_cachedHead = h->head.load(std::memory_order_acquire);
                return m_cachedHead == m_tail;
            },
            h->consumerSleeping, WorkerState::BlockedEmpty, m_asymmetric, m_shm.name(), hooks);
    }

    // The frame in the slot at the tail, its length read once from the slot (a producer may change the slot at any
    // time; the length checked is the length used). A slot with an impossible length is given back before the error
    // returns; inconsistent indices stop the reader and give back nothing.
    Result<std::span<const std::byte>> nextSlot()
    {
        auto slot = slotAtTail();
        if (!slot && slot.error().sysErrno != EBADMSG)
            release();
        return slot;
    }
    Result<std::span<const std::byte>> slotAtTail()
    {
        if (m_cachedHead - m_tail > m_v.capacity)
            return detail::makeError(ErrorCode::Corrupt, "ring receive", m_shm.name(),
                "Ring indices are inconsistent (head " + std::to_string(m_cachedHead) + ", tail "
                    + std::to_string(m_tail) + ", capacity " + std::to_string(m_v.capacity) + ")",
                EBADMSG);
        const std::byte* slot = m_v.slots + (m_tail % m_v.capacity) * m_v.stride;
        std::uint32_t length = 0;
        std::memcpy(&length, slot + offsetof(FrameHeader, length), sizeof length);
        if (length < FrameHeaderSize || length > m_v.stride)
            return detail::makeError(ErrorCode::Corrupt, "ring receive", m_shm.name(),
                "Slot " + std::to_string(m_tail % m_v.capacity) + " holds an impossible length "
                    + std::to_string(length) + " (slot size " + std::to_string(m_v.stride) + ")");
        return std::span(slot, length);
    }

    // receive's copy: the frame peek would return, copied into buffer, its slot given back.
    Result<std::size_t> take(std::span<std::byte> buffer)
    {
        auto slot = nextSlot();
        if (!slot)
            return slot.error();
        Result<std::size_t> result = slot->size();
        if (slot->size() > buffer.size())
            result = detail::makeError(ErrorCode::Corrupt, "ring receive", m_shm.name(),
                "Slot " + std::to_string(m_tail % m_v.capacity) + " holds a frame of " + std::to_string(slot->size())
                    + " bytes, more than the " + std::to_string(buffer.size()) + " the reader has room for");
        else
            std::memcpy(buffer.data(), slot->data(), slot->size());
        release();
        return result;
    }

    SharedMemory m_shm;
    SpscView m_v;
    std::uint64_t m_tail;
    std::uint64_t m_cachedHead;
    const bool m_asymmetric = asymmetricFences();
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

class SpscFamily final : public detail::ChannelFamily {
public:
    std::vector<OsName> osNames(const ChannelAddress& a) const override { return { { "shm", a.name } }; }
    Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& a) const override
    {
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
    Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks&) const override
    {
        return detail::openMapped<SpscProducer, ProducerEndpoint>(
            a, Access::ReadWrite, shmlayout::spscBytes(a.capacity, a.messageSize), viewSpsc);
    }
    Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const override
    {
        return detail::openMapped<SpscConsumer, ConsumerEndpoint>(
            a, Access::ReadWrite, shmlayout::spscBytes(a.capacity, a.messageSize), viewSpsc);
    }
};

} // namespace

const detail::ChannelFamily& detail::spscFamily()
{
    static const SpscFamily family;
    return family;
}
} // namespace ipccore

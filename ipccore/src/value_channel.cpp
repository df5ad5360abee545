// A shared value: one slot in shared memory that each write overwrites, read untorn through a seqlock.

#include "channel_family.h"

#include "ipccore/framing.h"
#include "ipccore/shared_memory.h"

#include <atomic>
#include <cstring>
#include <new>

namespace ipccore {

namespace {

using detail::stopped;

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
            // Asked first: a read that may not wait gives up without having been blocked.
            if (hooks.stopRequested())
                return stopped(m_shm.name());
            if (!reported) {
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
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
    std::string waitingOn(const std::string& n, WorkerState state) const override
    {
        return state == WorkerState::WaitingLock ? n + ": another writer is inside the value"
                                                 : ChannelObject::waitingOn(n, state);
    }
    // A writer with no phase at all may have been killed just after it made the sequence odd.
    bool mayHaveJustTakenLock(Role role, std::uint32_t phase) const override
    {
        return role == Role::Producer && phase == 0;
    }

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

class ValueFamily final : public detail::ChannelFamily {
public:
    std::vector<OsName> osNames(const ChannelAddress& a) const override { return { { "shm", a.name } }; }
    Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& a) const override
    {
        auto shm = SharedMemory::create(a.name, shmlayout::valueBytes(a.messageSize));
        if (!shm)
            return shm.error();
        auto* header = new (shm->data()) shmlayout::ValueHeader {};
        header->version = shmlayout::LayoutVersion;
        header->slotSize = a.messageSize;
        std::atomic_ref<std::uint32_t>(header->magic).store(shmlayout::ValueMagic, std::memory_order_release);
        return std::unique_ptr<ChannelObject>(new ValueObject(a, std::move(*shm)));
    }
    Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks&) const override
    {
        return detail::openMapped<ValueProducer, ProducerEndpoint>(
            a, Access::ReadWrite, shmlayout::valueBytes(a.messageSize), viewValue);
    }
    Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const override
    {
        return detail::openMapped<ValueConsumer, ConsumerEndpoint>(
            a, Access::ReadOnly, shmlayout::valueBytes(a.messageSize), viewValue);
    }
};

} // namespace

const detail::ChannelFamily& detail::valueFamily()
{
    static const ValueFamily family;
    return family;
}
} // namespace ipccore

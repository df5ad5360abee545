#include "ipccore/telemetry.h"

#include "sys_error.h"

#include <algorithm>
#include <new>

namespace ipccore {

namespace {
struct BoardHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t slotCount;
    std::uint32_t slotSize;
};
constexpr std::size_t HeaderBytes = 64;
static_assert(sizeof(BoardHeader) <= HeaderBytes);

std::size_t boardBytes(std::uint32_t slots)
{
    return HeaderBytes + std::size_t(slots) * sizeof(WorkerSlot);
}
} // namespace

const char* workerStateName(WorkerState state)
{
    switch (state) {
    case WorkerState::Starting:
        return "starting";
    case WorkerState::Running:
        return "running";
    case WorkerState::BlockedFull:
        return "blocked (full)";
    case WorkerState::BlockedEmpty:
        return "blocked (empty)";
    case WorkerState::WaitingLock:
        return "waiting for lock";
    case WorkerState::Paused:
        return "paused";
    case WorkerState::Finished:
        return "finished";
    case WorkerState::Dead:
        return "dead";
    case WorkerState::Sleeping:
        return "sleeping (rate limit)";
    case WorkerState::Spinning:
        return "spinning";
    }
    return "?";
}

bool isBlocked(WorkerState state)
{
    return state == WorkerState::BlockedFull || state == WorkerState::BlockedEmpty || state == WorkerState::WaitingLock;
}

const char* roleName(Role role)
{
    switch (role) {
    case Role::Producer:
        return "producer";
    case Role::Consumer:
        return "consumer";
    case Role::Program:
        return "program";
    }
    return "?";
}

const char* workerErrorOpName(WorkerErrorOp op)
{
    switch (op) {
    case WorkerErrorOp::None:
        return "none";
    case WorkerErrorOp::Accept:
        return "accept4";
    }
    return "?";
}

Result<TelemetryBoard> TelemetryBoard::create(const std::string& name, std::uint32_t slots)
{
    if (slots == 0 || slots > MaxSlots)
        return detail::makeError(ErrorCode::InvalidArgument, "create board", name,
            "A board holds 1 to " + std::to_string(MaxSlots) + " workers");
    auto shm = SharedMemory::create(name, boardBytes(slots));
    if (!shm)
        return shm.error();
    // The slots are left as ftruncate gave them, zero and untouched (claim() constructs each before use): a board of
    // 4096 slots of a few KiB each costs memory only for the slots a run hands out.
    auto* base = static_cast<std::byte*>(shm->data());
    auto* header = new (base) BoardHeader { 0, Version, slots, std::uint32_t(sizeof(WorkerSlot)) };
    // The magic goes last: a reader that sees it sees an initialised board.
    std::atomic_ref<std::uint32_t>(header->magic).store(Magic, std::memory_order_release);
    return TelemetryBoard(std::move(*shm), slots);
}

Result<TelemetryBoard> TelemetryBoard::open(const std::string& name)
{
    auto shm = SharedMemory::open(name, Access::ReadWrite);
    if (!shm)
        return shm.error();
    if (shm->size() < HeaderBytes)
        return detail::makeError(ErrorCode::Corrupt, "open board", name, "The telemetry board is too small");
    auto* header = static_cast<BoardHeader*>(shm->data());
    const std::uint32_t magic = std::atomic_ref<std::uint32_t>(header->magic).load(std::memory_order_acquire);
    if (magic != Magic || header->version != Version || header->slotSize != sizeof(WorkerSlot) || header->slotCount == 0
        || header->slotCount > MaxSlots || shm->size() != boardBytes(header->slotCount))
        return detail::makeError(ErrorCode::Corrupt, "open board", name,
            "The telemetry board's header does not match this version of IPC Lab (magic, version or size); it was "
            "made by another program or is damaged");
    const std::uint32_t slots = header->slotCount;
    return TelemetryBoard(std::move(*shm), slots);
}

WorkerSlot& TelemetryBoard::slot(std::uint32_t index) const
{
    auto* base = static_cast<std::byte*>(m_shm.data());
    return *std::launder(reinterpret_cast<WorkerSlot*>(base + HeaderBytes + index * sizeof(WorkerSlot)));
}

WorkerSlot& TelemetryBoard::claim(std::uint32_t index)
{
    auto* base = static_cast<std::byte*>(m_shm.data());
    return *new (base + HeaderBytes + index * sizeof(WorkerSlot)) WorkerSlot {};
}

std::uint64_t drainEvents(
    const WorkerSlot& slot, std::uint64_t from, std::vector<WorkerEvent>& out, std::uint64_t& lost)
{
    constexpr std::uint64_t capacity = WorkerSlot::EventCapacity;
    const std::uint64_t written = slot.eventsWritten.load(std::memory_order_acquire);
    if (written <= from)
        return from;
    const std::uint64_t first = std::max(from, written > capacity ? written - capacity : 0);
    const std::size_t at = out.size();
    // One allocation, not one per doubling (these were most of the sampler's allocations).
    out.reserve(at + std::size_t(written - first));
    for (std::uint64_t n = first; n < written; ++n) {
        const WorkerSlot::Event& e = slot.events[n % capacity];
        out.push_back({ e.ns.load(std::memory_order_relaxed), e.what.load(std::memory_order_relaxed) });
    }
    // Entries the worker began to overwrite while they were copied are dropped: index n is safe while n is at
    // least eventsBegun - capacity, read after the copies (the seqlock's check).
    std::atomic_thread_fence(std::memory_order_acquire);
    const std::uint64_t begun = slot.eventsBegun.load(std::memory_order_relaxed);
    const std::uint64_t safe = begun > capacity ? begun - capacity : 0;
    const std::uint64_t torn = safe > first ? std::min(safe, written) - first : 0;
    out.erase(out.begin() + std::ptrdiff_t(at), out.begin() + std::ptrdiff_t(at + torn));
    lost += (first - from) + torn;
    return written;
}

} // namespace ipccore

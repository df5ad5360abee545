#pragma once

// The frame every transport carries: a 32-byte header (producer id, sequence number, length, send time, checksum)
// followed by a deterministic payload. Consumers verify each frame and keep the per-producer ledger.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ipccore {

constexpr std::uint32_t FrameMagic = 0x49504c46; // "IPLF"

struct FrameHeader {
    std::uint32_t magic;
    std::uint32_t length; // whole frame including this header
    std::uint32_t producer; // producer id (its telemetry slot)
    std::uint32_t checksum; // XXH3 of the payload seeded with XXH3 of this header with this field as 0 (low 32 bits)
    std::uint64_t seq; // 1, 2, 3, ... per producer
    std::uint64_t sendNs; // CLOCK_MONOTONIC when the producer built it; 0 when it was not stamped (SendStamps)
};
static_assert(sizeof(FrameHeader) == 32);

constexpr std::size_t FrameHeaderSize = sizeof(FrameHeader);

// CSP's poison (see TransportTraits::poison): a frame with this sequence number is no message, only the news that
// its sender will send no more. Nobody counts it as sent or received.
constexpr std::uint64_t PoisonSeq = ~std::uint64_t(0);
// True when a frame that passed checkFrame is poison.
bool isPoison(std::span<const std::byte> frame);

// A pool's task or result message carries, at the start of its payload, which tasks it is about: tasks
// first..first+count-1 of the caller in slot `caller`. A pool worker's result carries the ids of the task it
// answers, so the caller can check that every task got exactly one result.
constexpr std::uint32_t TaskMagic = 0x5441534b; // "TASK"
struct TaskRef {
    std::uint32_t magic = TaskMagic;
    std::uint32_t caller = 0; // the telemetry slot of the process that called map or apply
    std::uint32_t count = 0;
    std::uint32_t reserved = 0;
    std::uint64_t first = 0; // task ids count from 1 per caller, across its calls
};
static_assert(sizeof(TaskRef) == 24);
constexpr std::size_t TaskFrameSize = FrameHeaderSize + sizeof(TaskRef);
// A request to a server process (Python's Manager) or its reply. The client puts a request carrying its slot, its
// own request id and the object its reply must go to; the server applies it to the data it keeps in its own memory
// and puts the reply, with the same caller and id, into that object. The client takes replies until the one with
// its id comes (an earlier one, for a request it gave up waiting for, is stale).
constexpr std::uint32_t RequestMagic = 0x52455153; // "REQS"
constexpr std::uint32_t ReplyMagic = 0x5245504c; // "REPL"
struct RequestRef {
    std::uint32_t magic = RequestMagic; // RequestMagic or ReplyMagic
    std::uint32_t caller = 0; // the telemetry slot of the client
    std::uint64_t id = 0; // per client, from 1
    std::int64_t value = 0; // set / append: the value to store; a reply: the value read, or stored
    std::uint8_t op = 0; // RequestOp (program.h)
    std::uint8_t found = 0; // a reply to a get: 1 when the key existed (Python raises KeyError otherwise)
    std::uint8_t reserved[6] = {};
    char key[24] = {}; // what the request is about, as the step writes it: "d[count]", "ns.x", "l"; NUL-padded
    char replyTo[48] = {}; // the scenario object the reply goes to; NUL-padded (a name has at most 48 characters)
};
static_assert(sizeof(RequestRef) == 104);
constexpr std::size_t RequestFrameSize = FrameHeaderSize + sizeof(RequestRef);

// Largest frame any transport carries (the shm-ring slot size and socket/FIFO frames are capped here).
constexpr std::size_t MaxFrameSize = 1u << 20;

// How buildFrame writes the frame. Cached: ordinary stores, for a frame this process sends from its own buffer.
// SharedSlot: for a frame built in place in a slot another process reads (a zero-copy loan). That process's core
// last held the slot's lines, so every store there first waits for its line to come over, and reading back what
// was just written (the checksum does) waits for all of them. So a frame whose payload is below StreamingFrom is
// built in this thread's cache and copied in whole (at 64 B building in place kept buildFrame at 38 % of a shm-spsc
// run, 90 % of it on the first read back), and a larger one is written with streaming (non-temporal) stores, which
// need no line first. shm-spsc, msgs/s, A/B runs alternated, pinned or not alike: at 64 KiB 86-93 k in place,
// 150-153 k built aside and copied, 160-195 k streaming; at 16 KiB 290-312 k, 520-555 k, 555-660 k; at 4 KiB
// 0.81-0.91 M in place, 1.11-1.18 M built aside, 0.98-1.04 M streaming; hence the threshold between 4 and 16 KiB.
enum class FrameStores { Cached, SharedSlot };
constexpr std::size_t StreamingFrom = 8192;

// Fills frame (size = its length, >= FrameHeaderSize) with header and payload for (producer, seq).
void buildFrame(std::span<std::byte> frame, std::uint32_t producer, std::uint64_t seq, std::uint64_t sendNs,
    FrameStores stores = FrameStores::Cached);

// Fills a frame as buildFrame does, with `tasks` at the start of the payload (frame.size() >= TaskFrameSize).
void buildTaskFrame(
    std::span<std::byte> frame, std::uint32_t producer, std::uint64_t seq, std::uint64_t sendNs, const TaskRef& tasks);
// The tasks a checked frame carries, if it carries any.
std::optional<TaskRef> frameTasks(std::span<const std::byte> frame);
// Fills a frame as buildFrame does, with a request or reply at the start of the payload (size >= RequestFrameSize).
void buildRequestFrame(std::span<std::byte> frame, std::uint32_t producer, std::uint64_t seq, std::uint64_t sendNs,
    const RequestRef& request);
// The request or reply a checked frame carries, if it carries one.
std::optional<RequestRef> frameRequest(std::span<const std::byte> frame);

enum class FrameCheck { Ok, BadMagic, BadLength, BadChecksum };

// Checks magic, the length against the bytes actually received, and the checksum. Copies the header out first so
// a concurrent writer cannot change it between the checks (no double fetch).
FrameCheck checkFrame(std::span<const std::byte> frame, FrameHeader& header);

// Per-consumer bookkeeping of what arrived from each producer.
class SequenceTracker {
public:
    static constexpr std::size_t MaxProducers = 4096; // = TelemetryBoard::MaxSlots: producer ids are slot indices

    enum class Outcome { InOrder, Gap, Duplicate, OutOfOrder };

    // Records seq from producer and classifies it. For a Gap, skipped holds how many sequence numbers were jumped.
    Outcome record(std::uint32_t producer, std::uint64_t seq, std::uint64_t& skipped);

private:
    std::array<std::uint64_t, MaxProducers> m_last {};
};

} // namespace ipccore

#include "ipccore/framing.h"

#include "ipccore/checksum.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace ipccore {

namespace {

// The payload is a cheap deterministic pattern of (producer, seq) so a corrupted byte anywhere is caught by
// the checksum and a test can rebuild the expected bytes.
// Word i of the payload is (pattern * Step + 1) + i * Step. SharedSlot: streaming stores (see FrameStores).
constexpr std::uint64_t Step = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t firstPayloadWord(std::uint64_t pattern)
{
    return pattern * Step + 1;
}
void fillPayload(std::byte* p, std::size_t n, std::uint64_t pattern, FrameStores stores)
{
    std::uint64_t x = firstPayloadWord(pattern);
#if defined(__x86_64__)
    if (stores == FrameStores::SharedSlot && n >= StreamingFrom && (reinterpret_cast<std::uintptr_t>(p) & 15) == 0) {
        __m128i low = _mm_set_epi64x(std::int64_t(x + Step), std::int64_t(x)); // words 0 and 1, word 0 first
        __m128i high = _mm_set_epi64x(std::int64_t(x + 3 * Step), std::int64_t(x + 2 * Step));
        const __m128i stride = _mm_set1_epi64x(std::int64_t(4 * Step));
        for (; n >= 32; p += 32, n -= 32) {
            _mm_stream_si128(reinterpret_cast<__m128i*>(p), low);
            _mm_stream_si128(reinterpret_cast<__m128i*>(p + 16), high);
            low = _mm_add_epi64(low, stride);
            high = _mm_add_epi64(high, stride);
        }
        _mm_sfence(); // streaming stores are weakly ordered: all of them before the frame is published
        x = std::uint64_t(_mm_cvtsi128_si64(low));
    }
#else
    (void)stores;
#endif
    while (n >= 8) {
        std::memcpy(p, &x, 8);
        x += Step;
        p += 8;
        n -= 8;
    }
    std::memcpy(p, &x, n);
}
// The frame's check: XXH3 of the payload, seeded with XXH3 of the header whose checksum field is 0, cut to 32 bits.
// Hashing the header apart lets checkFrame work on its own copy of the header without copying the payload.
std::uint32_t frameChecksum(const FrameHeader& header, std::span<const std::byte> payload)
{
    FrameHeader zeroed = header;
    zeroed.checksum = 0;
    return std::uint32_t(xxh3(payload, xxh3(std::as_bytes(std::span(&zeroed, 1)))));
}

// A frame whose payload starts with `ids` (a TaskRef or RequestRef), the rest filled as any frame's.
template <typename Ids>
void buildFrameCarrying(
    std::span<std::byte> frame, std::uint32_t producer, std::uint64_t seq, std::uint64_t sendNs, const Ids& ids)
{
    FrameHeader header { FrameMagic, std::uint32_t(frame.size()), producer, 0, seq, sendNs };
    fillPayload(frame.data() + FrameHeaderSize, frame.size() - FrameHeaderSize, (std::uint64_t(producer) << 40) ^ seq,
        FrameStores::Cached);
    std::memcpy(frame.data() + FrameHeaderSize, &ids, sizeof ids);
    header.checksum = frameChecksum(header, frame.subspan(FrameHeaderSize));
    std::memcpy(frame.data(), &header, FrameHeaderSize);
}

} // namespace

void buildFrame(
    std::span<std::byte> frame, std::uint32_t producer, std::uint64_t seq, std::uint64_t sendNs, FrameStores stores)
{
    const std::size_t payload = frame.size() - FrameHeaderSize;
    if (stores == FrameStores::SharedSlot && payload < StreamingFrom) {
        // Built where this core owns the lines, then copied in whole (see FrameStores).
        alignas(64) std::byte local[FrameHeaderSize + StreamingFrom];
        const auto here = std::span(local, frame.size());
        buildFrame(here, producer, seq, sendNs, FrameStores::Cached);
        std::memcpy(frame.data(), here.data(), here.size());
        return;
    }
    FrameHeader header { FrameMagic, std::uint32_t(frame.size()), producer, 0, seq, sendNs };
    const std::uint64_t pattern = (std::uint64_t(producer) << 40) ^ seq;
    fillPayload(frame.data() + FrameHeaderSize, payload, pattern, stores);
    // A plain frame never reads as a task, request or reply frame, whatever its pattern happens to be. (Its first
    // word is computed, not read back: see FrameStores.)
    if (payload >= sizeof(std::uint32_t)) {
        std::uint32_t first = std::uint32_t(firstPayloadWord(pattern));
        if (first == TaskMagic || first == RequestMagic || first == ReplyMagic) {
            first = ~first;
            std::memcpy(frame.data() + FrameHeaderSize, &first, sizeof first);
        }
    }
    header.checksum = frameChecksum(header, frame.subspan(FrameHeaderSize));
    std::memcpy(frame.data(), &header, FrameHeaderSize);
}

void buildTaskFrame(
    std::span<std::byte> frame, std::uint32_t producer, std::uint64_t seq, std::uint64_t sendNs, const TaskRef& tasks)
{
    buildFrameCarrying(frame, producer, seq, sendNs, tasks);
}

std::optional<TaskRef> frameTasks(std::span<const std::byte> frame)
{
    if (frame.size() < TaskFrameSize)
        return std::nullopt;
    TaskRef tasks;
    std::memcpy(&tasks, frame.data() + FrameHeaderSize, sizeof tasks);
    if (tasks.magic != TaskMagic)
        return std::nullopt;
    return tasks;
}

FrameCheck checkFrame(std::span<const std::byte> frame, FrameHeader& header)
{
    if (frame.size() < FrameHeaderSize)
        return FrameCheck::BadLength;
    std::memcpy(&header, frame.data(), FrameHeaderSize);
    if (header.magic != FrameMagic)
        return FrameCheck::BadMagic;
    if (header.length != frame.size())
        return FrameCheck::BadLength;
    return frameChecksum(header, frame.subspan(FrameHeaderSize)) == header.checksum ? FrameCheck::Ok
                                                                                    : FrameCheck::BadChecksum;
}

SequenceTracker::Outcome SequenceTracker::record(std::uint32_t producer, std::uint64_t seq, std::uint64_t& skipped)
{
    skipped = 0;
    std::uint64_t& last = m_last[producer % MaxProducers];
    if (seq == last + 1) {
        last = seq;
        return Outcome::InOrder;
    }
    if (seq > last + 1) {
        skipped = seq - last - 1;
        last = seq;
        return Outcome::Gap;
    }
    if (seq == last)
        return Outcome::Duplicate;
    return Outcome::OutOfOrder;
}

void buildRequestFrame(std::span<std::byte> frame, std::uint32_t producer, std::uint64_t seq, std::uint64_t sendNs,
    const RequestRef& request)
{
    buildFrameCarrying(frame, producer, seq, sendNs, request);
}

std::optional<RequestRef> frameRequest(std::span<const std::byte> frame)
{
    if (frame.size() < RequestFrameSize)
        return std::nullopt;
    RequestRef request;
    std::memcpy(&request, frame.data() + FrameHeaderSize, sizeof request);
    if (request.magic != RequestMagic && request.magic != ReplyMagic)
        return std::nullopt;
    return request;
}

bool isPoison(std::span<const std::byte> frame)
{
    // Every message a consumer takes is asked this: a look at the sequence number first, so that only poison pays
    // for a second checksum (the frame was checked already; at 4 KiB a second pass cost shm-spsc a quarter).
    FrameHeader header;
    if (frame.size() < FrameHeaderSize)
        return false;
    std::memcpy(&header, frame.data(), sizeof header);
    return header.seq == PoisonSeq && checkFrame(frame, header) == FrameCheck::Ok;
}

} // namespace ipccore

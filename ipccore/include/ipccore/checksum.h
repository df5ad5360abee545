#pragma once

// The integrity check every frame carries, and the candidates it was chosen from (issue 12, part 2).
//
// `ipclab-cli bench` measures all three on blocks in cache, one core (its "integrity check" lines). On the 2-core
// development machine: CRC-32C one stream 8.6 GB/s at 4 KiB and 64 KiB (the instruction's 3-cycle latency
// bounds one stream); CRC-32C in three interleaved streams 20-25 GB/s; XXH3 with AVX2 46-47 GB/s (17 GB/s with
// SSE2 only). At 64 B all three take about the same 9 ns. So frames carry XXH3 (frameChecksum); the CRC-32C forms
// stay as the bench's baselines and for anyone who wants to compare on their own machine.

#include <cstddef>
#include <cstdint>
#include <span>

namespace ipccore {

// CRC-32C (Castagnoli), one stream; uses the SSE4.2 instruction when the CPU has it. seed chains: crc32c(b,
// crc32c(a)) == crc32c(a followed by b).
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t seed = 0);

// The same CRC-32C computed in three interleaved streams that are combined at the end (the instruction's
// throughput is three times what one dependent chain gets). Same results as crc32c, for any data and seed.
std::uint32_t crc32c3Way(std::span<const std::byte> data, std::uint32_t seed = 0);

// XXH3-64 (xxHash, libxxhash-dev) of data with a seed; uses AVX2 when the CPU has it, SSE2 otherwise (same results).
std::uint64_t xxh3(std::span<const std::byte> data, std::uint64_t seed = 0);

} // namespace ipccore

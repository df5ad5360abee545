#include "ipccore/checksum.h"

#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ipccore {

namespace detail {
unsigned long long xxh3Avx2(const void* data, unsigned long size, unsigned long long seed); // xxh3_avx2.cpp
}

namespace {

constexpr std::uint32_t Castagnoli = 0x82F63B78u; // reflected

struct Crc32cTable {
    std::uint32_t entries[256];
    constexpr Crc32cTable()
        : entries()
    {
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ Castagnoli : c >> 1;
            entries[i] = c;
        }
    }
};
constexpr Crc32cTable Table;

std::uint32_t crc32cPortable(const unsigned char* p, std::size_t n, std::uint32_t crc)
{
    while (n--)
        crc = Table.entries[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

// Interleaving (after Mark Adler's crc32c.c): the CRC register is linear over GF(2), so the register after a block B
// that started from state s is shift(s, |B|) ^ (the register over B started from 0), where shift(s, n) multiplies s
// by x^(8n) modulo the polynomial. Three blocks of `len` bytes run as three independent chains and are joined with
// two shifts; a shift by a fixed length is four table lookups.

// a * b modulo the polynomial, both reflected (bit 31 is x^0).
constexpr std::uint32_t multiplyModP(std::uint32_t a, std::uint32_t b)
{
    std::uint32_t product = 0;
    for (std::uint32_t m = 1u << 31; m != 0; m >>= 1) {
        if (a & m)
            product ^= b;
        b = (b & 1) ? (b >> 1) ^ Castagnoli : b >> 1;
    }
    return product;
}

// x^(8n) modulo the polynomial.
constexpr std::uint32_t xPower8n(std::size_t n)
{
    std::uint32_t result = 1u << 31; // x^0
    std::uint32_t square = 1u << 30; // x^1
    for (int k = 0; k < 3; ++k)
        square = multiplyModP(square, square); // x^8
    for (; n != 0; n >>= 1) {
        if (n & 1)
            result = multiplyModP(square, result);
        square = multiplyModP(square, square);
    }
    return result;
}

// shift(s, n) for one n, by the bytes of s.
struct ShiftTable {
    std::uint32_t entries[4][256];
    constexpr explicit ShiftTable(std::size_t n)
        : entries()
    {
        const std::uint32_t power = xPower8n(n);
        for (int k = 0; k < 4; ++k) {
            for (std::uint32_t b = 0; b < 256; ++b)
                entries[k][b] = multiplyModP(power, b << (8 * k));
        }
    }
    std::uint32_t operator()(std::uint32_t s) const
    {
        return entries[0][s & 0xFF] ^ entries[1][(s >> 8) & 0xFF] ^ entries[2][(s >> 16) & 0xFF] ^ entries[3][s >> 24];
    }
};

// Long blocks for long data, short ones for the rest: a 4 KiB frame runs 3840 of its bytes in three streams.
constexpr std::size_t LongBlock = 8192, ShortBlock = 256;

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32cHardware(const unsigned char* p, std::size_t n, std::uint32_t crc)
{
    std::uint64_t c = crc;
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    std::uint32_t c32 = std::uint32_t(c);
    while (n--)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

// Runs whole groups of three `len`-byte blocks from p, advancing p and n; returns the register.
__attribute__((target("sse4.2"))) std::uint32_t crc32cThreeStreams(
    const unsigned char*& p, std::size_t& n, std::uint32_t crc, std::size_t len, const ShiftTable& shift)
{
    std::uint64_t c0 = crc;
    while (n >= 3 * len) {
        std::uint64_t c1 = 0, c2 = 0;
        const unsigned char* const end = p + len;
        do {
            std::uint64_t w0, w1, w2;
            std::memcpy(&w0, p, 8);
            std::memcpy(&w1, p + len, 8);
            std::memcpy(&w2, p + 2 * len, 8);
            c0 = _mm_crc32_u64(c0, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
            p += 8;
        } while (p != end);
        c0 = shift(shift(std::uint32_t(c0)) ^ std::uint32_t(c1)) ^ std::uint32_t(c2);
        p += 2 * len;
        n -= 3 * len;
    }
    return std::uint32_t(c0);
}

const bool HasSse42 = __builtin_cpu_supports("sse4.2");
const bool HasAvx2 = __builtin_cpu_supports("avx2");
constexpr ShiftTable ShiftLong(LongBlock);
constexpr ShiftTable ShiftShort(ShortBlock);
#endif

} // namespace

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t seed)
{
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const std::uint32_t crc = ~seed;
#if defined(__x86_64__)
    if (HasSse42)
        return ~crc32cHardware(p, data.size(), crc);
#endif
    return ~crc32cPortable(p, data.size(), crc);
}

std::uint32_t crc32c3Way(std::span<const std::byte> data, std::uint32_t seed)
{
#if defined(__x86_64__)
    if (HasSse42) {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data());
        std::size_t n = data.size();
        std::uint32_t crc = crc32cThreeStreams(p, n, ~seed, LongBlock, ShiftLong);
        crc = crc32cThreeStreams(p, n, crc, ShortBlock, ShiftShort);
        return ~crc32cHardware(p, n, crc);
    }
#endif
    return crc32c(data, seed);
}

std::uint64_t xxh3(std::span<const std::byte> data, std::uint64_t seed)
{
#if defined(__x86_64__)
    if (HasAvx2)
        return detail::xxh3Avx2(data.data(), data.size(), seed);
#endif
    return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

} // namespace ipccore

// XXH3 built for AVX2 (this file alone is compiled with -mavx2; see ipccore/CMakeLists.txt). checksum.cpp calls it
// only when the CPU has AVX2. No standard C++ header here: an inline function compiled with AVX2 in this file could
// otherwise be the copy the linker keeps for the whole program, and fault on a CPU without AVX2.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace ipccore::detail {

unsigned long long xxh3Avx2(const void* data, unsigned long size, unsigned long long seed)
{
    return XXH3_64bits_withSeed(data, size, seed);
}

} // namespace ipccore::detail

// A maximum exchanged between blocks in one 64-bit word that also counts the blocks that
// posted to it. The weight quantizers use one per call for the global modes and one per
// column for colwise (kernels/cuda/quantize_weight.cu); tests/reference/max_word_test.cc
// checks the protocol over every interleaving of a few posters.
//
// The word holds the bits of the largest maximum posted so far in its high half and the
// number of blocks counted in in its low half. A block posts with two atomic operations on
// it: atom.max of PostedMax(m) (the max in the high half, a zero count), which raises the
// maximum where m is larger and then also zeroes the count, and an add of AddBack(mine,
// old): the count the max took away plus the block's own arrival, or just its arrival. A
// count taken away is only ever owed by a raise whose add-back is still to come and
// includes the raiser's own arrival, so the count reaches the number of blocks exactly when
// every block's max and add are in, and the word that shows it carries the final maximum.
// Every access to the word is a 64-bit relaxed operation on one location (within the PTX
// memory model: same size, one location): a reader polls it and needs no acquire and no
// second read, a poster no release (the only thing communicated is the word itself).
// Non-negative floats order as their bits.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SB_MAX_WORD_FN __host__ __device__ inline
#else
#define SB_MAX_WORD_FN inline
#endif

namespace switchback {

// What a block with maximum bits `max_bits` (a non-negative float's) hands to atom.max.
SB_MAX_WORD_FN uint64_t PostedMax(uint32_t max_bits) { return static_cast<uint64_t>(max_bits) << 32; }

// What the same block adds after its atom.max returned `old`: where its max was the larger
// (the max replaced the word, count and all), the count it replaced plus one; else one.
SB_MAX_WORD_FN uint64_t AddBack(uint64_t mine, uint64_t old) { return mine > old ? (old & 0xffffffffull) + 1 : 1; }

SB_MAX_WORD_FN uint32_t CountedIn(uint64_t word) { return static_cast<uint32_t>(word); }
SB_MAX_WORD_FN uint32_t MaxBits(uint64_t word) { return static_cast<uint32_t>(word >> 32); }

}  // namespace switchback

#undef SB_MAX_WORD_FN

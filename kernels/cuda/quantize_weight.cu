// The weight quantizers (colwise + transpose, global, global + transpose) in one launch.
//
// w is 8-128 MB and these kernels take microseconds, so separate launches for the absmax
// and the quantizing pass, and a second read of w from HBM, cost more than the bytes
// (docs/BENCHMARKS.md). Here one kernel does both: every block owns regions of w (a strip
// of columns x a chunk of rows), reads them once to find its part of the absmax (per
// column or one scalar), keeps as much as fits in shared memory, posts its maxima to the
// blocks that need them and waits for theirs (a 64-bit word per maximum that also counts
// its posters: per column of a strip for colwise, one for global), then quantizes
// its regions (from shared memory, else from global memory in reverse order, so the most
// recently read bytes come back from L2; when w fits in L2, with eviction priorities and a
// one-pass L2 prefetch that keep those bytes there).
// Each thread holds 4 consecutive rows x 8 columns, so the transposed codes come out as
// 4-byte words (4 rows of one column) packed in registers; passes from shared memory are
// kept there transposed and leave in 16-byte stores (TransposedSlot).
#include <algorithm>
#include <atomic>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/quantize_colwise_cluster.h"
#include "kernels/cuda/quantize_common.cuh"
#include "kernels/cuda/quantize_weight_tuning.h"
#include "kernels/cuda/switchback_kernels.h"
#include "kernels/max_word.h"

namespace switchback::cuda {
namespace {

using detail::Code8;
using detail::Divisor;
using detail::Half8;

enum class WeightMode { kColwiseTranspose, kGlobal, kGlobalTranspose };

constexpr const char* ModeName(WeightMode m) {
  return m == WeightMode::kColwiseTranspose ? "quantize_colwise_transpose"
         : m == WeightMode::kGlobal         ? "quantize_global"
                                            : "quantize_global_transpose";
}

constexpr int kThreads = 512;  // 16 warps
constexpr int kQuad = 4;       // consecutive rows per thread
// 96 KB of w per block, two blocks (32 warps) per SM: one block of 16 warps with twice the
// cache read w at half the rate (bench/quantize_bench, docs/BENCHMARKS.md).
constexpr int kMaxCachedPasses = 3;
constexpr int kMaxGrid = 1024;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
constexpr bool kQuadMajorLanes = true;  // the kernel's lane map (QuantizeWeightKernel)
#else
constexpr bool kQuadMajorLanes = false;
#endif

// A pass of a block over its region: kStrip columns x kRows rows, 32 KB of w. A warp
// covers 8 quads (32 rows) x 4 vectors of 8 columns (its loads are 64-byte row segments,
// its transposed stores 32-byte runs of 4 columns: whole sectors); kStrip / 32 warps side
// by side cover the strip. Wider strips read longer runs of each row of w (DRAM pages);
// narrower ones write longer runs of each row of the transposed codes.
template <int kStrip>
struct PassShape {
  static_assert(kStrip % 32 == 0 && kStrip <= 512);
  static constexpr int kWarpsAcross = kStrip / 32;
  static constexpr int kRowGroups = kThreads / 32 / kWarpsAcross;
  static constexpr int kRows = kRowGroups * 8 * kQuad;
};

// Scratch (32-bit words). Every maximum is exchanged in a 64-bit word of its own that also
// counts the blocks that posted to it (kernels/max_word.h: atom.max, then an add; readers
// poll the word until the count is complete and take the maximum from the same value, with
// no fence, acquire or second read). Global: one word per phase (GlobalWord), posted to by
// every block's thread 0. Colwise: per strip, one word per column (ColumnWords), posted to
// by every chunk's block, polled by the thread that quantizes that column. Against the form
// before it (red.max into 32-bit words, then one count per strip or grid added with release;
// readers polled the count, loaded it again with acquire, then read the maxima): H200, s19
// quantize_ab, global 0.979x and global_T 0.984x over the 16 shapes (6.01 -> 5.84 and 6.24
// -> 6.07 us at 8 MB); colwise: docs/BENCHMARKS.md, nineteenth session. Measured before
// that and not kept (docs/BENCHMARKS.md, s14-s18): a count per posting thread (32 adds on one
// word queued in L2), polling every post, an acquire per poll, fence.acquire after the
// polls, a __nanosleep back-off, tagged posts. Posts are double-buffered by a phase that
// flips once per call: a call uses its phase's half, which the call before it zeroed, and
// zeroes the words the call before it used in the other half (so the scratch needs zeroing
// once, not per call; the kernel boundary orders those plain stores before the next call's
// atomics). The phase flips when the last block of the grid has read it (the `entered`
// count; all blocks read it at entry, before posting).
struct ScratchLayout {
  static constexpr int kLine = 32;  // words per 128-byte line: polled words apart from counters
  static constexpr int64_t kPhase = 0;
  static constexpr int64_t kEntered = kLine;
  static constexpr int64_t kUsed = 2 * kLine;  // [2]: words of each half its last call posted
  // [2][2]: the units handed out so far in pass 1 and in pass 2 (the dynamic kernels)
  __host__ __device__ static constexpr int64_t Counter(unsigned phase, int pass) { return 3 * kLine + phase * 16 + pass; }
  // [2]: the global modes' word of each phase, a half line apart
  __device__ static unsigned long long* GlobalWord(unsigned* scratch, unsigned phase) {
    return reinterpret_cast<unsigned long long*>(scratch + 4 * kLine + phase * 16);
  }
  static constexpr int64_t kPosts = 5 * kLine;  // [2][PostWords]
  // Colwise, per phase: strip s's kStrip column words (two 32-bit words each; whole lines).
  __host__ __device__ static constexpr int64_t StripPosts(int strip_cols, int64_t s) { return s * 2 * strip_cols; }
  __device__ static unsigned long long* ColumnWords(unsigned* posts, int strip_cols, int64_t s) {
    return reinterpret_cast<unsigned long long*>(posts + StripPosts(strip_cols, s));
  }
  static int64_t PostWords(int64_t rows, int64_t cols);
  static int64_t Words(int64_t rows, int64_t cols) { return kPosts + 2 * PostWords(rows, cols); }
};

#ifdef SWITCHBACK_WQ_TIMELINE
// bench/quantize_timeline builds this file with per-block stamps (thread 0): entry, pass 1
// done and posted, posts seen, divisor known (global modes), exit, and pass 1's loads done
// (its last pass's vectors in registers); %globaltimer (256 ns steps on the H200) to line
// blocks up, clock64 (SM cycles) for the spans within a block. Colwise also records the
// strip and SM of each block and thread 0's last wait: when it began polling, how many loads.
}  // namespace
__device__ unsigned long long g_wq_timeline[1024][6];
__device__ long long g_wq_cycles[1024][6];
__device__ int g_wq_strip[1024];  // colwise: the strip of the block's last region (pass 2)
// thread 0's last wait for posts: when it began polling (%globaltimer) and how many loads it took
__device__ unsigned long long g_wq_poll_start[1024];
__device__ unsigned g_wq_polls[1024];
__device__ unsigned g_wq_smid[1024];
// thread 0's clock64 after each step from its post to its first poll (colwise; WQ_STEP)
__device__ long long g_wq_steps[1024][5];
namespace {
// Thread 0 of the first 1024 blocks stamps; %globaltimer lines blocks up.
__device__ __forceinline__ bool WqStamps() { return threadIdx.x == 0 && blockIdx.x < 1024; }
__device__ __forceinline__ unsigned long long WqNow() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__device__ __forceinline__ unsigned WqSm() {
  unsigned sm;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(sm));
  return sm;
}
#define WQ_MARK(i)                                \
  do {                                            \
    if (WqStamps()) {                             \
      g_wq_timeline[blockIdx.x][i] = WqNow();     \
      g_wq_cycles[blockIdx.x][i] = clock64();     \
    }                                             \
  } while (0)
#define WQ_STRIP(s)                               \
  do {                                            \
    if (WqStamps()) {                             \
      g_wq_strip[blockIdx.x] = (s);               \
      g_wq_smid[blockIdx.x] = WqSm();             \
    }                                             \
  } while (0)
#define WQ_POLL_START()                           \
  do {                                            \
    if (WqStamps()) {                             \
      g_wq_poll_start[blockIdx.x] = WqNow();      \
      g_wq_steps[blockIdx.x][4] = clock64();      \
    }                                             \
  } while (0)
#define WQ_STEP(i)                                                 \
  do {                                                             \
    if (WqStamps()) g_wq_steps[blockIdx.x][i] = clock64();         \
  } while (0)
#define WQ_POLLS(n)                                                \
  do {                                                             \
    if (WqStamps()) g_wq_polls[blockIdx.x] = (n);                  \
  } while (0)
#else
#define WQ_MARK(i)
#define WQ_STRIP(s)
#define WQ_POLL_START()
#define WQ_STEP(i)
#define WQ_POLLS(n)
#endif

__device__ __forceinline__ unsigned LoadRelaxed(const unsigned* p) {
  unsigned v;
  asm volatile("ld.relaxed.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}
__device__ __forceinline__ unsigned LoadAcquire(const unsigned* p) {
  unsigned v;
  asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}

// The two operations of a post to a word (kernels/max_word.h).
__device__ __forceinline__ unsigned long long AtomMax(unsigned long long* word, unsigned long long v) {
  unsigned long long old;
  asm volatile("atom.relaxed.gpu.global.max.u64 %0, [%1], %2;" : "=l"(old) : "l"(word), "l"(v) : "memory");
  return old;
}
__device__ __forceinline__ void RedAdd(unsigned long long* word, unsigned long long v) {
  asm volatile("red.relaxed.gpu.global.add.u64 [%0], %1;" ::"l"(word), "l"(v) : "memory");
}
// Post a maximum to its word: atom.max, then the add-back.
__device__ __forceinline__ void PostMax(unsigned long long* word, float m) {
  const unsigned long long mine = PostedMax(__float_as_uint(m));
  RedAdd(word, AddBack(mine, AtomMax(word, mine)));
}
// Two adjacent columns' maxima (colwise: a thread posts two), both atom.max in flight at once;
// a column outside w posts nothing.
__device__ __forceinline__ void PostMaxPair(unsigned long long* words, float m0, float m1, bool post0, bool post1) {
  const unsigned long long mine0 = PostedMax(__float_as_uint(m0)), mine1 = PostedMax(__float_as_uint(m1));
  unsigned long long old0 = 0, old1 = 0;
  if (post0) old0 = AtomMax(words, mine0);
  if (post1) old1 = AtomMax(words + 1, mine1);
  if (post0) RedAdd(words, AddBack(mine0, old0));
  if (post1) RedAdd(words + 1, AddBack(mine1, old1));
}
// The maximum once `blocks` blocks have posted to the word.
__device__ __forceinline__ float WaitForMax(const unsigned long long* word, unsigned blocks) {
  unsigned long long v;
  WQ_POLL_START();
#ifdef SWITCHBACK_WQ_TIMELINE
  unsigned polls = 0;
#endif
  do {
    asm volatile("ld.relaxed.gpu.global.u64 %0, [%1];" : "=l"(v) : "l"(word) : "memory");
#ifdef SWITCHBACK_WQ_TIMELINE
    ++polls;
#endif
  } while (CountedIn(v) < blocks);
  WQ_POLLS(polls);
  return __uint_as_float(MaxBits(v));
}

struct Params {
  const __half* w;
  int64_t rows, cols;
  bool vec_in;   // 16-byte loads of w: cols % 8 == 0 and w aligned
  bool vec_out;  // 8-byte (in place) or 4-byte (transposed) code stores
  bool stage_t;  // transposed codes through a shared-memory tile: rows % 16 == 0, codes 16-byte aligned
  int8_t* codes;
  __half* state;
  unsigned* scratch;  // ScratchLayout
  int64_t post_words;  // ScratchLayout::PostWords
  int strips, chunks;
  int64_t chunk_rows;  // a multiple of the pass's rows
  int cached_passes;
  // w does not fit in shared memory but fits in L2: steer L2 so that the bytes pass 2 reads
  // again stay there (docs/BENCHMARKS.md: -15% time at 2048 x 8192, no gain or a loss at the
  // other sizes).
  bool steer_l2;
  int passes_per_item;  // chunk_rows / the pass's rows
};

// Pass 2 of the transposing modes, for passes that come from shared memory, gathers a pass's
// codes in a tile that leaves in 16-byte stores along codes_t's rows instead of one 4-byte
// store per 4 rows (H200, s14: without a tile global_T took 6.71 -> 7.09 us at 8 MB, colwise_T
// 9.64 -> 10.82 at 12.5 MB). Two forms: TransposedSlot below (sm_90a), and this one for the
// portable build (sm_80, whose lane map TransposedSlot's banks are not laid out for; it was
// not measured there): the block's pass as one
// tile of kStrip rows (columns of w) x kRows bytes in the pass's slot. Granule g of tile row c
// sits at g ^ Swizzle(c): the four column groups of a warp's word stores fall in distinct
// banks, and a row's 16-byte reads stay conflict-free.
template <int kStrip>
struct BlockTile {
  static constexpr int kRows = PassShape<kStrip>::kRows;
  static constexpr int kWords = kRows / 4;      // per tile row
  static constexpr int kGranules = kRows / 16;  // 16-byte granules per tile row
  static_assert(kStrip * kRows <= kQuad * kThreads * 16, "a tile fits in a cache slot");
  __device__ static int Swizzle(int c) { return (2 * (c >> 3)) & (kGranules - 1); }
  // The word of rows 4 quad .. 4 quad + 3 of column c.
  __device__ static int Word(int c, int quad) { return c * kWords + (((quad >> 2) ^ Swizzle(c)) << 2) + (quad & 3); }
  __device__ static int Granule(int c, int g) { return c * kWords + ((g ^ Swizzle(c)) << 2); }
};

// sm_90a: a pass that goes through a tile is kept in its cache slot transposed, so that
// pass 2 needs no exchange between threads. Column c of the pass is kRows consecutive halves
// (its rows) in 16-byte units of 8 rows; unit u of column c sits at Place(c, u). Pass 1
// writes each thread's 4 rows x 8 columns as 8 8-byte pieces (one per column); pass 2 reads
// 16 rows of a column (two units), quantizes them and leaves in one 16-byte store along
// codes_t's row. Against the group tile it replaces (the codes gathered in pass 2 through 8
// STS, two named barriers and 2 LDS.128 per thread after the wait), the exchange moves
// before the wait (H200, s17 quantize_ab: global_T 6.37 -> 6.28 us and colwise_T 6.48 ->
// 6.33 at 8 MB, 2-5% faster at 12.5-32 MB; the dynamic kernel at 128 MB 1.6% slower). Banks:
// a warp's piece stores (one column of each of its 4 vectors, 8 quads) fill 8 distinct units
// per 16 lanes (Place's bits 1-2 from the column's vector); a quarter warp's unit loads (8
// granules of one column, or 4 of two adjacent columns) fall in 8 distinct units (bit 0 from
// the unit's bit 3, and from the column's parity).
template <int kStrip>
struct TransposedSlot {
  static constexpr int kRows = PassShape<kStrip>::kRows;
  static constexpr int kUnits = kRows / 8;      // per column
  static constexpr int kGranules = kRows / 16;  // 16 rows: one 16-byte store of codes
  static_assert(kUnits >= 8 && kStrip * kGranules % kThreads == 0);
  __device__ static int Place(int c, int u) { return c * kUnits + (u ^ ((u >> 3) & 1) ^ (((c >> 3) & 3) << 1) ^ (c & 1)); }
};

struct Region {
  int64_t r0, r1, c0;
  int passes;
  int chunk;
};

template <int kStrip>
__device__ __forceinline__ Region RegionOf(const Params& p, int item) {
  Region g;
  g.chunk = item / p.strips;  // adjacent blocks take adjacent strips of the same rows
  g.c0 = static_cast<int64_t>(item % p.strips) * kStrip;
  g.r0 = g.chunk * p.chunk_rows;
  g.r1 = min(p.rows, g.r0 + p.chunk_rows);
  g.passes = static_cast<int>((g.r1 - g.r0 + PassShape<kStrip>::kRows - 1) / PassShape<kStrip>::kRows);
  return g;
}

// Whether pass j of region g (cache slot `slot`) goes through a tile in pass 2 (uniform over
// the block): kept in shared memory, whole, and codes_t's rows 16-byte aligned.
template <int kStrip>
__device__ __forceinline__ bool Staged(const Params& p, const Region& g, int j, int slot) {
  return slot < p.cached_passes && p.stage_t && g.r0 + (j + 1) * PassShape<kStrip>::kRows <= g.r1 &&
         g.c0 + kStrip <= p.cols;
}

// Pass 1's copy of a thread's vectors (rows 4 quad .. 4 quad + 3, columns cv .. cv + 7 of the
// pass) into cache slot `slot`: as loaded, or transposed (TransposedSlot) where pass 2 takes
// the pass through a tile on sm_90a.
template <WeightMode kMode, int kStrip>
__device__ __forceinline__ void CachePass(const Params& p, const Region& g, int j, int slot, Half8* cache,
                                          const Half8 (&v)[kQuad], int quad, int cv) {
  if constexpr (kMode != WeightMode::kGlobal && kQuadMajorLanes) {
    if (Staged<kStrip>(p, g, j, slot)) {
      using Slot = TransposedSlot<kStrip>;
      // Place(cv + i, quad / 2) with cv a multiple of 8: only the column's parity varies with i.
      const int u = quad >> 1, placed = u ^ ((u >> 3) & 1) ^ (((cv >> 3) & 3) << 1);
      uint2* pieces = reinterpret_cast<uint2*>(cache + slot * kQuad * kThreads) + (quad & 1);
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const __half2 a = i % 2 == 0 ? __lows2half2(v[0].h[i / 2], v[1].h[i / 2]) : __highs2half2(v[0].h[i / 2], v[1].h[i / 2]);
        const __half2 b = i % 2 == 0 ? __lows2half2(v[2].h[i / 2], v[3].h[i / 2]) : __highs2half2(v[2].h[i / 2], v[3].h[i / 2]);
        pieces[2 * ((cv + i) * Slot::kUnits + (placed ^ (i & 1)))] =
            make_uint2(*reinterpret_cast<const uint32_t*>(&a), *reinterpret_cast<const uint32_t*>(&b));
      }
      return;
    }
  }
#pragma unroll
  for (int k = 0; k < kQuad; ++k) cache[(slot * kQuad + k) * kThreads + threadIdx.x] = v[k];
}

// 8 halves: row gr, columns gc .. gc + 7; zeros outside the region.
__device__ __forceinline__ Half8 LoadVec(const Params& p, const Region& g, int64_t gr, int64_t gc,
                                         uint64_t policy) {
  Half8 v;
  if (gr < g.r1 && p.vec_in && gc + 8 <= p.cols) {
    v = detail::LoadHalf8(p.w + gr * p.cols + gc, policy);
  } else {
    __half e[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) e[i] = (gr < g.r1 && gc + i < p.cols) ? p.w[gr * p.cols + gc + i] : __half(0.0f);
#pragma unroll
    for (int i = 0; i < 4; ++i) v.h[i] = __halves2half2(e[2 * i], e[2 * i + 1]);
  }
  return v;
}

// Pass j of region g into L2 ahead of its loads: one row segment (up to 128 bytes) per
// thread, so that the loads of the pass at hand find the next pass's bytes on their way.
template <int kStrip>
__device__ __forceinline__ void PrefetchPass(const Params& p, const Region& g, int j) {
  constexpr int kSegments = kStrip / 64;  // 128-byte segments per row of the strip
  constexpr int kRows = PassShape<kStrip>::kRows;
  const int row = threadIdx.x / kSegments, segment = threadIdx.x % kSegments;
  const int64_t r = g.r0 + static_cast<int64_t>(j) * kRows + row;
  const int64_t c = g.c0 + segment * 64;
  if (!p.vec_in || row >= kRows || r >= g.r1 || c >= p.cols) return;
  const __half* at = p.w + r * p.cols + c;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  const int64_t cols = p.cols - c < 64 ? p.cols - c : 64;
  const uint32_t bytes = static_cast<uint32_t>(cols * sizeof(__half));
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(at), "r"(bytes) : "memory");
#else
  asm volatile("prefetch.global.L2 [%0];" ::"l"(at) : "memory");
  if (c + 32 < p.cols) asm volatile("prefetch.global.L2 [%0];" ::"l"(at + 32) : "memory");
#endif
}

__device__ __forceinline__ __half2 Max2(__half2 a, __half2 b) { return __hmax2(a, b); }

__device__ __forceinline__ float Element(const Half8& v, int i) {
  return i % 2 == 0 ? __low2float(v.h[i / 2]) : __high2float(v.h[i / 2]);
}

// Programmatic dependent launch (sm_90): wait for the previous kernel in the stream before
// touching memory; let the next one start launching once this one has posted its maxima.
// No-ops when the launch did not ask for it.
__device__ __forceinline__ void WaitForPreviousGrid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void LetNextGridLaunch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;");
#endif
}


// Pass 2 of pass j of region g: from cache slot `slot` if that is below cached_passes, else
// from global memory; the codes stored. (g by value: by reference, the 256-column global_T
// kernel spilled.)
template <WeightMode kMode, int kStrip, bool kDynamic = false>
__device__ __forceinline__ void QuantizePass(const Params& p, const Region g, int j, int slot, Half8* cache,
                                             const Divisor* divisor, int quad, int cv, uint64_t once) {
  using Shape = PassShape<kStrip>;
  constexpr bool kColwise = kMode == WeightMode::kColwiseTranspose;
  constexpr bool kTranspose = kMode != WeightMode::kGlobal;
  const int t = threadIdx.x;
  if constexpr (kTranspose && kQuadMajorLanes) {
    if (Staged<kStrip>(p, g, j, slot)) {  // the pass sits transposed in its slot (CachePass)
      using Slot = TransposedSlot<kStrip>;
      // Thread t stores granule t % kGranules of columns c0 = t / kGranules, c0 + kStep, ...:
      // its places and store address are worked out once and stepped by constants (Place's
      // bits from the column, 0 and 3-4, do not change by a multiple of 32; its second unit
      // is the first's neighbour, Place(c, 2 g + 1) = Place(c, 2 g) ^ 1). sm_90a SASS per
      // 16-byte store: 102 instructions, against 126 with the index arithmetic worked out per
      // store (142 before the code's 127 moved into the divisor, kernels/quantize_code.h).
      // t is read here: taken from the caller, the 128- and 256-column kernels hoisted this
      // out of the pass loops and spilled. Unrolled except in the dynamic kernel, where the
      // unrolled stores made global_T at 128 MB 4% slower (H200, s21 quantize_ab: 96.6 ->
      // 100.2 us; rolled 94.6; the region kernels 1-2% faster unrolled).
      constexpr int kStep = kThreads / Slot::kGranules;
      static_assert(kStep % 32 == 0);
      unsigned tid;
      asm volatile("mov.u32 %0, %%tid.x;" : "=r"(tid));
      const int c0 = static_cast<int>(tid) / Slot::kGranules, gi = static_cast<int>(tid) % Slot::kGranules;
      const uint4* units = reinterpret_cast<const uint4*>(cache + slot * kQuad * kThreads);
      const int place = Slot::Place(c0, 2 * gi);
      int8_t* codes = p.codes + (g.c0 + c0) * p.rows + g.r0 + j * Shape::kRows + 16 * gi;
#pragma unroll(kDynamic ? 1 : kStrip / kStep)
      for (int k = 0; k < kStrip / kStep; ++k) {
        const Divisor d = divisor[kColwise ? c0 + k * kStep : 0];
        const int at = place + k * kStep * Slot::kUnits;
        const Code8 lo = detail::Quantize8(detail::Half8FromBits(units[at]), d);
        const Code8 hi = detail::Quantize8(detail::Half8FromBits(units[at ^ 1]), d);
        detail::Store16(codes + k * kStep * p.rows, make_uint4(lo.lo, lo.hi, hi.lo, hi.hi), once);
      }
      return;
    }
  }
  const int64_t gr = g.r0 + j * Shape::kRows + quad * kQuad, gc = g.c0 + cv;
  Half8 v[kQuad];
  if (slot < p.cached_passes) {  // uniform over the block; keeps global loads out of this path
#pragma unroll
    for (int k = 0; k < kQuad; ++k) v[k] = cache[(slot * kQuad + k) * kThreads + t];
  } else {
#pragma unroll
    for (int k = 0; k < kQuad; ++k) v[k] = LoadVec(p, g, gr + k, gc, once);
  }
  if constexpr (!kTranspose) {
    // The common case, a whole quad of vectors inside w: one address, rows a stride apart
    // (pass 2 is issue-bound once the divisor is known, and the general path's per-row
    // bounds and address arithmetic was a fifth of its instructions).
    if (p.vec_out && gr + kQuad <= g.r1 && gc + 8 <= p.cols) {
      int8_t* out = p.codes + gr * p.cols + gc;
#pragma unroll
      for (int k = 0; k < kQuad; ++k, out += p.cols) {
        const Code8 c = detail::Quantize8(v[k], divisor[0]);
        detail::Store8(out, c.lo, c.hi, once);
      }
      return;
    }
#pragma unroll
    for (int k = 0; k < kQuad; ++k) {
      const Code8 c = detail::Quantize8(v[k], divisor[0]);
      if (gr + k >= g.r1) continue;
      int8_t* out = p.codes + (gr + k) * p.cols + gc;
      if (p.vec_out && gc + 8 <= p.cols) {
        detail::Store8(out, c.lo, c.hi, once);
      } else {
#pragma unroll
        for (int i = 0; i < 8; ++i) {
          if (gc + i < p.cols) out[i] = static_cast<int8_t>(((i < 4 ? c.lo : c.hi) >> (8 * (i % 4))) & 0xffu);
        }
      }
    }
  } else {
    // Column i of the quad: its 4 rows' codes in one word, stored along codes_t's row,
    // or into the block's tile when this whole pass goes through one (sm_80).
    auto word_of = [&](int i) {
      const Divisor d = divisor[kColwise ? cv + i : 0];
      return detail::Pack4(detail::CodeBits(Element(v[0], i), d), detail::CodeBits(Element(v[1], i), d),
                           detail::CodeBits(Element(v[2], i), d), detail::CodeBits(Element(v[3], i), d));
    };
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
    if (Staged<kStrip>(p, g, j, slot)) {
      using Tile = BlockTile<kStrip>;
      uint32_t* tile = reinterpret_cast<uint32_t*>(cache + slot * kQuad * kThreads);
      __syncthreads();  // every thread holds its vectors: the slot is free
#pragma unroll
      for (int i = 0; i < 8; ++i) tile[Tile::Word(cv + i, quad)] = word_of(i);
      __syncthreads();
      const int64_t r0 = g.r0 + j * Shape::kRows;
#pragma unroll 1  // unrolled, the 256-column colwise kernel spills
      for (int e = t; e < kStrip * Tile::kGranules; e += kThreads) {
        const int c = e / Tile::kGranules, gi = e % Tile::kGranules;
        const uint4 bits = *reinterpret_cast<const uint4*>(tile + Tile::Granule(c, gi));
        detail::Store16(p.codes + (g.c0 + c) * p.rows + r0 + gi * 16, bits, once);
      }
    } else
#endif
    {
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const uint32_t word = word_of(i);
        const int64_t oc = gc + i;
        if (oc >= p.cols || gr >= g.r1) continue;
        int8_t* out = p.codes + oc * p.rows + gr;
        if (p.vec_out && gr + kQuad <= g.r1) {
          detail::Store4(out, word, once);
        } else {
          for (int k = 0; k < kQuad && gr + k < g.r1; ++k) out[k] = static_cast<int8_t>((word >> (8 * k)) & 0xffu);
        }
      }
    }
  }
}

// kDynamic (global modes, 64-column strips, tensors larger than L2): the passes of all
// regions are numbered pass-major, unit u = j * items + item (adjacent units: adjacent
// strips of the same rows); a block reads its own units b + r * grid for r < cached_passes
// (cache slot r) and takes the others one at a time from a counter, in pass 1 and again in
// pass 2, so blocks that read faster do more (128 MB with fixed regions: pass 1 ended 42-61
// us after entry on different blocks). A template instance of its own: the same loops in
// one kernel with the region walk slowed the smaller sizes or spilled (docs/BENCHMARKS.md).
template <WeightMode kMode, int kStrip, bool kDynamic = false>
__global__ void __launch_bounds__(kThreads, 2) QuantizeWeightKernel(Params p) {
  static_assert(!kDynamic || (kMode != WeightMode::kColwiseTranspose && kStrip == 64));
  using Shape = PassShape<kStrip>;
  WaitForPreviousGrid();
  WQ_MARK(0);
  constexpr bool kColwise = kMode == WeightMode::kColwiseTranspose;
  extern __shared__ Half8 cache[];  // [cached_passes][kQuad][kThreads]
  __shared__ __half2 colred[Shape::kRowGroups][kStrip / 2];
  __shared__ Divisor divisor[kStrip];
  __shared__ float blockred[32];

  const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
  // sm_90: lanes 4 q .. 4 q + 3 hold quad q's row segment, so a quarter warp's 16-byte
  // accesses cover two rows x 64 bytes (whole sectors) rather than 8 rows x 16 bytes (the 8
  // lanes of a vector side by side: 2-14% more time per call on the sweep's shapes on the
  // H100, s7 quantize_timeline A/B). The portable build keeps the latter: the former made
  // two of its kernels spill, and no sm_80 card was at hand to measure it.
  const int quad = (kQuadMajorLanes ? lane >> 2 : lane & 7) + 8 * (warp / Shape::kWarpsAcross);
  const int cv = ((kQuadMajorLanes ? lane & 3 : lane >> 3) + 4 * (warp % Shape::kWarpsAcross)) * 8;
  const int items = p.strips * p.chunks;

  // This call's phase and the words the call before it posted (in shared memory: registers
  // are short; read after the next __syncthreads). The phase is read before this block
  // counts itself in (acquire), so the last block in knows every block has read it.
  __shared__ unsigned phase, stale_words;
  unsigned entered = 0;
  if (t == 0) {
    const unsigned ph = LoadAcquire(p.scratch + ScratchLayout::kPhase) & 1u;
    phase = ph;
    stale_words = LoadRelaxed(p.scratch + ScratchLayout::kUsed + (ph ^ 1u));
    entered = atomicAdd(p.scratch + ScratchLayout::kEntered, 1u);
  }
  auto posts = [&](unsigned ph) { return p.scratch + ScratchLayout::kPosts + ph * p.post_words; };

  using detail::L2Policy;
  using detail::L2Priority;
  // Steered: pass-1 bytes kept in shared memory and the codes leave L2 first (`once`), the
  // bytes read again stay (`again`: evict_last until that second read demotes them: none
  // stays pinned after the kernel). Two policies, not one per use: registers are at the cap.
  const uint64_t once = L2Policy(p.steer_l2 ? L2Priority::kEvictFirst : L2Priority::kNormal);
  const uint64_t again = L2Policy(p.steer_l2 ? L2Priority::kEvictLast : L2Priority::kNormal);

  // The dynamic kernels' units, the pool's first, and thread 0's share of a counter.
  const int units = items * p.passes_per_item;
  const int pool = p.cached_passes * static_cast<int>(gridDim.x);
  __shared__ int handed;
  auto take = [&](int pass) { return static_cast<int>(atomicAdd(p.scratch + ScratchLayout::Counter(phase, pass), 1u)); };
  auto broadcast = [&](int from_thread0) {
    if (t == 0) handed = from_thread0;
    __syncthreads();
    const int u = handed;
    __syncthreads();  // read by every thread before thread 0 writes the next one
    return u;
  };

  // Pass 1: absmax parts; the first cached_passes passes of this block stay in shared memory.
  __half2 gmax = __float2half2_rn(0.0f);
  int slot = 0;
  if constexpr (kDynamic) {
    __half2 m[4] = {gmax, gmax, gmax, gmax};
    for (int r = 0, u = blockIdx.x; u < units; ++r) {
      const bool own_next = r + 1 < p.cached_passes;  // the next unit is this block's own too
      int next = 0;  // asked for before this unit's loads, so the round trip overlaps them
      if (!own_next && t == 0) next = pool + take(0);
      const Region g = RegionOf<kStrip>(p, u % items);
      const int j = u / items;
      // The same read as the region loop's below. Not shared through a function yet: that
      // changes the other kernels' register allocation at the cap, and was not measured.
      if (j < g.passes) {
        const int64_t gr = g.r0 + j * Shape::kRows + quad * kQuad;
        Half8 v[kQuad];
        const bool cached = r < p.cached_passes;
#pragma unroll
        for (int k = 0; k < kQuad; ++k) v[k] = LoadVec(p, g, gr + k, g.c0 + cv, cached ? once : again);
#pragma unroll
        for (int k = 0; k < kQuad; ++k) {
#pragma unroll
          for (int i = 0; i < 4; ++i) m[i] = Max2(m[i], __habs2(v[k].h[i]));
        }
        if (cached) CachePass<kMode, kStrip>(p, g, j, r, cache, v, quad, cv);
      }
      u = own_next ? u + static_cast<int>(gridDim.x) : broadcast(next);
    }
    gmax = Max2(Max2(m[0], m[1]), Max2(m[2], m[3]));
  }
  for (int item = blockIdx.x; item < items && !kDynamic; item += gridDim.x) {
    const Region g = RegionOf<kStrip>(p, item);
    __half2 m[4] = {gmax, gmax, gmax, gmax};
    if constexpr (kColwise) m[0] = m[1] = m[2] = m[3] = __float2half2_rn(0.0f);
    for (int j = 0; j < g.passes; ++j, ++slot) {
      if (p.steer_l2 && j + 1 < g.passes) PrefetchPass<kStrip>(p, g, j + 1);
      const int64_t gr = g.r0 + j * Shape::kRows + quad * kQuad;
      Half8 v[kQuad];
      const bool cached = slot < p.cached_passes;
#pragma unroll
      for (int k = 0; k < kQuad; ++k) v[k] = LoadVec(p, g, gr + k, g.c0 + cv, cached ? once : again);
#pragma unroll
      for (int k = 0; k < kQuad; ++k) {
#pragma unroll
        for (int i = 0; i < 4; ++i) m[i] = Max2(m[i], __habs2(v[k].h[i]));
      }
      if (cached) CachePass<kMode, kStrip>(p, g, j, slot, cache, v, quad, cv);
    }
    WQ_MARK(5);
    if constexpr (kColwise) {
      // Max over the rows: the 8 lanes of a vector within the warp, then the row groups'
      // warps that share it, via smem; posted for the blocks of the other chunks.
      constexpr int kQuadStride = kQuadMajorLanes ? 4 : 1;  // lanes between quads of a vector
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        __half2 o = m[i];
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, kQuadStride));
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, 2 * kQuadStride));
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, 4 * kQuadStride));
        if (quad % 8 == 0) colred[warp / Shape::kWarpsAcross][cv / 2 + i] = o;
      }
      __syncthreads();
      if (t < kStrip / 2) {
        __half2 o = colred[0][t];
        for (int w = 1; w < Shape::kRowGroups; ++w) o = Max2(o, colred[w][t]);
        const int64_t c = g.c0 + 2 * t;
        unsigned long long* words = ScratchLayout::ColumnWords(posts(phase), kStrip, g.c0 / kStrip) + 2 * t;
        PostMaxPair(words, __low2float(o), __high2float(o), c < p.cols, c + 1 < p.cols);
      }
      __syncthreads();  // colred is read before the next region's pass 1 writes it
    } else {
      gmax = Max2(Max2(m[0], m[1]), Max2(m[2], m[3]));
    }
  }
  if constexpr (!kColwise) {
    const float m = detail::BlockMax(fmaxf(__low2float(gmax), __high2float(gmax)), blockred);
    if (t == 0) PostMax(ScratchLayout::GlobalWord(p.scratch, phase), m);
  }
  WQ_MARK(1);
  LetNextGridLaunch();
  WQ_STEP(0);
  // Housekeeping for the next call, while the other blocks finish pass 1: zero what the call
  // before posted in the other half, record what this one posts, flip the phase once every
  // block has read it.
  {
    const unsigned other = phase ^ 1u;
    const int64_t stale = min(static_cast<int64_t>(stale_words), p.post_words);
    unsigned* words = posts(other);
    for (int64_t i = blockIdx.x * int64_t{kThreads} + t; i < stale; i += int64_t{gridDim.x} * kThreads) words[i] = 0;
    if (t == 0) {
      if (blockIdx.x == 0) {
        p.scratch[ScratchLayout::kUsed + phase] = kColwise ? ScratchLayout::StripPosts(kStrip, p.strips) : 0;
        *ScratchLayout::GlobalWord(p.scratch, other) = 0;
        p.scratch[ScratchLayout::Counter(other, 0)] = 0;
        p.scratch[ScratchLayout::Counter(other, 1)] = 0;
      }
      if (entered == gridDim.x - 1) {
        p.scratch[ScratchLayout::kEntered] = 0;
        p.scratch[ScratchLayout::kPhase] = other;
      }
    }
  }

  WQ_STEP(1);
  // Pass 2's first region (the integer divisions by the grid and strip counts), worked out
  // while this block waits for the posts, not after: once the maxima are known pass 2 is
  // issue-bound, and these were a third of its instructions (global, 8 MB). The empty asm
  // keeps the compiler from sinking them past the wait.
  const int first_item = blockIdx.x + ((items - 1 - blockIdx.x) / gridDim.x) * gridDim.x;
  const Region first_region = RegionOf<kStrip>(p, first_item);
  if constexpr (!kDynamic) {
    asm volatile("" ::"l"(first_region.r0), "l"(first_region.r1), "l"(first_region.c0), "r"(first_region.passes),
                 "r"(first_region.chunk));
  }
  WQ_STEP(2);

  if constexpr (!kColwise) {
    // Thread 0 polls the word until every block has posted; the same value holds the max.
    __shared__ float seen;
    if (t == 0) seen = WaitForMax(ScratchLayout::GlobalWord(p.scratch, phase), gridDim.x);
    __syncthreads();
    WQ_MARK(2);
    const float absmax = seen;
    if (t == 0) {
      if (blockIdx.x == 0) *p.state = __float2half_rn(absmax);  // exact: an input value
      divisor[0] = detail::MakeDivisor(absmax);
    }
    WQ_MARK(3);
  }

  // Pass 2, in reverse order of pass 1 (dynamic: first the pool's units from the highest
  // down, the most recently read first, then this block's own).
  if constexpr (kDynamic) {
    __syncthreads();  // the divisor
    int r = p.cached_passes, u = broadcast(t == 0 ? units - 1 - take(1) : 0);
    for (;;) {
      const bool pooled = u >= pool;
      int from_slot = p.cached_passes;  // pool units come from global memory
      if (!pooled) {
        if (--r < 0) break;
        u = blockIdx.x + r * static_cast<int>(gridDim.x);
        from_slot = r;
      }
      int next = 0;
      if (pooled && t == 0) next = units - 1 - take(1);
      const Region g = RegionOf<kStrip>(p, u % items);
      if (u < units && u / items < g.passes) {
        QuantizePass<kMode, kStrip, true>(p, g, u / items, from_slot, cache, divisor, quad, cv, once);
      }
      if (pooled) u = broadcast(next);
    }
  }
  for (int item = first_item; item >= static_cast<int>(blockIdx.x) && !kDynamic; item -= gridDim.x) {
    const Region g = item == first_item ? first_region : RegionOf<kStrip>(p, item);
    if constexpr (kColwise) {
      // Column t's maximum once every chunk's block has posted it: thread t < kStrip polls
      // the column's word.
      __syncthreads();  // the previous region's divisors are no longer read
      WQ_STEP(3);
      if (t < kStrip) {
        const int64_t c = g.c0 + t;
        const float m =
            c < p.cols ? WaitForMax(ScratchLayout::ColumnWords(posts(phase), kStrip, g.c0 / kStrip) + t, p.chunks) : 0.0f;
        if (g.chunk == 0 && c < p.cols) p.state[c] = __float2half_rn(m);
        divisor[t] = detail::MakeDivisor(m);
      }
      WQ_MARK(2);
      WQ_STRIP(static_cast<int>(g.c0 / kStrip));
    }
    __syncthreads();
    for (int j = g.passes - 1; j >= 0; --j) {
      --slot;
      // The next pass, unless it comes from shared memory (the slots below cached_passes).
      if (p.steer_l2 && j >= 1 && slot - 1 >= p.cached_passes) PrefetchPass<kStrip>(p, g, j - 1);
      QuantizePass<kMode, kStrip>(p, g, j, slot, cache, divisor, quad, cv, once);
    }
  }
  WQ_MARK(4);
}

std::atomic<int> g_strip_override{0};
std::atomic<int> g_launch_override{-1};
std::atomic<bool> g_unstaged_override{false};

// Co-resident blocks of a kernel with the largest cache, computed once per kernel (the
// process owns one device); 0 if it cannot be had.
template <typename Kernel>
int MaxGrid(Kernel kernel) {
  constexpr int kMaxSmem = kMaxCachedPasses * kQuad * kThreads * sizeof(Half8);
  int device = 0, sms = 0, per_sm = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kMaxSmem) != cudaSuccess ||
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, kMaxSmem) != cudaSuccess) {
    return 0;
  }
  return std::min(kMaxGrid, sms * per_sm);
}

// Regions of w for a grid of at most max_grid blocks: strips of strip_cols columns x chunks
// of whole passes.
struct Decomposition {
  int64_t strips = 0, chunks = 0, chunk_rows = 0, items = 0;
  int grid = 0;
};

absl::StatusOr<Decomposition> Decompose(int64_t rows, int64_t cols, int strip_cols, int pass_rows, int max_grid) {
  const int64_t row_passes = (rows + pass_rows - 1) / pass_rows;
  Decomposition d;
  d.strips = (cols + strip_cols - 1) / strip_cols;
  if (d.strips > 0x7fffffff / kMaxGrid || row_passes > 0x7fffffff / pass_rows) {
    return absl::InvalidArgumentError("weight quantizer: more than 2^31 columns or rows");
  }
  const int64_t want_chunks = std::clamp<int64_t>(max_grid / d.strips, 1, row_passes);
  d.chunk_rows = (row_passes + want_chunks - 1) / want_chunks * pass_rows;
  d.chunks = (rows + d.chunk_rows - 1) / d.chunk_rows;
  d.items = d.strips * d.chunks;
  if (d.items > 0x7fffffff) return absl::InvalidArgumentError("weight quantizer: too many regions");
  d.grid = static_cast<int>(std::min<int64_t>(d.items, max_grid));
  return d;
}

// Posts one half of the scratch holds (colwise): the most StripPosts over the strip widths a
// launch can have (a ragged last strip takes a whole strip's words: 512 for one column in a
// 256-column strip). Every strip's words start a line (StripPosts are whole lines).
int64_t ScratchLayout::PostWords(int64_t /*rows*/, int64_t cols) {
  int64_t words = 0;
  for (const int strip : {64, 128, 256}) words = std::max(words, StripPosts(strip, (cols + strip - 1) / strip));
  return words;
}

// The strip width whose regions leave the fewest passes to a block, the narrowest on a tie:
// a call's time follows the passes its busiest block walks more than the bytes (H100, s7
// quantize_bench --variants: 1664 x 6656 has 4 passes per block in 64-column strips, 3 in
// 128 or 256: colwise_T 19.6 / 16.5 / 17.5 us; where the passes tie, 64 columns were as fast
// or faster for colwise_T, which the transposing modes follow: 128 MB colwise_T 144.6 /
// 146.1 / 149.5 us; docs/BENCHMARKS.md).
int ChooseStrip(int64_t rows, int64_t cols, int max_grid) {
  int best = 64;
  int64_t fewest = -1;
  auto consider = [&](int strip, int pass_rows) {
    const absl::StatusOr<Decomposition> d = Decompose(rows, cols, strip, pass_rows, max_grid);
    if (!d.ok() || d->grid <= 0) return;
    const int64_t passes = (d->items + d->grid - 1) / d->grid * (d->chunk_rows / pass_rows);
    if (fewest < 0 || passes < fewest) {
      best = strip;
      fewest = passes;
    }
  };
  consider(64, PassShape<64>::kRows);
  consider(128, PassShape<128>::kRows);
  consider(256, PassShape<256>::kRows);
  return best;
}

// checked_launch: the default launch. The first time a kernel runs a grid larger than any
// before it, it is launched cooperatively once, so that the driver checks that the grid is
// co-resident in this context (an MPS client limited to part of the SMs would otherwise
// spin waiting for posts forever; the check fails with an error instead); later calls launch
// plainly with programmatic dependent launch.
template <WeightMode kMode, int kStrip>
absl::Status Launch(const __half* w, int64_t rows, int64_t cols, int8_t* codes, __half* state,
                    void* scratch, cudaStream_t stream, WeightQuantizerLaunch launch, bool checked_launch,
                    int max_grid, std::string* variant) {
  static std::atomic<int> checked_grid{0};
  using Shape = PassShape<kStrip>;
  constexpr bool kTranspose = kMode != WeightMode::kGlobal;
  auto kernel = QuantizeWeightKernel<kMode, kStrip>;
  static std::atomic<int> checked_grid_dynamic{0};
  std::atomic<int>* checked_grid_of_kernel = &checked_grid;
  bool dynamic = false;
  absl::StatusOr<Decomposition> d = Decompose(rows, cols, kStrip, Shape::kRows, max_grid);
  if (!d.ok()) return d.status();
  Params p{};
  p.w = w;
  p.rows = rows;
  p.cols = cols;
  p.codes = codes;
  p.state = state;
  p.scratch = static_cast<unsigned*>(scratch);
  p.post_words = ScratchLayout::PostWords(rows, cols);
  if (kMode == WeightMode::kColwiseTranspose && ScratchLayout::StripPosts(kStrip, d->strips) > p.post_words) {
    return absl::InternalError(absl::StrCat("weight quantizer: ", d->strips, " strips of ", kStrip,
                                            " columns overflow the scratch's ", p.post_words, " posts"));
  }
  p.vec_in = cols % 8 == 0 && detail::Aligned16(w);
  p.vec_out = kTranspose ? rows % 4 == 0 && (reinterpret_cast<uintptr_t>(codes) & 3) == 0
                         : cols % 8 == 0 && (reinterpret_cast<uintptr_t>(codes) & 7) == 0;
  p.stage_t = kTranspose && rows % 16 == 0 && (reinterpret_cast<uintptr_t>(codes) & 15) == 0 &&
              !g_unstaged_override.load(std::memory_order_relaxed);
  p.chunk_rows = d->chunk_rows;
  p.chunks = static_cast<int>(d->chunks);
  p.strips = static_cast<int>(d->strips);
  const int64_t passes_per_block = (d->items + d->grid - 1) / d->grid * (p.chunk_rows / Shape::kRows);
  p.cached_passes = static_cast<int>(std::min<int64_t>(kMaxCachedPasses, passes_per_block));
  p.steer_l2 = passes_per_block > p.cached_passes && detail::FitsInL2(rows * cols * int64_t{sizeof(__half)});
  p.passes_per_item = static_cast<int>(p.chunk_rows / Shape::kRows);
  if constexpr (kMode != WeightMode::kColwiseTranspose && kStrip == 64) {
    // Passes left over after every block's cached ones, w too large for L2: the dynamic kernel.
    static const int dynamic_max_grid = MaxGrid(QuantizeWeightKernel<kMode, kStrip, true>);
    const int64_t units = d->items * p.passes_per_item;
    if (!p.steer_l2 && units > int64_t{p.cached_passes} * d->grid && units < (int64_t{1} << 30) && d->grid <= dynamic_max_grid) {
      kernel = QuantizeWeightKernel<kMode, kStrip, true>;
      checked_grid_of_kernel = &checked_grid_dynamic;
      dynamic = true;
    }
  }
  const size_t smem = static_cast<size_t>(p.cached_passes) * kQuad * kThreads * sizeof(Half8);
  if (variant != nullptr) {
    *variant = absl::StrCat(ModeName(kMode), "_s", kStrip, dynamic ? "_dynamic" : "");
  }

  const bool check = checked_launch && d->grid > checked_grid_of_kernel->load(std::memory_order_relaxed);
  if (check) launch = WeightQuantizerLaunch::kCooperative;
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(static_cast<unsigned>(d->grid));
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute attrs[2]{};
  int n = 0;
  if (launch == WeightQuantizerLaunch::kCooperative || launch == WeightQuantizerLaunch::kCooperativeDependent) {
    attrs[n].id = cudaLaunchAttributeCooperative;  // the driver checks that the grid is co-resident
    attrs[n++].val.cooperative = 1;
  }
  if (launch == WeightQuantizerLaunch::kPlainDependent || launch == WeightQuantizerLaunch::kCooperativeDependent) {
    attrs[n].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attrs[n++].val.programmaticStreamSerializationAllowed = 1;
  }
  config.attrs = attrs;
  config.numAttrs = n;
  SB_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, p));
  if (check) checked_grid_of_kernel->store(d->grid, std::memory_order_relaxed);
  return absl::OkStatus();
}

template <WeightMode kMode>
absl::Status Run(const __half* w, int64_t rows, int64_t cols, int8_t* codes, __half* state,
                 void* scratch, cudaStream_t stream, std::string* variant) {
  if (rows <= 0 || cols <= 0) {
    if (variant != nullptr) *variant = ModeName(kMode);  // no kernel runs
    return absl::OkStatus();
  }
  static const int max_grid_64 = MaxGrid(QuantizeWeightKernel<kMode, 64>);
  static const int max_grid_128 = MaxGrid(QuantizeWeightKernel<kMode, 128>);
  static const int max_grid_256 = MaxGrid(QuantizeWeightKernel<kMode, 256>);
  if (max_grid_64 <= 0 || max_grid_128 <= 0 || max_grid_256 <= 0) {
    return absl::InternalError(absl::StrCat("weight quantizer: no co-resident blocks: ",
                                            cudaGetErrorString(cudaGetLastError())));
  }
  const int forced_strip = g_strip_override.load(std::memory_order_relaxed);
  const int forced_launch = g_launch_override.load(std::memory_order_relaxed);
  const int strip =
      forced_strip > 0 ? forced_strip : ChooseStrip(rows, cols, std::min({max_grid_64, max_grid_128, max_grid_256}));
  // Plain launches with programmatic dependent launch: the next call's launch overlaps this
  // one's second pass (1 us of 10 at 8 MB; the cooperative attribute bought nothing and
  // cancels the overlap: bench/quantize_bench --variants). Co-residency rests on the grid
  // size from the occupancy calculator, checked once per grid size by a cooperative launch
  // (Launch's checked_launch).
  const bool checked = forced_launch < 0;
  const auto launch = checked ? WeightQuantizerLaunch::kPlainDependent : static_cast<WeightQuantizerLaunch>(forced_launch);
  switch (strip) {
    case 64:
      return Launch<kMode, 64>(w, rows, cols, codes, state, scratch, stream, launch, checked, max_grid_64, variant);
    case 128:
      return Launch<kMode, 128>(w, rows, cols, codes, state, scratch, stream, launch, checked, max_grid_128, variant);
    case 256:
      return Launch<kMode, 256>(w, rows, cols, codes, state, scratch, stream, launch, checked, max_grid_256, variant);
    default:
      return absl::InvalidArgumentError(absl::StrCat("weight quantizer: no strip of ", strip, " columns"));
  }
}

}  // namespace

void OverrideWeightQuantizerForBench(int strip_columns, int launch) {
  g_strip_override.store(strip_columns, std::memory_order_relaxed);
  g_launch_override.store(launch, std::memory_order_relaxed);
}

void OverrideWeightQuantizerStagingForBench(bool unstaged) {
  g_unstaged_override.store(unstaged, std::memory_order_relaxed);
}

size_t QuantizeScratchBytes(int64_t rows, int64_t cols) {
  return sizeof(unsigned) * static_cast<size_t>(ScratchLayout::Words(std::max<int64_t>(rows, 0), std::max<int64_t>(cols, 0)));
}

absl::Status ClearQuantizeScratch(void* scratch, int64_t rows, int64_t cols, cudaStream_t stream) {
  SB_CUDA_CHECK(cudaMemsetAsync(scratch, 0, QuantizeScratchBytes(rows, cols), stream));
  return absl::OkStatus();
}

absl::Status QuantizeColwiseTranspose(const __half* w, int64_t rows, int64_t cols,
                                      int8_t* codes_t, __half* state, void* scratch,
                                      cudaStream_t stream, std::string* variant) {
  // One pass by clusters where they apply (Hopper, whole 16-byte granules); a strip forced
  // for the bench or the tests means the region kernel.
  if (g_strip_override.load(std::memory_order_relaxed) <= 0) {
    absl::StatusOr<bool> ran = detail::QuantizeColwiseTransposeCluster(w, rows, cols, codes_t, state, stream, variant);
    if (!ran.ok() || *ran) return ran.status();
  }
  return Run<WeightMode::kColwiseTranspose>(w, rows, cols, codes_t, state, scratch, stream, variant);
}

absl::Status QuantizeGlobal(const __half* w, int64_t rows, int64_t cols, int8_t* codes,
                            __half* state, void* scratch, cudaStream_t stream, std::string* variant) {
  return Run<WeightMode::kGlobal>(w, rows, cols, codes, state, scratch, stream, variant);
}

absl::Status QuantizeGlobalTranspose(const __half* w, int64_t rows, int64_t cols,
                                     int8_t* codes_t, __half* state, void* scratch,
                                     cudaStream_t stream, std::string* variant) {
  return Run<WeightMode::kGlobalTranspose>(w, rows, cols, codes_t, state, scratch, stream, variant);
}

}  // namespace switchback::cuda

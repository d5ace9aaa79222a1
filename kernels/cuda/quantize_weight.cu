// The weight quantizers (colwise + transpose, global, global + transpose) in one launch.
//
// w is 8-128 MB and these kernels take microseconds, so separate launches for the absmax
// and the quantizing pass, and a second read of w from HBM, cost more than the bytes
// (docs/BENCHMARKS.md). Here one cooperative kernel does both: every block owns regions of
// w (a 64-column strip x a chunk of rows), reads them once to find its part of the absmax
// (per column or one scalar), keeps as much as fits in shared memory, meets the other
// blocks at a grid barrier, then quantizes its regions (from shared memory, else from
// global memory in reverse order, so the most recently read bytes come back from L2; when w
// fits in L2, with eviction priorities and a one-pass L2 prefetch that keep those bytes there).
// Each thread holds 4 consecutive rows x 8 columns, so the transposed codes leave as
// 4-byte words (4 rows of one column) packed in registers: no staging, no barrier per tile.
#include <cooperative_groups.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/quantize_common.cuh"
#include "kernels/cuda/switchback_kernels.h"

namespace switchback::cuda {
namespace {

namespace cg = cooperative_groups;
using detail::Code8;
using detail::Divisor;
using detail::Half8;

enum class WeightMode { kColwiseTranspose, kGlobal, kGlobalTranspose };

constexpr int kThreads = 512;     // a pass: 64 row quads x 8 vectors of 8 columns
constexpr int kStrip = 64;        // columns per region
constexpr int kQuad = 4;          // consecutive rows per thread
constexpr int kPassRows = kThreads / 8 * kQuad;  // 256
// 96 KB of w per block, two blocks (32 warps) per SM: one block of 16 warps with twice the
// cache read w at half the rate (bench/quantize_bench, docs/BENCHMARKS.md).
constexpr int kMaxCachedPasses = 3;
constexpr int kMaxGrid = 1024;

struct Params {
  const __half* w;
  int64_t rows, cols;
  bool vec_in;   // 16-byte loads of w: cols % 8 == 0 and w aligned
  bool vec_out;  // 8-byte (in place) or 4-byte (transposed) code stores
  int8_t* codes;
  __half* state;
  float* partial;  // colwise: [chunks][cols] column maxima; global: [gridDim.x]
  int strips, chunks;
  int64_t chunk_rows;  // a multiple of kPassRows
  int cached_passes;
  // w does not fit in shared memory but fits in L2: steer L2 so that the bytes pass 2 reads
  // again stay there (docs/BENCHMARKS.md: -15% time at 2048 x 8192, no gain or a loss at the
  // other sizes).
  bool steer_l2;
};

struct Region {
  int64_t r0, r1, c0;
  int passes;
  int chunk;
};

__device__ __forceinline__ Region RegionOf(const Params& p, int item) {
  Region g;
  g.chunk = item / p.strips;  // adjacent blocks take adjacent strips of the same rows
  g.c0 = static_cast<int64_t>(item % p.strips) * kStrip;
  g.r0 = g.chunk * p.chunk_rows;
  g.r1 = min(p.rows, g.r0 + p.chunk_rows);
  g.passes = static_cast<int>((g.r1 - g.r0 + kPassRows - 1) / kPassRows);
  return g;
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
__device__ __forceinline__ void PrefetchPass(const Params& p, const Region& g, int j) {
  const int64_t r = g.r0 + static_cast<int64_t>(j) * kPassRows + threadIdx.x;
  if (!p.vec_in || threadIdx.x >= kPassRows || r >= g.r1) return;
  const __half* row = p.w + r * p.cols + g.c0;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  const int64_t cols = p.cols - g.c0 < kStrip ? p.cols - g.c0 : kStrip;
  const uint32_t bytes = static_cast<uint32_t>(cols * sizeof(__half));
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(row), "r"(bytes) : "memory");
#else
  asm volatile("prefetch.global.L2 [%0];" ::"l"(row) : "memory");
  if (g.c0 + kStrip / 2 < p.cols) asm volatile("prefetch.global.L2 [%0];" ::"l"(row + kStrip / 2) : "memory");
#endif
}

__device__ __forceinline__ __half2 Max2(__half2 a, __half2 b) { return __hmax2(a, b); }

__device__ __forceinline__ float Element(const Half8& v, int i) {
  return i % 2 == 0 ? __low2float(v.h[i / 2]) : __high2float(v.h[i / 2]);
}

#ifdef SWITCHBACK_WQ_TIMELINE
// bench/quantize_timeline builds this file with per-block %globaltimer stamps (thread 0):
// entry, pass 1 done, barrier left, divisor known (global modes), exit.
}  // namespace
__device__ unsigned long long g_wq_timeline[1024][5];
namespace {
#define WQ_MARK(i)                                                             \
  do {                                                                         \
    if (threadIdx.x == 0 && blockIdx.x < 1024) {                               \
      unsigned long long t_;                                                   \
      asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t_));                   \
      g_wq_timeline[blockIdx.x][i] = t_;                                       \
    }                                                                          \
  } while (0)
#else
#define WQ_MARK(i)
#endif

template <WeightMode kMode>
__global__ void __launch_bounds__(kThreads, 2) QuantizeWeightKernel(Params p) {
  WQ_MARK(0);
  constexpr bool kColwise = kMode == WeightMode::kColwiseTranspose;
  constexpr bool kTranspose = kMode != WeightMode::kGlobal;
  extern __shared__ Half8 cache[];  // [cached_passes][kQuad][kThreads]
  __shared__ __half2 colred[kThreads / 64][kStrip / 2];  // [quad_hi][column pair]
  __shared__ Divisor divisor[kStrip];
  __shared__ float colmax[kThreads / kStrip][kStrip];
  __shared__ float blockred[32];

  // A warp covers 8 quads (32 rows) x 4 vectors (32 columns): its loads are 64-byte row
  // segments, and its transposed stores are 32-byte runs of 4 columns (whole sectors;
  // partial sectors cost HBM a read-modify-write). The two warps of a quad_hi pair
  // cover the strip's 64 columns.
  const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
  const int quad = (lane & 7) + 8 * (warp >> 1), cv = ((lane >> 3) + 4 * (warp & 1)) * 8;
  const int items = p.strips * p.chunks;
  using detail::L2Policy;
  using detail::L2Priority;
  // Steered: pass-1 bytes kept in shared memory and the codes leave L2 first, the bytes
  // read again stay (evict_last until that second read demotes them: none stays pinned
  // after the kernel).
  const uint64_t normal = L2Policy(L2Priority::kNormal), first = L2Policy(L2Priority::kEvictFirst);
  const uint64_t uncached_policy = p.steer_l2 ? L2Policy(L2Priority::kEvictLast) : normal;
  const uint64_t cached_policy = p.steer_l2 ? first : normal;
  const uint64_t reread_policy = p.steer_l2 ? first : normal;
  const uint64_t store_policy = p.steer_l2 ? first : normal;

  // Pass 1: absmax parts; the first cached_passes passes of this block stay in shared memory.
  __half2 gmax = __float2half2_rn(0.0f);
  int slot = 0;
  for (int item = blockIdx.x; item < items; item += gridDim.x) {
    const Region g = RegionOf(p, item);
    __half2 m[4] = {gmax, gmax, gmax, gmax};
    if constexpr (kColwise) m[0] = m[1] = m[2] = m[3] = __float2half2_rn(0.0f);
    for (int j = 0; j < g.passes; ++j, ++slot) {
      if (p.steer_l2 && j + 1 < g.passes) PrefetchPass(p, g, j + 1);
      const int64_t gr = g.r0 + j * kPassRows + quad * kQuad;
      Half8 v[kQuad];
      const uint64_t policy = slot < p.cached_passes ? cached_policy : uncached_policy;
#pragma unroll
      for (int k = 0; k < kQuad; ++k) v[k] = LoadVec(p, g, gr + k, g.c0 + cv, policy);
#pragma unroll
      for (int k = 0; k < kQuad; ++k) {
#pragma unroll
        for (int i = 0; i < 4; ++i) m[i] = Max2(m[i], __habs2(v[k].h[i]));
        if (slot < p.cached_passes) cache[(slot * kQuad + k) * kThreads + t] = v[k];
      }
    }
    if constexpr (kColwise) {
      // Max over the rows: the 8 lanes of a vector within the warp, then the 8 warps
      // that share it, via smem.
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        __half2 o = m[i];
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, 1));
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, 2));
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, 4));
        if ((lane & 7) == 0) colred[warp >> 1][cv / 2 + i] = o;
      }
      __syncthreads();
      if (t < kStrip / 2) {
        __half2 o = colred[0][t];
        for (int w = 1; w < kThreads / 64; ++w) o = Max2(o, colred[w][t]);
        const int64_t c = g.c0 + 2 * t;
        float* out = p.partial + static_cast<int64_t>(g.chunk) * p.cols;
        if (c < p.cols) out[c] = __low2float(o);
        if (c + 1 < p.cols) out[c + 1] = __high2float(o);
      }
      __syncthreads();
    } else {
      gmax = Max2(Max2(m[0], m[1]), Max2(m[2], m[3]));
    }
  }
  if constexpr (!kColwise) {
    const float m = detail::BlockMax(fmaxf(__low2float(gmax), __high2float(gmax)), blockred);
    if (t == 0) p.partial[blockIdx.x] = m;
  }
  WQ_MARK(1);
  cg::this_grid().sync();
  WQ_MARK(2);

  if constexpr (!kColwise) {
    float m = 0.0f;
    for (int i = t; i < gridDim.x; i += kThreads) m = fmaxf(m, __ldcg(p.partial + i));
    const float absmax = detail::BlockMax(m, blockred);
    if (blockIdx.x == 0 && t == 0) *p.state = __float2half_rn(absmax);  // exact: an input value
    if (t < kStrip) divisor[t] = detail::MakeDivisor(absmax);
    WQ_MARK(3);
  }

  // Pass 2, in reverse order of pass 1.
  const int first_item = blockIdx.x + ((items - 1 - blockIdx.x) / gridDim.x) * gridDim.x;
  for (int item = first_item; item >= static_cast<int>(blockIdx.x); item -= gridDim.x) {
    const Region g = RegionOf(p, item);
    if constexpr (kColwise) {
      // The strip's column maxima over all row chunks: 8 threads per column gather them.
      constexpr int kParts = kThreads / kStrip;
      const int64_t c = g.c0 + t % kStrip;
      float m = 0.0f;
      if (c < p.cols) {
        for (int k = t / kStrip; k < p.chunks; k += kParts) m = fmaxf(m, __ldcg(p.partial + k * p.cols + c));
      }
      __syncthreads();  // the previous region's divisors are no longer read
      colmax[t / kStrip][t % kStrip] = m;
      __syncthreads();
      if (t < kStrip) {
        for (int k = 1; k < kParts; ++k) m = fmaxf(m, colmax[k][t]);
        if (g.chunk == 0 && c < p.cols) p.state[c] = __float2half_rn(m);
        divisor[t] = detail::MakeDivisor(m);
      }
    }
    __syncthreads();
    for (int j = g.passes - 1; j >= 0; --j) {
      --slot;
      // The next pass, unless it comes from shared memory (the slots below cached_passes).
      if (p.steer_l2 && j >= 1 && slot - 1 >= p.cached_passes) PrefetchPass(p, g, j - 1);
      const int64_t gr = g.r0 + j * kPassRows + quad * kQuad, gc = g.c0 + cv;
      Half8 v[kQuad];
      if (slot < p.cached_passes) {  // uniform over the block; keeps global loads out of this path
#pragma unroll
        for (int k = 0; k < kQuad; ++k) v[k] = cache[(slot * kQuad + k) * kThreads + t];
      } else {
#pragma unroll
        for (int k = 0; k < kQuad; ++k) v[k] = LoadVec(p, g, gr + k, gc, reread_policy);
      }
      if constexpr (!kTranspose) {
#pragma unroll
        for (int k = 0; k < kQuad; ++k) {
          const Code8 c = detail::Quantize8(v[k], divisor[0]);
          if (gr + k >= g.r1) continue;
          int8_t* out = p.codes + (gr + k) * p.cols + gc;
          if (p.vec_out && gc + 8 <= p.cols) {
            detail::Store8(out, c.lo, c.hi, store_policy);
          } else {
#pragma unroll
            for (int i = 0; i < 8; ++i) {
              if (gc + i < p.cols) out[i] = static_cast<int8_t>(((i < 4 ? c.lo : c.hi) >> (8 * (i % 4))) & 0xffu);
            }
          }
        }
      } else {
        // Column i of the quad: its 4 rows' codes in one word, stored along codes_t's row.
#pragma unroll
        for (int i = 0; i < 8; ++i) {
          const Divisor d = divisor[kColwise ? cv + i : 0];
          const uint32_t word = detail::Pack4(detail::CodeBits(Element(v[0], i), d), detail::CodeBits(Element(v[1], i), d),
                                              detail::CodeBits(Element(v[2], i), d), detail::CodeBits(Element(v[3], i), d));
          const int64_t oc = gc + i;
          if (oc >= p.cols || gr >= g.r1) continue;
          int8_t* out = p.codes + oc * p.rows + gr;
          if (p.vec_out && gr + kQuad <= g.r1) {
            detail::Store4(out, word, store_policy);
          } else {
            for (int k = 0; k < kQuad && gr + k < g.r1; ++k) out[k] = static_cast<int8_t>((word >> (8 * k)) & 0xffu);
          }
        }
      }
    }
  }
  WQ_MARK(4);
}

struct Launch {
  Params params;
  int grid;
  size_t smem;
};

template <WeightMode kMode>
absl::Status Run(const __half* w, int64_t rows, int64_t cols, int8_t* codes, __half* state,
                 void* scratch, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return absl::OkStatus();
  constexpr bool kTranspose = kMode != WeightMode::kGlobal;
  auto kernel = QuantizeWeightKernel<kMode>;
  // Co-resident blocks with the largest cache: computed once (the process owns one device).
  static const int max_grid = [&] {
    constexpr int kMaxSmem = kMaxCachedPasses * kQuad * kThreads * sizeof(Half8);
    int device = 0, sms = 0, per_sm = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kMaxSmem) != cudaSuccess ||
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, kMaxSmem) != cudaSuccess) {
      return 0;
    }
    return std::min(kMaxGrid, sms * per_sm);
  }();
  static const int64_t l2_bytes = [] {
    int device = 0, bytes = 0;
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&bytes, cudaDevAttrL2CacheSize, device) != cudaSuccess) {
      return 0;
    }
    return bytes;
  }();
  if (max_grid <= 0) {
    return absl::InternalError(absl::StrCat("weight quantizer: no co-resident blocks: ",
                                            cudaGetErrorString(cudaGetLastError())));
  }
  Params p{};
  p.w = w;
  p.rows = rows;
  p.cols = cols;
  p.codes = codes;
  p.state = state;
  p.partial = static_cast<float*>(scratch);
  p.vec_in = cols % 8 == 0 && detail::Aligned16(w);
  p.vec_out = kTranspose ? rows % 4 == 0 && (reinterpret_cast<uintptr_t>(codes) & 3) == 0
                         : cols % 8 == 0 && (reinterpret_cast<uintptr_t>(codes) & 7) == 0;
  const int64_t row_passes = (rows + kPassRows - 1) / kPassRows;
  const int64_t strips = (cols + kStrip - 1) / kStrip;
  if (strips > 0x7fffffff / kMaxGrid || row_passes > 0x7fffffff / kPassRows) {
    return absl::InvalidArgumentError("weight quantizer: more than 2^31 columns or rows");
  }
  const int64_t want_chunks = std::clamp<int64_t>(max_grid / strips, 1, row_passes);
  p.chunk_rows = (row_passes + want_chunks - 1) / want_chunks * kPassRows;
  p.chunks = static_cast<int>((rows + p.chunk_rows - 1) / p.chunk_rows);
  p.strips = static_cast<int>(strips);
  const int64_t items = strips * p.chunks;
  if (items > 0x7fffffff) return absl::InvalidArgumentError("weight quantizer: too many regions");
  const int grid = static_cast<int>(std::min<int64_t>(items, max_grid));
  const int64_t passes_per_block = (items + grid - 1) / grid * (p.chunk_rows / kPassRows);
  p.cached_passes = static_cast<int>(std::min<int64_t>(kMaxCachedPasses, passes_per_block));
  // Four fifths of L2 for w, the rest for the codes on their way out.
  p.steer_l2 = passes_per_block > p.cached_passes && rows * cols * int64_t{sizeof(__half)} <= l2_bytes / 5 * 4;
  const size_t smem = static_cast<size_t>(p.cached_passes) * kQuad * kThreads * sizeof(Half8);

  cudaLaunchConfig_t config{};
  config.gridDim = dim3(static_cast<unsigned>(grid));
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute cooperative{};
  cooperative.id = cudaLaunchAttributeCooperative;
  cooperative.val.cooperative = 1;
  config.attrs = &cooperative;
  config.numAttrs = 1;
  SB_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, p));
  return absl::OkStatus();
}

}  // namespace

size_t QuantizeScratchBytes(int64_t /*rows*/, int64_t cols) {
  // Column maxima per row chunk (chunks * cols <= 64 * kMaxGrid, or cols when one chunk),
  // or one maximum per block.
  return sizeof(float) * static_cast<size_t>(std::max<int64_t>(int64_t{kStrip} * kMaxGrid, cols));
}

absl::Status QuantizeColwiseTranspose(const __half* w, int64_t rows, int64_t cols,
                                      int8_t* codes_t, __half* state, void* scratch,
                                      cudaStream_t stream) {
  return Run<WeightMode::kColwiseTranspose>(w, rows, cols, codes_t, state, scratch, stream);
}

absl::Status QuantizeGlobal(const __half* w, int64_t rows, int64_t cols, int8_t* codes,
                            __half* state, void* scratch, cudaStream_t stream) {
  return Run<WeightMode::kGlobal>(w, rows, cols, codes, state, scratch, stream);
}

absl::Status QuantizeGlobalTranspose(const __half* w, int64_t rows, int64_t cols,
                                     int8_t* codes_t, __half* state, void* scratch,
                                     cudaStream_t stream) {
  return Run<WeightMode::kGlobalTranspose>(w, rows, cols, codes_t, state, scratch, stream);
}

}  // namespace switchback::cuda

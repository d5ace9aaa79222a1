// The weight quantizers (colwise + transpose, global, global + transpose) in one launch.
//
// w is 8-128 MB and these kernels take microseconds, so separate launches for the absmax
// and the quantizing pass, and a second read of w from HBM, cost more than the bytes
// (docs/BENCHMARKS.md). Here one cooperative kernel does both: every block owns regions of
// w (a 64-column strip x a chunk of rows), reads them once to find its part of the absmax
// (per column or one scalar), keeps as much as fits in shared memory, meets the other
// blocks at a grid barrier, then quantizes its regions (from shared memory, else from
// global memory in reverse order, so the most recently read bytes come back from L2) and
// writes codes in place or transposed through a staged 64 x 64 tile.
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

constexpr int kThreads = 512;        // one 64 x 64 tile per pass: 64 rows x 8 vectors of 8
constexpr int kTile = 64;
constexpr int kMaxCachedTiles = 12;  // 96 KB of w per block, two blocks per SM
constexpr int kStagePitch = kTile + 4;  // bytes per staged column of codes; spreads banks
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
  int64_t chunk_rows;  // a multiple of kTile
  int cached_tiles;
};

struct Region {
  int64_t r0, r1, c0;
  int tiles;
  int chunk;
};

__device__ __forceinline__ Region RegionOf(const Params& p, int item) {
  Region g;
  g.chunk = item / p.strips;  // adjacent blocks take adjacent strips of the same rows
  g.c0 = static_cast<int64_t>(item % p.strips) * kTile;
  g.r0 = g.chunk * p.chunk_rows;
  g.r1 = min(p.rows, g.r0 + p.chunk_rows);
  g.tiles = static_cast<int>((g.r1 - g.r0 + kTile - 1) / kTile);
  return g;
}

// This thread's 8 halves of a tile: row r, columns cv .. cv + 7; zeros outside the region.
__device__ __forceinline__ Half8 LoadVec(const Params& p, const Region& g, int64_t gr, int64_t gc) {
  Half8 v;
  if (gr < g.r1 && p.vec_in && gc + 8 <= p.cols) {
    v = *reinterpret_cast<const Half8*>(p.w + gr * p.cols + gc);
  } else {
    __half e[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) e[i] = (gr < g.r1 && gc + i < p.cols) ? p.w[gr * p.cols + gc + i] : __half(0.0f);
#pragma unroll
    for (int i = 0; i < 4; ++i) v.h[i] = __halves2half2(e[2 * i], e[2 * i + 1]);
  }
  return v;
}

__device__ __forceinline__ __half2 Max2(__half2 a, __half2 b) { return __hmax2(a, b); }

template <WeightMode kMode>
__global__ void __launch_bounds__(kThreads, 2) QuantizeWeightKernel(Params p) {
  constexpr bool kColwise = kMode == WeightMode::kColwiseTranspose;
  constexpr bool kTranspose = kMode != WeightMode::kGlobal;
  // Loads in flight per thread in pass 1 (two blocks of 512 threads per SM: 32-64 KB per SM);
  // the column maxima take the registers of the other two.
  constexpr int kLoads = kColwise ? 2 : 4;
  extern __shared__ Half8 cache[];  // [cached_tiles][kThreads]
  __shared__ alignas(16) int8_t stage[2][kTile][kStagePitch];  // [buffer][column][row]
  __shared__ __half2 colred[kThreads / 32][kTile / 2];
  __shared__ Divisor divisor[kTile];
  __shared__ float blockred[32];

  const int t = threadIdx.x, r = t / 8, cv = (t % 8) * 8;
  const int items = p.strips * p.chunks;

  // Pass 1: absmax parts; the first cached_tiles tiles of this block stay in shared memory.
  __half2 gmax = __float2half2_rn(0.0f);
  int slot = 0;
  for (int item = blockIdx.x; item < items; item += gridDim.x) {
    const Region g = RegionOf(p, item);
    __half2 m[4] = {gmax, gmax, gmax, gmax};
    if constexpr (kColwise) m[0] = m[1] = m[2] = m[3] = __float2half2_rn(0.0f);
    for (int j = 0; j < g.tiles; j += kLoads) {
      Half8 v[kLoads];
#pragma unroll
      for (int u = 0; u < kLoads; ++u) {
        if (j + u < g.tiles) v[u] = LoadVec(p, g, g.r0 + (j + u) * kTile + r, g.c0 + cv);
      }
#pragma unroll
      for (int u = 0; u < kLoads; ++u) {
        if (j + u >= g.tiles) break;
#pragma unroll
        for (int i = 0; i < 4; ++i) m[i] = Max2(m[i], __habs2(v[u].h[i]));
        if (slot < p.cached_tiles) cache[slot * kThreads + t] = v[u];
        ++slot;
      }
    }
    if constexpr (kColwise) {
      // Max over the 64 rows: lanes 8 apart share columns, then the 16 warps via smem.
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        __half2 o = m[i];
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, 8));
        o = Max2(o, __shfl_xor_sync(0xffffffffu, o, 16));
        if ((t & 31) < 8) colred[t / 32][cv / 2 + i] = o;
      }
      __syncthreads();
      if (t < kTile / 2) {
        __half2 o = colred[0][t];
        for (int w = 1; w < kThreads / 32; ++w) o = Max2(o, colred[w][t]);
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

  cg::this_grid().sync();

  if constexpr (!kColwise) {
    float m = 0.0f;
    for (int i = t; i < gridDim.x; i += kThreads) m = fmaxf(m, __ldcg(p.partial + i));
    const float absmax = detail::BlockMax(m, blockred);
    if (blockIdx.x == 0 && t == 0) *p.state = __float2half_rn(absmax);  // exact: an input value
    if (t < kTile) divisor[t] = detail::MakeDivisor(absmax);
  }

  // Pass 2, in reverse order of pass 1.
  int buffer = 0;
  const int first_item = blockIdx.x + ((items - 1 - blockIdx.x) / gridDim.x) * gridDim.x;
  for (int item = first_item; item >= static_cast<int>(blockIdx.x); item -= gridDim.x) {
    const Region g = RegionOf(p, item);
    if constexpr (kColwise) {
      __syncthreads();  // the previous region's divisors are no longer read
      if (t < kTile) {
        const int64_t c = g.c0 + t;
        float m = 0.0f;
        if (c < p.cols) {
          for (int k = 0; k < p.chunks; ++k) m = fmaxf(m, __ldcg(p.partial + k * p.cols + c));
          if (g.chunk == 0) p.state[c] = __float2half_rn(m);
        }
        divisor[t] = detail::MakeDivisor(m);
      }
    }
    __syncthreads();
    for (int j = g.tiles - 1; j >= 0; --j) {
      --slot;
      const int64_t gr = g.r0 + j * kTile + r, gc = g.c0 + cv;
      const Half8 v = slot < p.cached_tiles ? cache[slot * kThreads + t] : LoadVec(p, g, gr, gc);
      if constexpr (!kTranspose) {
        const Code8 c = detail::Quantize8(v, divisor[0]);
        if (gr < g.r1) {
          int8_t* out = p.codes + gr * p.cols + gc;
          if (p.vec_out && gc + 8 <= p.cols) {
            *reinterpret_cast<Code8*>(out) = c;
          } else {
#pragma unroll
            for (int i = 0; i < 8; ++i) {
              if (gc + i < p.cols) out[i] = static_cast<int8_t>(((i < 4 ? c.lo : c.hi) >> (8 * (i % 4))) & 0xffu);
            }
          }
        }
      } else {
        // Quantize into the staged tile [column][row], then store runs along codes_t's rows.
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const float2 f = __half22float2(v.h[i]);
          stage[buffer][cv + 2 * i][r] = detail::Code(f.x, divisor[kColwise ? cv + 2 * i : 0]);
          stage[buffer][cv + 2 * i + 1][r] = detail::Code(f.y, divisor[kColwise ? cv + 2 * i + 1 : 0]);
        }
        __syncthreads();
        const int64_t tr0 = g.r0 + j * kTile;
#pragma unroll
        for (int k = 0; k < 2; ++k) {
          const int word = t + k * kThreads, col = word / 16, rw = (word % 16) * 4;
          const int64_t oc = g.c0 + col, orow = tr0 + rw;
          if (oc >= p.cols || orow >= g.r1) continue;
          int8_t* out = p.codes + oc * p.rows + orow;
          if (p.vec_out && orow + 4 <= g.r1) {
            *reinterpret_cast<uint32_t*>(out) = *reinterpret_cast<const uint32_t*>(&stage[buffer][col][rw]);
          } else {
            for (int i = 0; i < 4 && orow + i < g.r1; ++i) out[i] = stage[buffer][col][rw + i];
          }
        }
        buffer ^= 1;  // the next tile writes the other buffer; the barrier above orders reuse
      }
    }
  }
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
    constexpr int kMaxSmem = kMaxCachedTiles * kThreads * sizeof(Half8);
    int device = 0, sms = 0, per_sm = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kMaxSmem) != cudaSuccess ||
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, kMaxSmem) != cudaSuccess) {
      return 0;
    }
    return std::min(kMaxGrid, sms * per_sm);
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
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  const int64_t strips = (cols + kTile - 1) / kTile;
  if (strips > 0x7fffffff / kMaxGrid || row_tiles > 0x7fffffff / kTile) {
    return absl::InvalidArgumentError("weight quantizer: more than 2^31 columns or rows");
  }
  const int64_t want_chunks = std::clamp<int64_t>(max_grid / strips, 1, row_tiles);
  p.chunk_rows = (row_tiles + want_chunks - 1) / want_chunks * kTile;
  p.chunks = static_cast<int>((rows + p.chunk_rows - 1) / p.chunk_rows);
  p.strips = static_cast<int>(strips);
  const int64_t items = strips * p.chunks;
  if (items > 0x7fffffff) return absl::InvalidArgumentError("weight quantizer: too many regions");
  const int grid = static_cast<int>(std::min<int64_t>(items, max_grid));
  const int64_t tiles_per_block = (items + grid - 1) / grid * (p.chunk_rows / kTile);
  p.cached_tiles = static_cast<int>(std::min<int64_t>(kMaxCachedTiles, tiles_per_block));
  const size_t smem = static_cast<size_t>(p.cached_tiles) * kThreads * sizeof(Half8);

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
  return sizeof(float) * static_cast<size_t>(std::max<int64_t>(int64_t{kTile} * kMaxGrid, cols));
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

// Quantize and transpose: w [rows, cols] -> codes_t [cols, rows], per-column states (colwise)
// or one scalar (global). The codes go through shared memory in 64 x 64 tiles so that both
// the reads of w and the writes of codes_t are coalesced.
#include "kernels/cuda/check.h"
#include "kernels/cuda/quantize_reduce.cuh"
#include "kernels/cuda/switchback_kernels.h"

namespace switchback::cuda {
namespace {

using namespace detail;

constexpr int kTile = 64;

// partial[chunk, c] = max |w[r, c]| over the chunk's rows. One thread per 8 columns.
__global__ void __launch_bounds__(128) ColumnPartials(const __half* __restrict__ w, int64_t rows,
                                                      int64_t cols, int64_t rows_per_chunk,
                                                      bool vec, float* __restrict__ partial) {
  const int64_t c0 = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * 8;
  if (c0 >= cols) return;
  const int64_t r0 = blockIdx.y * rows_per_chunk, r1 = min(rows, r0 + rows_per_chunk);
  float m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (vec) {
#pragma unroll 4
    for (int64_t r = r0; r < r1; ++r) {
      const Half8 v = *reinterpret_cast<const Half8*>(w + r * cols + c0);
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float2 f = __half22float2(v.h[i]);
        m[2 * i] = fmaxf(m[2 * i], fabsf(f.x));
        m[2 * i + 1] = fmaxf(m[2 * i + 1], fabsf(f.y));
      }
    }
  } else {
    for (int64_t r = r0; r < r1; ++r) {
      for (int i = 0; i < 8 && c0 + i < cols; ++i) m[i] = fmaxf(m[i], fabsf(__half2float(w[r * cols + c0 + i])));
    }
  }
  for (int i = 0; i < 8 && c0 + i < cols; ++i) partial[blockIdx.y * cols + c0 + i] = m[i];
}

// colmax[c] = max over chunks; state[c] = colmax[c] as fp16 (exact).
__global__ void ReduceColumns(const float* __restrict__ partial, int chunks, int64_t cols,
                              float* __restrict__ colmax, __half* __restrict__ state) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float m = 0.0f;
  for (int k = 0; k < chunks; ++k) m = fmaxf(m, partial[k * cols + c]);
  colmax[c] = m;
  state[c] = __float2half_rn(m);
}

// One 64 x 64 tile: load w (16-byte vectors where possible), quantize, transpose through
// shared memory, store 16 codes per thread along codes_t's rows.
template <bool kGlobal>
__global__ void __launch_bounds__(256) QuantizeTransposeTile(
    const __half* __restrict__ w, int64_t rows, int64_t cols, const float* __restrict__ scale,
    int partials, bool vec_in, bool vec_out, int8_t* __restrict__ codes_t, __half* __restrict__ state) {
  __shared__ int8_t tile[kTile][kTile + 16];  // [column][row]; the pad spreads banks
  __shared__ float smem[32];
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kTile;
  float absmax = 0.0f;
  if constexpr (kGlobal) {
    absmax = ReducePartials(scale, partials, smem);
    if (blockIdx.x == 0 && blockIdx.y == 0 && threadIdx.x == 0) *state = __float2half_rn(absmax);
  }
  // Load and quantize: 64 rows x 8 vectors of 8 columns; each thread does two.
  for (int item = threadIdx.x; item < kTile * 8; item += blockDim.x) {
    const int r = item / 8, cv = (item % 8) * 8;
    const int64_t gr = r0 + r, gc = c0 + cv;
    if (gr >= rows) continue;
    if (vec_in && gc + 8 <= cols) {
      const Half8 v = *reinterpret_cast<const Half8*>(w + gr * cols + gc);
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float2 f = __half22float2(v.h[i]);
        tile[cv + 2 * i][r] = Code(f.x, kGlobal ? absmax : scale[gc + 2 * i]);
        tile[cv + 2 * i + 1][r] = Code(f.y, kGlobal ? absmax : scale[gc + 2 * i + 1]);
      }
    } else {
      for (int i = 0; i < 8 && gc + i < cols; ++i) {
        tile[cv + i][r] = Code(__half2float(w[gr * cols + gc + i]), kGlobal ? absmax : scale[gc + i]);
      }
    }
  }
  __syncthreads();
  // Store: 64 rows of codes_t (columns of w) x 4 vectors of 16 codes; one per thread.
  const int c = threadIdx.x / 4, rv = (threadIdx.x % 4) * 16;
  const int64_t gc = c0 + c, gr = r0 + rv;
  if (gc >= cols || gr >= rows) return;
  int8_t* out = codes_t + gc * rows + gr;
  if (vec_out && gr + 16 <= rows) {
    *reinterpret_cast<int4*>(out) = *reinterpret_cast<const int4*>(&tile[c][rv]);
  } else {
    for (int i = 0; i < 16 && gr + i < rows; ++i) out[i] = tile[c][rv + i];
  }
}

dim3 Tiles(int64_t rows, int64_t cols) {
  return dim3(static_cast<unsigned>((cols + kTile - 1) / kTile), static_cast<unsigned>((rows + kTile - 1) / kTile));
}

absl::Status CheckShape(int64_t rows, int64_t cols) {
  if ((rows + kTile - 1) / kTile > 65535) {
    return absl::InvalidArgumentError("quantize transpose: more than 4M rows");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status QuantizeColwiseTranspose(const __half* w, int64_t rows, int64_t cols,
                                      int8_t* codes_t, __half* state, void* scratch,
                                      cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return absl::OkStatus();
  if (absl::Status s = CheckShape(rows, cols); !s.ok()) return s;
  const bool vec_in = cols % 8 == 0 && Aligned16(w);
  const bool vec_out = rows % 16 == 0 && Aligned16(codes_t);
  const int chunks = ColumnChunks(rows, cols);
  const int64_t rows_per_chunk = (rows + chunks - 1) / chunks;
  float* partial = static_cast<float*>(scratch);
  float* colmax = partial + static_cast<int64_t>(chunks) * cols;
  const dim3 grid(static_cast<unsigned>((cols + 8 * 128 - 1) / (8 * 128)), static_cast<unsigned>(chunks));
  ColumnPartials<<<grid, 128, 0, stream>>>(w, rows, cols, rows_per_chunk, vec_in, partial);
  SB_CUDA_CHECK_LAUNCH("ColumnPartials");
  ReduceColumns<<<static_cast<unsigned>((cols + 255) / 256), 256, 0, stream>>>(partial, chunks, cols, colmax, state);
  SB_CUDA_CHECK_LAUNCH("ReduceColumns");
  QuantizeTransposeTile<false><<<Tiles(rows, cols), 256, 0, stream>>>(w, rows, cols, colmax, 0, vec_in,
                                                                      vec_out, codes_t, state);
  SB_CUDA_CHECK_LAUNCH("QuantizeTransposeTile<colwise>");
  return absl::OkStatus();
}

absl::Status QuantizeGlobalTranspose(const __half* w, int64_t rows, int64_t cols, int8_t* codes_t,
                                     __half* state, void* scratch, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return absl::OkStatus();
  if (absl::Status s = CheckShape(rows, cols); !s.ok()) return s;
  const int64_t n = rows * cols;
  const bool vec_in = cols % 8 == 0 && Aligned16(w);
  const bool vec_out = rows % 16 == 0 && Aligned16(codes_t);
  float* partial = static_cast<float*>(scratch);
  const int partials = GlobalPartials(n);
  SB_CUDA_CHECK(LaunchAbsMaxPartials(w, n, n % 8 == 0 && Aligned16(w), partial, stream));
  float* absmax = partial + kMaxPartials;
  SB_CUDA_CHECK(LaunchReducePartials(partial, partials, absmax, stream));
  QuantizeTransposeTile<true><<<Tiles(rows, cols), 256, 0, stream>>>(w, rows, cols, absmax, 1,
                                                                     vec_in, vec_out, codes_t, state);
  SB_CUDA_CHECK_LAUNCH("QuantizeTransposeTile<global>");
  return absl::OkStatus();
}

}  // namespace switchback::cuda

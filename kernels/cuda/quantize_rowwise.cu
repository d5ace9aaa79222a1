// Row-wise quantization: one block per row, the row held in registers between the absmax
// and the quantizing pass, so each byte is read once (16-byte loads, several in flight).
#include "kernels/cuda/check.h"
#include "kernels/cuda/quantize_common.cuh"
#include "kernels/cuda/switchback_kernels.h"

namespace switchback::cuda {
namespace {

using detail::Half8;
using detail::Code8;

// Rows of up to kThreads * 8 * kVecs elements, cols % 8 == 0, 16-byte aligned rows.
template <int kThreads, int kVecs>
__global__ void __launch_bounds__(kThreads) QuantizeRowwiseVec(const __half* __restrict__ x,
                                                               int64_t cols, int8_t* __restrict__ codes,
                                                               __half* __restrict__ state) {
  __shared__ float smem[32];
  const int64_t row = blockIdx.x;
  Code8* out = reinterpret_cast<Code8*>(codes + row * cols);
  const int nvec = static_cast<int>(cols / 8);
  Half8 v[kVecs];
  float m = 0.0f;
#pragma unroll
  for (int i = 0; i < kVecs; ++i) {
    const int idx = threadIdx.x + i * kThreads;
    if (idx < nvec) {
      v[i] = detail::LoadHalf8(x + row * cols + 8 * int64_t{idx});
      m = fmaxf(m, detail::AbsMax8(v[i]));
    }
  }
  const float absmax = detail::BlockMax(m, smem);
  if (threadIdx.x == 0) state[row] = __float2half_rn(absmax);  // exact: an input value
  const detail::Divisor d = detail::MakeDivisor(absmax);
#pragma unroll
  for (int i = 0; i < kVecs; ++i) {
    const int idx = threadIdx.x + i * kThreads;
    if (idx < nvec) out[idx] = detail::Quantize8(v[i], d);
  }
}

// Short rows (up to 32 * 8 * kVecs elements): one warp per row, 8 rows per block; the absmax
// is a warp shuffle, no block barrier, so a block's rows overlap their loads.
template <int kVecs>
__global__ void __launch_bounds__(256) QuantizeRowwiseWarp(const __half* __restrict__ x, int64_t rows,
                                                           int64_t cols, int8_t* __restrict__ codes,
                                                           __half* __restrict__ state) {
  const int lane = threadIdx.x & 31;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * 8 + (threadIdx.x >> 5);
  if (row >= rows) return;
  Code8* out = reinterpret_cast<Code8*>(codes + row * cols);
  const int nvec = static_cast<int>(cols / 8);
  Half8 v[kVecs];
  float m = 0.0f;
#pragma unroll
  for (int i = 0; i < kVecs; ++i) {
    const int idx = lane + i * 32;
    if (idx < nvec) {
      v[i] = detail::LoadHalf8(x + row * cols + 8 * int64_t{idx});
      m = fmaxf(m, detail::AbsMax8(v[i]));
    }
  }
  const float absmax = detail::WarpMax(m);
  if (lane == 0) state[row] = __float2half_rn(absmax);
  const detail::Divisor d = detail::MakeDivisor(absmax);
#pragma unroll
  for (int i = 0; i < kVecs; ++i) {
    const int idx = lane + i * 32;
    if (idx < nvec) out[idx] = detail::Quantize8(v[i], d);
  }
}

// Any shape and alignment: two passes over the row with scalar accesses.
__global__ void QuantizeRowwiseAny(const __half* __restrict__ x, int64_t cols,
                                   int8_t* __restrict__ codes, __half* __restrict__ state) {
  __shared__ float smem[32];
  const int64_t row = blockIdx.x;
  const __half* in = x + row * cols;
  float m = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, fabsf(__half2float(in[c])));
  const float absmax = detail::BlockMax(m, smem);
  if (threadIdx.x == 0) state[row] = __float2half_rn(absmax);
  const detail::Divisor d = detail::MakeDivisor(absmax);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    codes[row * cols + c] = detail::Code(__half2float(in[c]), d);
  }
}

template <int kThreads, int kVecs>
absl::Status Launch(const __half* x, int64_t rows, int64_t cols, int8_t* codes, __half* state,
                    cudaStream_t stream) {
  QuantizeRowwiseVec<kThreads, kVecs><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
      x, cols, codes, state);
  SB_CUDA_CHECK_LAUNCH("QuantizeRowwiseVec");
  return absl::OkStatus();
}

}  // namespace

absl::Status QuantizeRowwise(const __half* x, int64_t rows, int64_t cols, int8_t* codes,
                             __half* state, cudaStream_t stream) {
  if (rows <= 0) return absl::OkStatus();
  if (rows > 0x7fffffff) return absl::InvalidArgumentError("QuantizeRowwise: more than 2^31 rows");
  const bool vec = cols % 8 == 0 && detail::Aligned16(x) && (reinterpret_cast<uintptr_t>(codes) & 7) == 0;
  if (vec && cols <= 32 * 8 * 8 && rows <= int64_t{8} * 0x7fffffff) {
    const unsigned blocks = static_cast<unsigned>((rows + 7) / 8);
    if (cols <= 32 * 8 * 4) {
      QuantizeRowwiseWarp<4><<<blocks, 256, 0, stream>>>(x, rows, cols, codes, state);
    } else {
      QuantizeRowwiseWarp<8><<<blocks, 256, 0, stream>>>(x, rows, cols, codes, state);
    }
    SB_CUDA_CHECK_LAUNCH("QuantizeRowwiseWarp");
    return absl::OkStatus();
  }
  if (vec && cols <= 256 * 8 * 2) return Launch<256, 2>(x, rows, cols, codes, state, stream);
  if (vec && cols <= 256 * 8 * 4) return Launch<256, 4>(x, rows, cols, codes, state, stream);
  if (vec && cols <= 512 * 8 * 4) return Launch<512, 4>(x, rows, cols, codes, state, stream);
  if (vec && cols <= 1024 * 8 * 4) return Launch<1024, 4>(x, rows, cols, codes, state, stream);
  QuantizeRowwiseAny<<<static_cast<unsigned>(rows), 256, 0, stream>>>(x, cols, codes, state);
  SB_CUDA_CHECK_LAUNCH("QuantizeRowwiseAny");
  return absl::OkStatus();
}

}  // namespace switchback::cuda

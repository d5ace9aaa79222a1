// Device-side absmax reductions shared by the global and column quantizers: partial maxima
// per block (or per row chunk and column), reduced again by the quantizing kernels, so no
// host round trip and no memset is needed.
#pragma once

#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/quantize_common.cuh"

namespace switchback::cuda::detail {

// Global absmax: at most this many partial maxima (one per block of the first pass).
inline constexpr int kMaxPartials = 256;
// Column absmax: rows are split into at most this many chunks.
inline constexpr int kMaxChunks = 64;

inline int GlobalPartials(int64_t n) {
  return static_cast<int>(std::clamp<int64_t>((n + 8 * 256 * 4 - 1) / (8 * 256 * 4), 1, kMaxPartials));
}

inline int ColumnChunks(int64_t rows, int64_t cols) {
  const int64_t col_blocks = std::max<int64_t>(1, (cols + 8 * 128 - 1) / (8 * 128));
  const int64_t want = (512 + col_blocks - 1) / col_blocks;  // about 512 blocks in flight
  return static_cast<int>(std::clamp<int64_t>(want, 1, std::min<int64_t>(kMaxChunks, (rows + 15) / 16)));
}

// partial[0 .. GlobalPartials(n)) = max |x| over grid-stride shares of x (n elements).
// Defined in quantize_global.cu; launched by both global quantizers.
cudaError_t LaunchAbsMaxPartials(const __half* x, int64_t n, bool vec, float* partial,
                                 cudaStream_t stream);

// The max of `count` partials (count <= blockDim.x), in every thread of the block.
__device__ __forceinline__ float ReducePartials(const float* __restrict__ partial, int count,
                                                float* smem) {
  const float v = threadIdx.x < count ? partial[threadIdx.x] : 0.0f;
  return BlockMax(v, smem);
}

}  // namespace switchback::cuda::detail

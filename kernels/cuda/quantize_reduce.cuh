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
// 1024 blocks of 256 threads with four 16-byte loads each in flight. On the H100 this did
// not move the global quantizers (about 1.3 TB/s either way, docs/BENCHMARKS.md): at 8-128 MB
// the launches and the last wave cost more than the bytes.
inline constexpr int kMaxPartials = 1024;
// Column absmax: rows are split into at most this many chunks.
inline constexpr int kMaxChunks = 64;

inline int GlobalPartials(int64_t n) {
  return static_cast<int>(std::clamp<int64_t>((n + 8 * 256 * 4 - 1) / (8 * 256 * 4), 1, kMaxPartials));  // >= 4 vectors per thread
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

// *out = max of partial[0 .. count) (one block). For consumers with many blocks, such as the
// transposing tiles, which would otherwise each re-read every partial from L2.
cudaError_t LaunchReducePartials(const float* partial, int count, float* out, cudaStream_t stream);

// The max of `count` partials, in every thread of the block.
__device__ __forceinline__ float ReducePartials(const float* __restrict__ partial, int count,
                                                float* smem) {
  float v = 0.0f;
  for (int i = threadIdx.x; i < count; i += blockDim.x) v = fmaxf(v, partial[i]);
  return BlockMax(v, smem);
}

}  // namespace switchback::cuda::detail

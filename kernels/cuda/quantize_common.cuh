// What every quantizer shares: the one code formula, absmax reductions, 16-byte vectors.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace switchback::cuda::detail {

// kernels/ops.h: round_half_even(127 * (v / absmax)) in fp32 with IEEE division.
__device__ __forceinline__ int8_t Code(float v, float absmax) {
  if (absmax == 0.0f) return 0;
  return static_cast<int8_t>(__float2int_rn(__fmul_rn(127.0f, __fdiv_rn(v, absmax))));
}

// Eight halves in 16 bytes.
struct alignas(16) Half8 {
  __half2 h[4];
};
// Eight codes in 8 bytes.
struct alignas(8) Code8 {
  int8_t c[8];
};

__device__ __forceinline__ float AbsMax8(const Half8& v) {
  float m = 0.0f;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(v.h[i]);
    m = fmaxf(m, fmaxf(fabsf(f.x), fabsf(f.y)));
  }
  return m;
}

__device__ __forceinline__ Code8 Quantize8(const Half8& v, float absmax) {
  Code8 out;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(v.h[i]);
    out.c[2 * i] = Code(f.x, absmax);
    out.c[2 * i + 1] = Code(f.y, absmax);
  }
  return out;
}

__device__ __forceinline__ float WarpMax(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Max over the block; every thread gets the result. `smem` holds one float per warp.
__device__ __forceinline__ float BlockMax(float v, float* smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  v = WarpMax(v);
  __syncthreads();  // smem may still be read from a previous call
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  v = lane < warps ? smem[lane] : 0.0f;
  return WarpMax(v);
}

inline bool Aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace switchback::cuda::detail

// What every quantizer shares: the one code formula, absmax reductions, 16-byte vectors.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/quantize_code.h"

namespace switchback::cuda::detail {

using switchback::Divisor;
using switchback::MakeDivisor;
using switchback::CodeBits;

__device__ __forceinline__ int8_t Code(float v, Divisor d) { return switchback::CodeOf(v, d); }

// The same code the slow way (IEEE division and conversion), for the exhaustive test.
__device__ __forceinline__ int8_t CodeByDivision(float v, float absmax) {
  if (absmax == 0.0f) return 0;
  return static_cast<int8_t>(__float2int_rn(__fmul_rn(127.0f, __fdiv_rn(v, absmax))));
}

// Eight halves in 16 bytes.
struct alignas(16) Half8 {
  __half2 h[4];
};
// The eight halves of a 16-byte load's registers.
__device__ __forceinline__ Half8 Half8FromBits(const uint4& raw) {
  Half8 v;
  v.h[0] = *reinterpret_cast<const __half2*>(&raw.x);
  v.h[1] = *reinterpret_cast<const __half2*>(&raw.y);
  v.h[2] = *reinterpret_cast<const __half2*>(&raw.z);
  v.h[3] = *reinterpret_cast<const __half2*>(&raw.w);
  return v;
}

// One 16-byte load (ld.global.nc.v4) of eight halves. Dereferencing a Half8 pointer lets
// the compiler split the access into four 32-bit loads, which costs 4x the L1 wavefronts.
__device__ __forceinline__ Half8 LoadHalf8(const __half* p) {
  const uint4 raw = __ldg(reinterpret_cast<const uint4*>(p));
  return Half8FromBits(raw);
}

// L2 eviction priorities for loads and stores (PTX createpolicy + .L2::cache_hint): the
// weight quantizers read w twice and steer which bytes L2 keeps between the two reads.
enum class L2Priority { kNormal, kEvictFirst, kEvictLast };

__device__ __forceinline__ uint64_t L2Policy(L2Priority priority) {
  uint64_t policy;
  switch (priority) {
    case L2Priority::kEvictFirst:
      asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));
      break;
    case L2Priority::kEvictLast:
      asm("createpolicy.fractional.L2::evict_last.b64 %0, 1.0;" : "=l"(policy));
      break;
    default:
      asm("createpolicy.fractional.L2::evict_normal.b64 %0, 1.0;" : "=l"(policy));
  }
  return policy;
}

// LoadHalf8 with an L2 policy from L2Policy.
__device__ __forceinline__ Half8 LoadHalf8(const __half* p, uint64_t policy) {
  uint4 raw;
  asm("ld.global.nc.L2::cache_hint.v4.u32 {%0, %1, %2, %3}, [%4], %5;"
      : "=r"(raw.x), "=r"(raw.y), "=r"(raw.z), "=r"(raw.w)
      : "l"(p), "l"(policy));
  return Half8FromBits(raw);
}

__device__ __forceinline__ void Store4(void* p, uint32_t v, uint64_t policy) {
  asm volatile("st.global.L2::cache_hint.u32 [%0], %1, %2;" ::"l"(p), "r"(v), "l"(policy) : "memory");
}

__device__ __forceinline__ void Store8(void* p, uint32_t lo, uint32_t hi, uint64_t policy) {
  asm volatile("st.global.L2::cache_hint.v2.u32 [%0], {%1, %2}, %3;" ::"l"(p), "r"(lo), "r"(hi), "l"(policy)
               : "memory");
}

__device__ __forceinline__ void Store16(void* p, const uint4& v, uint64_t policy) {
  asm volatile("st.global.L2::cache_hint.v4.u32 [%0], {%1, %2, %3, %4}, %5;" ::"l"(p), "r"(v.x), "r"(v.y), "r"(v.z),
               "r"(v.w), "l"(policy)
               : "memory");
}

// Eight codes in 8 bytes.
struct alignas(8) Code8 {
  uint32_t lo, hi;
};

// max |v| of eight halves, in fp16 arithmetic (exact), converted once.
__device__ __forceinline__ float AbsMax8(const Half8& v) {
  const __half2 m = __hmax2(__hmax2(__habs2(v.h[0]), __habs2(v.h[1])),
                            __hmax2(__habs2(v.h[2]), __habs2(v.h[3])));
  return fmaxf(__low2float(m), __high2float(m));
}

// Four codes packed little-endian into one word (the low byte of each CodeBits).
__device__ __forceinline__ uint32_t Pack4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return __byte_perm(__byte_perm(a, b, 0x0040), __byte_perm(c, d, 0x0040), 0x5410);
}

__device__ __forceinline__ uint32_t Quantize4(__half2 p, __half2 q, Divisor d) {
  const float2 f = __half22float2(p), g = __half22float2(q);
  return Pack4(CodeBits(f.x, d), CodeBits(f.y, d), CodeBits(g.x, d), CodeBits(g.y, d));
}

__device__ __forceinline__ Code8 Quantize8(const Half8& v, Divisor d) {
  return {Quantize4(v.h[0], v.h[1], d), Quantize4(v.h[2], v.h[3], d)};
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

// Whether a weight quantizer's w stays in L2 between two reads: four fifths of L2 for w,
// the rest for the codes on their way out. Read off the device once (the process owns one).
inline bool FitsInL2(int64_t bytes) {
  static const int64_t l2_bytes = [] {
    int device = 0, l2 = 0;
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device) != cudaSuccess) {
      return int64_t{0};
    }
    return int64_t{l2};
  }();
  return bytes <= l2_bytes / 5 * 4;
}

}  // namespace switchback::cuda::detail

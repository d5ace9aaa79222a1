// The quantization code without a division per element, shared by the CUDA quantizers and
// the test that proves it equal to kernels/ops.h's formula.
//
// code = round_half_even(127 * (v / absmax)) with IEEE division costs a MUFU reciprocal, a
// slow-path check and a quarter-rate float-to-int conversion per element on the GPU. Here
// 1 / absmax is held as two floats, hi = RN(1 / absmax) and lo ~ 1 / absmax - hi (taken once
// per group), the quotient is RN(v * hi + RN(v * lo)) (one FMUL, one FFMA), and the
// conversion to an integer is an add of 1.5 * 2^23, whose round-half-even leaves the code in
// the low bits: four fp32 operations per element.
//
// Why the quotient is RN(v / absmax) exactly: v and absmax are fp16 values, so v / absmax
// lies at least 2^-36 |v / absmax| away from every fp32 rounding midpoint (a midpoint has a
// 25-bit significand, and absmax times one would need more than v's 11 bits), while
// v * hi + RN(v * lo) is within 2^-46 |v / absmax| of it; both round the same way. The
// exhaustive tests check all 5 * 10^8 pairs |v| <= absmax (tests/reference/
// quantize_code_test.cc on the CPU, tests/cuda on the GPU). The former form (a Newton step,
// two FFMAs after the FMUL) gave the same codes with one operation more per element.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define SB_HOST_DEVICE __host__ __device__
#else
#include <cmath>
#define SB_HOST_DEVICE
#endif

namespace switchback {

struct Divisor {
  float recip;     // RN(1 / absmax); 0 when absmax is 0, which makes every code 0
  float recip_lo;  // RN(RN(1 - absmax * recip) * recip) ~ 1 / absmax - recip; 0 when absmax is 0
};

SB_HOST_DEVICE inline Divisor MakeDivisor(float absmax) {
  if (absmax == 0.0f) return {0.0f, 0.0f};
#if defined(__CUDA_ARCH__)
  const float recip = __frcp_rn(absmax);
  const float residual = __fmaf_rn(-absmax, recip, 1.0f);  // exact
  return {recip, __fmul_rn(residual, recip)};
#else
  const float recip = 1.0f / absmax;
  const float residual = std::fma(-absmax, recip, 1.0f);
  return {recip, std::fma(residual, recip, 0.0f)};
#endif
}

// The bits of 1.5 * 2^23 + code (0x4B400000 + code); the low byte is the int8 code.
// Every operation is explicitly rounded (no contraction into other FMAs).
SB_HOST_DEVICE inline uint32_t CodeBits(float v, Divisor d) {
#if defined(__CUDA_ARCH__)
  const float q = __fmaf_rn(v, d.recip, __fmul_rn(v, d.recip_lo));  // == RN(v / absmax)
  return __float_as_uint(__fadd_rn(__fmul_rn(127.0f, q), 12582912.0f));
#else
  const float q = std::fma(v, d.recip, std::fma(v, d.recip_lo, 0.0f));
  const float y = std::fma(std::fma(127.0f, q, 0.0f), 1.0f, 12582912.0f);
  uint32_t bits;
  std::memcpy(&bits, &y, sizeof(bits));
  return bits;
#endif
}

SB_HOST_DEVICE inline int8_t CodeOf(float v, Divisor d) {
  return static_cast<int8_t>(static_cast<uint8_t>(CodeBits(v, d) & 0xffu));
}

}  // namespace switchback

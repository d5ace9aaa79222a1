// The quantization code without a division per element, shared by the CUDA quantizers and
// the test that proves it equal to kernels/ops.h's formula.
//
// code = round_half_even(127 * (v / absmax)) with IEEE division costs a MUFU reciprocal, a
// slow-path check and a quarter-rate float-to-int conversion per element on the GPU. Here
// 127 / absmax is held as two floats, scale = RN(127 RN(1 / absmax)) and scale_lo ~ 127 /
// absmax - scale (taken once per group, from the one reciprocal; the residual 127 - absmax *
// scale is exact), the scaled quotient is RN(v * scale + RN(v * scale_lo)) (one
// FMUL, one FFMA), and the conversion to an integer is an add of 1.5 * 2^23, whose
// round-half-even leaves the code in the low bits: three fp32 operations per element.
//
// Why the scaled quotient is RN(127 v / absmax) exactly: 127 v has at most 18 significant
// bits and absmax 11, so 127 v / absmax lies at least ~2^-36 of itself away from every fp32
// rounding midpoint (a midpoint has a 25-bit significand, and absmax times one would need
// more than 18 bits), while v * scale + RN(v * scale_lo) is within ~2^-46 of it; both round
// the same way. That the integer rounding of RN(127 v / absmax) equals the reference's, which
// rounds v / absmax to fp32 first, is what the exhaustive tests check for all 5 * 10^8 pairs
// |v| <= absmax (tests/reference/quantize_code_test.cc on the CPU, tests/cuda on the GPU).
// The former form (RN(v / absmax) from 1 / absmax's two floats, then a multiply by 127: one
// fp32 operation more per element, 16 more per 16 codes) gave the same codes; folding 127 into
// the fused multiply-add of the conversion instead (RN(127 q + 1.5 * 2^23)) does not (11956
// pairs differ).
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
  float scale;     // RN(127 * RN(1 / absmax)); 0 when absmax is 0, which makes every code 0
  float scale_lo;  // RN(RN(127 - absmax * scale) * RN(1 / absmax)) ~ 127 / absmax - scale; 0 when absmax is 0
};

SB_HOST_DEVICE inline Divisor MakeDivisor(float absmax) {
  if (absmax == 0.0f) return {0.0f, 0.0f};
#if defined(__CUDA_ARCH__)
  const float recip = __frcp_rn(absmax);
  const float scale = __fmul_rn(127.0f, recip);
  const float residual = __fmaf_rn(-absmax, scale, 127.0f);  // exact
  return {scale, __fmul_rn(residual, recip)};
#else
  const float recip = 1.0f / absmax;
  const float scale = std::fma(127.0f, recip, 0.0f);
  const float residual = std::fma(-absmax, scale, 127.0f);
  return {scale, std::fma(residual, recip, 0.0f)};
#endif
}

// The bits of 1.5 * 2^23 + code (0x4B400000 + code); the low byte is the int8 code.
// Every operation is explicitly rounded (no contraction into other FMAs).
SB_HOST_DEVICE inline uint32_t CodeBits(float v, Divisor d) {
#if defined(__CUDA_ARCH__)
  const float q = __fmaf_rn(v, d.scale, __fmul_rn(v, d.scale_lo));  // == RN(127 v / absmax)
  return __float_as_uint(__fadd_rn(q, 12582912.0f));
#else
  const float q = std::fma(v, d.scale, std::fma(v, d.scale_lo, 0.0f));
  const float y = std::fma(q, 1.0f, 12582912.0f);
  uint32_t bits;
  std::memcpy(&bits, &y, sizeof(bits));
  return bits;
#endif
}

SB_HOST_DEVICE inline int8_t CodeOf(float v, Divisor d) {
  return static_cast<int8_t>(static_cast<uint8_t>(CodeBits(v, d) & 0xffu));
}

}  // namespace switchback

// The quantization code without a division per element, shared by the CUDA quantizers and
// the test that proves it equal to kernels/ops.h's formula.
//
// code = round_half_even(127 * (v / absmax)) with IEEE division costs a MUFU reciprocal, a
// slow-path check and a quarter-rate float-to-int conversion per element on the GPU. Here
// the reciprocal is taken once per group, each quotient is corrected to the IEEE one with
// one Newton (Markstein) step of two FMAs, and the conversion to an integer is an add of
// 1.5 * 2^23, whose round-half-even leaves the code in the low bits. For every pair of fp16
// values with |v| <= absmax the result equals the IEEE formula (tests/reference/
// quantize_code_test.cc checks all 5 * 10^8 of them; tests/cuda does the same on the GPU).
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
  float absmax;
  float recip;  // RN(1 / absmax); 0 when absmax is 0, which makes every code 0
};

SB_HOST_DEVICE inline Divisor MakeDivisor(float absmax) {
#if defined(__CUDA_ARCH__)
  return {absmax, absmax == 0.0f ? 0.0f : __frcp_rn(absmax)};
#else
  return {absmax, absmax == 0.0f ? 0.0f : 1.0f / absmax};
#endif
}

// The bits of 1.5 * 2^23 + code (0x4B400000 + code); the low byte is the int8 code.
// Every operation is explicitly rounded (no contraction into other FMAs).
SB_HOST_DEVICE inline uint32_t CodeBits(float v, Divisor d) {
#if defined(__CUDA_ARCH__)
  const float q0 = __fmul_rn(v, d.recip);
  const float residual = __fmaf_rn(-q0, d.absmax, v);  // exact
  const float q = __fmaf_rn(residual, d.recip, q0);   // == RN(v / absmax)
  return __float_as_uint(__fadd_rn(__fmul_rn(127.0f, q), 12582912.0f));
#else
  const float q0 = std::fma(v, d.recip, 0.0f);
  const float residual = std::fma(-q0, d.absmax, v);
  const float q = std::fma(residual, d.recip, q0);
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

// The int8 products' dequantization scale, RN(RN(sa * sb) / 16129) (kernels/ops.h), computed
// with a multiply by RN(1 / 16129) and one Markstein correction (two FMAs) instead of an
// IEEE division, which costs a MUFU reciprocal, a slow-path check and about ten
// instructions per output element in the GEMM epilogue. Equal to the division for every
// x = RN(sa * sb) that is a normal fp32 number (tests/reference/quantize_code_test.cc checks
// every fp32 significand, and every product of two fp16 values).
#pragma once

#include "kernels/ops.h"
#include "kernels/quantize_code.h"  // SB_HOST_DEVICE

namespace switchback {

inline constexpr float kInt8DequantRecip = 1.0f / kInt8DequantDivisor;  // RN at compile time

SB_HOST_DEVICE inline float DivideBy16129(float x) {
#if defined(__CUDA_ARCH__)
  const float q0 = __fmul_rn(x, kInt8DequantRecip);
  const float residual = __fmaf_rn(-q0, kInt8DequantDivisor, x);  // exact
  return __fmaf_rn(residual, kInt8DequantRecip, q0);
#else
  const float q0 = std::fma(x, kInt8DequantRecip, 0.0f);
  const float residual = std::fma(-q0, kInt8DequantDivisor, x);
  return std::fma(residual, kInt8DequantRecip, q0);
#endif
}

SB_HOST_DEVICE inline float DequantScale(float sa, float sb) {
#if defined(__CUDA_ARCH__)
  return DivideBy16129(__fmul_rn(sa, sb));
#else
  return DivideBy16129(std::fma(sa, sb, 0.0f));
#endif
}

}  // namespace switchback

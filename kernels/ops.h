// Shapes and conventions shared by every backend's kernels (CPU reference and CUDA).
#pragma once

#include <cstdint>

namespace switchback {

// All matrices are row-major and dense (leading dimension = number of columns).
//
// Quantization: absmax = max |v| over the group (row, column or whole tensor);
//   code = round_half_even(127.0f * (v / absmax)) computed in fp32 (IEEE division),
//   state = absmax stored as fp16 (exact: it is one of the inputs).
//   absmax == 0 gives code 0 and state 0.
//
// Int8 products: a [M,K] int8, b [N,K] int8 (both K-major), int32 accumulation,
//   out[m,n] = fp16( float(acc) * (float(sa[m]) * float(sb[n]) / 16129.0f) + bias[n] )
//   where sb is a vector of N states (rowwise) or one scalar broadcast (global);
//   bias is optional (nullptr).
//
// Fp16 products: C[M,N] = op(A)[M,K] · op(B)[K,N], fp32 accumulation, fp16 output.
//   op(A) = A when A is stored [M,K] (kNo) or its transpose when stored [K,M] (kYes);
//   op(B) = B when B is stored [K,N] (kNo) or its transpose when stored [N,K] (kYes).
//   standard_fwd: A = x (kNo), B = w stored [out,in] (kYes).
//   standard_gw:  A = g stored [B,out] (kYes), B = x stored [B,in] (kNo).
//   standard_gx:  A = g (kNo), B = w stored [out,in] = [K,N] (kNo).
enum class Transpose { kNo, kYes };

inline constexpr float kInt8DequantDivisor = 16129.0f;  // 127 * 127

}  // namespace switchback

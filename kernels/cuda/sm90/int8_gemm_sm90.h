// Hopper int8 x int8 -> fp16 GEMM with the dequantization fused in the epilogue
// (CUTLASS TMA warp-specialized mainloop, epilogue visitor tree). See kernels/ops.h.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace switchback::cuda::sm90 {

// True when this build has the sm_90a kernels and the current device is compute 9.0.
bool Available();

// UNIMPLEMENTED for shapes TMA cannot take (K % 16 or N % 8 not zero, unaligned pointers),
// so the caller falls back to the portable kernel. Ragged M, N, K are handled otherwise.
absl::Status Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                               const __half* sa, const __half* sb, bool sb_is_scalar,
                               const __half* bias, __half* out, cudaStream_t stream,
                               std::string* variant);

// Test hook: run one named variant ("coop_128x256", "pingpong_128x128",
// "pingpong_128x128_c2"), optionally with a tile-walk suffix such as "/s8" or "/s2n".
absl::Status Int8MatmulDequantVariant(const std::string& name, const int8_t* a, const int8_t* b,
                                      int64_t m, int64_t n, int64_t k, const __half* sa,
                                      const __half* sb, bool sb_is_scalar, const __half* bias,
                                      __half* out, cudaStream_t stream);

}  // namespace switchback::cuda::sm90

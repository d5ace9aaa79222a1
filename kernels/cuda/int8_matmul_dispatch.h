// The int8 product's variants, for the dispatcher in int8_matmul.cc (internal to kernels/cuda).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace switchback::cuda {

// sm_80+ mma.sync kernel (any shape: a plain fallback covers K % 16 != 0 and odd alignment).
absl::Status Int8MatmulMma(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                           const __half* sa, const __half* sb, bool sb_is_scalar, const __half* bias,
                           __half* out, cudaStream_t stream, std::string* variant);

}  // namespace switchback::cuda

// The one-pass column-wise quantizer for Hopper (thread-block clusters); the region kernel
// of quantize_weight.cu takes the shapes and devices it does not.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace switchback::cuda::detail {

// Quantizes w [rows, cols] per column into codes_t [cols, rows] and state [cols] when the
// device has clusters (sm_90+) and the shape suits them (rows % 16 == 0, cols % 8 == 0,
// 16-byte aligned pointers, a strip's rows fit in one cluster's shared memory): true. False
// when it does not apply (nothing launched); an error when a launch failed.
absl::StatusOr<bool> QuantizeColwiseTransposeCluster(const __half* w, int64_t rows, int64_t cols, int8_t* codes_t,
                                                     __half* state, cudaStream_t stream, std::string* variant);

}  // namespace switchback::cuda::detail

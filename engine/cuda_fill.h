// Fills a device fp16 tensor with N(0,1) values from kernels/random.h (same as the CPU).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "absl/status/status.h"
#include "kernels/random.h"

namespace switchback {

absl::Status FillNormalDevice(__half* out, int64_t n, uint64_t seed, TensorId id,
                              cudaStream_t stream);

}  // namespace switchback

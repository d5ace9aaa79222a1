// The CUDA backend: one device, one stream, our kernels and cuBLASLt.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "engine/backend.h"

namespace switchback {

// Number of CUDA devices visible (0 when there is no driver or device).
int CudaDeviceCount();

// FAILED_PRECONDITION with a readable reason when the device does not exist.
absl::StatusOr<std::unique_ptr<Backend>> MakeCudaBackend(int device);

}  // namespace switchback

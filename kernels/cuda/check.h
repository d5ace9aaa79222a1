// CUDA and cuBLASLt errors as absl::Status, with the failing call's text and location.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace switchback::cuda {

inline absl::Status CudaStatus(cudaError_t e, const char* what, const char* file, int line) {
  if (e == cudaSuccess) return absl::OkStatus();
  const absl::StatusCode code = e == cudaErrorMemoryAllocation ? absl::StatusCode::kResourceExhausted
                                                                : absl::StatusCode::kInternal;
  return absl::Status(code, absl::StrCat(what, ": ", cudaGetErrorName(e), " (",
                                         cudaGetErrorString(e), ") at ", file, ":", line));
}

inline absl::Status CublasStatus(cublasStatus_t s, const char* what, const char* file, int line) {
  if (s == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(what, ": cuBLAS status ", static_cast<int>(s), " at ", file, ":", line));
}

}  // namespace switchback::cuda

#define SB_CUDA_CHECK(expr)                                                                  \
  do {                                                                                       \
    if (absl::Status sb_s_ = ::switchback::cuda::CudaStatus((expr), #expr, __FILE__, __LINE__); \
        !sb_s_.ok())                                                                         \
      return sb_s_;                                                                          \
  } while (0)

// After a <<<...>>> launch: configuration errors surface here, not at the next call.
#define SB_CUDA_CHECK_LAUNCH(name)                                                         \
  do {                                                                                     \
    if (absl::Status sb_s_ = ::switchback::cuda::CudaStatus(cudaGetLastError(), "launch of " name, \
                                                            __FILE__, __LINE__);           \
        !sb_s_.ok())                                                                       \
      return sb_s_;                                                                        \
  } while (0)

#define SB_CUBLAS_CHECK(expr)                                                                  \
  do {                                                                                         \
    if (absl::Status sb_s_ = ::switchback::cuda::CublasStatus((expr), #expr, __FILE__, __LINE__); \
        !sb_s_.ok())                                                                           \
      return sb_s_;                                                                            \
  } while (0)

// Fp16 GEMM through cuBLASLt; the plan (layouts, heuristic algorithm, workspace) is
// chosen once per shape and cached (see kernels/ops.h for op(A), op(B)).
#pragma once

#include <cublasLt.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/ops.h"

namespace switchback::cuda {

class GemmFp16Runner {
 public:
  struct Options {
    // Offered to cuBLASLt's heuristic and to every call.
    size_t workspace_bytes = size_t{32} << 20;
    // The heuristic's top candidates timed once on a shape's first call (1: take its first).
    int candidates = 6;
  };
  // One per device/stream owner; not thread-safe (the engine's worker owns it).
  static absl::StatusOr<std::unique_ptr<GemmFp16Runner>> Create(const Options& options);
  static absl::StatusOr<std::unique_ptr<GemmFp16Runner>> Create() { return Create(Options()); }
  ~GemmFp16Runner();

  // C [M,N] = op(A) · op(B), row-major dense, fp32 accumulation, fp16 out.
  absl::Status Run(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k, const __half* a,
                   const __half* b, __half* c, cudaStream_t stream, std::string* variant = nullptr);

 private:
  GemmFp16Runner() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchback::cuda

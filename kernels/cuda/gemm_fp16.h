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
  // The defaults are what cuBLAS does under torch.matmul on the H100 (its own log: the
  // heuristic's first algorithm, no workspace at the call): in one session's interleaved
  // runs over the sweep's 180 products, 171 within 3% of torch.matmul against 160 for the
  // top 6 timed once with 32 MB (docs/BENCHMARKS.md). Other values are for such trials.
  struct Options {
    // Offered to cuBLASLt's heuristic and to every call.
    size_t workspace_bytes = 0;
    // The heuristic's top candidates timed once on a shape's first call (1: take its first).
    int candidates = 1;
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

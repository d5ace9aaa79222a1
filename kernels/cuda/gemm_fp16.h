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
  // The defaults make the choice cuBLAS makes under torch.matmul on the H100: its own log
  // shows the heuristic asked with a 32 MB workspace and its first algorithm run, the same
  // configuration as ours on every product logged (docs/BENCHMARKS.md). Timing the top 6
  // once instead lost (160 of 180 products within 3% of torch.matmul, interleaved, against
  // 171 with the first algorithm and no workspace, which picks other kernels on a few
  // shapes). Other values are for such trials.
  struct Options {
    // Offered to cuBLASLt's heuristic and to every call.
    size_t workspace_bytes = size_t{32} << 20;
    // The heuristic's top candidates timed once on a shape's first call (1: take its first).
    int candidates = 1;
    // Each call offers the algorithm only the workspace the heuristic said it needs, as
    // cuBLAS does under torch.matmul (0-4 bytes at the call in its log), not all of
    // workspace_bytes.
    bool call_with_needed_workspace = true;
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

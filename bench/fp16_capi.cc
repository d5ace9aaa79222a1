// A C entry point to our cuBLASLt fp16 runner (kernels/cuda/gemm_fp16.h), so that
// bench/fp16_interleaved.py can time it and torch.matmul in one process, on the same
// tensors and stream, alternately: two sweeps minutes apart differ by more than the 3%
// the comparison is about. Not part of the server.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "bench/capi_text.h"
#include "kernels/cuda/gemm_fp16.h"

using switchback::bench::CopyOut;
using switchback::bench::Returned;

extern "C" {

// C [m,n] = op(A) op(B), row-major fp16, fp32 accumulation (ta, tb: 1 = transposed).
// Returns 0, or -1 with the error in `error`; `variant` gets the cuBLASLt algorithm.
// One runner per process (its plan cache), created on the first call.
int switchback_fp16_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const void* a,
                         const void* b, void* c, void* stream, char* variant, int variant_len,
                         char* error, int error_len) {
  using switchback::Transpose;
  static std::unique_ptr<switchback::cuda::GemmFp16Runner> runner;
  if (!runner) {
    // Trials of the runner's options (bench/fp16_interleaved.py docstring): the environment.
    switchback::cuda::GemmFp16Runner::Options options;
    if (const char* mb = std::getenv("SWITCHBACK_FP16_WORKSPACE_MB")) options.workspace_bytes = size_t{std::strtoull(mb, nullptr, 10)} << 20;
    if (const char* n = std::getenv("SWITCHBACK_FP16_CANDIDATES")) options.candidates = std::atoi(n);
    if (const char* v = std::getenv("SWITCHBACK_FP16_CALL_NEEDED_WORKSPACE")) options.call_with_needed_workspace = std::atoi(v) != 0;
    auto created = switchback::cuda::GemmFp16Runner::Create(options);
    if (!created.ok()) {
      CopyOut(std::string(created.status().message()), error, error_len);
      return -1;
    }
    runner = std::move(*created);
  }
  std::string name;
  absl::Status s = runner->Run(ta ? Transpose::kYes : Transpose::kNo, tb ? Transpose::kYes : Transpose::kNo,
                               m, n, k, static_cast<const __half*>(a), static_cast<const __half*>(b),
                               static_cast<__half*>(c), static_cast<cudaStream_t>(stream), &name);
  return Returned(s, name, variant, variant_len, error, error_len);
}

}  // extern "C"

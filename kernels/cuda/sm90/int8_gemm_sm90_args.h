// Plain arguments shared by the sm90 dispatcher (.cc) and the CUTLASS instantiations (.cu).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace switchback::cuda::sm90 {

struct GemmArgs {
  const int8_t* a;
  const int8_t* b;
  int64_t m, n, k;
  const __half* sa;
  const __half* sb;
  bool sb_is_scalar;
  const __half* bias;
  __half* out;
  cudaStream_t stream;
  // Persistent tile scheduler: tiles are walked in groups of `swizzle` (1, 2, 4, 8) rows or
  // columns of tiles so that the operands of the tiles in flight stay in L2; raster 'm'
  // walks along M, 'n' along N, 'h' lets CUTLASS choose (along the longer side).
  int swizzle = 1;
  char raster = 'h';
};

// CUTLASS's workspace (tile-scheduler state), allocated once and grown as needed.
class GemmWorkspace {
 public:
  ~GemmWorkspace() {
    if (data_) cudaFree(data_);
  }
  absl::Status Reserve(size_t bytes, void** out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes > bytes_) {
      if (data_) cudaFree(data_);
      data_ = nullptr;
      bytes_ = 0;
      if (cudaError_t e = cudaMalloc(&data_, bytes); e != cudaSuccess) {
        return absl::ResourceExhaustedError(absl::StrCat("CUTLASS workspace of ", bytes, " bytes: ",
                                                         cudaGetErrorString(e)));
      }
      bytes_ = bytes;
    }
    *out = data_;
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// One per instantiation translation unit.
absl::Status RunCoop128x256(const GemmArgs& args, GemmWorkspace& workspace);
absl::Status RunPingpong128x128(const GemmArgs& args, GemmWorkspace& workspace);
absl::Status RunPingpong128x128Cluster2(const GemmArgs& args, GemmWorkspace& workspace);
absl::Status RunPingpong128x128RegisterRows(const GemmArgs& args, GemmWorkspace& workspace);

}  // namespace switchback::cuda::sm90

#include "engine/cuda_fill.h"

#include "kernels/cuda/check.h"

namespace switchback {
namespace {

__global__ void FillNormalKernel(__half* out, int64_t n, uint64_t seed, TensorId id) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    out[i] = __float2half_rn(NormalAt(seed, id, static_cast<uint64_t>(i)));
  }
}

}  // namespace

absl::Status FillNormalDevice(__half* out, int64_t n, uint64_t seed, TensorId id,
                              cudaStream_t stream) {
  if (n <= 0) return absl::OkStatus();
  int device = 0, sms = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  const int64_t blocks_needed = (n + 255) / 256;
  const int blocks = static_cast<int>(std::min<int64_t>(blocks_needed, int64_t{sms} * 32));
  FillNormalKernel<<<blocks, 256, 0, stream>>>(out, n, seed, id);
  SB_CUDA_CHECK_LAUNCH("FillNormalKernel");
  return absl::OkStatus();
}

}  // namespace switchback

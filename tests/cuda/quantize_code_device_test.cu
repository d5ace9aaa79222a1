// The division-free quantization code as the GPU computes it (kernels/cuda/quantize_common.cuh)
// against IEEE division on the GPU, for every pair of finite fp16 values with |v| <= absmax.
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include "kernels/cuda/quantize_common.cuh"

namespace switchback {
namespace {

__global__ void CountMismatches(unsigned long long* bad, unsigned long long* checked) {
  const int hd = blockIdx.x * blockDim.x + threadIdx.x;  // absmax's fp16 bits
  if (hd >= 0x7C00) return;
  const float absmax = __half2float(__ushort_as_half(static_cast<unsigned short>(hd)));
  const cuda::detail::Divisor d = cuda::detail::MakeDivisor(absmax);
  unsigned long long local_bad = 0;
  for (int hv = 0; hv <= hd; ++hv) {
    const float v = __half2float(__ushort_as_half(static_cast<unsigned short>(hv)));
    local_bad += cuda::detail::Code(v, d) != cuda::detail::CodeByDivision(v, absmax);
    local_bad += cuda::detail::Code(-v, d) != cuda::detail::CodeByDivision(-v, absmax);
  }
  atomicAdd(bad, local_bad);
  atomicAdd(checked, 2ull * (hd + 1));
}

TEST(QuantizeCodeDevice, ExhaustiveCodeMatchesIeeeDivision) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    GTEST_SKIP() << "no CUDA device: " << cudaGetErrorString(cudaGetLastError());
  }
  unsigned long long* counts = nullptr;
  ASSERT_EQ(cudaMalloc(&counts, 2 * sizeof(unsigned long long)), cudaSuccess);
  ASSERT_EQ(cudaMemset(counts, 0, 2 * sizeof(unsigned long long)), cudaSuccess);
  CountMismatches<<<(0x7C00 + 255) / 256, 256>>>(counts, counts + 1);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  unsigned long long host[2] = {};
  ASSERT_EQ(cudaMemcpy(host, counts, sizeof(host), cudaMemcpyDeviceToHost), cudaSuccess);
  cudaFree(counts);
  EXPECT_EQ(host[0], 0ull);
  EXPECT_EQ(host[1], 2ull * 0x7C00 * 0x7C01 / 2);
}

}  // namespace
}  // namespace switchback

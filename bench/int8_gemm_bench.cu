// Throwaway-grade timing of the int8 products' variants on the sweep's shapes (TOP/s),
// printed as a table; not a test. Random codes; 5 warm-up calls, then rounds of one loop of
// 8 calls per variant back to back with CUDA events at each loop's ends (as the sweep times short ops: an
// event per call would also count the host's argument set-up, the GPU waiting on it), the
// median loop's time per call. Turns share one clock, so they hide a variant's sustained
// clock under the power cap (ninth session: ping-pong 100-350 MHz below cooperative at the
// same power): confirm a table change with the sweep, or with one variant per process.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/cuda/int8_matmul_dispatch.h"
#include "kernels/cuda/sm90/int8_gemm_sm90.h"
#include "kernels/random.h"

__global__ void FillCodes(int8_t* p, int64_t n, uint64_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    p[i] = static_cast<int8_t>(static_cast<int>(switchback::SplitMix64(seed + i) % 255) - 127);
}
__global__ void FillScales(__half* p, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    p[i] = __float2half(1.0f + (i % 7) * 0.25f);
}

// Usage: int8_gemm_bench [--null-scales] [--rounds R] [--shape M N K | --sweep] [variant ...];
// --sweep: the 60 product shapes of the default sweep; R rounds (default 7) in which the
// variants take turns, the median loop of each reported; "mma_sync" is the
// portable kernel, the others are sm90 variant names with an optional schedule suffix, e.g.
// coop_128x256/s8 (see kernels/cuda/sm90/int8_gemm_sm90.h). --shape times one shape (e.g.
// under ncu). --null-scales passes no scale vectors (the epilogue broadcasts zeros and loads
// nothing): against a run with them, what the scale loads cost the epilogue (the outputs
// are zeros, so only for timing).
int main(int argc, char** argv) {
  bool null_scales = false;
  if (argc > 1 && std::string(argv[1]) == "--null-scales") {
    null_scales = true;
    --argc;
    ++argv;
  }
  std::vector<std::array<int64_t, 3>> shapes = {
      {8192, 4096, 1024},    {8192, 1024, 4096},    {32768, 4096, 1024}, {32768, 1024, 4096},
      {65536, 8192, 2048},   {65536, 2048, 8192},   {131072, 16384, 4096}, {131072, 4096, 16384},
      {16384, 5120, 1280},   {16384, 6656, 1664},   {65536, 6656, 1664}, {65536, 5632, 1408},
      {65536, 1280, 5120},   {65536, 1664, 6656},   {131072, 2048, 8192}, {65536, 4096, 16384}};
  int first_name = 1, rounds = 7;
  if (argc > first_name + 1 && std::string(argv[first_name]) == "--rounds") {
    rounds = std::max(1, std::atoi(argv[first_name + 1]));
    first_name += 2;
  }
  if (argc > first_name + 3 && std::string(argv[first_name]) == "--shape") {
    shapes = {{std::atoll(argv[first_name + 1]), std::atoll(argv[first_name + 2]), std::atoll(argv[first_name + 3])}};
    first_name += 4;
  } else if (argc > first_name && std::string(argv[first_name]) == "--sweep") {
    // Every product shape of the default sweep (SPEC.md): M = batch, (N, K) = (out, in) for
    // the forward products and (in, out) for the backward ones.
    shapes.clear();
    for (const int64_t dim : {1024, 1280, 1408, 1664, 2048, 4096}) {
      for (const int64_t batch : {8192, 16384, 32768, 65536, 131072}) {
        shapes.push_back({batch, 4 * dim, dim});
        shapes.push_back({batch, dim, 4 * dim});
      }
    }
    first_name += 1;
  }
  std::vector<std::string> names = {"mma_sync", "coop_128x256", "pingpong_128x128"};
  if (argc > first_name) names.assign(argv + first_name, argv + argc);
  const int kVariants = static_cast<int>(names.size());
  std::printf("%8s %6s %6s", "M", "N", "K");
  for (const std::string& name : names) std::printf(" %17s", name.c_str());
  std::printf("\n");
  for (const auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    int8_t *a, *b;
    __half *sa, *sb, *out;
    cudaMalloc(&a, m * k);
    cudaMalloc(&b, n * k);
    cudaMalloc(&sa, m * 2);
    cudaMalloc(&sb, n * 2);
    cudaMalloc(&out, m * n * 2);
    FillCodes<<<1024, 256>>>(a, m * k, 1);
    FillCodes<<<1024, 256>>>(b, n * k, 2);
    FillScales<<<64, 256>>>(sa, m);
    FillScales<<<64, 256>>>(sb, n);
    const __half* scale_a = null_scales ? nullptr : sa;
    const __half* scale_b = null_scales ? nullptr : sb;
    auto run = [&](int v) -> bool {
      if (names[v] == "mma_sync") {
        return switchback::cuda::Int8MatmulMma(a, b, m, n, k, scale_a, scale_b, false, nullptr, out, nullptr, nullptr).ok();
      }
      return switchback::cuda::sm90::Int8MatmulDequantVariant(names[v], a, b, m, n, k, scale_a, scale_b, false,
                                                              nullptr, out, nullptr)
          .ok();
    };
    // Variants take turns, one loop each per round, the first of each round rotating: the
    // card's clock falls as it warms under its power cap, and a variant timed first (or
    // alone) would run at a higher clock than the others.
    std::vector<bool> ok(kVariants);
    for (int v = 0; v < kVariants; ++v) {
      ok[v] = !(null_scales && names[v] == "mma_sync");  // the portable kernel reads its scales
      for (int i = 0; i < 5 && ok[v]; ++i) ok[v] = run(v);
    }
    std::vector<std::vector<float>> ms(kVariants);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    constexpr int kCallsPerLoop = 8;
    for (int r = 0; r < rounds; ++r) {
      for (int i = 0; i < kVariants; ++i) {
        const int v = (i + r) % kVariants;
        if (!ok[v]) continue;
        cudaEventRecord(e0);
        for (int c = 0; c < kCallsPerLoop && ok[v]; ++c) ok[v] = run(v);
        cudaEventRecord(e1);
        cudaEventSynchronize(e1);
        float t;
        cudaEventElapsedTime(&t, e0, e1);
        ms[v].push_back(t / kCallsPerLoop);
      }
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    std::vector<double> tops(kVariants, 0.0);
    for (int v = 0; v < kVariants; ++v) {
      if (!ok[v] || ms[v].empty()) continue;
      std::sort(ms[v].begin(), ms[v].end());
      tops[v] = 2.0 * m * n * k / (ms[v][ms[v].size() / 2] * 1e-3) / 1e12;
    }
    std::printf("%8ld %6ld %6ld", (long)m, (long)n, (long)k);
    for (double t : tops) std::printf(" %17.0f", t);
    std::printf("\n");
    cudaFree(a); cudaFree(b); cudaFree(sa); cudaFree(sb); cudaFree(out);
  }
  const cudaError_t e = cudaDeviceSynchronize();
  std::printf("status: %s\n", cudaGetErrorString(e));
  return e == cudaSuccess ? 0 : 1;
}

// Timing of the four quantizers on the sweep's weight shapes, the way the original mode
// calls them: 32 warm-up calls, then 64 back to back between two CUDA events; microseconds
// per call and effective TB/s (bytes read + written). With --variants, the weight
// quantizers once more per strip width and launch kind (kernels/cuda/quantize_weight_tuning.h),
// side by side; with --cluster-variants, colwise_T per cluster plan (strip width x blocks
// per cluster, the tile filled by cp.async or by loads into registers, "_regs";
// kernels/cuda/quantize_colwise_cluster.cu) beside the region kernel. Not a test.
//
//   quantize_bench [--warmup N] [--calls N] [--variants] [--cluster-variants] [--unstaged] [dim ...]
//   (dims of the sweep: 1024 ... 4096; fewer calls make it quick to profile under ncu; --unstaged:
//   the transposing modes' codes without the shared-memory tile, for an A/B)
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "kernels/cuda/quantize_weight_tuning.h"
#include "kernels/cuda/switchback_kernels.h"
#include "kernels/random.h"

namespace {

int warmup_calls = 32, timed_calls = 64;

__global__ void FillNormal(__half* p, int64_t n, uint64_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    // Not N(0,1): a cheap spread of magnitudes is enough for timing.
    const uint64_t r = switchback::SplitMix64(seed + i);
    p[i] = __float2half(static_cast<float>(static_cast<int64_t>(r % 20001) - 10000) * 1e-4f);
  }
}

// GPU microseconds per call (events) and, in *host_us, the host's time per launch: when
// the host is slower than the GPU, back-to-back calls run at the host's cadence.
double Microseconds(const std::function<bool()>& op, double* host_us) {
  for (int i = 0; i < warmup_calls; ++i) {
    if (!op()) return -1.0;
  }
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  cudaEventRecord(e0);
  const auto h0 = std::chrono::steady_clock::now();
  for (int i = 0; i < timed_calls; ++i) op();
  *host_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - h0).count() / timed_calls;
  cudaEventRecord(e1);
  cudaEventSynchronize(e1);
  float ms = 0.0f;
  cudaEventElapsedTime(&ms, e0, e1);
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return ms * 1e3 / timed_calls;
}

// One weight shape's tensors (w filled, scratch cleared) and the four quantizers on them;
// freed with the object.
struct Shape {
  int64_t rows, cols, n;
  __half* w = nullptr;
  int8_t* codes = nullptr;
  __half* state = nullptr;
  void* scratch = nullptr;
  bool ok = false;
  Shape(int64_t r, int64_t c) : rows(r), cols(c), n(r * c) {
    namespace cuda = switchback::cuda;
    ok = cudaMalloc(&w, n * 2) == cudaSuccess && cudaMalloc(&codes, n) == cudaSuccess &&
         cudaMalloc(&state, 2 * (rows + cols)) == cudaSuccess &&
         cudaMalloc(&scratch, cuda::QuantizeScratchBytes(rows, cols)) == cudaSuccess &&
         cuda::ClearQuantizeScratch(scratch, rows, cols, nullptr).ok();
    if (ok) FillNormal<<<1024, 256>>>(w, n, 7);
  }
  ~Shape() {
    cudaFree(w);
    cudaFree(codes);
    cudaFree(state);
    cudaFree(scratch);
  }
  // rowwise, colwise_T, global, global_T
  std::vector<std::function<bool()>> Ops() {
    namespace cuda = switchback::cuda;
    return {[this] { return cuda::QuantizeRowwise(w, rows, cols, codes, state, nullptr).ok(); },
            [this] { return cuda::QuantizeColwiseTranspose(w, rows, cols, codes, state, scratch, nullptr).ok(); },
            [this] { return cuda::QuantizeGlobal(w, rows, cols, codes, state, scratch, nullptr).ok(); },
            [this] { return cuda::QuantizeGlobalTranspose(w, rows, cols, codes, state, scratch, nullptr).ok(); }};
  }
};

}  // namespace

int main(int argc, char** argv) {
  namespace cuda = switchback::cuda;
  std::vector<int64_t> dims;
  bool variants = false, cluster_variants = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--warmup" && i + 1 < argc) {
      warmup_calls = std::atoi(argv[++i]);
    } else if (arg == "--calls" && i + 1 < argc) {
      timed_calls = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--variants") {
      variants = true;
    } else if (arg == "--cluster-variants") {
      cluster_variants = true;
    } else if (arg == "--unstaged") {
      cuda::OverrideWeightQuantizerStagingForBench(true);
    } else {
      dims.push_back(std::atoll(argv[i]));
    }
  }
  if (dims.empty()) dims = {1024, 1280, 1408, 1664, 2048, 4096};
  std::printf("us per call (TB/s) h<host us per launch>\n%6s %6s | %21s %21s %21s %21s\n", "rows", "cols",
              "rowwise", "colwise_T", "global", "global_T");
  for (const int64_t dim : dims) {
    for (const bool swap : {false, true}) {
      Shape shape(swap ? dim : 4 * dim, swap ? 4 * dim : dim);
      if (!shape.ok) return 1;
      std::printf("%6ld %6ld |", static_cast<long>(shape.rows), static_cast<long>(shape.cols));
      for (const auto& op : shape.Ops()) {
        double host_us = 0.0;
        const double us = Microseconds(op, &host_us);
        std::printf(" %7.2f (%4.2f) h%5.2f", us, 3.0 * shape.n / (us * 1e-6) / 1e12, host_us);
      }
      std::printf("\n");
    }
  }
  if (variants) {
    // Strip width x launch kind; each cell: us per call (TB/s) of colwise_T / global / global_T.
    const struct {
      int strip, launch;
      const char* name;
    } kinds[] = {{64, 2, "s64 plain+pdl"}, {64, 1, "s64 plain"}, {128, 2, "s128 plain+pdl"}, {128, 1, "s128 plain"},
                 {256, 2, "s256 plain+pdl"}, {256, 1, "s256 plain"}};
    std::printf("weight quantizer variants: us per call (TB/s) colwise_T / global / global_T\n");
    for (const int64_t dim : dims) {
      for (const bool swap : {false, true}) {
        Shape shape(swap ? dim : 4 * dim, swap ? 4 * dim : dim);
        if (!shape.ok) return 1;
        const std::vector<std::function<bool()>> ops = shape.Ops();
        for (const auto& kind : kinds) {
          cuda::OverrideWeightQuantizerForBench(kind.strip, kind.launch);
          std::printf("%6ld %6ld %-15s|", static_cast<long>(shape.rows), static_cast<long>(shape.cols), kind.name);
          for (size_t i = 1; i < ops.size(); ++i) {  // the weight quantizers only
            double host_us = 0.0;
            const double us = Microseconds(ops[i], &host_us);
            std::printf(" %7.2f (%4.2f)", us, 3.0 * shape.n / (us * 1e-6) / 1e12);
          }
          std::printf("  %s\n", cudaGetErrorString(cudaGetLastError()));
        }
        cuda::OverrideWeightQuantizerForBench(0, -1);
      }
    }
  }
  if (cluster_variants) {
    // colwise_T: us per call (TB/s) and the variant that ran, per forced plan; "region" is
    // the two-pass region kernel (quantize_weight.cu).
    const struct {
      int strip, cluster;
    } plans[] = {{-1, 0}, {0, 0}, {64, 2}, {64, 4}, {64, 8}, {64, 16}, {32, 4}, {32, 8}, {32, 16}};
    std::printf("colwise_T per cluster plan: us per call (TB/s) variant\n");
    for (const int64_t dim : dims) {
      for (const bool swap : {false, true}) {
        Shape shape(swap ? dim : 4 * dim, swap ? 4 * dim : dim);
        if (!shape.ok) return 1;
        for (const int loads : {1, 2})
        for (const auto& plan : plans) {
          if (loads == 2 && plan.strip < 0) continue;  // the region kernel: once
          cuda::OverrideColwiseClusterForBench(plan.strip, plan.cluster);
          cuda::OverrideColwiseClusterLoadsForBench(loads);
          std::string name;
          auto op = [&] {
            return cuda::QuantizeColwiseTranspose(shape.w, shape.rows, shape.cols, shape.codes, shape.state,
                                                  shape.scratch, nullptr, &name)
                .ok();
          };
          double host_us = 0.0;
          const double us = Microseconds(op, &host_us);
          std::printf("%6ld %6ld s%-3d c%-3d | %7.2f (%4.2f) %s  %s\n", static_cast<long>(shape.rows),
                      static_cast<long>(shape.cols), plan.strip, plan.cluster, us, 3.0 * shape.n / (us * 1e-6) / 1e12,
                      name.c_str(), cudaGetErrorString(cudaGetLastError()));
        }
        cuda::OverrideColwiseClusterForBench(0, 0);
        cuda::OverrideColwiseClusterLoadsForBench(0);
      }
    }
  }
  const cudaError_t e = cudaDeviceSynchronize();
  std::printf("status: %s\n", cudaGetErrorString(e));
  return e == cudaSuccess ? 0 : 1;
}

// Where the weight quantizers' time goes: the kernel built with SWITCHBACK_WQ_TIMELINE
// stamps %globaltimer per block at entry, after posting its maxima, once it has seen the
// posts it waits for (colwise: those of its last region's strip), once the divisor is known
// (global modes) and at exit; this prints the spans of the last of 40
// back-to-back calls (relative to the first block's entry) beside the time per call of 64
// more, as the original mode calls them. A second line gives the same block's phases in SM
// cycles (clock64; the timer moves in 256 ns steps on the H200), median and slowest block:
// pass 1's loads, its reduction and post, the wait for the posts, pass 2; and the SM clock
// they imply. Not a test.
//
//   quantize_timeline [--strip 64|256] [--launch 0..3] [rows cols ...]
//   (default: the sweep's w shapes 4096 x 1024 ... 16384 x 4096; --strip and --launch as in
//   kernels/cuda/quantize_weight_tuning.h)
#define SWITCHBACK_WQ_TIMELINE
#include "kernels/cuda/quantize_weight.cu"  // this target compiles the kernel itself, stamped

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

__global__ void Fill(__half* p, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    p[i] = __float2half(static_cast<float>(static_cast<int64_t>((i * 2654435761ull) % 20001) - 10000) * 1e-4f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace cuda = switchback::cuda;
  std::vector<std::pair<int64_t, int64_t>> shapes;
  int strip = 0, launch = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--strip") {
      strip = std::atoi(argv[i + 1]);
    } else if (arg == "--launch") {
      launch = std::atoi(argv[i + 1]);
    } else {
      shapes.emplace_back(std::atoll(argv[i]), std::atoll(argv[i + 1]));
    }
  }
  cuda::OverrideWeightQuantizerForBench(strip, launch);
  if (shapes.empty()) shapes = {{4096, 1024}, {5120, 1280}, {8192, 2048}, {16384, 4096}};
  const char* names[] = {"colwise_T", "global", "global_T"};
  std::printf("us from the first block's entry: pass 1 done and posted (first..last block), "
              "posts seen (first..last), divisor known (last), exit (last) | us per call, 64 back to back\n");
  for (const auto& shape : shapes) {
    const int64_t rows = shape.first, cols = shape.second;
    const int64_t n = rows * cols;
    __half *w = nullptr, *state = nullptr;
    int8_t* codes = nullptr;
    void* scratch = nullptr;
    if (cudaMalloc(&w, n * 2) != cudaSuccess || cudaMalloc(&codes, n) != cudaSuccess ||
        cudaMalloc(&state, 2 * (rows + cols)) != cudaSuccess ||
        cudaMalloc(&scratch, cuda::QuantizeScratchBytes(rows, cols)) != cudaSuccess) {
      std::printf("allocation failed\n");
      return 1;
    }
    if (!cuda::ClearQuantizeScratch(scratch, rows, cols, nullptr).ok()) return 1;
    Fill<<<1024, 256>>>(w, n);
    for (int mode = 0; mode < 3; ++mode) {
      auto op = [&] {
        if (mode == 0) return cuda::QuantizeColwiseTranspose(w, rows, cols, codes, state, scratch, nullptr);
        if (mode == 1) return cuda::QuantizeGlobal(w, rows, cols, codes, state, scratch, nullptr);
        return cuda::QuantizeGlobalTranspose(w, rows, cols, codes, state, scratch, nullptr);
      };
      static unsigned long long zero[1024][6];
      cudaMemcpyToSymbol(cuda::g_wq_timeline, zero, sizeof(zero));
      cudaMemcpyToSymbol(cuda::g_wq_cycles, zero, sizeof(zero));
      for (int i = 0; i < 40; ++i) (void)op();
      static unsigned long long tl[1024][6];
      static long long cy[1024][6];
      cudaMemcpyFromSymbol(tl, cuda::g_wq_timeline, sizeof(tl));
      cudaMemcpyFromSymbol(cy, cuda::g_wq_cycles, sizeof(cy));
      // Per-block spans in cycles: loads (entry -> loads done), post (-> posted), wait (->
      // posts seen), pass 2 (-> exit); and cycles per ns over the block's life.
      std::vector<double> spans[4], ghz;
      for (int b = 0; b < 1024; ++b) {
        if (tl[b][0] == 0 || cy[b][5] == 0) continue;  // not in the grid, or no loads-done mark (dynamic kernel)
        const long long* c = cy[b];
        spans[0].push_back(static_cast<double>(c[5] - c[0]));
        spans[1].push_back(static_cast<double>(c[1] - c[5]));
        spans[2].push_back(static_cast<double>(c[2] - c[1]));
        spans[3].push_back(static_cast<double>(c[4] - c[2]));
        if (tl[b][4] > tl[b][0]) ghz.push_back(static_cast<double>(c[4] - c[0]) / static_cast<double>(tl[b][4] - tl[b][0]));
      }
      auto median = [](std::vector<double> v) {
        if (v.empty()) return 0.0;
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
      };
      auto slowest = [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); };
      unsigned long long entry = ~0ull, p1_first = ~0ull, p1_last = 0, bar_first = ~0ull, bar_last = 0,
                         divisor = 0, exit = 0;
      int blocks = 0;
      for (const auto& b : tl) {
        if (b[0] == 0) continue;  // a block index the grid does not have
        ++blocks;
        entry = std::min(entry, b[0]);
        p1_first = std::min(p1_first, b[1]);
        p1_last = std::max(p1_last, b[1]);
        bar_first = std::min(bar_first, b[2]);
        bar_last = std::max(bar_last, b[2]);
        divisor = std::max(divisor, b[3]);
        exit = std::max(exit, b[4]);
      }
      cudaEvent_t e0, e1;
      cudaEventCreate(&e0);
      cudaEventCreate(&e1);
      cudaEventRecord(e0);
      for (int i = 0; i < 64; ++i) (void)op();
      cudaEventRecord(e1);
      cudaEventSynchronize(e1);
      float ms = 0;
      cudaEventElapsedTime(&ms, e0, e1);
      if (blocks == 0) {  // colwise on the cluster kernel (quantize_colwise_cluster.cu): not stamped
        std::printf("%6ld x %5ld %-9s no stamps: another kernel ran (the cluster kernel) | %6.2f\n", static_cast<long>(rows),
                    static_cast<long>(cols), names[mode], ms * 1e3 / 64);
        continue;
      }
      auto us = [&](unsigned long long t) { return (static_cast<double>(t) - static_cast<double>(entry)) / 1e3; };
      char div[16] = "     -";
      if (divisor) std::snprintf(div, sizeof(div), "%6.2f", us(divisor));
      std::printf("%6ld x %5ld %-9s %3d blocks | pass 1 %6.2f..%6.2f | posts seen %6.2f..%6.2f | divisor %s | exit %6.2f | %6.2f\n",
                  static_cast<long>(rows), static_cast<long>(cols), names[mode], blocks, us(p1_first), us(p1_last),
                  us(bar_first), us(bar_last), div, us(exit), ms * 1e3 / 64);
      if (!spans[0].empty()) {
        std::printf("%26s cycles (median/slowest block) | loads %5.0f/%5.0f | reduce+post %5.0f/%5.0f | wait %5.0f/%5.0f | "
                    "pass 2 %5.0f/%5.0f | SM ~%4.0f MHz\n",
                    "", median(spans[0]), slowest(spans[0]), median(spans[1]), slowest(spans[1]), median(spans[2]),
                    slowest(spans[2]), median(spans[3]), slowest(spans[3]), median(ghz) * 1e3);
      }
    }
    cudaFree(w);
    cudaFree(codes);
    cudaFree(state);
    cudaFree(scratch);
  }
  const cudaError_t e = cudaDeviceSynchronize();
  std::printf("status: %s\n", cudaGetErrorString(e));
  return e == cudaSuccess ? 0 : 1;
}

// Which feature of the cluster colwise kernel compute-sanitizer's synccheck reports as
// "Divergent thread(s) in warp" (docs/BENCHMARKS.md, eighteenth session): the kernel's
// barrier shape (a strided copy loop, a wait, __syncthreads, a row loop with per-lane trip
// counts, __syncthreads) in a small kernel, with and without each of its features: thread
// block clusters, cp.async copies, programmatic dependent launch. Run each variant once
// under the tool and compare the report counts:
//   for v in 0 1 2 3 4 5 6 7; do compute-sanitizer --tool synccheck synccheck_probe $v; done
// Variant bits: 1 clusters, 2 cp.async (else plain loads), 4 dependent launch. Optional
// BLOCKS CLUSTER BLOCK_ROWS (default 2 2 48) give the grid, the cluster size and each
// block's rows; the last block holds half of its rows. The kernel test that reports
// (16384 x 4096) runs 2048 blocks in clusters of 16 with 1024 rows each (several waves).
// The probe checks its own result (every column's maximum), so a variant that computes
// wrongly fails instead of passing unnoticed.
#include <cooperative_groups.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/exit_on_cuda_error.h"

namespace {

namespace cg = cooperative_groups;

constexpr int kThreads = 512;
constexpr int kStrip = 32;  // columns: the failing instance's strip
constexpr int kGranules = kStrip / 8;
constexpr int kPairs = kStrip / 2;

// Block b reads rows [b * block_rows, (b + 1) * block_rows) of a rows x kStrip matrix of
// halves and writes its column maxima to out[b][kStrip].
template <bool kCluster, bool kCopyAsync, bool kDependent>
__global__ void __launch_bounds__(kThreads) ProbeKernel(const __half* w, int rows, int block_rows, float* out) {
  extern __shared__ __align__(16) unsigned char tile[];  // block_rows x kStrip halves
  __shared__ __half2 rowred[kThreads / kPairs][kPairs];
  const int t = threadIdx.x;
  const int r0 = blockIdx.x * block_rows;
  const int valid_rows = max(0, min(block_rows, rows - r0));
  if constexpr (kDependent) asm volatile("griddepcontrol.wait;" ::: "memory");
  for (int e = t; e < block_rows * kGranules; e += kThreads) {
    const int row = e / kGranules, g = e % kGranules;
    const bool inside = row < valid_rows;
    const __half* src = inside ? w + static_cast<int64_t>(r0 + row) * kStrip + g * 8 : w;
    unsigned char* dst = tile + row * kStrip * 2 + g * 16;
    if constexpr (kCopyAsync) {
      const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
      asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(d), "l"(src), "r"(inside ? 16 : 0) : "memory");
    } else {
      *reinterpret_cast<uint4*>(dst) = inside ? *reinterpret_cast<const uint4*>(src) : make_uint4(0, 0, 0, 0);
    }
  }
  if constexpr (kCopyAsync) asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;" ::: "memory");
  __syncthreads();  // the production kernel's first reported barrier
  const int pair = t % kPairs, lane_row = t / kPairs;
  __half2 m = __float2half2_rn(0.0f);
  for (int row = lane_row; row < valid_rows; row += kThreads / kPairs) {  // per-lane trip counts
    m = __hmax2(m, __habs2(*reinterpret_cast<const __half2*>(tile + row * kStrip * 2 + pair * 4)));
  }
  rowred[lane_row][pair] = m;
  __syncthreads();  // the second reported barrier
  if (t < kPairs) {
    __half2 r = rowred[0][t];
    for (int i = 1; i < kThreads / kPairs; ++i) r = __hmax2(r, rowred[i][t]);
    out[blockIdx.x * kStrip + 2 * t] = __low2float(r);
    out[blockIdx.x * kStrip + 2 * t + 1] = __high2float(r);
  }
  if constexpr (kCluster) cg::this_cluster().sync();
  if constexpr (kDependent) asm volatile("griddepcontrol.launch_dependents;");
}

template <bool kCluster, bool kCopyAsync, bool kDependent>
void Launch(const __half* w, int rows, int block_rows, int blocks, int cluster, float* out) {
  auto kernel = ProbeKernel<kCluster, kCopyAsync, kDependent>;
  EXIT_ON_CUDA_ERROR(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          block_rows * kStrip * 2));
  if (kCluster && cluster > 8)
    EXIT_ON_CUDA_ERROR(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(blocks);
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = static_cast<size_t>(block_rows) * kStrip * 2;
  cudaLaunchAttribute attrs[2]{};
  int n = 0;
  if (kCluster) {
    attrs[n].id = cudaLaunchAttributeClusterDimension;
    attrs[n].val.clusterDim.x = static_cast<unsigned>(cluster);
    attrs[n].val.clusterDim.y = attrs[n].val.clusterDim.z = 1;
    ++n;
  }
  if (kDependent) {
    attrs[n].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attrs[n++].val.programmaticStreamSerializationAllowed = 1;
  }
  config.attrs = attrs;
  config.numAttrs = n;
  EXIT_ON_CUDA_ERROR(cudaLaunchKernelEx(&config, kernel, w, rows, block_rows, out));
}

}  // namespace

int main(int argc, char** argv) {
  const int variant = argc > 1 ? std::atoi(argv[1]) : 0;
  const int blocks = argc > 2 ? std::atoi(argv[2]) : 2;
  const int cluster = argc > 3 ? std::atoi(argv[3]) : 2;
  const int block_rows = argc > 4 ? std::atoi(argv[4]) : 48;
  if (variant < 0 || variant > 7 || cluster < 1 || cluster > 16 || blocks < 1 || blocks % cluster != 0 ||
      block_rows < 16 || block_rows % 16 != 0 || block_rows > 1536 || blocks > 65536) {
    std::fprintf(stderr,
                 "usage: synccheck_probe VARIANT [BLOCKS CLUSTER BLOCK_ROWS] (variant 0-7: bit 1 clusters, 2 cp.async, "
                 "4 dependent launch; BLOCKS a multiple of CLUSTER <= 16; BLOCK_ROWS a multiple of 16 <= 1536)\n");
    return 2;
  }
  // Ragged: the last block holds half of its rows, so lanes' trip counts differ.
  const int rows = blocks * block_rows - block_rows / 2 - 1;
  std::vector<__half> host(static_cast<size_t>(rows) * kStrip);
  for (size_t i = 0; i < host.size(); ++i) host[i] = __float2half(std::sin(0.37f * static_cast<float>(i)) * 3.0f);
  __half* w = nullptr;
  float* out = nullptr;
  EXIT_ON_CUDA_ERROR(cudaMalloc(&w, host.size() * sizeof(__half)));
  EXIT_ON_CUDA_ERROR(cudaMalloc(&out, blocks * kStrip * sizeof(float)));
  EXIT_ON_CUDA_ERROR(
      cudaMemcpy(w, host.data(), host.size() * sizeof(__half), cudaMemcpyHostToDevice));
  switch (variant) {
    case 0: Launch<false, false, false>(w, rows, block_rows, blocks, cluster, out); break;
    case 1: Launch<true, false, false>(w, rows, block_rows, blocks, cluster, out); break;
    case 2: Launch<false, true, false>(w, rows, block_rows, blocks, cluster, out); break;
    case 3: Launch<true, true, false>(w, rows, block_rows, blocks, cluster, out); break;
    case 4: Launch<false, false, true>(w, rows, block_rows, blocks, cluster, out); break;
    case 5: Launch<true, false, true>(w, rows, block_rows, blocks, cluster, out); break;
    case 6: Launch<false, true, true>(w, rows, block_rows, blocks, cluster, out); break;
    default: Launch<true, true, true>(w, rows, block_rows, blocks, cluster, out); break;
  }
  EXIT_ON_CUDA_ERROR(cudaDeviceSynchronize());
  std::vector<float> got(blocks * kStrip);
  EXIT_ON_CUDA_ERROR(
      cudaMemcpy(got.data(), out, got.size() * sizeof(float), cudaMemcpyDeviceToHost));
  int wrong = 0;
  for (int b = 0; b < blocks; ++b) {
    for (int c = 0; c < kStrip; ++c) {
      float want = 0.0f;
      for (int r = b * block_rows; r < std::min(rows, (b + 1) * block_rows); ++r) {
        want = std::fmax(want, std::fabs(__half2float(host[static_cast<size_t>(r) * kStrip + c])));
      }
      wrong += got[b * kStrip + c] != want;
    }
  }
  std::printf("variant %d (clusters %d, cp.async %d, dependent %d; %d blocks, cluster %d, %d rows each): %s\n", variant,
              variant & 1, (variant >> 1) & 1, (variant >> 2) & 1, blocks, variant & 1 ? cluster : 1, block_rows,
              wrong == 0 ? "maxima correct" : "MAXIMA WRONG");
  cudaFree(w);
  cudaFree(out);
  return wrong == 0 ? 0 : 1;
}

// Column-wise quantization with transpose in one pass over w, by thread-block clusters (sm_90).
//
// The region kernel (quantize_weight.cu) reads w once for the column maxima and, when w does
// not fit in its blocks' shared memory, a second time to quantize: 126 us for 16384 x 4096
// on the H200 against 49 for the one-pass row-wise quantizer. Here a cluster of P blocks
// owns a strip of kStrip columns over all rows: each block copies its R rows of the strip
// into shared memory (cp.async, every byte in flight at once), reduces its column maxima,
// reads the other blocks' maxima through distributed shared memory (no global-memory posts,
// no grid-wide wait), then quantizes from shared memory and stores the transposed codes in
// whole 128-byte runs. w is read from HBM exactly once; a block's life is load, reduce,
// exchange, store, and blocks of the same SM overlap one another's phases.
//
// Two ways to fill the tile (chosen in QuantizeColwiseTransposeCluster): cp.async, every granule in flight at once,
// then a pass over the tile for the maxima behind a block barrier; or loads into registers
// in batches of eight granules per thread, the maxima taken on the way to shared memory (no
// second pass over the tile, one barrier fewer).
//
// Shared-memory tile: R rows x kStrip halves, 16-byte granule g of row r stored at
// g ^ ((r / 16) % granules): a warp's reads for the transposed store (8 rows 16 apart, one
// granule each) fall in distinct banks, and a row's reads (the maxima) stay conflict-free.
#include "kernels/cuda/quantize_colwise_cluster.h"

#include <cooperative_groups.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/quantize_common.cuh"
#include "kernels/cuda/quantize_weight_tuning.h"

namespace switchback::cuda::detail {
namespace {

namespace cg = cooperative_groups;

constexpr int kThreads = 512;
constexpr int kMaxCluster = 16;  // non-portable above 8: checked with the occupancy calculator

std::atomic<int> g_forced_strip{0};
std::atomic<int> g_forced_cluster{0};
std::atomic<int> g_forced_loads{0};  // OverrideColwiseClusterLoadsForBench

struct Params {
  const __half* w;
  int64_t rows, cols;
  int64_t block_rows;  // R: a multiple of 16
  int8_t* codes_t;     // [cols][rows]
  __half* state;       // [cols]
};

template <int kStrip>
struct Tile {
  static constexpr int kGranules = kStrip / 8;  // 16-byte granules per row
  static constexpr int kRowBytes = kStrip * 2;
  static constexpr int kPairs = kStrip / 2;  // half2 per row
  __device__ static int Offset(int64_t row, int granule) {
    return static_cast<int>(row) * kRowBytes + ((granule ^ static_cast<int>((row >> 4) & (kGranules - 1))) << 4);
  }
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900  // the kernel's body exists for sm_90+ only
constexpr int kSlabRows = 128;  // rows of a warp's transposed store unit (8 granules of 16)

__device__ __forceinline__ void CopyAsync16(void* smem, const void* gmem, int src_bytes) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(gmem), "r"(src_bytes) : "memory");
}
#endif

template <int kStrip, bool kRegisterLoads>
__global__ void __launch_bounds__(kThreads) ColwiseClusterKernel(Params p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  using T = Tile<kStrip>;
  extern __shared__ __align__(128) unsigned char tile[];
  // Partial column maxima: per row lane (copy-async path) or per warp (register path).
  constexpr int kPartials = kRegisterLoads ? kThreads / 32 : kThreads / T::kPairs;
  __shared__ __half2 rowred[kPartials][T::kPairs];
  __shared__ float part[kStrip];  // this block's column maxima, read by the whole cluster
  __shared__ Divisor divisor[kStrip];

  cg::cluster_group cluster = cg::this_cluster();
  const int rank = static_cast<int>(cluster.block_rank());
  const int64_t strip = blockIdx.x / cluster.num_blocks();
  const int64_t c0 = strip * kStrip;
  const int64_t r0 = rank * p.block_rows;
  const int64_t left = p.rows - r0;  // <= 0 for the last blocks of a short strip
  const int64_t valid_rows = left <= 0 ? 0 : left < p.block_rows ? left : p.block_rows;
  const int t = threadIdx.x;

  asm volatile("griddepcontrol.wait;" ::: "memory");  // w may come from the previous kernel
  if constexpr (kRegisterLoads) {
    // Thread t always holds granule t % kGranules (columns 8 g .. 8 g + 7) of rows
    // t / kGranules + i * kRowStep; rows and columns outside w read 0.
    constexpr int kRowStep = kThreads / T::kGranules;
    constexpr int kBatch = 8;  // granules in flight per thread
    const int g = t % T::kGranules;
    const int64_t c = c0 + g * 8;
    __half2 m[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) m[j] = __float2half2_rn(0.0f);
    for (int64_t base = t / T::kGranules; base < p.block_rows; base += kBatch * kRowStep) {
      uint4 v[kBatch];
#pragma unroll
      for (int i = 0; i < kBatch; ++i) {
        const int64_t row = base + i * kRowStep;
        v[i] = make_uint4(0, 0, 0, 0);
        if (row < valid_rows && c < p.cols) v[i] = __ldcg(reinterpret_cast<const uint4*>(p.w + (r0 + row) * p.cols + c));
      }
#pragma unroll
      for (int i = 0; i < kBatch; ++i) {
        const int64_t row = base + i * kRowStep;
        if (row >= p.block_rows) break;
        const __half2* h = reinterpret_cast<const __half2*>(&v[i]);
#pragma unroll
        for (int j = 0; j < 4; ++j) m[j] = __hmax2(m[j], __habs2(h[j]));
        *reinterpret_cast<uint4*>(tile + T::Offset(row, g)) = v[i];
      }
    }
    // Lanes holding the same granule: lane, lane ^ kGranules, ... within the warp.
#pragma unroll
    for (int lanes = T::kGranules; lanes < 32; lanes *= 2) {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const unsigned bits = __shfl_xor_sync(0xffffffffu, *reinterpret_cast<const unsigned*>(&m[j]), lanes);
        m[j] = __hmax2(m[j], *reinterpret_cast<const __half2*>(&bits));
      }
    }
    if ((t & 31) < T::kGranules) {
#pragma unroll
      for (int j = 0; j < 4; ++j) rowred[t >> 5][4 * g + j] = m[j];
    }
  } else {
    // Every granule of the block's rows in flight at once; rows and columns outside w read
    // 0 (cols % 8 == 0: a granule is wholly inside or outside).
    for (int64_t e = t; e < p.block_rows * T::kGranules; e += kThreads) {
      const int64_t row = e / T::kGranules;
      const int g = static_cast<int>(e % T::kGranules);
      const int64_t c = c0 + g * 8;
      const bool inside = row < valid_rows && c < p.cols;
      const __half* src = inside ? p.w + (r0 + row) * p.cols + c : p.w;
      CopyAsync16(tile + T::Offset(row, g), src, inside ? 16 : 0);
    }
    asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;" ::: "memory");
    __syncthreads();

    // Column maxima of the block's rows: a warp reads whole rows (kPairs lanes per row).
    const int pair = t % T::kPairs, lane_row = t / T::kPairs;
    constexpr int kRowStep = kThreads / T::kPairs;
    __half2 m = __float2half2_rn(0.0f);
    for (int64_t row = lane_row; row < valid_rows; row += kRowStep) {
      const __half2 v = *reinterpret_cast<const __half2*>(tile + T::Offset(row, pair / 4) + (pair % 4) * 4);
      m = __hmax2(m, __habs2(v));
    }
    rowred[lane_row][pair] = m;
  }
  __syncthreads();
  if (t < T::kPairs) {
    __half2 m = rowred[0][t];
    for (int i = 1; i < kPartials; ++i) m = __hmax2(m, rowred[i][t]);
    part[2 * t] = __low2float(m);
    part[2 * t + 1] = __high2float(m);
  }
  cluster.sync();  // every block's part[] written
  if (t < kStrip) {
    float m = 0.0f;
    for (int b = 0; b < static_cast<int>(cluster.num_blocks()); ++b) m = fmaxf(m, cluster.map_shared_rank(part, b)[t]);
    if (rank == 0 && c0 + t < p.cols) p.state[c0 + t] = __float2half_rn(m);  // exact: an input value
    divisor[t] = MakeDivisor(m);
  }
  cluster.barrier_arrive();  // done reading the others' part[]; they may exit once all arrive
  asm volatile("griddepcontrol.launch_dependents;");
  __syncthreads();

  // Transposed codes: a warp's unit is 8 columns x 128 rows; lane (pair q, granule g) reads
  // columns 2q, 2q + 1 of rows 16 g .. 16 g + 15 and stores their 16 codes each, so each of
  // the warp's two stores covers 4 rows of codes_t x 128 contiguous bytes.
  const int lane = t & 31, warp = t >> 5;
  const int q = lane / 8, g = lane % 8;
  const int64_t slabs = (valid_rows + kSlabRows - 1) / kSlabRows;
  const int64_t units = slabs * T::kGranules;
  for (int64_t u = warp; u < units; u += kThreads / 32) {
    const int group = static_cast<int>(u % T::kGranules);  // 8 columns = one granule of a row
    const int64_t row0 = (u / T::kGranules) * kSlabRows + 16 * g;
    const int c = group * 8 + 2 * q;
    if (row0 >= valid_rows) continue;
    const Divisor d0 = divisor[c], d1 = divisor[c + 1];
    uint32_t lo[4], hi[4];
#pragma unroll
    for (int k = 0; k < 16; k += 4) {
      uint32_t a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const __half2 v = *reinterpret_cast<const __half2*>(tile + T::Offset(row0 + k + i, group) + q * 4);
        a[i] = CodeBits(__low2float(v), d0);
        b[i] = CodeBits(__high2float(v), d1);
      }
      lo[k / 4] = Pack4(a[0], a[1], a[2], a[3]);
      hi[k / 4] = Pack4(b[0], b[1], b[2], b[3]);
    }
    int8_t* out = p.codes_t + (c0 + c) * p.rows + r0 + row0;
    const uint64_t policy = L2Policy(L2Priority::kNormal);
    if (c0 + c < p.cols) Store16(out, make_uint4(lo[0], lo[1], lo[2], lo[3]), policy);
    if (c0 + c + 1 < p.cols) Store16(out + p.rows, make_uint4(hi[0], hi[1], hi[2], hi[3]), policy);
  }
  cluster.barrier_wait();  // no block leaves while another may still read its part[]
#endif
}

int64_t BlockRows(int64_t rows, int cluster) { return ((rows + cluster - 1) / cluster + 15) / 16 * 16; }

// Once per kernel: its tile may take all the shared memory a block can opt in to beside
// its static arrays, in clusters of up to 16 blocks. Set once rather than per plan, so that
// no call can lower the limit under another's launch. Returns that tile limit in bytes.
template <int kStrip, bool kRegisterLoads>
absl::StatusOr<int> PrepareKernel() {
  static const absl::StatusOr<int> max_tile = []() -> absl::StatusOr<int> {
    auto kernel = ColwiseClusterKernel<kStrip, kRegisterLoads>;
    int device = 0, optin = 0;
    cudaFuncAttributes attributes{};
    SB_CUDA_CHECK(cudaGetDevice(&device));
    SB_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    SB_CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
    const int tile = optin - static_cast<int>(attributes.sharedSizeBytes);
    SB_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, tile));
    SB_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
    return tile;
  }();
  return max_tile;
}

absl::StatusOr<int> MaxTileBytes(int strip, bool register_loads) {
  if (register_loads) return strip == 64 ? PrepareKernel<64, true>() : PrepareKernel<32, true>();
  return strip == 64 ? PrepareKernel<64, false>() : PrepareKernel<32, false>();
}

template <int kStrip, bool kRegisterLoads>
absl::StatusOr<int> MaxActiveClusters(int cluster, int64_t block_rows) {
  auto kernel = ColwiseClusterKernel<kStrip, kRegisterLoads>;
  const size_t smem = static_cast<size_t>(block_rows) * kStrip * 2;
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(static_cast<unsigned>(cluster));
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = smem;
  cudaLaunchAttribute attr{};
  attr.id = cudaLaunchAttributeClusterDimension;
  attr.val.clusterDim.x = static_cast<unsigned>(cluster);
  attr.val.clusterDim.y = attr.val.clusterDim.z = 1;
  config.attrs = &attr;
  config.numAttrs = 1;
  int clusters = 0;
  SB_CUDA_CHECK(cudaOccupancyMaxActiveClusters(&clusters, kernel, &config));
  return clusters;
}

// A launch plan: strip width, cluster size, rows per block, how the tile is filled.
struct Plan {
  int strip = 0, cluster = 0;
  int64_t block_rows = 0;
  bool register_loads = false;
};

absl::StatusOr<int> MaxActiveClusters(const Plan& plan) {
  if (plan.register_loads) {
    return plan.strip == 64 ? MaxActiveClusters<64, true>(plan.cluster, plan.block_rows)
                            : MaxActiveClusters<32, true>(plan.cluster, plan.block_rows);
  }
  return plan.strip == 64 ? MaxActiveClusters<64, false>(plan.cluster, plan.block_rows)
                          : MaxActiveClusters<32, false>(plan.cluster, plan.block_rows);
}

// The plan for a shape: 64-column strips (128-byte row reads) with the fewest blocks per
// cluster that keep a block at 512 rows (64 KB: three blocks per SM); taller strips take
// 32 columns at up to 1024 rows, then larger tiles. A plan with cluster 0: none fits.
absl::StatusOr<Plan> ChoosePlan(int64_t rows, int forced_strip, int forced_cluster, bool register_loads) {
  struct Candidate {
    int strip;
    int64_t max_rows;
  };
  static constexpr Candidate kCandidates[] = {{64, 512}, {32, 1024}, {64, 1536}, {32, 3072}};
  for (const Candidate& c : kCandidates) {
    if (forced_strip > 0 && c.strip != forced_strip) continue;
    for (int cluster = 1; cluster <= kMaxCluster; cluster *= 2) {
      if (forced_cluster > 0 && cluster != forced_cluster) continue;
      const Plan plan{c.strip, cluster, BlockRows(rows, cluster), register_loads};
      if (plan.block_rows > c.max_rows && forced_cluster <= 0) continue;
      absl::StatusOr<int> max_tile = MaxTileBytes(c.strip, register_loads);  // also prepares the kernel
      if (!max_tile.ok()) return max_tile.status();
      if (plan.block_rows * c.strip * 2 > *max_tile) continue;
      absl::StatusOr<int> clusters = MaxActiveClusters(plan);
      if (!clusters.ok()) return clusters.status();
      if (*clusters > 0) return plan;
      if (forced_cluster > 0) break;
    }
  }
  return Plan{};
}

}  // namespace

absl::StatusOr<bool> QuantizeColwiseTransposeCluster(const __half* w, int64_t rows, int64_t cols, int8_t* codes_t,
                                                     __half* state, cudaStream_t stream, std::string* variant) {
  const int forced_strip = g_forced_strip.load(std::memory_order_relaxed);
  const int forced_cluster = g_forced_cluster.load(std::memory_order_relaxed);
  const int forced_loads = g_forced_loads.load(std::memory_order_relaxed);
  if (forced_strip < 0) return false;
  static const bool hopper = [] {
    int device = 0, major = 0;
    return cudaGetDevice(&device) == cudaSuccess &&
           cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess && major >= 9;
  }();
  // 16-byte granules in and out: whole granules of w's rows and of codes_t's rows.
  if (!hopper || rows <= 0 || cols <= 0 || rows % 16 != 0 || cols % 8 != 0 || !Aligned16(w) || !Aligned16(codes_t) ||
      rows > 0x7fffffff || cols > 0x7fffffff) {
    return false;
  }
  // Where it beats the region kernel (H200, s9 quantize_bench --cluster-variants, one run):
  // w larger than the region kernel keeps in L2 for its second pass (16384 x 4096: 92 vs
  // 126 us; 4096 x 16384: 78 vs 128), or strips of at most 1024 rows, a cluster of two
  // (1024 x 4096: 6.4 vs 7.0 us). Elsewhere w is read once by the region kernel too, and
  // its two blocks per SM overlap better: 7.2 vs 9.5 us at 4096 x 1024, 21.2 vs 25.0 at
  // 8192 x 2048, ties at 1664 x 6656 and 6656 x 1664.
  const bool beyond_l2 = !FitsInL2(rows * cols * int64_t{sizeof(__half)});
  if (forced_strip == 0 && forced_cluster == 0 && !beyond_l2 && rows > 1024) return false;
  // The tile filled through registers where w fits in L2 (1024 x 4096: 6.40 -> 5.99 us, one
  // block per SM, a block's 512 rows in one batch of loads), by cp.async beyond it (16384 x
  // 4096: 92.8 against 108.5 us; 63 registers a thread hold the register kernel to two
  // blocks per SM, cp.async's 34 allow three). H200, eleventh session, quantize_bench
  // --cluster-variants (bench/results/h200_2026-12-02_s11_cluster_register_loads.txt).
  const bool register_loads = forced_loads == 0 ? !beyond_l2 : forced_loads == 2;
  // Plans depend on rows only; cache the last one (the sweep calls one shape many times).
  static std::mutex mu;
  static int64_t cached_rows = -1;
  static int cached_forced[3] = {0, 0, 0};
  static Plan cached;
  Plan plan;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (rows != cached_rows || cached_forced[0] != forced_strip || cached_forced[1] != forced_cluster ||
        cached_forced[2] != forced_loads) {
      absl::StatusOr<Plan> chosen = ChoosePlan(rows, forced_strip, forced_cluster, register_loads);
      if (!chosen.ok()) return chosen.status();
      cached = *chosen;
      cached_rows = rows;
      cached_forced[0] = forced_strip;
      cached_forced[1] = forced_cluster;
      cached_forced[2] = forced_loads;
    }
    plan = cached;
  }
  if (plan.cluster == 0) return false;
  const int64_t strips = (cols + plan.strip - 1) / plan.strip;
  if (strips * plan.cluster > 0x7fffffff) return false;

  Params p{w, rows, cols, plan.block_rows, codes_t, state};
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(static_cast<unsigned>(strips * plan.cluster));
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = static_cast<size_t>(plan.block_rows) * plan.strip * 2;
  config.stream = stream;
  cudaLaunchAttribute attrs[2]{};
  attrs[0].id = cudaLaunchAttributeClusterDimension;
  attrs[0].val.clusterDim.x = static_cast<unsigned>(plan.cluster);
  attrs[0].val.clusterDim.y = attrs[0].val.clusterDim.z = 1;
  attrs[1].id = cudaLaunchAttributeProgrammaticStreamSerialization;  // see quantize_weight.cu
  attrs[1].val.programmaticStreamSerializationAllowed = 1;
  config.attrs = attrs;
  config.numAttrs = 2;
  if (plan.register_loads) {
    if (plan.strip == 64) {
      SB_CUDA_CHECK(cudaLaunchKernelEx(&config, ColwiseClusterKernel<64, true>, p));
    } else {
      SB_CUDA_CHECK(cudaLaunchKernelEx(&config, ColwiseClusterKernel<32, true>, p));
    }
  } else if (plan.strip == 64) {
    SB_CUDA_CHECK(cudaLaunchKernelEx(&config, ColwiseClusterKernel<64, false>, p));
  } else {
    SB_CUDA_CHECK(cudaLaunchKernelEx(&config, ColwiseClusterKernel<32, false>, p));
  }
  if (variant != nullptr) {
    *variant = absl::StrCat("quantize_colwise_transpose_cluster", plan.cluster, "_s", plan.strip,
                            plan.register_loads ? "_regs" : "");
  }
  return true;
}

}  // namespace switchback::cuda::detail

namespace switchback::cuda {

void OverrideColwiseClusterForBench(int strip_columns, int cluster_blocks) {
  detail::g_forced_strip.store(strip_columns, std::memory_order_relaxed);
  detail::g_forced_cluster.store(cluster_blocks, std::memory_order_relaxed);
}

void OverrideColwiseClusterLoadsForBench(int loads) {
  detail::g_forced_loads.store(loads, std::memory_order_relaxed);
}

}  // namespace switchback::cuda

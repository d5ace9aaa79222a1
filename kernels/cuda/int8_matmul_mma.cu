// Portable (sm_80+) int8 GEMM with the dequantization fused in the epilogue:
// out[m,n] = fp16(acc * (sa[m] * sb[n] / 127^2) + bias[n]), a [M,K] and b [N,K] both K-major.
// 128 x 128 x 64 CTA tiles, 8 warps of 64 x 32, mma.sync m16n8k32 (s8), operands staged
// through a 3-deep cp.async ring in XOR-swizzled shared memory, fed by ldmatrix.
#include <cuda_fp16.h>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/int8_matmul_dispatch.h"
#include "kernels/dequant_scale.h"
#include "kernels/ops.h"

namespace switchback::cuda {
namespace {

constexpr int kBM = 128, kBN = 128, kBK = 64, kStages = 3, kThreads = 256;
constexpr int kWarpM = 64, kWarpN = 32;  // 2 x 4 warps
constexpr int kMTiles = kWarpM / 16, kNTiles = kWarpN / 8;

// Byte offset of 16-byte chunk `chunk` (0..3) of tile row `row`: rows are 64 bytes; the
// XOR spreads the 8 rows one ldmatrix reads over all 32 banks.
__device__ __forceinline__ int Swizzle(int row, int chunk) {
  return row * kBK + ((chunk ^ ((row >> 1) & 3)) << 4);
}

__device__ __forceinline__ void CpAsync16(void* smem, const void* gmem, bool valid) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  const int bytes = valid ? 16 : 0;  // 0: zero-fill, nothing read
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem), "r"(bytes));
}

__device__ __forceinline__ void LdMatrixX4(unsigned (&r)[4], const void* smem) {
  const unsigned addr = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ __forceinline__ void Mma(int (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// One CTA tile of a and b into stage `s`: 128 rows x 4 chunks each, two chunks per thread.
__device__ __forceinline__ void LoadTile(int8_t* sa, int8_t* sb, const int8_t* a, const int8_t* b,
                                         int64_t m, int64_t n, int64_t k, int64_t m0, int64_t n0,
                                         int64_t k0) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int idx = threadIdx.x + i * kThreads;  // 0..511
    const int row = idx >> 2, chunk = idx & 3;
    const int64_t kk = k0 + chunk * 16;
    const bool k_ok = kk + 16 <= k;
    const int64_t ar = m0 + row, br = n0 + row;
    CpAsync16(sa + Swizzle(row, chunk), a + (ar < m && k_ok ? ar * k + kk : 0), ar < m && k_ok);
    CpAsync16(sb + Swizzle(row, chunk), b + (br < n && k_ok ? br * k + kk : 0), br < n && k_ok);
  }
}

__global__ void __launch_bounds__(kThreads) Int8MatmulMmaKernel(
    const int8_t* __restrict__ a, const int8_t* __restrict__ b, int64_t m, int64_t n, int64_t k,
    const __half* __restrict__ sa, const __half* __restrict__ sb, bool sb_is_scalar,
    const __half* __restrict__ bias, __half* __restrict__ out) {
  __shared__ __align__(128) int8_t smem[kStages][2][kBM * kBK];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int warp_m = warp >> 2, warp_n = warp & 3;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBM, n0 = static_cast<int64_t>(blockIdx.x) * kBN;
  const int ktiles = static_cast<int>((k + kBK - 1) / kBK);

  int acc[kMTiles][kNTiles][4];
#pragma unroll
  for (int i = 0; i < kMTiles; ++i)
#pragma unroll
    for (int j = 0; j < kNTiles; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < ktiles) LoadTile(smem[s][0], smem[s][1], a, b, m, n, k, m0, n0, int64_t{s} * kBK);
    asm volatile("cp.async.commit_group;\n" ::);
  }

  for (int kt = 0; kt < ktiles; ++kt) {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kStages - 2));
    __syncthreads();
    const int next = kt + kStages - 1;
    if (next < ktiles) {
      LoadTile(smem[next % kStages][0], smem[next % kStages][1], a, b, m, n, k, m0, n0, int64_t{next} * kBK);
    }
    asm volatile("cp.async.commit_group;\n" ::);
    const int8_t* ta = smem[kt % kStages][0];
    const int8_t* tb = smem[kt % kStages][1];
#pragma unroll
    for (int ks = 0; ks < kBK / 32; ++ks) {
      unsigned af[kMTiles][4];
#pragma unroll
      for (int i = 0; i < kMTiles; ++i) {
        // Matrices: rows 0-7 / 8-15 of the m-tile, bytes 0-15 / 16-31 of the k-step.
        const int row = warp_m * kWarpM + i * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        const int chunk = ks * 2 + (lane >> 4);
        LdMatrixX4(af[i], ta + Swizzle(row, chunk));
      }
      unsigned bf[kNTiles][2];
#pragma unroll
      for (int j = 0; j < kNTiles; j += 2) {
        // Matrices: n 0-7 bytes 0-15, n 0-7 bytes 16-31, n 8-15 bytes 0-15, n 8-15 bytes 16-31.
        const int row = warp_n * kWarpN + j * 8 + (lane & 7) + (lane >> 4) * 8;
        const int chunk = ks * 2 + ((lane >> 3) & 1);
        unsigned r[4];
        LdMatrixX4(r, tb + Swizzle(row, chunk));
        bf[j][0] = r[0];
        bf[j][1] = r[1];
        bf[j + 1][0] = r[2];
        bf[j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < kMTiles; ++i)
#pragma unroll
        for (int j = 0; j < kNTiles; ++j) Mma(acc[i][j], af[i], bf[j][0], bf[j][1]);
    }
  }
  asm volatile("cp.async.wait_group 0;\n" ::);

  // Epilogue: each thread holds rows g and g+8, columns 2t and 2t+1 of every 16 x 8 tile.
  const int g = lane >> 2, t = lane & 3;
  const bool pairs = (n & 1) == 0;
#pragma unroll
  for (int i = 0; i < kMTiles; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int64_t row = m0 + warp_m * kWarpM + i * 16 + g + half * 8;
      if (row >= m) continue;
      const float srow = __half2float(sa[row]);
#pragma unroll
      for (int j = 0; j < kNTiles; ++j) {
        const int64_t col = n0 + warp_n * kWarpN + j * 8 + 2 * t;
        float v[2];
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int64_t c = col + e;
          const float scol = c < n ? __half2float(sb[sb_is_scalar ? 0 : c]) : 0.0f;
          const float scale = DequantScale(srow, scol);
          v[e] = __fmul_rn(static_cast<float>(acc[i][j][half * 2 + e]), scale);
          if (bias != nullptr && c < n) v[e] = __fadd_rn(v[e], __half2float(bias[c]));
        }
        if (pairs && col + 1 < n) {
          *reinterpret_cast<__half2*>(out + row * n + col) = __floats2half2_rn(v[0], v[1]);
        } else {
          if (col < n) out[row * n + col] = __float2half_rn(v[0]);
          if (col + 1 < n) out[row * n + col + 1] = __float2half_rn(v[1]);
        }
      }
    }
  }
}

// Any shape and alignment: one thread per output, plain loads. Only for shapes the tiled
// kernel cannot take (K not a multiple of 16, unaligned pointers).
__global__ void Int8MatmulNaiveKernel(const int8_t* __restrict__ a, const int8_t* __restrict__ b,
                                      int64_t m, int64_t n, int64_t k, const __half* __restrict__ sa,
                                      const __half* __restrict__ sb, bool sb_is_scalar,
                                      const __half* __restrict__ bias, __half* __restrict__ out) {
  const int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = blockIdx.y;
  if (col >= n) return;
  int acc = 0;
  for (int64_t p = 0; p < k; ++p) acc += int{a[row * k + p]} * int{b[col * k + p]};
  const float scale = DequantScale(__half2float(sa[row]), __half2float(sb[sb_is_scalar ? 0 : col]));
  float v = __fmul_rn(static_cast<float>(acc), scale);
  if (bias != nullptr) v = __fadd_rn(v, __half2float(bias[col]));
  out[row * n + col] = __float2half_rn(v);
}

}  // namespace

absl::Status Int8MatmulMma(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                           const __half* sa, const __half* sb, bool sb_is_scalar, const __half* bias,
                           __half* out, cudaStream_t stream, std::string* variant) {
  const bool tiled = k % 16 == 0 && (reinterpret_cast<uintptr_t>(a) & 15) == 0 &&
                     (reinterpret_cast<uintptr_t>(b) & 15) == 0 && (reinterpret_cast<uintptr_t>(out) & 3) == 0;
  if ((m + kBM - 1) / kBM > 65535) {
    return absl::InvalidArgumentError("Int8MatmulDequant: M too large for the grid");
  }
  if (tiled) {
    const dim3 grid(static_cast<unsigned>((n + kBN - 1) / kBN), static_cast<unsigned>((m + kBM - 1) / kBM));
    Int8MatmulMmaKernel<<<grid, kThreads, 0, stream>>>(a, b, m, n, k, sa, sb, sb_is_scalar, bias, out);
    SB_CUDA_CHECK_LAUNCH("Int8MatmulMmaKernel");
    if (variant) *variant = "mma_sync_s8_128x128x64_3stage";
    return absl::OkStatus();
  }
  if (m > 65535) return absl::InvalidArgumentError("Int8MatmulDequant: unaligned operands with M > 65535");
  const dim3 grid(static_cast<unsigned>((n + 127) / 128), static_cast<unsigned>(m));
  Int8MatmulNaiveKernel<<<grid, 128, 0, stream>>>(a, b, m, n, k, sa, sb, sb_is_scalar, bias, out);
  SB_CUDA_CHECK_LAUNCH("Int8MatmulNaiveKernel");
  if (variant) *variant = "naive_s8_any_shape";
  return absl::OkStatus();
}

}  // namespace switchback::cuda

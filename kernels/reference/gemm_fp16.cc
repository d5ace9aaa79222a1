#include "kernels/reference/gemm_fp16.h"

#include <immintrin.h>

#include <vector>

#include "kernels/reference/dot_tiles.h"

namespace switchback::ref {
namespace {

// Operands converted once to fp32 K-major panels (padded to a multiple of 8 with zeros),
// then fp32 fused multiply-adds: the same arithmetic as a tensor core's fp32 accumulation,
// in a different summation order.
struct Fp16Kernel {
  static constexpr int kRM = 4, kRN = 2;
  const float* a;
  const float* b;
  int64_t kp;
  Half* out;
  int64_t n;
  bool avx2;

  __attribute__((target("avx2,fma"))) void TileAvx2(int64_t i, int64_t j, int rm, int rn) const {
    __m256 acc[kRM][kRN];
    for (int r = 0; r < kRM; ++r)
      for (int c = 0; c < kRN; ++c) acc[r][c] = _mm256_setzero_ps();
    const float* ar[kRM];
    const float* bc[kRN];
    for (int r = 0; r < kRM; ++r) ar[r] = a + (i + std::min(r, rm - 1)) * kp;
    for (int c = 0; c < kRN; ++c) bc[c] = b + (j + std::min(c, rn - 1)) * kp;
    for (int64_t k = 0; k < kp; k += 8) {
      __m256 bv[kRN];
      for (int c = 0; c < kRN; ++c) bv[c] = _mm256_loadu_ps(bc[c] + k);
      for (int r = 0; r < kRM; ++r) {
        const __m256 av = _mm256_loadu_ps(ar[r] + k);
        for (int c = 0; c < kRN; ++c) acc[r][c] = _mm256_fmadd_ps(av, bv[c], acc[r][c]);
      }
    }
    for (int r = 0; r < rm; ++r) {
      for (int c = 0; c < rn; ++c) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc[r][c]), _mm256_extractf128_ps(acc[r][c], 1));
        s = _mm_hadd_ps(s, s);
        s = _mm_hadd_ps(s, s);
        out[(i + r) * n + j + c] = FloatToHalf(_mm_cvtss_f32(s));
      }
    }
  }

  void TilePortable(int64_t i, int64_t j, int rm, int rn) const {
    for (int r = 0; r < rm; ++r) {
      for (int c = 0; c < rn; ++c) {
        const float* x = a + (i + r) * kp;
        const float* y = b + (j + c) * kp;
        float s = 0;
        for (int64_t k = 0; k < kp; ++k) s += x[k] * y[k];
        out[(i + r) * n + j + c] = FloatToHalf(s);
      }
    }
  }

  void Tile(int64_t i, int64_t j, int rm, int rn) const {
    if (avx2) TileAvx2(i, j, rm, rn);
    else TilePortable(i, j, rm, rn);
  }
};

// rows x k panel of op(X), from X stored [rows, k] (kNo) or [k, rows] (kYes).
std::vector<float> Panel(const Half* x, bool stored_transposed, int64_t rows, int64_t k,
                         int64_t kp) {
  std::vector<float> out(static_cast<size_t>(rows * kp), 0.0f);
  if (!stored_transposed) {
    ParallelFor(rows, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        for (int64_t c = 0; c < k; ++c) out[r * kp + c] = HalfToFloat(x[r * k + c]);
    });
  } else {
    // Transposing read in blocks of 64 columns so both sides stay in cache.
    ParallelFor(rows, [&](int64_t b, int64_t e) {
      for (int64_t c0 = 0; c0 < k; c0 += 64) {
        const int64_t c1 = std::min(c0 + 64, k);
        for (int64_t r = b; r < e; ++r)
          for (int64_t c = c0; c < c1; ++c) out[r * kp + c] = HalfToFloat(x[c * rows + r]);
      }
    });
  }
  return out;
}

}  // namespace

void GemmFp16(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k, const Half* a,
              const Half* b, Half* c) {
  if (m <= 0 || n <= 0) return;
  const int64_t kp = (k + 7) / 8 * 8;
  // op(A) rows are A's rows when stored [M,K]; op(B)'s columns are B's rows when stored [N,K].
  const std::vector<float> a32 = Panel(a, ta == Transpose::kYes, m, k, kp);
  const std::vector<float> b32 = Panel(b, tb == Transpose::kNo, n, k, kp);
  const Fp16Kernel kernel{a32.data(), b32.data(), kp, c, n,
                          __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")};
  DotTiles(kernel, m, n, kp * 4);
}

}  // namespace switchback::ref

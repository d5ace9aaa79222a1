#include "kernels/reference/int8_matmul.h"

#include <immintrin.h>

#include <vector>

#include "kernels/ops.h"
#include "kernels/reference/dot_tiles.h"

namespace switchback::ref {
namespace {

// int8 rows widened to int16 (exact) and padded to a multiple of 16 so that one AVX2
// multiply-add (vpmaddwd) handles 16 products; the sums are exact in int32.
struct Int8Kernel {
  static constexpr int kRM = 4, kRN = 2;
  const int16_t* a;
  const int16_t* b;
  int64_t kp;
  const Half* sa;
  const Half* sb;
  bool sb_is_scalar;
  const Half* bias;
  Half* out;
  int64_t n;
  bool avx2;

  void Store(int64_t i, int64_t j, int32_t acc) const {
    const float scale =
        HalfToFloat(sa[i]) * HalfToFloat(sb[sb_is_scalar ? 0 : j]) / kInt8DequantDivisor;
    float v = static_cast<float>(acc) * scale;
    if (bias) v += HalfToFloat(bias[j]);
    out[i * n + j] = FloatToHalf(v);
  }

  __attribute__((target("avx2"))) void TileAvx2(int64_t i, int64_t j, int rm, int rn) const {
    __m256i acc[kRM][kRN];
    for (int r = 0; r < kRM; ++r)
      for (int c = 0; c < kRN; ++c) acc[r][c] = _mm256_setzero_si256();
    const int16_t* ar[kRM];
    const int16_t* bc[kRN];
    for (int r = 0; r < kRM; ++r) ar[r] = a + (i + std::min(r, rm - 1)) * kp;
    for (int c = 0; c < kRN; ++c) bc[c] = b + (j + std::min(c, rn - 1)) * kp;
    for (int64_t k = 0; k < kp; k += 16) {
      __m256i bv[kRN];
      for (int c = 0; c < kRN; ++c) bv[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bc[c] + k));
      for (int r = 0; r < kRM; ++r) {
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ar[r] + k));
        for (int c = 0; c < kRN; ++c) acc[r][c] = _mm256_add_epi32(acc[r][c], _mm256_madd_epi16(av, bv[c]));
      }
    }
    for (int r = 0; r < rm; ++r) {
      for (int c = 0; c < rn; ++c) {
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc[r][c]), _mm256_extracti128_si256(acc[r][c], 1));
        s = _mm_hadd_epi32(s, s);
        s = _mm_hadd_epi32(s, s);
        Store(i + r, j + c, _mm_cvtsi128_si32(s));
      }
    }
  }

  void TilePortable(int64_t i, int64_t j, int rm, int rn) const {
    for (int r = 0; r < rm; ++r) {
      for (int c = 0; c < rn; ++c) {
        const int16_t* x = a + (i + r) * kp;
        const int16_t* y = b + (j + c) * kp;
        int32_t s = 0;
        for (int64_t k = 0; k < kp; ++k) s += static_cast<int32_t>(x[k]) * y[k];
        Store(i + r, j + c, s);
      }
    }
  }

  void Tile(int64_t i, int64_t j, int rm, int rn) const {
    if (avx2) TileAvx2(i, j, rm, rn);
    else TilePortable(i, j, rm, rn);
  }
};

std::vector<int16_t> Widen(const int8_t* src, int64_t rows, int64_t k, int64_t kp) {
  std::vector<int16_t> out(static_cast<size_t>(rows * kp), 0);
  ParallelFor(rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      for (int64_t c = 0; c < k; ++c) out[r * kp + c] = src[r * k + c];
  });
  return out;
}

}  // namespace

void Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                       const Half* sa, const Half* sb, bool sb_is_scalar, const Half* bias,
                       Half* out) {
  if (m <= 0 || n <= 0) return;
  const int64_t kp = (k + 15) / 16 * 16;
  const std::vector<int16_t> a16 = Widen(a, m, k, kp), b16 = Widen(b, n, k, kp);
  const Int8Kernel kernel{a16.data(), b16.data(), kp, sa, sb, sb_is_scalar, bias, out, n,
                          static_cast<bool>(__builtin_cpu_supports("avx2"))};
  DotTiles(kernel, m, n, kp * 2);
}

}  // namespace switchback::ref

#include "kernels/reference/gemm_fp16.h"

#include <immintrin.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/reference/dot_tiles.h"
#include "kernels/reference/isa.h"
#include "kernels/reference/outer_tiles.h"

namespace switchback::ref {
namespace {

// ---- AVX2 and portable: K-major fp32 panels, dot products (kernels/reference/dot_tiles.h).

// Operands converted once to fp32 K-major panels (padded to a multiple of 8 with zeros),
// then fp32 fused multiply-adds: the same arithmetic as a tensor core's fp32 accumulation,
// in a different summation order.
struct Fp16DotKernel {
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
        // Eight partial sums (kp is a multiple of 8): a plain SSE2 build vectorizes these.
        float s[8] = {};
        for (int64_t k = 0; k < kp; k += 8) {
          for (int l = 0; l < 8; ++l) s[l] += x[k + l] * y[k + l];
        }
        out[(i + r) * n + j + c] = FloatToHalf(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
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
    ParallelFor(rows, k, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) HalfsToFloats(x + r * k, out.data() + r * kp, k);
    });
  } else {
    // Transposing read in blocks of 64 columns so both sides stay in cache.
    ParallelFor(rows, k, [&](int64_t b, int64_t e) {
      for (int64_t c0 = 0; c0 < k; c0 += 64) {
        const int64_t c1 = std::min(c0 + 64, k);
        for (int64_t r = b; r < e; ++r)
          for (int64_t c = c0; c < c1; ++c) out[r * kp + c] = HalfToFloat(x[c * rows + r]);
      }
    });
  }
  return out;
}

void GemmDot(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k, const Half* a,
             const Half* b, Half* c, bool avx2) {
  const int64_t kp = (k + 7) / 8 * 8;
  // op(A) rows are A's rows when stored [M,K]; op(B)'s columns are B's rows when stored [N,K].
  const std::vector<float> a32 = Panel(a, ta == Transpose::kYes, m, k, kp);
  const std::vector<float> b32 = Panel(b, tb == Transpose::kNo, n, k, kp);
  DotTiles(Fp16DotKernel{a32.data(), b32.data(), kp, c, n, avx2}, m, n, kp * 4);
}

// ---- AVX-512: packed tiles and panels, outer products (kernels/reference/outer_tiles.h).

// out[t][kk][w] = P[t*width + w][kk] for the logical matrix P [rows, k], zero beyond rows.
// P is stored [rows, k] (row_major) or [k, rows].
std::unique_ptr<float[]> PackTiles(const Half* x, bool row_major, int64_t rows, int64_t k,
                                   int width) {
  const int64_t tiles = (rows + width - 1) / width;
  auto out = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(tiles * k * width));
  float* o = out.get();
  ParallelFor(tiles, k * width, [&](int64_t t0, int64_t t1) {
    std::vector<float> row(static_cast<size_t>(row_major ? k : 0));
    for (int64_t t = t0; t < t1; ++t) {
      float* tile = o + t * k * width;
      const int64_t valid = std::min<int64_t>(width, rows - t * width);
      if (row_major) {
        for (int w = 0; w < width; ++w) {
          if (w < valid) {
            HalfsToFloats(x + (t * width + w) * k, row.data(), k);
            for (int64_t kk = 0; kk < k; ++kk) tile[kk * width + w] = row[kk];
          } else {
            for (int64_t kk = 0; kk < k; ++kk) tile[kk * width + w] = 0.0f;
          }
        }
      } else {
        for (int64_t kk = 0; kk < k; ++kk) {
          HalfsToFloats(x + kk * rows + t * width, tile + kk * width, valid);
          std::fill(tile + kk * width + valid, tile + (kk + 1) * width, 0.0f);
        }
      }
    }
  });
  return out;
}

struct Fp16OuterKernel {
  static constexpr int kMR = 12, kNR = 32;  // 24 zmm accumulators
  using Acc = float;
  const float* a;  // [tiles][k][kMR]
  const float* b;  // [panels][k][kNR]
  int64_t k, m, n;
  Half* out;

  __attribute__((target("avx512f,avx512bw,avx512vl"))) void Micro(
      int64_t tile, int64_t panel, int64_t k0, int64_t kc, Acc* acc, int64_t ld_acc,
      bool accumulate, bool final) const {
    const float* ap = a + (tile * k + k0) * kMR;
    const float* bp = b + (panel * k + k0) * kNR;
    __m512 c0[kMR], c1[kMR];
#pragma GCC unroll 12
    for (int r = 0; r < kMR; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
    for (int64_t q = 0; q < kc; ++q) {
      const __m512 b0 = _mm512_loadu_ps(bp + q * kNR), b1 = _mm512_loadu_ps(bp + q * kNR + 16);
#pragma GCC unroll 12
      for (int r = 0; r < kMR; ++r) {
        const __m512 av = _mm512_set1_ps(ap[q * kMR + r]);
        c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
        c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
      }
    }
    const int64_t i0 = tile * kMR, j0 = panel * kNR;
    if (accumulate) {
#pragma GCC unroll 12
      for (int r = 0; r < kMR; ++r) {
        const float* s = acc + r * ld_acc;
        c0[r] = _mm512_add_ps(c0[r], _mm512_loadu_ps(s));
        c1[r] = _mm512_add_ps(c1[r], _mm512_loadu_ps(s + 16));
      }
    }
    if (!final) {
#pragma GCC unroll 12
      for (int r = 0; r < kMR; ++r) {
        float* s = acc + r * ld_acc;
        _mm512_storeu_ps(s, c0[r]);
        _mm512_storeu_ps(s + 16, c1[r]);
      }
      return;
    }
    const int64_t rm = std::min<int64_t>(kMR, m - i0), rn = std::min<int64_t>(kNR, n - j0);
    const __mmask16 mask0 = rn >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << rn) - 1);
    const __mmask16 mask1 = rn >= 32 ? 0xFFFF : rn <= 16 ? 0 : static_cast<__mmask16>((1u << (rn - 16)) - 1);
#pragma GCC unroll 12
    for (int r = 0; r < kMR; ++r) {
      if (r < rm) {
        Half* o = out + (i0 + r) * n + j0;
        // vcvtps2ph with round-to-nearest-even: the same bits as FloatToHalf.
        _mm256_mask_storeu_epi16(o, mask0, _mm512_maskz_cvtps_ph(0xFFFF, c0[r], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm256_mask_storeu_epi16(o + 16, mask1, _mm512_maskz_cvtps_ph(0xFFFF, c1[r], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      }
    }
  }
};

void GemmOuter(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k, const Half* a,
               const Half* b, Half* c) {
  using K = Fp16OuterKernel;
  constexpr int64_t kSlice = 512;  // a panel's slice: 32 x 512 fp32 = 64 KiB
  // op(A) rows are A's rows when stored [M,K]; op(B)'s columns are B's rows when stored [N,K].
  const auto a32 = PackTiles(a, ta == Transpose::kNo, m, k, K::kMR);
  const auto b32 = PackTiles(b, tb == Transpose::kYes, n, k, K::kNR);
  OuterTiles(K{a32.get(), b32.get(), k, m, n, c}, m, n, k, kSlice, sizeof(float));
}

}  // namespace

void GemmFp16(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k, const Half* a,
              const Half* b, Half* c) {
  if (m <= 0 || n <= 0) return;
  switch (ActiveIsa()) {
    case Isa::kAvx512: GemmOuter(ta, tb, m, n, k, a, b, c); return;
    case Isa::kAvx2: GemmDot(ta, tb, m, n, k, a, b, c, /*avx2=*/true); return;
    case Isa::kPortable: GemmDot(ta, tb, m, n, k, a, b, c, /*avx2=*/false); return;
  }
}

}  // namespace switchback::ref

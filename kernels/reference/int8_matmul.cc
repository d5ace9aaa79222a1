#include "kernels/reference/int8_matmul.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/ops.h"
#include "kernels/reference/dot_tiles.h"
#include "kernels/reference/isa.h"
#include "kernels/reference/outer_tiles.h"

namespace switchback::ref {
namespace {

// The dequantization of kernels/ops.h, in this order, in fp32, without fused multiply-adds
// (the library is built with -ffp-contract=off): every path below computes exactly this.
inline float DequantScale(float sa, float sb) { return sa * sb / kInt8DequantDivisor; }

// ---- AVX2 and portable: K-major int16 panels, dot products (kernels/reference/dot_tiles.h).

// int8 rows widened to int16 (exact) and padded to a multiple of 16 so that one AVX2
// multiply-add (vpmaddwd) handles 16 products; the sums are exact in int32.
struct Int8DotKernel {
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
    float v = static_cast<float>(acc) * DequantScale(HalfToFloat(sa[i]), HalfToFloat(sb[sb_is_scalar ? 0 : j]));
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
  ParallelFor(rows, k, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      for (int64_t c = 0; c < k; ++c) out[r * kp + c] = src[r * k + c];
  });
  return out;
}

void MatmulDot(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k, const Half* sa,
               const Half* sb, bool sb_is_scalar, const Half* bias, Half* out, bool avx2) {
  const int64_t kp = (k + 15) / 16 * 16;
  const std::vector<int16_t> a16 = Widen(a, m, k, kp), b16 = Widen(b, n, k, kp);
  DotTiles(Int8DotKernel{a16.data(), b16.data(), kp, sa, sb, sb_is_scalar, bias, out, n, avx2}, m, n,
           kp * 2);
}

// ---- AVX-512 VNNI: packed tiles and panels, outer products (kernels/reference/outer_tiles.h).
//
// vpdpbusd multiplies unsigned by signed bytes, four products into each int32 lane. b is
// packed as b + 128 (unsigned), a stays signed, so the sum is acc + 128 * rowsum(a), taken
// off in the epilogue. All int32 arithmetic wraps (vpdpbusd does not saturate), so acc is
// exact whenever it fits in int32, as the other paths.

// out[t][q][w][0..3] = src[t*width + w][4q .. 4q+3] ^ flip, zero (before the flip) beyond the
// rows and beyond K. Depth in groups of 4 codes: k4 = ceil(K / 4).
std::unique_ptr<uint8_t[]> PackCodes(const int8_t* src, int64_t rows, int64_t k, int width,
                                     uint8_t flip, int32_t* row_sums) {
  const int64_t tiles = (rows + width - 1) / width, k4 = (k + 3) / 4;
  auto out = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(tiles * k4 * width * 4));
  uint8_t* o = out.get();
  ParallelFor(tiles, k4 * width * 4, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      uint8_t* tile = o + t * k4 * width * 4;
      for (int w = 0; w < width; ++w) {
        const int64_t r = t * width + w;
        uint8_t* dst = tile + w * 4;
        if (r >= rows) {
          for (int64_t q = 0; q < k4; ++q) std::memset(dst + q * width * 4, flip, 4);
          if (row_sums) row_sums[r] = 0;
          continue;
        }
        const int8_t* row = src + r * k;
        int32_t sum = 0;
        for (int64_t kk = 0; kk < k4 * 4; ++kk) {
          const int8_t v = kk < k ? row[kk] : 0;
          sum += v;
          dst[kk / 4 * width * 4 + kk % 4] = static_cast<uint8_t>(v) ^ flip;
        }
        if (row_sums) row_sums[r] = sum;
      }
    }
  });
  return out;
}

struct Int8OuterKernel {
  static constexpr int kMR = 12, kNR = 32;  // 24 zmm accumulators
  using Acc = int32_t;
  const uint8_t* a;         // [tiles][k4][kMR][4], signed codes
  const uint8_t* b;         // [panels][k4][kNR][4], codes + 128
  const int32_t* row_sums;  // [tiles * kMR]
  const float* sa;          // [tiles * kMR]
  const float* sb;          // [panels * kNR] (a scalar state repeated)
  const float* bias;        // [panels * kNR] or nullptr
  int64_t k4, m, n;
  Half* out;

  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void Micro(
      int64_t tile, int64_t panel, int64_t q0, int64_t qc, Acc* acc, int64_t ld_acc,
      bool accumulate, bool final) const {
    const uint8_t* ap = a + (tile * k4 + q0) * kMR * 4;
    const uint8_t* bp = b + (panel * k4 + q0) * kNR * 4;
    __m512i c0[kMR], c1[kMR];
#pragma GCC unroll 12
    for (int r = 0; r < kMR; ++r) c0[r] = c1[r] = _mm512_setzero_si512();
    for (int64_t q = 0; q < qc; ++q) {
      const __m512i b0 = _mm512_loadu_si512(bp + q * kNR * 4);
      const __m512i b1 = _mm512_loadu_si512(bp + q * kNR * 4 + 64);
#pragma GCC unroll 12
      for (int r = 0; r < kMR; ++r) {
        int32_t four;
        std::memcpy(&four, ap + (q * kMR + r) * 4, 4);
        const __m512i av = _mm512_set1_epi32(four);
        c0[r] = _mm512_dpbusd_epi32(c0[r], b0, av);
        c1[r] = _mm512_dpbusd_epi32(c1[r], b1, av);
      }
    }
    const int64_t i0 = tile * kMR, j0 = panel * kNR;
    if (accumulate) {
#pragma GCC unroll 12
      for (int r = 0; r < kMR; ++r) {
        const int32_t* s = acc + r * ld_acc;
        c0[r] = _mm512_add_epi32(c0[r], _mm512_loadu_si512(s));
        c1[r] = _mm512_add_epi32(c1[r], _mm512_loadu_si512(s + 16));
      }
    }
    if (!final) {
#pragma GCC unroll 12
      for (int r = 0; r < kMR; ++r) {
        int32_t* s = acc + r * ld_acc;
        _mm512_storeu_si512(s, c0[r]);
        _mm512_storeu_si512(s + 16, c1[r]);
      }
      return;
    }
    const int64_t rm = std::min<int64_t>(kMR, m - i0), rn = std::min<int64_t>(kNR, n - j0);
    const __mmask16 mask0 = rn >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << rn) - 1);
    const __mmask16 mask1 = rn >= 32 ? 0xFFFF : rn <= 16 ? 0 : static_cast<__mmask16>((1u << (rn - 16)) - 1);
    const __m512 sb0 = _mm512_loadu_ps(sb + j0), sb1 = _mm512_loadu_ps(sb + j0 + 16);
    const __m512 divisor = _mm512_set1_ps(kInt8DequantDivisor);
    const __m512 bias0 = bias ? _mm512_loadu_ps(bias + j0) : _mm512_setzero_ps();
    const __m512 bias1 = bias ? _mm512_loadu_ps(bias + j0 + 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
    for (int r = 0; r < kMR; ++r) {
      if (r < rm) {
        // 128 * row sum, wrapping like the accumulators.
        const __m512i offset = _mm512_set1_epi32(static_cast<int32_t>(static_cast<uint32_t>(row_sums[i0 + r]) << 7));
        const __m512 s = _mm512_set1_ps(sa[i0 + r]);
        // Same operations, same order as DequantScale and Int8DotKernel::Store.
        __m512 v0 = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_sub_epi32(c0[r], offset)),
                                  _mm512_div_ps(_mm512_mul_ps(s, sb0), divisor));
        __m512 v1 = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_sub_epi32(c1[r], offset)),
                                  _mm512_div_ps(_mm512_mul_ps(s, sb1), divisor));
        if (bias) {  // not +0: that would turn -0 into +0
          v0 = _mm512_add_ps(v0, bias0);
          v1 = _mm512_add_ps(v1, bias1);
        }
        Half* o = out + (i0 + r) * n + j0;
        _mm256_mask_storeu_epi16(o, mask0, _mm512_maskz_cvtps_ph(0xFFFF, v0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm256_mask_storeu_epi16(o + 16, mask1, _mm512_maskz_cvtps_ph(0xFFFF, v1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      }
    }
  }
};

// HalfToFloat of `count` states into [padded], zero beyond `count` (or all = v[0] when scalar).
std::vector<float> StatesToFloats(const Half* v, int64_t count, int64_t padded, bool scalar) {
  std::vector<float> out(static_cast<size_t>(padded), 0.0f);
  if (scalar) {
    std::fill(out.begin(), out.end(), HalfToFloat(v[0]));
  } else {
    HalfsToFloats(v, out.data(), count);
  }
  return out;
}

void MatmulOuter(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k, const Half* sa,
                 const Half* sb, bool sb_is_scalar, const Half* bias, Half* out) {
  using K = Int8OuterKernel;
  constexpr int64_t kSlice = 512;  // groups of 4 codes: a panel's slice is 32 x 2048 = 64 KiB
  const int64_t tiles = (m + K::kMR - 1) / K::kMR, panels = (n + K::kNR - 1) / K::kNR;
  const int64_t k4 = (k + 3) / 4;
  std::vector<int32_t> row_sums(static_cast<size_t>(tiles * K::kMR));
  const auto a8 = PackCodes(a, m, k, K::kMR, 0x00, row_sums.data());
  const auto b8 = PackCodes(b, n, k, K::kNR, 0x80, nullptr);
  const std::vector<float> saf = StatesToFloats(sa, m, tiles * K::kMR, false);
  const std::vector<float> sbf = StatesToFloats(sb, n, panels * K::kNR, sb_is_scalar);
  std::vector<float> biasf;
  if (bias) biasf = StatesToFloats(bias, n, panels * K::kNR, false);
  const K kernel{a8.get(),   b8.get(), row_sums.data(), saf.data(), sbf.data(),
                 bias ? biasf.data() : nullptr, k4, m, n, out};
  OuterTiles(kernel, m, n, k4, kSlice, 4);
}

}  // namespace

void Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                       const Half* sa, const Half* sb, bool sb_is_scalar, const Half* bias,
                       Half* out) {
  if (m <= 0 || n <= 0) return;
  switch (ActiveIsa()) {
    case Isa::kAvx512: MatmulOuter(a, b, m, n, k, sa, sb, sb_is_scalar, bias, out); return;
    case Isa::kAvx2: MatmulDot(a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, true); return;
    case Isa::kPortable: MatmulDot(a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, false); return;
  }
}

}  // namespace switchback::ref

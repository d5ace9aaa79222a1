// The division-free dequantization scale of kernels/dequant_scale.h (the GEMM epilogues)
// against kernels/ops.h's RN(RN(sa * sb) / 16129).
#include "kernels/dequant_scale.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>

#include "kernels/half.h"
#include "kernels/reference/parallel.h"

namespace switchback {
namespace {

float FromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

// Division by a constant scales exactly with the exponent while every intermediate stays
// normal, so every significand at a few exponents covers all normal x; the exponents at
// the ends of the fp16 product range are checked too.
TEST(DequantScale, EverySignificandMatchesIeeeDivision) {
  std::atomic<int64_t> mismatches{0};
  for (const int exponent : {-48, -20, -1, 0, 1, 20, 31, 32}) {
    ref::ParallelFor(int64_t{1} << 23, 64, [&](int64_t begin, int64_t end) {
      int64_t bad = 0;
      for (int64_t m = begin; m < end; ++m) {
        const float x = std::ldexp(FromBits(0x3F800000u | static_cast<uint32_t>(m)), exponent);
        const float want = x / kInt8DequantDivisor;
        const float got = DivideBy16129(x);
        if (got != want && ++bad <= 3) std::printf("x=%a: got %a want %a\n", x, got, want);
      }
      mismatches += bad;
    });
  }
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(DequantScale, EveryProductOfTwoFp16ScalesMatches) {
  // States are absmax values: non-negative fp16. Every pair, strided over sa to stay quick
  // (every sb against 1 in 7 sa values, plus sa at both ends of the range).
  std::atomic<int64_t> mismatches{0}, checked{0};
  ref::ParallelFor(0x7C00, ref::kThreadWork, [&](int64_t begin, int64_t end) {
    int64_t bad = 0, n = 0;
    for (int64_t ha = begin; ha < end; ++ha) {
      if (ha % 7 != 0 && ha > 16 && ha < 0x7BF0) continue;
      const float sa = HalfToFloat(Half{static_cast<uint16_t>(ha)});
      for (uint32_t hb = 0; hb < 0x7C00; ++hb) {
        const float sb = HalfToFloat(Half{static_cast<uint16_t>(hb)});
        const float want = sa * sb / kInt8DequantDivisor;
        bad += DequantScale(sa, sb) != want;
        ++n;
      }
    }
    mismatches += bad;
    checked += n;
  });
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(checked.load(), int64_t{140'000'000});
}

// The Hopper GEMMs' epilogue computes fp16(fma(RN(acc * RN(sa / 16129)), sb, bias))
// (kernels/cuda/sm90/int8_gemm_sm90_kernel.cuh), not the reference's
// fp16(RN(RN(acc * RN(RN(sa * sb) / 16129)) + bias)). The GEMM tests accept 1 fp16 ulp, or,
// where the bias cancels most of the product, 8 fp32 ulps of the product
// (tests/cuda/cuda_kernels_test.cc). That bound, on operands like the sweep's: accumulators
// of up to 16384 products of int8 codes, positive fp16 scales, fp16 biases.
TEST(DequantScale, ReorderedEpilogueStaysWithinTheGemmTestsBound) {
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> exponent(-14, 15);
  std::uniform_int_distribution<int> mantissa(0, 1023);
  std::uniform_int_distribution<int> sign(0, 1);
  std::uniform_int_distribution<int64_t> acc_range(-int64_t{127} * 127 * 16384, int64_t{127} * 127 * 16384);
  std::uniform_int_distribution<int> acc_small(-4096, 4096);
  auto fp16 = [&](bool positive) {
    const uint16_t bits = static_cast<uint16_t>(((exponent(rng) + 15) << 10) | mantissa(rng));
    return HalfToFloat(Half{static_cast<uint16_t>(bits | (!positive && sign(rng) ? 0x8000 : 0))});
  };
  int64_t outside_ulp = 0, outside_both = 0;
  for (int i = 0; i < 4'000'000; ++i) {
    const int64_t acc = (i % 2) ? acc_range(rng) : acc_small(rng);
    const float sa = fp16(true), sb = fp16(true), bias = fp16(false);
    const float acc_f = static_cast<float>(acc);
    const float product = acc_f * (sa * sb / kInt8DequantDivisor);
    const Half want = FloatToHalf(product + bias);
    const Half got = FloatToHalf(std::fma(acc_f * DivideBy16129(sa), sb, bias));
    if (!std::isfinite(HalfToFloat(want)) || !std::isfinite(HalfToFloat(got))) continue;  // fp16 overflow either way
    const int d = std::abs(int(got.bits & 0x7FFF) - int(want.bits & 0x7FFF));
    const bool same_sign = (got.bits & 0x8000) == (want.bits & 0x8000) || (want.bits & 0x7FFF) <= 1;
    if (d <= 1 && same_sign) continue;
    ++outside_ulp;
    const float bound = 8.0f * 0x1p-24f * std::fabs(HalfToFloat(FloatToHalf(product)));
    if (!(std::fabs(HalfToFloat(got) - HalfToFloat(want)) <= bound)) {
      if (++outside_both <= 3) std::printf("acc=%lld sa=%a sb=%a bias=%a: got %a want %a\n", static_cast<long long>(acc), sa, sb, bias, HalfToFloat(got), HalfToFloat(want));
    }
  }
  EXPECT_EQ(outside_both, 0);
  std::printf("outside 1 fp16 ulp (inside the product bound): %lld of 4000000\n", static_cast<long long>(outside_ulp));
}

}  // namespace
}  // namespace switchback

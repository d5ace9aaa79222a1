// The division-free dequantization scale of kernels/dequant_scale.h (the GEMM epilogues)
// against kernels/ops.h's RN(RN(sa * sb) / 16129).
#include "kernels/dequant_scale.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

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
    ref::ParallelFor(int64_t{1} << 23, [&](int64_t begin, int64_t end) {
      int64_t bad = 0;
      for (int64_t m = begin; m < end; ++m) {
        const float x = std::ldexp(FromBits(0x3F800000u | static_cast<uint32_t>(m)), exponent);
        const float want = x / kInt8DequantDivisor;
        const float got = DivideBy16129(x);
        if (got != want && ++bad <= 3) std::printf("x=%a: got %a want %a\n", x, got, want);
      }
      mismatches += bad;
    }, 1 << 16);
  }
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(DequantScale, EveryProductOfTwoFp16ScalesMatches) {
  // States are absmax values: non-negative fp16. Every pair, strided over sa to stay quick
  // (every sb against 1 in 7 sa values, plus sa at both ends of the range).
  std::atomic<int64_t> mismatches{0}, checked{0};
  ref::ParallelFor(0x7C00, [&](int64_t begin, int64_t end) {
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
  }, 256);
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(checked.load(), int64_t{140'000'000});
}

}  // namespace
}  // namespace switchback

// The division-free code of kernels/quantize_code.h (used by every CUDA quantizer) against
// kernels/ops.h's formula, for every pair of finite fp16 values with |v| <= absmax.
#include "kernels/quantize_code.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>

#include "kernels/half.h"
#include "kernels/reference/parallel.h"

namespace switchback {
namespace {

int8_t CodeByDivision(float v, float absmax) {
  if (absmax == 0.0f) return 0;
  return static_cast<int8_t>(std::nearbyint(127.0f * (v / absmax)));
}

TEST(QuantizeCode, ExhaustiveCodeMatchesIeeeDivision) {
  // Positive v only: both formulas are odd in v (round half to even is symmetric).
  std::atomic<int64_t> checked{0}, mismatches{0};
  ref::ParallelFor(0x7C00, ref::kThreadWork, [&](int64_t begin, int64_t end) {
    int64_t local_checked = 0, local_bad = 0;
    for (int64_t hd = begin; hd < end; ++hd) {
      const float absmax = HalfToFloat(Half{static_cast<uint16_t>(hd)});
      const Divisor d = MakeDivisor(absmax);
      for (int64_t hv = 0; hv <= hd; ++hv) {
        const float v = HalfToFloat(Half{static_cast<uint16_t>(hv)});
        const int8_t want = CodeByDivision(v, absmax);
        const int8_t got = CodeOf(v, d);
        local_bad += got != want;
        if (got != want && local_bad <= 3) {
          std::printf("v=%a absmax=%a: got %d want %d\n", v, absmax, got, want);
        }
        local_checked += 1;
      }
    }
    checked += local_checked;
    mismatches += local_bad;
  });
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(checked.load(), int64_t{0x7C00} * 0x7C01 / 2);  // every pair, zero absmax included
}

TEST(QuantizeCode, ZeroAbsmaxGivesZeroAndSignsAreKept) {
  EXPECT_EQ(CodeOf(0.0f, MakeDivisor(0.0f)), 0);
  const Divisor d = MakeDivisor(2.0f);
  EXPECT_EQ(CodeOf(2.0f, d), 127);
  EXPECT_EQ(CodeOf(-2.0f, d), -127);
  EXPECT_EQ(CodeOf(1.0f, d), 64);   // 63.5 rounds to even
  EXPECT_EQ(CodeOf(-1.0f, d), -64);
}

}  // namespace
}  // namespace switchback

#include "kernels/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace switchback {
namespace {

// Exact value of a half from its bits, computed independently of HalfToFloat.
double Exact(uint16_t bits) {
  const int sign = bits >> 15 ? -1 : 1;
  const int exp = (bits >> 10) & 0x1F;
  const int mant = bits & 0x3FF;
  if (exp == 0) return sign * std::ldexp(mant, -24);
  if (exp == 31) return mant ? std::nan("") : sign * std::numeric_limits<double>::infinity();
  return sign * std::ldexp(1024 + mant, exp - 25);
}

TEST(HalfTest, EveryBitPatternConvertsExactlyAndRoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = HalfToFloat(Half{static_cast<uint16_t>(b)});
    const double want = Exact(static_cast<uint16_t>(b));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(f)) << b;
      EXPECT_EQ(FloatToHalf(f).bits & 0x7C00, 0x7C00) << b;
      continue;
    }
    ASSERT_EQ(static_cast<double>(f), want) << b;
    ASSERT_EQ(FloatToHalf(f).bits, b) << b;
  }
}

TEST(HalfTest, RoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even mantissa (1.0).
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)).bits, 0x3C00);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): rounds up.
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)).bits, 0x3C02);
  // Just above the tie rounds up.
  EXPECT_EQ(FloatToHalf(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)).bits, 0x3C01);
  // Largest half, overflow to inf at the rounding boundary 65520.
  EXPECT_EQ(FloatToHalf(65504.0f).bits, 0x7BFF);
  EXPECT_EQ(FloatToHalf(65519.0f).bits, 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f).bits, 0x7C00);
  EXPECT_EQ(FloatToHalf(-1e9f).bits, 0xFC00);
  // Subnormals: the smallest, a tie between 0 and it, and a tie up to an even subnormal.
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)).bits, 0x0001);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)).bits, 0x0000);
  EXPECT_EQ(FloatToHalf(3 * std::ldexp(1.0f, -25)).bits, 0x0002);
  EXPECT_EQ(FloatToHalf(-0.0f).bits, 0x8000);
}

TEST(HalfTest, FloatsBetweenHalvesRoundToTheNearer) {
  // Sweep floats across the whole half range and check against the exact neighbours.
  for (float f = 1e-8f; f < 70000.0f; f *= 1.0007f) {
    const Half h = FloatToHalf(f);
    if ((h.bits & 0x7C00) == 0x7C00) {
      EXPECT_GE(f, 65520.0f);
      continue;
    }
    const double got = Exact(h.bits);
    const double below = Exact(h.bits == 0 ? 0 : h.bits - 1), above = Exact(h.bits + 1);
    EXPECT_LE(std::fabs(got - f), std::fabs(below - f)) << f;
    EXPECT_LE(std::fabs(got - f), std::fabs(above - f)) << f;
  }
}

}  // namespace
}  // namespace switchback

#include "kernels/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "tests/reference/isa_param.h"

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

// Every midpoint between two neighbouring finite halves (exact in fp32) goes to the one
// with the even mantissa; one fp32 step either side goes to the nearer one.
TEST(HalfTest, EveryMidpointTiesToEven) {
  for (uint32_t h = 0; h < 0x7BFF; ++h) {
    const float lo = static_cast<float>(Exact(static_cast<uint16_t>(h)));
    const float hi = static_cast<float>(Exact(static_cast<uint16_t>(h + 1)));
    const float mid = static_cast<float>((static_cast<double>(lo) + hi) / 2);
    ASSERT_EQ(static_cast<double>(mid), (static_cast<double>(lo) + hi) / 2) << h;  // exact
    const uint16_t even = static_cast<uint16_t>((h & 1) ? h + 1 : h);
    for (const uint16_t sign : {uint16_t{0}, uint16_t{0x8000}}) {
      const float s = sign ? -1.0f : 1.0f;
      ASSERT_EQ(FloatToHalf(s * mid).bits, sign | even) << h;
      ASSERT_EQ(FloatToHalf(s * std::nextafter(mid, 0.0f)).bits, sign | h) << h;
      ASSERT_EQ(FloatToHalf(s * std::nextafter(mid, 1e30f)).bits, sign | (h + 1)) << h;
    }
  }
  // Between 65504 and the next (missing) step 65536 the midpoint 65520 rounds to infinity.
  EXPECT_EQ(FloatToHalf(std::nextafter(65520.0f, 0.0f)).bits, 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f).bits, 0x7C00);
}

// A model written without bit tricks: the value of x rounded to the half grid (quantum
// 2^-24 below 2^-14, else 2^(floor(log2 x) - 10)) with ties to even, in double.
double RoundToHalfGrid(double x) {
  const double ax = std::fabs(x);
  if (ax >= 65520.0) return std::copysign(std::numeric_limits<double>::infinity(), x);
  const int e = ax < std::ldexp(1.0, -14) ? -14 : std::ilogb(ax);
  const double quantum = std::ldexp(1.0, e - 10);
  return std::copysign(std::nearbyint(ax / quantum) * quantum, x);  // ax / quantum is exact
}

TEST(HalfTest, FloatBitPatternsMatchAnIndependentModel) {
  // Every 997th positive finite float bit pattern (2.1 million), both signs.
  for (uint64_t bits = 0; bits < 0x7F800000u; bits += 997) {
    float f;
    const uint32_t b32 = static_cast<uint32_t>(bits);
    std::memcpy(&f, &b32, sizeof(f));
    for (const float x : {f, -f}) {
      const Half h = FloatToHalf(x);
      const double want = RoundToHalfGrid(x);
      ASSERT_EQ(static_cast<double>(HalfToFloat(h)), want) << x;
      ASSERT_EQ((h.bits & 0x8000) != 0, std::signbit(x)) << x;  // zeros keep their sign
    }
  }
}

TEST(HalfTest, NanAndInfinity) {
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::infinity()).bits, 0x7C00);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::infinity()).bits, 0xFC00);
  const Half nan = FloatToHalf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan.bits & 0x7C00, 0x7C00);
  EXPECT_NE(nan.bits & 0x3FF, 0);  // stays a NaN, not infinity
  // A float NaN whose payload lives only in the low 13 bits must not become infinity.
  const uint32_t low_payload = 0x7F800001u;
  float f;
  std::memcpy(&f, &low_payload, sizeof(f));
  EXPECT_NE(FloatToHalf(f).bits & 0x3FF, 0);
  EXPECT_TRUE(std::isinf(HalfToFloat(Half{0x7C00})));
  EXPECT_TRUE(std::isnan(HalfToFloat(Half{0x7C01})));
  EXPECT_TRUE(std::isnan(HalfToFloat(Half{0xFE00})));
}

using ref::Isa;
using ref::IsaParamName;
using ref::kAllIsas;

class HalfsToFloatsTest : public ::testing::TestWithParam<Isa> {};

TEST_P(HalfsToFloatsTest, MatchesHalfToFloatOnEveryBitPattern) {
  SWITCHBACK_USE_ISA(GetParam());
  std::vector<Half> all(65536 + 5);  // odd length: the vector loop's tail runs too
  for (uint32_t b = 0; b < all.size(); ++b) all[b].bits = static_cast<uint16_t>(b);
  std::vector<float> got(all.size());
  ref::HalfsToFloats(all.data(), got.data(), static_cast<int64_t>(all.size()));
  for (uint32_t b = 0; b < all.size(); ++b) {
    const float want = HalfToFloat(all[b]);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got[b])) << b;
    } else {
      uint32_t gb, wb;
      std::memcpy(&gb, &got[b], 4);
      std::memcpy(&wb, &want, 4);
      ASSERT_EQ(gb, wb) << b;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, HalfsToFloatsTest, kAllIsas,
                         [](const auto& info) { return IsaParamName(info.param); });

}  // namespace
}  // namespace switchback

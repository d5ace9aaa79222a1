#include "kernels/reference/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace switchback::ref {
namespace {

std::vector<Half> Random(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<Half> v(n);
  for (auto& h : v) h = FloatToHalf(d(rng));
  return v;
}

// The model of kernels/ops.h, written out naively: the absmax is found in double over the
// exact inputs, the quotient is taken in fp32 as specified, and the rounding to the nearest
// integer, ties to even, is done by hand (not with the library's nearbyint).
int8_t Model(double v, double absmax) {
  if (absmax == 0) return 0;
  const float q = static_cast<float>(v) / static_cast<float>(absmax);
  const float scaled = 127.0f * q;
  const double lower = std::floor(static_cast<double>(scaled));
  const double frac = static_cast<double>(scaled) - lower;
  const double r = frac > 0.5   ? lower + 1
                   : frac < 0.5 ? lower
                                : (std::fmod(lower, 2.0) == 0 ? lower : lower + 1);
  // The fp32 quotient differs from the exact one by far less than one code.
  EXPECT_LE(std::fabs(r - 127.0 * v / absmax), 0.5 + 1e-5) << v << " / " << absmax;
  return static_cast<int8_t>(r);
}

double Abs(Half h) { return std::fabs(static_cast<double>(HalfToFloat(h))); }

struct Shape {
  int64_t rows, cols;
};

// Normal values with a zero row (1) and a zero column (2) where the shape has room.
std::vector<Half> Input(Shape s, uint32_t seed, float scale = 1.0f) {
  std::vector<Half> x = Random(s.rows * s.cols, seed, scale);
  if (s.rows > 2) {
    for (int64_t c = 0; c < s.cols; ++c) x[1 * s.cols + c] = Half{0};
  }
  if (s.cols > 3) {
    for (int64_t r = 0; r < s.rows; ++r) x[r * s.cols + 2] = Half{static_cast<uint16_t>(r % 2 ? 0x8000 : 0)};
  }
  return x;
}

class QuantizeShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(QuantizeShapes, RowwiseMatchesTheModel) {
  const auto [rows, cols] = GetParam();
  const std::vector<Half> x = Input(GetParam(), 1);
  std::vector<int8_t> codes(rows * cols, 99);
  std::vector<Half> state(rows, Half{0x7E00});
  QuantizeRowwise(x.data(), rows, cols, codes.data(), state.data());
  for (int64_t r = 0; r < rows; ++r) {
    double absmax = 0;
    for (int64_t c = 0; c < cols; ++c) absmax = std::max(absmax, Abs(x[r * cols + c]));
    ASSERT_EQ(HalfToFloat(state[r]), absmax) << r;
    ASSERT_EQ(state[r].bits >> 15, 0) << r;
    for (int64_t c = 0; c < cols; ++c) {
      ASSERT_EQ(codes[r * cols + c], Model(HalfToFloat(x[r * cols + c]), absmax)) << r << "," << c;
    }
  }
}

TEST_P(QuantizeShapes, ColwiseTransposeMatchesTheModel) {
  const auto [rows, cols] = GetParam();
  const std::vector<Half> w = Input(GetParam(), 2);
  std::vector<int8_t> codes(rows * cols, 99);
  std::vector<Half> state(cols, Half{0x7E00});
  QuantizeColwiseTranspose(w.data(), rows, cols, codes.data(), state.data());
  for (int64_t c = 0; c < cols; ++c) {
    double absmax = 0;
    for (int64_t r = 0; r < rows; ++r) absmax = std::max(absmax, Abs(w[r * cols + c]));
    ASSERT_EQ(HalfToFloat(state[c]), absmax) << c;
    ASSERT_EQ(state[c].bits >> 15, 0) << c;
    for (int64_t r = 0; r < rows; ++r) {
      ASSERT_EQ(codes[c * rows + r], Model(HalfToFloat(w[r * cols + c]), absmax)) << r << "," << c;
    }
  }
}

TEST_P(QuantizeShapes, GlobalAndGlobalTransposeMatchTheModel) {
  const auto [rows, cols] = GetParam();
  const std::vector<Half> w = Input(GetParam(), 3, 3.0f);
  std::vector<int8_t> codes(rows * cols, 99), codes_t(rows * cols, 99);
  Half state{0x7E00}, state_t{0x7E00};
  QuantizeGlobal(w.data(), rows, cols, codes.data(), &state);
  QuantizeGlobalTranspose(w.data(), rows, cols, codes_t.data(), &state_t);
  double absmax = 0;
  for (Half h : w) absmax = std::max(absmax, Abs(h));
  EXPECT_EQ(HalfToFloat(state), absmax);
  EXPECT_EQ(state.bits, state_t.bits);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int8_t want = Model(HalfToFloat(w[r * cols + c]), absmax);
      ASSERT_EQ(codes[r * cols + c], want) << r << "," << c;
      ASSERT_EQ(codes_t[c * rows + r], want) << r << "," << c;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OddShapes, QuantizeShapes,
                         ::testing::Values(Shape{1, 1}, Shape{2, 3}, Shape{3, 5}, Shape{7, 33},
                                           Shape{13, 16}, Shape{64, 17}, Shape{1000, 1337},
                                           Shape{1, 4096}, Shape{300, 1}, Shape{4097, 3}),
                         [](const auto& info) {
                           return std::to_string(info.param.rows) + "x" + std::to_string(info.param.cols);
                         });

// Values v = odd multiples of `unit` with absmax 254 * unit: 127 * v / absmax is exactly
// (odd) / 2 in fp32, a tie; the code must be the even neighbour. unit 2^-20 puts most of
// the inputs among fp16 subnormals.
class QuantizeTies : public ::testing::TestWithParam<int> {};

TEST_P(QuantizeTies, AllFourQuantizersRoundHalfToEven) {
  const float unit = std::ldexp(1.0f, GetParam());
  std::vector<float> values = {254.0f};  // the absmax of the row/column/tensor
  for (int odd = -253; odd <= 253; odd += 2) values.push_back(static_cast<float>(odd));
  const int64_t n = static_cast<int64_t>(values.size());
  std::vector<Half> x(n);
  std::vector<int8_t> want(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = FloatToHalf(values[i] * unit);
    ASSERT_EQ(HalfToFloat(x[i]), values[i] * unit) << i;  // exact in fp16
    const float scaled = 127.0f * (HalfToFloat(x[i]) / (254.0f * unit));
    if (i > 0) {
      ASSERT_EQ(scaled, values[i] / 2) << "not a tie: " << values[i];  // the precondition
    }
    const int half_down = static_cast<int>(std::floor(values[i] / 2));
    want[i] = i == 0 ? 127 : static_cast<int8_t>(half_down % 2 == 0 ? half_down : half_down + 1);
  }
  EXPECT_EQ(want[1], -126);  // -126.5 -> -126
  EXPECT_EQ(want[2], -126);  // -125.5 -> -126
  EXPECT_EQ(want[n - 1], 126);  // 126.5 -> 126

  std::vector<int8_t> codes(n);
  std::vector<Half> state(n);
  QuantizeRowwise(x.data(), 1, n, codes.data(), state.data());  // one row
  EXPECT_EQ(codes, want);
  EXPECT_EQ(HalfToFloat(state[0]), 254.0f * unit);
  QuantizeColwiseTranspose(x.data(), n, 1, codes.data(), state.data());  // one column
  EXPECT_EQ(codes, want);
  EXPECT_EQ(HalfToFloat(state[0]), 254.0f * unit);
  QuantizeGlobal(x.data(), 1, n, codes.data(), state.data());
  EXPECT_EQ(codes, want);
  QuantizeGlobalTranspose(x.data(), 1, n, codes.data(), state.data());
  EXPECT_EQ(codes, want);
  EXPECT_EQ(HalfToFloat(state[0]), 254.0f * unit);
}

INSTANTIATE_TEST_SUITE_P(Scales, QuantizeTies, ::testing::Values(0, -20, 6),
                         [](const auto& info) {
                           return "unit_2pow" + std::string(info.param < 0 ? "m" : "") +
                                  std::to_string(std::abs(info.param));
                         });

TEST(QuantizeTest, RoundingTiesGoToEven) {
  // absmax 127: 127 * v / 127 = v exactly, so v = k + 0.5 is a tie.
  const std::vector<float> values = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f};
  const std::vector<int8_t> want = {127, 0, 2, 2, 0, -2, -2, 126};
  std::vector<Half> x;
  for (float v : values) x.push_back(FloatToHalf(v));
  std::vector<int8_t> codes(x.size());
  Half state;
  QuantizeRowwise(x.data(), 1, static_cast<int64_t>(x.size()), codes.data(), &state);
  EXPECT_EQ(codes, want);
  EXPECT_EQ(HalfToFloat(state), 127.0f);
}

TEST(QuantizeTest, AllZeroGivesZeroCodesAndState) {
  std::vector<Half> x(12, Half{0});
  x[5] = Half{0x8000};  // -0
  std::vector<int8_t> codes(12, 99);
  Half state{0x1234};
  QuantizeGlobal(x.data(), 3, 4, codes.data(), &state);
  EXPECT_EQ(state.bits, 0);
  for (int8_t c : codes) EXPECT_EQ(c, 0);
  std::fill(codes.begin(), codes.end(), 99);
  state = Half{0x1234};
  QuantizeGlobalTranspose(x.data(), 3, 4, codes.data(), &state);
  EXPECT_EQ(state.bits, 0);
  for (int8_t c : codes) EXPECT_EQ(c, 0);
  std::vector<Half> states(4, Half{0x1234});
  std::fill(codes.begin(), codes.end(), 99);
  QuantizeColwiseTranspose(x.data(), 3, 4, codes.data(), states.data());
  for (Half s : states) EXPECT_EQ(s.bits, 0);
  for (int8_t c : codes) EXPECT_EQ(c, 0);
  states.assign(3, Half{0x1234});
  std::fill(codes.begin(), codes.end(), 99);
  QuantizeRowwise(x.data(), 3, 4, codes.data(), states.data());
  for (Half s : states) EXPECT_EQ(s.bits, 0);
  for (int8_t c : codes) EXPECT_EQ(c, 0);
}

TEST(QuantizeTest, ZeroColumnAmongOthers) {
  // w [2, 3]: column 1 is zero (one -0), the others are not.
  const std::vector<Half> w = {FloatToHalf(1.0f), Half{0}, FloatToHalf(-4.0f),
                               FloatToHalf(-2.0f), Half{0x8000}, FloatToHalf(3.0f)};
  std::vector<int8_t> codes_t(6, 99);
  std::vector<Half> state(3, Half{0x7E00});
  QuantizeColwiseTranspose(w.data(), 2, 3, codes_t.data(), state.data());
  EXPECT_EQ(HalfToFloat(state[0]), 2.0f);
  EXPECT_EQ(state[1].bits, 0);
  EXPECT_EQ(HalfToFloat(state[2]), 4.0f);
  // codes_t [3, 2]: column c of w is row c.
  EXPECT_EQ(codes_t, (std::vector<int8_t>{64, -127, 0, 0, -127, 95}));  // 63.5 -> 64; 95.25 -> 95
}

TEST(QuantizeTest, AllNegativeGroup) {
  const std::vector<Half> x = {FloatToHalf(-3.0f), FloatToHalf(-1.0f), FloatToHalf(-2.0f)};
  std::vector<int8_t> codes(3);
  Half state;
  QuantizeRowwise(x.data(), 1, 3, codes.data(), &state);
  EXPECT_EQ(HalfToFloat(state), 3.0f);                             // absmax is positive
  EXPECT_EQ(codes, (std::vector<int8_t>{-127, -42, -85}));  // -42.33, -84.67
}

TEST(QuantizeTest, ExtremesAndSubnormals) {
  std::vector<Half> x = {FloatToHalf(65504.0f), FloatToHalf(-65504.0f), Half{0x0001},
                         FloatToHalf(32752.0f)};
  std::vector<int8_t> codes(4);
  Half state;
  QuantizeRowwise(x.data(), 1, 4, codes.data(), &state);
  EXPECT_EQ(HalfToFloat(state), 65504.0f);
  EXPECT_EQ(codes, (std::vector<int8_t>{127, -127, 0, 64}));  // 63.5 ties to even: 64
  // A row of only subnormals: absmax is the largest subnormal, codes span the full range.
  std::vector<Half> sub = {Half{0x0002}, Half{0x8001}, Half{0x0000}};
  QuantizeRowwise(sub.data(), 1, 3, codes.data(), &state);
  EXPECT_EQ(state.bits, 0x0002);
  EXPECT_EQ(codes[0], 127);
  EXPECT_EQ(codes[1], -64);  // -63.5 ties to even
  EXPECT_EQ(codes[2], 0);
  // The largest and the smallest magnitudes in one tensor: the subnormal's code is 0.
  std::vector<Half> wide = {Half{0x0001}, FloatToHalf(-65504.0f), Half{0x83FF}, FloatToHalf(1.0f)};
  std::vector<int8_t> codes_t(4);
  QuantizeGlobalTranspose(wide.data(), 2, 2, codes_t.data(), &state);
  EXPECT_EQ(HalfToFloat(state), 65504.0f);
  EXPECT_EQ(codes_t, (std::vector<int8_t>{0, 0, -127, 0}));
}

}  // namespace
}  // namespace switchback::ref

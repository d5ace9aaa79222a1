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
// exact inputs, then the code is round_half_even(127 * (v / absmax)) in fp32 as specified.
int8_t Model(double v, double absmax) {
  if (absmax == 0) return 0;
  const float q = static_cast<float>(v) / static_cast<float>(absmax);
  const float scaled = 127.0f * q;
  const double lower = std::floor(static_cast<double>(scaled));
  const double frac = static_cast<double>(scaled) - lower;
  double r = frac > 0.5 ? lower + 1 : frac < 0.5 ? lower : (std::fmod(lower, 2.0) == 0 ? lower : lower + 1);
  return static_cast<int8_t>(r);
}

struct Shape {
  int64_t rows, cols;
};

class QuantizeShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(QuantizeShapes, RowwiseMatchesTheModel) {
  const auto [rows, cols] = GetParam();
  std::vector<Half> x = Random(rows * cols, 1);
  if (rows > 2) {
    for (int64_t c = 0; c < cols; ++c) x[1 * cols + c] = Half{0};  // a zero row
  }
  std::vector<int8_t> codes(rows * cols);
  std::vector<Half> state(rows);
  QuantizeRowwise(x.data(), rows, cols, codes.data(), state.data());
  for (int64_t r = 0; r < rows; ++r) {
    double absmax = 0;
    for (int64_t c = 0; c < cols; ++c) absmax = std::max(absmax, std::fabs((double)HalfToFloat(x[r * cols + c])));
    ASSERT_EQ(HalfToFloat(state[r]), absmax) << r;
    for (int64_t c = 0; c < cols; ++c) {
      ASSERT_EQ(codes[r * cols + c], Model(HalfToFloat(x[r * cols + c]), absmax)) << r << "," << c;
    }
  }
}

TEST_P(QuantizeShapes, ColwiseTransposeMatchesTheModel) {
  const auto [rows, cols] = GetParam();
  std::vector<Half> w = Random(rows * cols, 2);
  std::vector<int8_t> codes(rows * cols);
  std::vector<Half> state(cols);
  QuantizeColwiseTranspose(w.data(), rows, cols, codes.data(), state.data());
  for (int64_t c = 0; c < cols; ++c) {
    double absmax = 0;
    for (int64_t r = 0; r < rows; ++r) absmax = std::max(absmax, std::fabs((double)HalfToFloat(w[r * cols + c])));
    ASSERT_EQ(HalfToFloat(state[c]), absmax);
    for (int64_t r = 0; r < rows; ++r) {
      ASSERT_EQ(codes[c * rows + r], Model(HalfToFloat(w[r * cols + c]), absmax)) << r << "," << c;
    }
  }
}

TEST_P(QuantizeShapes, GlobalAndGlobalTransposeMatchTheModel) {
  const auto [rows, cols] = GetParam();
  std::vector<Half> w = Random(rows * cols, 3, 3.0f);
  std::vector<int8_t> codes(rows * cols), codes_t(rows * cols);
  Half state, state_t;
  QuantizeGlobal(w.data(), rows, cols, codes.data(), &state);
  QuantizeGlobalTranspose(w.data(), rows, cols, codes_t.data(), &state_t);
  double absmax = 0;
  for (Half h : w) absmax = std::max(absmax, std::fabs((double)HalfToFloat(h)));
  EXPECT_EQ(HalfToFloat(state), absmax);
  EXPECT_EQ(state.bits, state_t.bits);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int8_t want = Model(HalfToFloat(w[r * cols + c]), absmax);
      ASSERT_EQ(codes[r * cols + c], want);
      ASSERT_EQ(codes_t[c * rows + r], want);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OddShapes, QuantizeShapes,
                         ::testing::Values(Shape{1, 1}, Shape{3, 5}, Shape{7, 33}, Shape{64, 17},
                                           Shape{1000, 1337}, Shape{1, 4096}, Shape{300, 1}));

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
  std::vector<Half> states(4, Half{0x1234});
  QuantizeColwiseTranspose(x.data(), 3, 4, codes.data(), states.data());
  for (Half s : states) EXPECT_EQ(s.bits, 0);
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
}

}  // namespace
}  // namespace switchback::ref

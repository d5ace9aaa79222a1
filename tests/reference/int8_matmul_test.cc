#include "kernels/reference/int8_matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace switchback::ref {
namespace {

struct Shape {
  int64_t m, n, k;
};

class Int8MatmulTest : public ::testing::TestWithParam<std::tuple<Shape, bool, bool>> {};

TEST_P(Int8MatmulTest, MatchesNaiveDouble) {
  const auto [shape, scalar, with_bias] = GetParam();
  const auto [m, n, k] = shape;
  std::mt19937 rng(static_cast<uint32_t>(m * 131 + n * 7 + k));
  std::uniform_int_distribution<int> code(-127, 127);
  std::normal_distribution<float> norm(0.0f, 1.0f);
  std::vector<int8_t> a(m * k), b(n * k);
  for (auto& v : a) v = static_cast<int8_t>(code(rng));
  for (auto& v : b) v = static_cast<int8_t>(code(rng));
  std::vector<Half> sa(m), sb(scalar ? 1 : n), bias(n);
  for (auto& v : sa) v = FloatToHalf(std::fabs(norm(rng)) * 3);
  for (auto& v : sb) v = FloatToHalf(std::fabs(norm(rng)) * 3);
  for (auto& v : bias) v = FloatToHalf(norm(rng));
  std::vector<Half> out(m * n, Half{0x7E00});  // poison: NaN
  Int8MatmulDequant(a.data(), b.data(), m, n, k, sa.data(), sb.data(), scalar,
                    with_bias ? bias.data() : nullptr, out.data());
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += int64_t{a[i * k + p]} * b[j * k + p];
      const double product = static_cast<double>(acc) * HalfToFloat(sa[i]) * HalfToFloat(sb[scalar ? 0 : j]) / 16129.0;
      const double b_term = with_bias ? HalfToFloat(bias[j]) : 0.0;
      const double want = product + b_term;
      const double got = HalfToFloat(out[i * n + j]);
      // fp32 dequantization then one fp16 rounding: within a half-ulp of fp16 plus fp32 slack.
      const double ulp = std::ldexp(1.0, std::max(-24, static_cast<int>(std::floor(std::log2(std::fabs(want) + 1e-30))) - 10));
      // fp32 rounding of the terms before the sum may surface when the bias cancels them.
      ASSERT_LE(std::fabs(got - want), 0.5 * ulp + 1e-6 * (std::fabs(product) + std::fabs(b_term)) + 1e-7)
          << i << "," << j << " acc=" << acc;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Int8MatmulTest,
    ::testing::Combine(::testing::Values(Shape{1, 1, 1}, Shape{7, 5, 3}, Shape{4, 2, 16},
                                         Shape{33, 17, 100}, Shape{130, 67, 257},
                                         Shape{1000, 1337, 33}),
                       ::testing::Bool(), ::testing::Bool()));

TEST(Int8MatmulExactTest, ExtremeCodesAccumulateExactly) {
  // 127 * 127 * 4096 = 66 064 384: far beyond int16, exact in int32.
  const int64_t m = 2, n = 3, k = 4096;
  std::vector<int8_t> a(m * k, 127), b(n * k, -127);
  std::vector<Half> sa(m, FloatToHalf(1.0f)), sb(n, FloatToHalf(1.0f)), out(m * n);
  Int8MatmulDequant(a.data(), b.data(), m, n, k, sa.data(), sb.data(), false, nullptr, out.data());
  for (Half h : out) EXPECT_EQ(HalfToFloat(h), -4096.0f);
}

}  // namespace
}  // namespace switchback::ref

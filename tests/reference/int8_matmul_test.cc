#include "kernels/reference/int8_matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/reference/isa_param.h"

namespace switchback::ref {
namespace {

struct Shape {
  int64_t m, n, k;
};

struct Problem {
  int64_t m, n, k;
  bool scalar;
  std::vector<int8_t> a, b;
  std::vector<Half> sa, sb, bias;
};

Problem Make(Shape s, bool scalar, uint32_t seed, int code_max = 127) {
  Problem p{s.m, s.n, s.k, scalar, {}, {}, {}, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(-code_max, code_max);
  std::normal_distribution<float> norm(0.0f, 1.0f);
  p.a.resize(s.m * s.k);
  p.b.resize(s.n * s.k);
  for (auto& v : p.a) v = static_cast<int8_t>(code(rng));
  for (auto& v : p.b) v = static_cast<int8_t>(code(rng));
  p.sa.resize(s.m);
  p.sb.resize(scalar ? 1 : s.n);
  p.bias.resize(s.n);
  for (auto& v : p.sa) v = FloatToHalf(std::fabs(norm(rng)) * 3);
  for (auto& v : p.sb) v = FloatToHalf(std::fabs(norm(rng)) * 3);
  for (auto& v : p.bias) v = FloatToHalf(norm(rng));
  return p;
}

std::vector<Half> Multiply(const Problem& p, bool with_bias) {
  std::vector<Half> out(p.m * p.n, Half{0x7E00});  // poison: NaN
  Int8MatmulDequant(p.a.data(), p.b.data(), p.m, p.n, p.k, p.sa.data(), p.sb.data(), p.scalar,
                    with_bias ? p.bias.data() : nullptr, out.data());
  return out;
}

int64_t NaiveAcc(const Problem& p, int64_t i, int64_t j) {
  int64_t acc = 0;
  for (int64_t q = 0; q < p.k; ++q) acc += int64_t{p.a[i * p.k + q]} * p.b[j * p.k + q];
  return acc;
}

// kernels/ops.h's formula in fp32, one operation at a time (volatile: no contraction to FMA
// whatever flags this test is built with).
Half Fp32Model(int64_t acc, float sa, float sb, const Half* bias) {
  volatile float scale = sa * sb;
  scale = scale / 16129.0f;
  volatile float v = static_cast<float>(acc) * scale;
  if (bias) v = v + HalfToFloat(*bias);
  return FloatToHalf(v);
}

void ExpectMatchesModels(const Problem& p, bool with_bias, const std::vector<Half>& out) {
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      const int64_t acc = NaiveAcc(p, i, j);
      ASSERT_LT(std::llabs(acc), int64_t{1} << 31);
      const float sa = HalfToFloat(p.sa[i]), sb = HalfToFloat(p.sb[p.scalar ? 0 : j]);
      const Half got = out[i * p.n + j];
      ASSERT_FALSE(std::isnan(HalfToFloat(got))) << i << "," << j;
      // Bit-exact: the int32 sum is exact and the dequantization is the specified fp32 one.
      const Half want = Fp32Model(acc, sa, sb, with_bias ? &p.bias[j] : nullptr);
      ASSERT_EQ(got.bits, want.bits) << i << "," << j << " acc=" << acc << " got "
                                     << HalfToFloat(got) << " want " << HalfToFloat(want);
      // And the fp32 model itself is the exact value to within fp16 rounding (double).
      const double product = static_cast<double>(acc) * sa * sb / 16129.0;
      const double b_term = with_bias ? HalfToFloat(p.bias[j]) : 0.0;
      const double exact = product + b_term;
      if (std::isinf(HalfToFloat(got))) {  // overflow, only where the exact value is past 65504
        ASSERT_GE(std::fabs(exact), 65519.0) << i << "," << j;
        continue;
      }
      const double ulp = std::ldexp(1.0, std::max(-24, std::ilogb(std::fabs(exact) + 1e-30) - 10));
      // fp32 rounding of the terms may surface when the bias cancels the product.
      ASSERT_LE(std::fabs(HalfToFloat(got) - exact),
                0.5 * ulp + 1e-6 * (std::fabs(product) + std::fabs(b_term)) + 1e-7)
          << i << "," << j << " acc=" << acc;
    }
  }
}

class Int8MatmulTest : public ::testing::TestWithParam<std::tuple<Isa, Shape, bool, bool>> {};

TEST_P(Int8MatmulTest, MatchesNaiveModels) {
  const auto [isa, shape, scalar, with_bias] = GetParam();
  SWITCHBACK_USE_ISA(isa);
  const Problem p = Make(shape, scalar, static_cast<uint32_t>(shape.m * 131 + shape.n * 7 + shape.k));
  ExpectMatchesModels(p, with_bias, Multiply(p, with_bias));
}

// Edges of every blocking: 1x1x1; fewer rows/columns than a micro tile; K not a multiple of
// 4 or 16; N ending 1, 8, 16 and 31 columns into a 32-wide panel; several row chunks and
// column groups; K over 2048 (several depth slices of the AVX-512 path, balanced: 4099 gives
// three of 342 or 341 groups of four).
INSTANTIATE_TEST_SUITE_P(
    Shapes, Int8MatmulTest,
    ::testing::Combine(kAllIsas,
                       ::testing::Values(Shape{1, 1, 1}, Shape{7, 5, 3}, Shape{4, 2, 16},
                                         Shape{13, 33, 5}, Shape{12, 40, 64}, Shape{25, 48, 17},
                                         Shape{33, 63, 100}, Shape{130, 67, 257},
                                         Shape{1000, 1337, 33}, Shape{30, 70, 4099}),
                       ::testing::Bool(), ::testing::Bool()),
    [](const auto& info) {
      const Shape s = std::get<1>(info.param);
      return IsaParamName(std::get<0>(info.param)) + "_" + std::to_string(s.m) + "x" +
             std::to_string(s.n) + "x" + std::to_string(s.k) +
             (std::get<2>(info.param) ? "_scalar" : "_rowwise") + (std::get<3>(info.param) ? "_bias" : "");
    });

class Int8MatmulIsaTest : public ::testing::TestWithParam<Isa> {};

// 512 x 512 x 512: whole tiles and panels, several tasks per thread, one depth slice.
TEST_P(Int8MatmulIsaTest, Square512) {
  SWITCHBACK_USE_ISA(GetParam());
  const Problem p = Make({512, 512, 512}, false, 512);
  ExpectMatchesModels(p, true, Multiply(p, true));
}

// Small |acc| (codes in [-3, 3], K <= 227, or {-1, 0, 1} with at most 2048 non-zero
// products) and sa = sb = 127: scale is exactly 1, so the output is acc itself, exactly.
TEST_P(Int8MatmulIsaTest, SmallSumsComeOutExactly) {
  SWITCHBACK_USE_ISA(GetParam());
  for (const Shape s : {Shape{37, 45, 227}, Shape{20, 35, 6000}}) {
    Problem p = Make(s, false, 7, s.k > 1000 ? 1 : 3);
    for (int64_t j = 0; j < s.n; ++j) {
      for (int64_t q = 2048; q < s.k; ++q) p.b[j * s.k + q] = 0;
    }
    std::fill(p.sa.begin(), p.sa.end(), FloatToHalf(127.0f));
    std::fill(p.sb.begin(), p.sb.end(), FloatToHalf(127.0f));
    const std::vector<Half> out = Multiply(p, false);
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        const int64_t acc = NaiveAcc(p, i, j);
        ASSERT_LE(std::llabs(acc), 2048);
        ASSERT_EQ(HalfToFloat(out[i * s.n + j]), static_cast<float>(acc)) << i << "," << j;
      }
    }
  }
}

TEST_P(Int8MatmulIsaTest, ExtremeCodesAccumulateExactly) {
  SWITCHBACK_USE_ISA(GetParam());
  // 127 * -127 * 4096 = -66 064 384: far beyond int16, exact in int32; = -4096 * 16129.
  const int64_t m = 2, n = 3, k = 4096;
  std::vector<int8_t> a(m * k, 127), b(n * k, -127);
  std::vector<Half> sa(m, FloatToHalf(1.0f)), sb(n, FloatToHalf(1.0f)), out(m * n);
  Int8MatmulDequant(a.data(), b.data(), m, n, k, sa.data(), sb.data(), false, nullptr, out.data());
  for (Half h : out) EXPECT_EQ(HalfToFloat(h), -4096.0f);
  // -128 (never produced by the quantizers, but a valid int8): (-128)^2 * 4096 = 2^26 (the
  // largest sum at this depth), and 127 * -128 * 4096.
  Problem p = Make({3, 5, 4096}, false, 3);
  std::fill(p.a.begin(), p.a.end(), -128);
  for (int64_t q = 0; q < p.k; ++q) p.b[q] = -128, p.b[p.k + q] = 127, p.b[2 * p.k + q] = -128;
  ExpectMatchesModels(p, false, Multiply(p, false));
  EXPECT_EQ(NaiveAcc(p, 0, 0), int64_t{1} << 26);
}

TEST_P(Int8MatmulIsaTest, ZeroDepthGivesBiasOnly) {
  SWITCHBACK_USE_ISA(GetParam());
  const Problem p = Make({5, 37, 0}, false, 11);
  const std::vector<Half> with = Multiply(p, true), without = Multiply(p, false);
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      ASSERT_EQ(with[i * p.n + j].bits, Fp32Model(0, HalfToFloat(p.sa[i]), HalfToFloat(p.sb[j]), &p.bias[j]).bits);
      ASSERT_EQ(without[i * p.n + j].bits, 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, Int8MatmulIsaTest, kAllIsas,
                         [](const auto& info) { return IsaParamName(info.param); });

// Every path computes the same exact sums and the same fp32 dequantization: same bits.
TEST(Int8MatmulPathsTest, AllPathsGiveTheSameBits) {
  const Problem p = Make({77, 301, 1031}, false, 5);
  std::vector<std::vector<Half>> outs;
  for (const Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512}) {
    if (DetectedIsa() < isa) continue;
    const IsaScope scope(isa);
    outs.push_back(Multiply(p, true));
  }
  for (size_t o = 1; o < outs.size(); ++o) {
    for (size_t i = 0; i < outs[0].size(); ++i) ASSERT_EQ(outs[o][i].bits, outs[0][i].bits) << o << " " << i;
  }
}

}  // namespace
}  // namespace switchback::ref

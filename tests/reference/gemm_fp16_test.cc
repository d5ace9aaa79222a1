#include "kernels/reference/gemm_fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/reference/isa_param.h"

namespace switchback::ref {
namespace {

struct Case {
  Transpose ta, tb;
  int64_t m, n, k;
};

std::string CaseName(const Case& c) {
  return std::string(c.ta == Transpose::kNo ? "N" : "T") + (c.tb == Transpose::kNo ? "N" : "T") + "_" +
         std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k);
}

// op(A)[i, p] and op(B)[p, j] read straight from the stored layouts of kernels/ops.h.
struct Operands {
  Case c;
  std::vector<Half> a, b;
  float A(int64_t i, int64_t p) const {
    return HalfToFloat(c.ta == Transpose::kNo ? a[i * c.k + p] : a[p * c.m + i]);
  }
  float B(int64_t p, int64_t j) const {
    return HalfToFloat(c.tb == Transpose::kNo ? b[p * c.n + j] : b[j * c.k + p]);
  }
  std::vector<Half> Run() const {
    std::vector<Half> out(c.m * c.n, Half{0x7E00});  // poison: NaN
    GemmFp16(c.ta, c.tb, c.m, c.n, c.k, a.data(), b.data(), out.data());
    return out;
  }
};

Operands RandomOperands(const Case& c) {
  Operands o{c, std::vector<Half>(c.m * c.k), std::vector<Half>(c.k * c.n)};
  std::mt19937 rng(static_cast<uint32_t>(c.m + 10 * c.n + 100 * c.k));
  std::normal_distribution<float> norm(0.0f, 1.0f);
  for (auto& v : o.a) v = FloatToHalf(norm(rng));
  for (auto& v : o.b) v = FloatToHalf(norm(rng));
  return o;
}

// Against a naive double product: each element within fp16 rounding (half an ulp, 2^-11
// relative) of the fp32 sum, which is within k * 2^-24 * sum |a||b| of the exact one (any
// summation order); and the whole matrix within 1e-3 relative (Frobenius).
void ExpectNearNaive(const Operands& o, const std::vector<Half>& out) {
  const Case& c = o.c;
  // op(A) and op(B) transposed, as doubles, so that both run along p.
  std::vector<double> a(c.m * c.k), bt(c.n * c.k);
  for (int64_t p = 0; p < c.k; ++p) {
    for (int64_t i = 0; i < c.m; ++i) a[i * c.k + p] = o.A(i, p);
    for (int64_t j = 0; j < c.n; ++j) bt[j * c.k + p] = o.B(p, j);
  }
  double err2 = 0, ref2 = 0;
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      double want = 0, abs_sum = 0;
      for (int64_t p = 0; p < c.k; ++p) {
        const double t = a[i * c.k + p] * bt[j * c.k + p];
        want += t;
        abs_sum += std::fabs(t);
      }
      const double got = HalfToFloat(out[i * c.n + j]);
      ASSERT_TRUE(std::isfinite(got)) << i << "," << j;
      const double fp32_err = static_cast<double>(c.k) * std::ldexp(abs_sum, -24);
      const double tol = std::ldexp(std::fabs(want) + fp32_err, -11) + fp32_err + std::ldexp(1.0, -25);
      ASSERT_LE(std::fabs(got - want), tol) << i << "," << j << " want " << want;
      err2 += (got - want) * (got - want);
      ref2 += want * want;
    }
  }
  if (ref2 > 0) {
    EXPECT_LT(std::sqrt(err2 / ref2), 1e-3);
  }
}

class GemmFp16Test : public ::testing::TestWithParam<std::tuple<Isa, Case>> {};

TEST_P(GemmFp16Test, MatchesNaiveDouble) {
  const auto [isa, c] = GetParam();
  SWITCHBACK_USE_ISA(isa);
  const Operands o = RandomOperands(c);
  ExpectNearNaive(o, o.Run());
}

std::vector<Case> Cases() {
  // Edges of every blocking: 1x1x1; fewer rows/columns than a micro tile; N ending 8, 16 and
  // 31 columns into a 32-wide panel; K not a multiple of 8; several row chunks and column
  // groups (1000 x 1337); K over 512 (several depth slices of the AVX-512 path).
  const std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes = {
      {1, 1, 1},    {7, 5, 3},     {13, 33, 100},  {25, 48, 17},  {12, 40, 64},
      {65, 63, 257}, {100, 9, 77}, {130, 70, 1300}, {1000, 1337, 33}};
  std::vector<Case> cases;
  for (const auto& [m, n, k] : shapes) {
    for (const Transpose ta : {Transpose::kNo, Transpose::kYes}) {
      for (const Transpose tb : {Transpose::kNo, Transpose::kYes}) cases.push_back({ta, tb, m, n, k});
    }
  }
  // 512 x 512 x 512: whole tiles and panels, several tasks per thread.
  cases.push_back({Transpose::kNo, Transpose::kYes, 512, 512, 512});
  cases.push_back({Transpose::kYes, Transpose::kNo, 512, 512, 512});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllTransposes, GemmFp16Test,
                         ::testing::Combine(kAllIsas, ::testing::ValuesIn(Cases())),
                         [](const auto& info) {
                           return IsaParamName(std::get<0>(info.param)) + "_" + CaseName(std::get<1>(info.param));
                         });

class GemmFp16IsaTest : public ::testing::TestWithParam<Isa> {};

// K = 1: each output is one product of two halves, exact in fp32, added to the +0 an fp32
// accumulator starts from, so the output is exactly FloatToHalf(0 + a * b): ties, subnormal
// results, overflow to infinity, zeros (a -0 product gives +0), for every transpose
// combination and every output position of a tile.
TEST_P(GemmFp16IsaTest, SingleProductsRoundExactly) {
  SWITCHBACK_USE_ISA(GetParam());
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> bits(0, 0x7BFF);  // finite halves of either sign
  for (const Transpose ta : {Transpose::kNo, Transpose::kYes}) {
    for (const Transpose tb : {Transpose::kNo, Transpose::kYes}) {
      Operands o{{ta, tb, 29, 45, 1}, std::vector<Half>(29), std::vector<Half>(45)};
      for (auto& h : o.a) h.bits = static_cast<uint16_t>(bits(rng) | (rng() & 0x8000));
      for (auto& h : o.b) h.bits = static_cast<uint16_t>(bits(rng) | (rng() & 0x8000));
      o.a[0] = FloatToHalf(65504.0f), o.b[0] = FloatToHalf(2.0f);             // overflow
      o.a[1] = FloatToHalf(1.0f + std::ldexp(1.0f, -10)), o.b[1] = FloatToHalf(1.0f + std::ldexp(1.0f, -10));  // 1 + 2^-9 + 2^-20
      o.a[2] = Half{0x0001}, o.b[2] = FloatToHalf(0.5f);                      // 2^-25: tie to 0
      o.a[3] = Half{0x0003}, o.b[3] = FloatToHalf(0.5f);                      // 1.5 * 2^-24: tie to 2
      o.a[4] = Half{0x8000}, o.b[4] = FloatToHalf(3.0f);                      // +0 + -0 = +0
      o.b[5] = FloatToHalf(1.0f + std::ldexp(1.0f, -10)), o.a[5] = FloatToHalf(1.5f);  // 1.5 + 1.5 * 2^-10: tie
      const std::vector<Half> out = o.Run();
      for (int64_t i = 0; i < o.c.m; ++i) {
        for (int64_t j = 0; j < o.c.n; ++j) {
          const Half want = FloatToHalf(0.0f + o.A(i, 0) * o.B(0, j));
          ASSERT_EQ(out[i * o.c.n + j].bits, want.bits)
              << CaseName(o.c) << " " << i << "," << j << ": " << o.A(i, 0) << " * " << o.B(0, j);
        }
      }
      EXPECT_EQ(out[0].bits, 0x7C00);
      EXPECT_EQ(out[1 * o.c.n + 1].bits, 0x3C02);  // 1 + 2^-9 (+ 2^-20 rounds away)
      EXPECT_EQ(out[2 * o.c.n + 2].bits, 0x0000);
      EXPECT_EQ(out[3 * o.c.n + 3].bits, 0x0002);
      EXPECT_EQ(out[4 * o.c.n + 4].bits, 0x0000);
    }
  }
}

TEST_P(GemmFp16IsaTest, ZeroDepthGivesZeros) {
  SWITCHBACK_USE_ISA(GetParam());
  const Operands o{{Transpose::kNo, Transpose::kYes, 13, 35, 0}, {}, {}};
  for (const Half h : o.Run()) ASSERT_EQ(h.bits, 0);
}

// Exact sums: small integers, so the fp32 sum is exact in any order and fits fp16 exactly.
TEST_P(GemmFp16IsaTest, IntegerProductsAreExact) {
  SWITCHBACK_USE_ISA(GetParam());
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> small(-2, 2);
  for (const Transpose ta : {Transpose::kNo, Transpose::kYes}) {
    for (const Transpose tb : {Transpose::kNo, Transpose::kYes}) {
      Operands o{{ta, tb, 37, 70, 500}, std::vector<Half>(37 * 500), std::vector<Half>(500 * 70)};
      for (auto& h : o.a) h = FloatToHalf(static_cast<float>(small(rng)));
      for (auto& h : o.b) h = FloatToHalf(static_cast<float>(small(rng)));
      const std::vector<Half> out = o.Run();
      for (int64_t i = 0; i < o.c.m; ++i) {
        for (int64_t j = 0; j < o.c.n; ++j) {
          double want = 0;
          for (int64_t p = 0; p < o.c.k; ++p) want += o.A(i, p) * o.B(p, j);
          ASSERT_EQ(HalfToFloat(out[i * o.c.n + j]), want) << CaseName(o.c) << " " << i << "," << j;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, GemmFp16IsaTest, kAllIsas,
                         [](const auto& info) { return IsaParamName(info.param); });

}  // namespace
}  // namespace switchback::ref

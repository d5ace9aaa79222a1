#include "kernels/reference/gemm_fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace switchback::ref {
namespace {

struct Case {
  Transpose ta, tb;
  int64_t m, n, k;
};

class GemmFp16Test : public ::testing::TestWithParam<Case> {};

TEST_P(GemmFp16Test, MatchesNaiveDouble) {
  const Case c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.m + 10 * c.n + 100 * c.k));
  std::normal_distribution<float> norm(0.0f, 1.0f);
  std::vector<Half> a(c.m * c.k), b(c.k * c.n), out(c.m * c.n, Half{0x7E00});
  for (auto& v : a) v = FloatToHalf(norm(rng));
  for (auto& v : b) v = FloatToHalf(norm(rng));
  GemmFp16(c.ta, c.tb, c.m, c.n, c.k, a.data(), b.data(), out.data());
  auto A = [&](int64_t i, int64_t p) {
    return HalfToFloat(c.ta == Transpose::kNo ? a[i * c.k + p] : a[p * c.m + i]);
  };
  auto B = [&](int64_t p, int64_t j) {
    return HalfToFloat(c.tb == Transpose::kNo ? b[p * c.n + j] : b[j * c.k + p]);
  };
  double err2 = 0, ref2 = 0;
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      double want = 0;
      for (int64_t p = 0; p < c.k; ++p) want += static_cast<double>(A(i, p)) * B(p, j);
      const double got = HalfToFloat(out[i * c.n + j]);
      ASSERT_TRUE(std::isfinite(got)) << i << "," << j;
      err2 += (got - want) * (got - want);
      ref2 += want * want;
    }
  }
  // fp16 output rounding dominates: relative error about 2^-12.
  EXPECT_LT(std::sqrt(err2 / ref2), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(
    AllTransposes, GemmFp16Test,
    ::testing::Values(Case{Transpose::kNo, Transpose::kYes, 1, 1, 1},
                      Case{Transpose::kNo, Transpose::kYes, 130, 70, 100},
                      Case{Transpose::kYes, Transpose::kNo, 65, 33, 257},
                      Case{Transpose::kNo, Transpose::kNo, 7, 300, 5},
                      Case{Transpose::kYes, Transpose::kYes, 100, 9, 77},
                      Case{Transpose::kNo, Transpose::kYes, 512, 512, 512}));

}  // namespace
}  // namespace switchback::ref

// Every variant the sm90 heuristic can pick, against the CPU reference: ragged shapes,
// vector and scalar sb, with and without bias, scale and bias vectors at odd addresses
// (the epilogue loads them in vectors where they are aligned), poisoned outputs.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <vector>

#include "kernels/cuda/sm90/int8_gemm_sm90.h"
#include "kernels/half.h"
#include "kernels/reference/int8_matmul.h"

namespace switchback {
namespace {

struct Case {
  const char* variant;
  int64_t m, n, k;
  bool scalar, bias;
  bool odd_vectors = false;  // sa, sb and bias start one element past an aligned address
};

class Sm90Gemm : public ::testing::TestWithParam<Case> {};

template <typename T>
T* Upload(const std::vector<T>& v) {
  T* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, std::max<size_t>(v.size(), 1) * sizeof(T)), cudaSuccess);
  cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice);
  return p;
}

TEST_P(Sm90Gemm, MatchesReferenceWithinOneUlp) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) GTEST_SKIP() << "no CUDA device";
  if (!cuda::sm90::Available()) GTEST_SKIP() << "device is not compute capability 9.0";
  const Case c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.m * 3 + c.n * 5 + c.k));
  std::uniform_int_distribution<int> code(-127, 127);
  std::uniform_real_distribution<float> pos(0.01f, 4.0f), any(-2.0f, 2.0f);
  std::vector<int8_t> a(c.m * c.k), b(c.n * c.k);
  for (auto& v : a) v = static_cast<int8_t>(code(rng));
  for (auto& v : b) v = static_cast<int8_t>(code(rng));
  std::vector<Half> sa(c.m), sb(c.scalar ? 1 : c.n), bias(c.n);
  for (auto& v : sa) v = FloatToHalf(pos(rng));
  for (auto& v : sb) v = FloatToHalf(pos(rng));
  for (auto& v : bias) v = FloatToHalf(any(rng));
  int8_t* da = Upload(a);
  int8_t* db = Upload(b);
  // A leading pad element when odd: the kernel gets &v[pad].
  const int pad = c.odd_vectors ? 1 : 0;
  auto upload_vector = [&](const std::vector<Half>& v) {
    std::vector<Half> padded(pad, Half{0x7E00});
    padded.insert(padded.end(), v.begin(), v.end());
    return Upload(padded);
  };
  Half* dsa = upload_vector(sa);
  Half* dsb = upload_vector(sb);
  Half* dbias = upload_vector(bias);
  Half* dout = Upload(std::vector<Half>(c.m * c.n, Half{0x7E00}));  // poison: NaN
  auto h = [](Half* p) { return reinterpret_cast<__half*>(p); };
  const absl::Status s = cuda::sm90::Int8MatmulDequantVariant(
      c.variant, da, db, c.m, c.n, c.k, h(dsa + pad), h(dsb + pad), c.scalar, c.bias ? h(dbias + pad) : nullptr,
      h(dout), nullptr);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<Half> got(c.m * c.n), want(c.m * c.n);
  cudaMemcpy(got.data(), dout, got.size() * 2, cudaMemcpyDeviceToHost);
  ref::Int8MatmulDequant(a.data(), b.data(), c.m, c.n, c.k, sa.data(), sb.data(), c.scalar,
                         c.bias ? bias.data() : nullptr, want.data());
  int64_t bad = 0;
  for (int64_t i = 0; i < c.m * c.n; ++i) {
    const float g = HalfToFloat(got[i]), w = HalfToFloat(want[i]);
    const float ulp = std::max(std::fabs(w) * 1.0f / 1024.0f, 6e-8f);
    if (!(std::fabs(g - w) <= ulp * 1.01f + 1e-6f * (std::fabs(w) + 2.0f))) {
      if (bad++ < 5) ADD_FAILURE() << c.variant << " at " << i / c.n << "," << i % c.n << ": " << g << " vs " << w;
    }
  }
  EXPECT_EQ(bad, 0);
  for (void* p : {static_cast<void*>(da), static_cast<void*>(db), static_cast<void*>(dsa),
                  static_cast<void*>(dsb), static_cast<void*>(dbias), static_cast<void*>(dout)}) {
    cudaFree(p);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, Sm90Gemm,
    ::testing::Values(Case{"coop_128x256", 130, 272, 80, false, false},
                      Case{"coop_128x256", 1000, 1040, 336, true, true},
                      Case{"coop_128x256", 8192, 4096, 1024, false, false},
                      Case{"coop_128x256", 1, 8, 16, false, true},
                      Case{"pingpong_128x128", 130, 272, 80, true, false},
                      Case{"pingpong_128x128", 1000, 1040, 336, false, true},
                      Case{"pingpong_128x128", 257, 1024, 4096, false, false},
                      Case{"pingpong_128x128", 1, 8, 16, true, true},
                      // Schedules (tile walk order) the dispatcher picks or the bench tries.
                      Case{"coop_128x256/s8", 1000, 16400, 336, false, true},
                      Case{"coop_128x256/s8", 130, 272, 80, true, false},
                      Case{"coop_128x256/s2n", 1000, 1040, 336, false, false},
                      Case{"pingpong_128x128/s4m", 257, 1024, 4096, true, false},
                      Case{"pingpong_128x128/s2", 1000, 1040, 336, true, true},
                      Case{"pingpong_128x128/s2", 130, 272, 80, false, false},
                      Case{"pingpong_128x128/s2", 200, 2048, 8192, false, true},
                      Case{"pingpong_128x128_c2", 130, 272, 80, false, true},
                      Case{"pingpong_128x128_c2", 1000, 1040, 336, true, false},
                      Case{"pingpong_128x128_c2", 257, 1664, 2048, false, false},
                      Case{"pingpong_128x128_c2", 1, 8, 16, true, true},
                      Case{"pingpong_128x128r/s2", 130, 272, 80, false, true},
                      Case{"pingpong_128x128r/s2", 1000, 1040, 336, true, true},
                      Case{"pingpong_128x128r/s2", 8192, 4096, 1024, false, false},
                      Case{"pingpong_128x128r", 1, 8, 16, true, false},
                      Case{"pingpong_128x128r", 257, 1032, 80, false, true, true},
                      Case{"pingpong_128x128r/s2", 130, 272, 80, true, true, true},
                      Case{"coop_128x256", 1000, 1040, 336, false, true, true},
                      Case{"pingpong_128x128", 257, 1032, 80, false, true, true},
                      Case{"pingpong_128x128_c2", 130, 272, 80, true, true, true}),
    [](const auto& info) {
      const Case& c = info.param;
      std::string variant = c.variant;
      for (char& ch : variant) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return variant + "_Ragged" + std::to_string(c.m) + "x" + std::to_string(c.n) + "x" +
             std::to_string(c.k) + (c.scalar ? "_scalar" : "_vector") + (c.bias ? "_bias" : "") +
             (c.odd_vectors ? "_odd" : "");
    });

TEST(Sm90GemmShapes, BadScheduleSuffixIsAnError) {
  for (const char* name : {"coop_128x256/", "coop_128x256/x8", "coop_128x256/s3", "coop_128x256/s8q"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(cuda::sm90::Int8MatmulDequantVariant(
        name, nullptr, nullptr, 16, 16, 32, nullptr, nullptr, false, nullptr, nullptr, nullptr)))
        << name;
  }
}

TEST(Sm90GemmShapes, UnalignedShapesAreDeclined) {
  EXPECT_TRUE(absl::IsUnimplemented(cuda::sm90::Int8MatmulDequantVariant(
      "coop_128x256", nullptr, nullptr, 16, 16, 33, nullptr, nullptr, false, nullptr, nullptr, nullptr)));
  EXPECT_TRUE(absl::IsUnimplemented(cuda::sm90::Int8MatmulDequantVariant(
      "coop_128x256", nullptr, nullptr, 16, 12, 32, nullptr, nullptr, false, nullptr, nullptr, nullptr)));
}

}  // namespace
}  // namespace switchback

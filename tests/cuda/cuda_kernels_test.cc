// CUDA kernels against the CPU reference: quantization bit-exact (codes and states),
// products within stated tolerances, odd and ragged shapes, poisoned outputs.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/gemm_fp16.h"
#include "kernels/cuda/quantize_weight_tuning.h"
#include "kernels/cuda/switchback_kernels.h"
#include "kernels/half.h"
#include "kernels/random.h"
#include "kernels/reference/gemm_fp16.h"
#include "kernels/reference/int8_matmul.h"
#include "kernels/reference/quantize.h"

namespace switchback {
namespace {

bool HaveGpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

#define REQUIRE_GPU() \
  if (!HaveGpu()) GTEST_SKIP() << "no CUDA device: " << cudaGetErrorString(cudaGetLastError())

template <typename T>
struct Device {
  T* p = nullptr;
  size_t n = 0;
  explicit Device(size_t count, unsigned char poison = 0x7F) : n(count) {
    EXPECT_EQ(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T)), cudaSuccess);
    cudaMemset(p, poison, std::max<size_t>(n, 1) * sizeof(T));
  }
  Device(const std::vector<T>& host) : Device(host.size()) {
    cudaMemcpy(p, host.data(), n * sizeof(T), cudaMemcpyHostToDevice);
  }
  ~Device() { cudaFree(p); }
  std::vector<T> Get() const {
    std::vector<T> out(n);
    EXPECT_EQ(cudaMemcpy(out.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
    return out;
  }
};

std::vector<Half> RandomHalves(int64_t n, uint64_t seed) {
  std::vector<Half> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = FloatToHalf(NormalAt(seed, TensorId::kX, i));
  return v;
}

__half* H(Device<Half>& d) { return reinterpret_cast<__half*>(d.p); }

struct Shape {
  int64_t rows, cols;
};

class QuantizeOdd : public ::testing::TestWithParam<Shape> {};

TEST_P(QuantizeOdd, AllFourBitExact) {
  REQUIRE_GPU();
  const auto [rows, cols] = GetParam();
  std::vector<Half> w = RandomHalves(rows * cols, rows * 31 + cols);
  if (rows > 2) {
    for (int64_t c = 0; c < cols; ++c) w[cols + c] = Half{0};  // a zero row
  }
  Device<Half> dw(w);
  void* scratch = nullptr;
  ASSERT_EQ(cudaMalloc(&scratch, cuda::QuantizeScratchBytes(rows, cols)), cudaSuccess);
  ASSERT_TRUE(cuda::ClearQuantizeScratch(scratch, rows, cols, nullptr).ok());
  // Rowwise.
  {
    Device<int8_t> codes(rows * cols);
    Device<Half> state(rows);
    ASSERT_TRUE(cuda::QuantizeRowwise(H(dw), rows, cols, codes.p, H(state), nullptr).ok());
    std::vector<int8_t> want(rows * cols);
    std::vector<Half> want_state(rows);
    ref::QuantizeRowwise(w.data(), rows, cols, want.data(), want_state.data());
    EXPECT_EQ(codes.Get(), want);
    const auto got_state = state.Get();
    for (int64_t r = 0; r < rows; ++r) ASSERT_EQ(got_state[r].bits, want_state[r].bits) << r;
  }
  // The weight quantizers with each strip width they can be launched with.
  for (const int strip : {0, 64, 128, 256}) {  // 0: chosen by shape (colwise: the cluster kernel where it applies)
  SCOPED_TRACE("strip " + std::to_string(strip));
  cuda::OverrideWeightQuantizerForBench(strip, -1);
  // Colwise transpose.
  {
    Device<int8_t> codes(rows * cols);
    Device<Half> state(cols);
    ASSERT_TRUE(cuda::QuantizeColwiseTranspose(H(dw), rows, cols, codes.p, H(state), scratch, nullptr).ok());
    std::vector<int8_t> want(rows * cols);
    std::vector<Half> want_state(cols);
    ref::QuantizeColwiseTranspose(w.data(), rows, cols, want.data(), want_state.data());
    EXPECT_EQ(codes.Get(), want);
    const auto got_state = state.Get();
    for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(got_state[c].bits, want_state[c].bits) << c;
  }
  // Global and global transpose.
  for (bool transpose : {false, true}) {
    Device<int8_t> codes(rows * cols);
    Device<Half> state(1);
    const absl::Status s = transpose
        ? cuda::QuantizeGlobalTranspose(H(dw), rows, cols, codes.p, H(state), scratch, nullptr)
        : cuda::QuantizeGlobal(H(dw), rows, cols, codes.p, H(state), scratch, nullptr);
    ASSERT_TRUE(s.ok()) << s;
    std::vector<int8_t> want(rows * cols);
    Half want_state;
    if (transpose) ref::QuantizeGlobalTranspose(w.data(), rows, cols, want.data(), &want_state);
    else ref::QuantizeGlobal(w.data(), rows, cols, want.data(), &want_state);
    EXPECT_EQ(codes.Get(), want) << (transpose ? "transpose" : "global");
    EXPECT_EQ(state.Get()[0].bits, want_state.bits);
  }
  }
  cuda::OverrideWeightQuantizerForBench(0, -1);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  cudaFree(scratch);
}

// 4096 x 1024: w fits in the weight quantizers' shared memory; 16384 x 4096: it does not and
// passes 2 reads from HBM; 8192 x 2048 and 6000 x 2824 (34 MB): on an H100 in between, the
// L2-steered path (kernels/cuda/quantize_weight.cu).
INSTANTIATE_TEST_SUITE_P(Shapes, QuantizeOdd,
                         ::testing::Values(Shape{8192, 2048}, Shape{6000, 2824}, Shape{1, 1}, Shape{3, 5}, Shape{16, 8}, Shape{1000, 1337},
                                           Shape{1, 16384}, Shape{16384, 1}, Shape{130, 72},
                                           Shape{256, 1664}, Shape{64, 4096}, Shape{33, 16384},
                                           Shape{4096, 1024}, Shape{16384, 4096}, Shape{1024, 16384},
                                           Shape{65, 19200}, Shape{4100, 1000}),
                         [](const auto& info) {
                           return "Small" + std::to_string(info.param.rows) + "x" + std::to_string(info.param.cols);
                         });

// The one-pass cluster kernel for colwise + transpose (kernels/cuda/quantize_colwise_cluster.cu)
// under every plan it can be forced to: both strip widths, clusters of 1-16 blocks (blocks
// with no rows of w at all when rows < 16 x cluster), ragged strips (cols % 64 != 0), a zero
// column, and a column whose maximum sits in the last block of the cluster.
bool Hopper() {
  int device = 0, major = 0;
  return cudaGetDevice(&device) == cudaSuccess &&
         cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess && major >= 9;
}

class ColwiseCluster : public ::testing::TestWithParam<Shape> {};

TEST_P(ColwiseCluster, EveryPlanBitExact) {
  REQUIRE_GPU();
  if (!Hopper()) GTEST_SKIP() << "thread-block clusters need sm_90";
  const auto [rows, cols] = GetParam();
  std::vector<Half> w = RandomHalves(rows * cols, rows * 7 + cols);
  for (int64_t r = 0; r < rows; ++r) w[r * cols + 1] = Half{0};            // a zero column
  w[(rows - 1) * cols + 2] = FloatToHalf(-60000.0f);                       // max in the last rows
  Device<Half> dw(w);
  std::vector<int8_t> want(rows * cols);
  std::vector<Half> want_state(cols);
  ref::QuantizeColwiseTranspose(w.data(), rows, cols, want.data(), want_state.data());
  void* scratch = nullptr;  // for the region kernel, where a forced plan does not fit
  ASSERT_EQ(cudaMalloc(&scratch, cuda::QuantizeScratchBytes(rows, cols)), cudaSuccess);
  ASSERT_TRUE(cuda::ClearQuantizeScratch(scratch, rows, cols, nullptr).ok());
  int ran = 0;
  for (const int loads : {1, 2})
  for (const int strip : {32, 64}) {
    for (const int cluster : {1, 2, 4, 8, 16}) {
      SCOPED_TRACE("strip " + std::to_string(strip) + " cluster " + std::to_string(cluster) + " loads " +
                   std::to_string(loads));
      cuda::OverrideColwiseClusterForBench(strip, cluster);
      cuda::OverrideColwiseClusterLoadsForBench(loads);
      Device<int8_t> codes(rows * cols);
      Device<Half> state(cols);
      std::string variant;
      const absl::Status s = cuda::QuantizeColwiseTranspose(H(dw), rows, cols, codes.p, H(state), scratch, nullptr, &variant);
      ASSERT_TRUE(s.ok()) << s;
      ASSERT_EQ(codes.Get(), want) << variant;
      if (variant.find("cluster") == std::string::npos) continue;  // the plan does not fit: the region kernel ran
      ++ran;
      EXPECT_EQ(variant, "quantize_colwise_transpose_cluster" + std::to_string(cluster) + "_s" + std::to_string(strip) +
                             (loads == 2 ? "_regs" : ""));
      const auto got_state = state.Get();
      for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(got_state[c].bits, want_state[c].bits) << c;
    }
  }
  cuda::OverrideColwiseClusterForBench(0, 0);
  cuda::OverrideColwiseClusterLoadsForBench(0);
  EXPECT_GT(ran, 0) << "no cluster plan ran on this shape";
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  cudaFree(scratch);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ColwiseCluster,
                         ::testing::Values(Shape{16, 8}, Shape{32, 200}, Shape{4096, 1024}, Shape{1024, 4096},
                                           Shape{5120, 1280}, Shape{16384, 512}, Shape{48, 16384}, Shape{2064, 1000}),
                         [](const auto& info) {
                           return "Rows" + std::to_string(info.param.rows) + "Cols" + std::to_string(info.param.cols);
                         });

// The transposing modes with and without their tile (sm_90a: the pass kept transposed in its
// cache slot, TransposedSlot; sm_80: BlockTile; unstaged:
// 4-byte words) in every strip width: one and several passes per block from shared memory
// (4096 x 1024, 5120 x 1280), passes from L2 (8192 x 2048), rows not a multiple of 16
// (unstaged whatever is asked), a ragged last strip and chunk (4112 x 1000), and the dynamic
// kernel (16384 x 4096, 64-column strips).
class TransposeStagingForms : public ::testing::TestWithParam<Shape> {};

TEST_P(TransposeStagingForms, BitExact) {
  REQUIRE_GPU();
  const auto [rows, cols] = GetParam();
  std::vector<Half> w = RandomHalves(rows * cols, rows * 5 + cols);
  w[(rows - 1) * cols + cols - 1] = FloatToHalf(-61000.0f);  // the maximum in the last pass
  Device<Half> dw(w);
  std::vector<int8_t> want_colwise(rows * cols), want_global(rows * cols);
  std::vector<Half> want_colwise_state(cols);
  Half want_global_state;
  ref::QuantizeColwiseTranspose(w.data(), rows, cols, want_colwise.data(), want_colwise_state.data());
  ref::QuantizeGlobalTranspose(w.data(), rows, cols, want_global.data(), &want_global_state);
  void* scratch = nullptr;
  ASSERT_EQ(cudaMalloc(&scratch, cuda::QuantizeScratchBytes(rows, cols)), cudaSuccess);
  ASSERT_TRUE(cuda::ClearQuantizeScratch(scratch, rows, cols, nullptr).ok());
  for (const int strip : {64, 128, 256})
  for (const bool unstaged : {false, true}) {
    SCOPED_TRACE("strip " + std::to_string(strip) + (unstaged ? " unstaged" : ""));
    cuda::OverrideWeightQuantizerForBench(strip, -1);
    cuda::OverrideWeightQuantizerStagingForBench(unstaged);
    Device<int8_t> codes(rows * cols);
    Device<Half> state(cols);
    absl::Status s = cuda::QuantizeColwiseTranspose(H(dw), rows, cols, codes.p, H(state), scratch, nullptr);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(codes.Get(), want_colwise) << "colwise";
    const auto got_state = state.Get();
    for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(got_state[c].bits, want_colwise_state[c].bits) << c;
    Device<int8_t> codes_t(rows * cols);
    s = cuda::QuantizeGlobalTranspose(H(dw), rows, cols, codes_t.p, H(state), scratch, nullptr);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(codes_t.Get(), want_global) << "global";
    EXPECT_EQ(state.Get()[0].bits, want_global_state.bits);
  }
  cuda::OverrideWeightQuantizerStagingForBench(false);
  cuda::OverrideWeightQuantizerForBench(0, -1);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  cudaFree(scratch);
}

INSTANTIATE_TEST_SUITE_P(Shapes, TransposeStagingForms,
                         ::testing::Values(Shape{4096, 1024}, Shape{1024, 4096}, Shape{5120, 1280}, Shape{8192, 2048},
                                           Shape{1000, 1024}, Shape{4112, 1000}, Shape{16384, 4096}),
                         [](const auto& info) {  // "Small": in the sanitizers' runs (bench/run_device.sh)
                           return std::string(info.param.rows * info.param.cols <= (1 << 23) ? "Small" : "Large") +
                                  std::to_string(info.param.rows) + "x" + std::to_string(info.param.cols);
                         });

// One scratch through many calls of every mode and launch kind, alternating a tensor with a
// large absmax and one with a small one: a maximum left over from an earlier call (the
// scratch's double buffer, kernels/cuda/quantize_weight.cu) would change the codes.
TEST(QuantizeTest, ScratchCarriesNothingBetweenCalls) {
  REQUIRE_GPU();
  constexpr int64_t rows = 1000, cols = 520;
  std::vector<Half> big = RandomHalves(rows * cols, 11), small = RandomHalves(rows * cols, 12);
  for (Half& h : small) h = FloatToHalf(HalfToFloat(h) * 0.01f);
  Device<Half> dbig(big), dsmall(small);
  void* scratch = nullptr;
  ASSERT_EQ(cudaMalloc(&scratch, cuda::QuantizeScratchBytes(rows, cols)), cudaSuccess);
  ASSERT_TRUE(cuda::ClearQuantizeScratch(scratch, rows, cols, nullptr).ok());
  Device<int8_t> codes(rows * cols);
  Device<Half> state(cols);
  std::vector<int8_t> want(rows * cols);
  std::vector<Half> want_state(cols);
  for (int call = 0; call < 24; ++call) {
    const int mode = call % 3, launch = (call / 3) % 4;
    const bool use_big = (call / 2) % 2 == 0;
    SCOPED_TRACE("call " + std::to_string(call));
    cuda::OverrideWeightQuantizerForBench(call % 5 < 2 ? 256 : call % 5 == 2 ? 128 : 64, launch);
    Device<Half>& w = use_big ? dbig : dsmall;
    const std::vector<Half>& hw = use_big ? big : small;
    absl::Status s;
    if (mode == 0) {
      s = cuda::QuantizeColwiseTranspose(H(w), rows, cols, codes.p, H(state), scratch, nullptr);
      ref::QuantizeColwiseTranspose(hw.data(), rows, cols, want.data(), want_state.data());
    } else if (mode == 1) {
      s = cuda::QuantizeGlobal(H(w), rows, cols, codes.p, H(state), scratch, nullptr);
      ref::QuantizeGlobal(hw.data(), rows, cols, want.data(), want_state.data());
    } else {
      s = cuda::QuantizeGlobalTranspose(H(w), rows, cols, codes.p, H(state), scratch, nullptr);
      ref::QuantizeGlobalTranspose(hw.data(), rows, cols, want.data(), want_state.data());
    }
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(codes.Get(), want);
    const auto got_state = state.Get();
    for (int64_t c = 0; c < (mode == 0 ? cols : 1); ++c) ASSERT_EQ(got_state[c].bits, want_state[c].bits) << c;
  }
  cuda::OverrideWeightQuantizerForBench(0, -1);
  cudaFree(scratch);
}

// The result line names the weight quantizer that ran: its strip width, and the dynamic
// kernel for the global modes on tensors larger than L2 (kernels/cuda/quantize_weight.cu).
TEST(QuantizeTest, WeightQuantizersNameTheirVariant) {
  REQUIRE_GPU();
  int device = 0, l2 = 0;
  ASSERT_EQ(cudaGetDevice(&device), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device), cudaSuccess);
  struct Case {
    int64_t rows, cols;
    int strip;  // forced (OverrideWeightQuantizerForBench); 0: chosen by shape, 64 on these
    std::string suffix_colwise, suffix_global;
  };
  const std::string big = int64_t{2} * 16384 * 4096 > l2 ? "_dynamic" : "";
  // Chosen by shape on Hopper, colwise runs the cluster kernel on strips of at most 1024
  // rows and on w beyond 4/5 of L2: 64-column strips while a block keeps at most 512 rows,
  // else 32; the tile filled through registers where w fits in L2, "_regs"
  // (kernels/cuda/quantize_colwise_cluster.cu).
  const bool hopper = Hopper();
  const bool big_colwise = hopper && int64_t{2} * 16384 * 4096 > l2 / 5 * 4;
  const Case cases[] = {{4096, 1024, 0, "_s64", "_s64"},
                        {1024, 4096, 0, hopper ? "_cluster2_s64_regs" : "_s64", "_s64"},
                        {4096, 1024, 256, "_s256", "_s256"},
                        {4096, 1024, 128, "_s128", "_s128"},
                        {1000, 4096, 0, "_s64", "_s64"},  // rows % 16 != 0: the region kernel
                        {16384, 4096, 0, big_colwise ? "_cluster16_s32" : "_s64", "_s64" + big}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.rows) + " x " + std::to_string(c.cols) + " strip " + std::to_string(c.strip));
    cuda::OverrideWeightQuantizerForBench(c.strip, -1);
    void *w = nullptr, *codes = nullptr, *state = nullptr, *scratch = nullptr;
    ASSERT_EQ(cudaMalloc(&w, c.rows * c.cols * 2), cudaSuccess);
    ASSERT_EQ(cudaMemset(w, 0, c.rows * c.cols * 2), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&codes, c.rows * c.cols), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&state, 2 * c.cols), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&scratch, cuda::QuantizeScratchBytes(c.rows, c.cols)), cudaSuccess);
    ASSERT_TRUE(cuda::ClearQuantizeScratch(scratch, c.rows, c.cols, nullptr).ok());
    std::string colwise, global, global_t;
    auto* hw = static_cast<const __half*>(w);
    auto* hs = static_cast<__half*>(state);
    auto* codes8 = static_cast<int8_t*>(codes);
    ASSERT_TRUE(cuda::QuantizeColwiseTranspose(hw, c.rows, c.cols, codes8, hs, scratch, nullptr, &colwise).ok());
    ASSERT_TRUE(cuda::QuantizeGlobal(hw, c.rows, c.cols, codes8, hs, scratch, nullptr, &global).ok());
    ASSERT_TRUE(cuda::QuantizeGlobalTranspose(hw, c.rows, c.cols, codes8, hs, scratch, nullptr, &global_t).ok());
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(colwise, "quantize_colwise_transpose" + c.suffix_colwise);
    EXPECT_EQ(global, "quantize_global" + c.suffix_global);
    EXPECT_EQ(global_t, "quantize_global_transpose" + c.suffix_global);
    for (void* p : {w, codes, state, scratch}) cudaFree(p);
  }
  cuda::OverrideWeightQuantizerForBench(0, -1);
  std::string empty;
  ASSERT_TRUE(cuda::QuantizeGlobal(nullptr, 0, 16, nullptr, nullptr, nullptr, nullptr, &empty).ok());
  EXPECT_EQ(empty, "quantize_global");
}

TEST(QuantizeTest, AllZeroTensor) {
  REQUIRE_GPU();
  Device<Half> w(std::vector<Half>(64 * 48, Half{0}));
  void* scratch = nullptr;
  ASSERT_EQ(cudaMalloc(&scratch, cuda::QuantizeScratchBytes(64, 48)), cudaSuccess);
  ASSERT_TRUE(cuda::ClearQuantizeScratch(scratch, 64, 48, nullptr).ok());
  Device<int8_t> codes(64 * 48);
  Device<Half> state(48);
  ASSERT_TRUE(cuda::QuantizeColwiseTranspose(H(w), 64, 48, codes.p, H(state), scratch, nullptr).ok());
  for (int8_t c : codes.Get()) ASSERT_EQ(c, 0);
  for (Half h : state.Get()) ASSERT_EQ(h.bits, 0);
  ASSERT_TRUE(cuda::QuantizeGlobal(H(w), 64, 48, codes.p, H(state), scratch, nullptr).ok());
  EXPECT_EQ(state.Get()[0].bits, 0);
  cudaFree(scratch);
}

struct MatShape {
  int64_t m, n, k;
};

class Int8Ragged : public ::testing::TestWithParam<std::tuple<MatShape, bool, bool>> {};

// The int32 accumulation is exact on both sides. The portable kernel dequantizes in the
// reference's order, RN(acc * RN(RN(sa * sb) / 16129)) + bias; the Hopper kernels in
// fma(RN(acc * RN(sa / 16129)), sb, bias) (kernels/cuda/sm90/int8_gemm_sm90_kernel.cuh),
// which differs by a few fp32 ulps of the product acc * sa * sb / 16129 before the bias is
// added and the sum rounded to fp16. So: 1 fp16 ulp, or, where the bias cancels most of the
// product, 8 fp32 ulps of the product (taken from the reference without bias).
TEST_P(Int8Ragged, MatchesReferenceWithinOneUlp) {
  REQUIRE_GPU();
  const auto [shape, scalar, with_bias] = GetParam();
  const auto [m, n, k] = shape;
  std::mt19937 rng(static_cast<uint32_t>(m * 7 + n * 13 + k));
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<int8_t> a(m * k), b(n * k);
  for (auto& v : a) v = static_cast<int8_t>(code(rng));
  for (auto& v : b) v = static_cast<int8_t>(code(rng));
  std::vector<Half> sa = RandomHalves(m, 1), sb = RandomHalves(scalar ? 1 : n, 2), bias = RandomHalves(n, 3);
  for (auto& h : sa) h.bits &= 0x7FFF;
  for (auto& h : sb) h.bits &= 0x7FFF;
  Device<int8_t> da(a), db(b);
  Device<Half> dsa(sa), dsb(sb), dbias(bias), dout(m * n);
  std::string variant;
  const absl::Status s = cuda::Int8MatmulDequant(da.p, db.p, m, n, k, H(dsa), H(dsb), scalar,
                                                 with_bias ? H(dbias) : nullptr, H(dout), nullptr, &variant);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<Half> want(m * n);
  ref::Int8MatmulDequant(a.data(), b.data(), m, n, k, sa.data(), sb.data(), scalar,
                         with_bias ? bias.data() : nullptr, want.data());
  std::vector<Half> product(m * n);
  ref::Int8MatmulDequant(a.data(), b.data(), m, n, k, sa.data(), sb.data(), scalar, nullptr, product.data());
  const std::vector<Half> got = dout.Get();
  int64_t off = 0;
  for (int64_t i = 0; i < m * n; ++i) {
    const int d = std::abs(static_cast<int>(got[i].bits & 0x7FFF) - static_cast<int>(want[i].bits & 0x7FFF));
    const bool same_sign = (got[i].bits & 0x8000) == (want[i].bits & 0x8000) || (want[i].bits & 0x7FFF) <= 1;
    const bool within_ulp = d <= 1 && same_sign;
    const bool within_product_rounding =
        std::fabs(HalfToFloat(got[i]) - HalfToFloat(want[i])) <= 8.0f * 0x1p-24f * std::fabs(HalfToFloat(product[i]));
    if (!within_ulp && !within_product_rounding) {
      if (off++ < 5) {
        ADD_FAILURE() << variant << " at " << i / n << "," << i % n << ": got " << HalfToFloat(got[i])
                      << " want " << HalfToFloat(want[i]);
      }
    }
  }
  EXPECT_EQ(off, 0) << variant;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Int8Ragged,
    ::testing::Combine(::testing::Values(MatShape{1, 1, 1}, MatShape{130, 260, 72}, MatShape{257, 129, 33},
                                         MatShape{128, 128, 64}, MatShape{300, 272, 1024},
                                         MatShape{1000, 1040, 336}, MatShape{64, 8, 4096}),
                       ::testing::Bool(), ::testing::Bool()),
    [](const auto& info) {
      const MatShape s = std::get<0>(info.param);
      return "Ragged" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
             (std::get<1>(info.param) ? "_scalar" : "_vector") + (std::get<2>(info.param) ? "_bias" : "");
    });

struct GemmCase {
  Transpose ta, tb;
  int64_t m, n, k;
};

class Fp16Gemm : public ::testing::TestWithParam<GemmCase> {};

TEST_P(Fp16Gemm, MatchesReference) {
  REQUIRE_GPU();
  const GemmCase c = GetParam();
  std::vector<Half> a = RandomHalves(c.m * c.k, 5), b = RandomHalves(c.k * c.n, 6);
  Device<Half> da(a), db(b), dc(c.m * c.n);
  auto runner = cuda::GemmFp16Runner::Create();
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE((*runner)->Run(c.ta, c.tb, c.m, c.n, c.k, H(da), H(db), H(dc), nullptr).ok());
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<Half> want(c.m * c.n);
  ref::GemmFp16(c.ta, c.tb, c.m, c.n, c.k, a.data(), b.data(), want.data());
  const std::vector<Half> got = dc.Get();
  double err = 0, norm = 0;
  for (int64_t i = 0; i < c.m * c.n; ++i) {
    const double g = HalfToFloat(got[i]), w = HalfToFloat(want[i]);
    ASSERT_TRUE(std::isfinite(g)) << i;
    err += (g - w) * (g - w);
    norm += w * w;
  }
  EXPECT_LT(std::sqrt(err / norm), 2e-3);
}

INSTANTIATE_TEST_SUITE_P(AllTransposes, Fp16Gemm,
                         ::testing::Values(GemmCase{Transpose::kNo, Transpose::kYes, 130, 72, 96},
                                           GemmCase{Transpose::kYes, Transpose::kNo, 64, 48, 1000},
                                           GemmCase{Transpose::kNo, Transpose::kNo, 256, 128, 512},
                                           GemmCase{Transpose::kYes, Transpose::kYes, 40, 24, 16}),
                         [](const auto& info) { return "Small" + std::to_string(info.index); });

}  // namespace
}  // namespace switchback

// Chooses the Hopper GEMM variant by problem size (a small table, tuned on the H200).
#include "kernels/cuda/sm90/int8_gemm_sm90.h"

#include <cctype>

#include "kernels/cuda/sm90/int8_gemm_sm90_args.h"

namespace switchback::cuda::sm90 {
namespace {

GemmWorkspace& Workspace() {
  static GemmWorkspace* workspace = new GemmWorkspace();  // lives for the process
  return *workspace;
}

absl::Status CheckShape(const GemmArgs& g) {
  // TMA needs 16-byte aligned rows and bases: K int8 elements, N fp16 elements.
  auto aligned = [](const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; };
  if (g.k % 16 != 0 || g.n % 8 != 0 || !aligned(g.a) || !aligned(g.b) || !aligned(g.out)) {
    return absl::UnimplementedError("sm90 GEMM needs K % 16 == 0, N % 8 == 0 and 16-byte alignment");
  }
  if (g.m > 0x7fffffff || g.n > 0x7fffffff || g.k > 0x7fffffff) {
    return absl::UnimplementedError("sm90 GEMM takes 32-bit extents");
  }
  return absl::OkStatus();
}

// The variant table, retuned on the H200 in the ninth session (bench/int8_gemm_bench
// --rounds 7 --sweep: every product shape of the sweep, the variants taking turns so that
// none runs at a cooler card's clock; bench/results/h200_2026-12-02_s9_gemm_sweep.txt).
// Geometric means of each variant's TOP/s over the best one's per shape, per group:
// - N <= 1024: ping-pong 128 x 128, one warpgroup's epilogue overlapping the other's
//   mainloop (0.998; cooperative 128 x 256 0.897).
// - K <= 1408 (8-11 k-blocks per tile): ping-pong walking tiles in pairs (0.988; the 2 x 1
//   cluster 0.991 and its pairs 0.988: a tie, kept).
// - N >= 16384: cooperative 128 x 256 walking tiles in groups of 8 along M, so b's tiles in
//   flight stay in L2, at M >= 65536 (1.000; ping-pong pairs 0.910); below, ping-pong pairs
//   (0.992; cooperative /s8 0.878).
// - K >= 16384: the same split at M >= 32768 (cooperative /s8 1.000, plain cooperative
//   0.943) and below (ping-pong pairs 1.000, cooperative /s8 0.941).
// - K <= 2048 or N <= 1664: ping-pong in 2 x 1 clusters sharing b's tiles by multicast
//   (0.989; plain ping-pong 0.992: a tie, kept; pairs 0.940).
// - Otherwise (N = 2048 with K = 8192) ping-pong pairs (0.999; cooperative 0.917, the H100's
//   choice, where it led by 3-8%).
std::string ChooseVariant(int64_t m, int64_t n, int64_t k) {
  if (n <= 1024) return "pingpong_128x128";
  if (k <= 1408) return "pingpong_128x128/s2";
  if (n >= 16384) return m >= 65536 ? "coop_128x256/s8" : "pingpong_128x128/s2";
  if (k >= 16384) return m >= 32768 ? "coop_128x256/s8" : "pingpong_128x128/s2";
  if (k <= 2048 || n <= 1664) return "pingpong_128x128_c2";
  return "pingpong_128x128/s2";
}

}  // namespace

bool Available() {
  static const bool available = [] {
    int device = 0, major = 0, minor = 0;
    if (cudaGetDevice(&device) != cudaSuccess) return false;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
    cudaGetLastError();
    return major == 9 && minor == 0;
  }();
  return available;
}

absl::Status Int8MatmulDequantVariant(const std::string& name, const int8_t* a, const int8_t* b,
                                      int64_t m, int64_t n, int64_t k, const __half* sa,
                                      const __half* sb, bool sb_is_scalar, const __half* bias,
                                      __half* out, cudaStream_t stream) {
  GemmArgs args{a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, stream};
  if (absl::Status s = CheckShape(args); !s.ok()) return s;
  // "<kernel>[/s<swizzle>[m|n]]", e.g. "coop_128x256/s8n".
  const size_t slash = name.find('/');
  const std::string kernel = name.substr(0, slash);
  if (slash != std::string::npos) {
    const std::string sched = name.substr(slash + 1);
    if (sched.size() < 2 || sched[0] != 's' || !std::isdigit(static_cast<unsigned char>(sched[1]))) {
      return absl::InvalidArgumentError("bad sm90 schedule suffix in " + name);
    }
    args.swizzle = sched[1] - '0';
    args.raster = sched.size() > 2 ? sched[2] : 'h';
    if ((args.swizzle & (args.swizzle - 1)) != 0 || (args.raster != 'm' && args.raster != 'n' && args.raster != 'h')) {
      return absl::InvalidArgumentError("bad sm90 schedule suffix in " + name);
    }
  }
  if (kernel == "coop_128x256") return RunCoop128x256(args, Workspace());
  if (kernel == "pingpong_128x128") return RunPingpong128x128(args, Workspace());
  if (kernel == "pingpong_128x128_c2") return RunPingpong128x128Cluster2(args, Workspace());
  return absl::NotFoundError("no sm90 variant " + name);
}

absl::Status Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                               const __half* sa, const __half* sb, bool sb_is_scalar,
                               const __half* bias, __half* out, cudaStream_t stream,
                               std::string* variant) {
  const std::string name = ChooseVariant(m, n, k);
  absl::Status s = Int8MatmulDequantVariant(name, a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, stream);
  if (s.ok() && variant) *variant = "cutlass_sm90_" + name;
  return s;
}

}  // namespace switchback::cuda::sm90

// Chooses the Hopper GEMM variant by problem size (a small table, tuned on the H100, checked on the H200).
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

// The variant table. Tuned on the H100 (bench/results/h100_2026-11-24_s2_bench_table.txt
// and _bench_cluster.txt, docs/BENCHMARKS.md), checked on the H200 in the ninth session,
// where one entry changed. What decides is the sweep's sustained timing (64 calls of one
// variant in a row, the card settling at the clock its power cap allows for that variant),
// not bench/int8_gemm_bench's turns: there the variants share one clock, and the ping-pong
// kernels, which at the same power run 100-350 MHz below the cooperative one, look up to
// 23% faster at N or K = 16384 and M <= 16384 while the sweep timed them 6-13% slower
// (bench/results/h200_2026-12-02_s9_gemm_sweep.txt against _s9_original.jsonl).
// - N <= 1024: ping-pong 128 x 128, one warpgroup's epilogue overlapping the other's
//   mainloop (1435-1494 vs 1303-1367 TOP/s at 32768 x 1024 x 4096 on the H100).
// - K <= 1408 (8-11 k-blocks per tile, the epilogue a large share): ping-pong walking tiles
//   in pairs (1061-1073 vs 874-905 at 16384 x 5120 x 1280 on the H100; on the H200 the
//   2 x 1 cluster ties with it), with sb and bias loaded straight into registers (H200,
//   eleventh session: +2-7% at K = 1024, N = 4096; pingpong_128x128r in its file).
// - N >= 16384: cooperative 128 x 256 walking tiles in groups of 8 along M, so b's tiles in
//   flight stay in L2 (1387-1420 vs 1082-1216 at 131072 x 16384 x 4096 on the H100).
// - K >= 16384 at M >= 32768: the same (H200 sweep: 1.01-1.04x the plain cooperative kernel
//   on all 12 products; 1.02-1.10x in the bench's turns).
// - K <= 2048 or N <= 1664: ping-pong in 2 x 1 clusters sharing b's tiles by multicast
//   (1324-1373 vs 1184-1238 at 65536 x 8192 x 2048 on the H100).
// - Otherwise the cooperative 128 x 256 kernel.
std::string ChooseVariant(int64_t m, int64_t n, int64_t k) {
  if (n <= 1024) return "pingpong_128x128";
  if (k <= 1408) return "pingpong_128x128r/s2";
  if (n >= 16384 || (k >= 16384 && m >= 32768)) return "coop_128x256/s8";
  if (k <= 2048 || n <= 1664) return "pingpong_128x128_c2";
  return "coop_128x256";
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
  if (kernel == "pingpong_128x128r") return RunPingpong128x128RegisterRows(args, Workspace());
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

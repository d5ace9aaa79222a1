// Chooses the Hopper GEMM variant by problem size (a small table, tuned on the H100).
#include "kernels/cuda/sm90/int8_gemm_sm90.h"

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
  const GemmArgs args{a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, stream};
  if (absl::Status s = CheckShape(args); !s.ok()) return s;
  if (name == "coop_128x256") return RunCoop128x256(args, Workspace());
  if (name == "pingpong_128x128") return RunPingpong128x128(args, Workspace());
  return absl::NotFoundError("no sm90 variant " + name);
}

absl::Status Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                               const __half* sa, const __half* sb, bool sb_is_scalar,
                               const __half* bias, __half* out, cudaStream_t stream,
                               std::string* variant) {
  // Measured on the H100 (docs/BENCHMARKS.md): the cooperative 128 x 256 kernel wins
  // wherever N > 1024 (e.g. 1478 vs 1082 TOP/s at 65536 x 2048 x 8192); at N <= 1024 the
  // ping-pong 128 x 128 kernel does (1325 vs 1232 at 32768 x 1024 x 4096), its epilogue
  // overlapping the other warpgroup's mainloop.
  const std::string name = n <= 1024 ? "pingpong_128x128" : "coop_128x256";
  absl::Status s = Int8MatmulDequantVariant(name, a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, stream);
  if (s.ok() && variant) *variant = "cutlass_sm90_" + name;
  return s;
}

}  // namespace switchback::cuda::sm90

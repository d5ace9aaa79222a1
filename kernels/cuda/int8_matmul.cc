// Picks the int8 product's variant: the Hopper kernel (kernels/cuda/sm90) where it is built
// and takes the shape, else the portable mma.sync kernel.
#include "kernels/cuda/int8_matmul_dispatch.h"
#include "kernels/cuda/switchback_kernels.h"

#ifdef SWITCHBACK_HAVE_SM90
#include "kernels/cuda/sm90/int8_gemm_sm90.h"
#endif

namespace switchback::cuda {

absl::Status Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                               const __half* sa, const __half* sb, bool sb_is_scalar,
                               const __half* bias, __half* out, cudaStream_t stream,
                               std::string* variant) {
  if (m <= 0 || n <= 0) return absl::OkStatus();
#ifdef SWITCHBACK_HAVE_SM90
  if (sm90::Available()) {
    absl::Status s = sm90::Int8MatmulDequant(a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, stream, variant);
    if (!absl::IsUnimplemented(s)) return s;
  }
#endif
  return Int8MatmulMma(a, b, m, n, k, sa, sb, sb_is_scalar, bias, out, stream, variant);
}

}  // namespace switchback::cuda

// A C entry point to our int8 products (kernels/cuda/switchback_kernels.h, Int8MatmulDequant),
// so that bench/int8_interleaved.py can time them and bitsandbytes' Triton kernels in one
// process, on the same quantized tensors and stream, alternately: the sweep and the bnb step
// run minutes or sessions apart, and these products' time follows the clock the card holds
// under its power cap (docs/BENCHMARKS.md). Not part of the server.
#include <cstdint>
#include <string>

#include "bench/capi_text.h"
#include "kernels/cuda/switchback_kernels.h"

using switchback::bench::Returned;

extern "C" {

// out [m,n] = a [m,k] b [n,k]^T * sa[m] * sb[n] / 127^2 (+ bias[n]); int8 a and b, fp16
// sa, sb (one value if sb_is_scalar), bias (nullptr: none) and out, all device pointers.
// Returns 0, or -1 with the error in `error`; `variant` gets the kernel variant's name.
int switchback_int8_matmul(int64_t m, int64_t n, int64_t k, const void* a, const void* b, const void* sa,
                           const void* sb, int sb_is_scalar, const void* bias, void* out, void* stream,
                           char* variant, int variant_len, char* error, int error_len) {
  std::string name;
  const absl::Status s = switchback::cuda::Int8MatmulDequant(
      static_cast<const int8_t*>(a), static_cast<const int8_t*>(b), m, n, k, static_cast<const __half*>(sa),
      static_cast<const __half*>(sb), sb_is_scalar != 0, static_cast<const __half*>(bias), static_cast<__half*>(out),
      static_cast<cudaStream_t>(stream), &name);
  return Returned(s, name, variant, variant_len, error, error_len);
}

}  // extern "C"

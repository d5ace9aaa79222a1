// Global quantization: one absmax over the tensor (partials, then reduced by every block of
// the quantizing pass), codes in the input's layout.
#include "kernels/cuda/check.h"
#include "kernels/cuda/quantize_reduce.cuh"
#include "kernels/cuda/switchback_kernels.h"

namespace switchback::cuda {
namespace detail {
namespace {

__global__ void AbsMaxPartials(const __half* __restrict__ x, int64_t n, bool vec,
                               float* __restrict__ partial) {
  __shared__ float smem[32];
  float m = 0.0f;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (vec) {
    // Four independent 16-byte loads per iteration: more bytes in flight per thread.
    const Half8* v = reinterpret_cast<const Half8*>(x);
    const int64_t nv = n / 8;
    int64_t i = tid;
    for (; i + 3 * stride < nv; i += 4 * stride) {
      const Half8 a = v[i], b = v[i + stride], c = v[i + 2 * stride], d = v[i + 3 * stride];
      m = fmaxf(fmaxf(m, fmaxf(AbsMax8(a), AbsMax8(b))), fmaxf(AbsMax8(c), AbsMax8(d)));
    }
    for (; i < nv; i += stride) m = fmaxf(m, AbsMax8(v[i]));
  } else {
    for (int64_t i = tid; i < n; i += stride) m = fmaxf(m, fabsf(__half2float(x[i])));
  }
  m = BlockMax(m, smem);
  if (threadIdx.x == 0) partial[blockIdx.x] = m;
}

__global__ void __launch_bounds__(1024) ReducePartialsKernel(const float* __restrict__ partial, int count,
                                                             float* __restrict__ out) {
  __shared__ float smem[32];
  const float m = ReducePartials(partial, count, smem);
  if (threadIdx.x == 0) *out = m;
}

}  // namespace

cudaError_t LaunchReducePartials(const float* partial, int count, float* out, cudaStream_t stream) {
  ReducePartialsKernel<<<1, 1024, 0, stream>>>(partial, count, out);
  return cudaGetLastError();
}

cudaError_t LaunchAbsMaxPartials(const __half* x, int64_t n, bool vec, float* partial,
                                 cudaStream_t stream) {
  AbsMaxPartials<<<GlobalPartials(n), 256, 0, stream>>>(x, n, vec, partial);
  return cudaGetLastError();
}

}  // namespace detail

namespace {

using namespace detail;

__global__ void __launch_bounds__(256) QuantizeGlobalKernel(const __half* __restrict__ x, int64_t n,
                                                            bool vec, const float* __restrict__ partial,
                                                            int partials, int8_t* __restrict__ codes,
                                                            __half* __restrict__ state) {
  __shared__ float smem[32];
  const float absmax = ReducePartials(partial, partials, smem);
  if (blockIdx.x == 0 && threadIdx.x == 0) *state = __float2half_rn(absmax);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (vec) {
    const Half8* v = reinterpret_cast<const Half8*>(x);
    Code8* out = reinterpret_cast<Code8*>(codes);
    for (int64_t i = tid; i < n / 8; i += stride) out[i] = Quantize8(v[i], absmax);
  } else {
    for (int64_t i = tid; i < n; i += stride) codes[i] = Code(__half2float(x[i]), absmax);
  }
}

}  // namespace

size_t QuantizeScratchBytes(int64_t rows, int64_t cols) {
  const size_t global = sizeof(float) * (kMaxPartials + 1);  // partials, then their max
  const size_t column = sizeof(float) * static_cast<size_t>(ColumnChunks(rows, cols) + 1) *
                        static_cast<size_t>(std::max<int64_t>(cols, 0));
  return std::max(global, column);
}

absl::Status QuantizeGlobal(const __half* w, int64_t rows, int64_t cols, int8_t* codes,
                            __half* state, void* scratch, cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n <= 0) return absl::OkStatus();
  const bool vec = n % 8 == 0 && Aligned16(w) && (reinterpret_cast<uintptr_t>(codes) & 7) == 0;
  float* partial = static_cast<float*>(scratch);
  const int partials = GlobalPartials(n);
  SB_CUDA_CHECK(LaunchAbsMaxPartials(w, n, vec, partial, stream));
  const int64_t work = vec ? n / 8 : n;
  const unsigned blocks = static_cast<unsigned>(std::clamp<int64_t>((work + 255) / 256, 1, 132 * 8));
  QuantizeGlobalKernel<<<blocks, 256, 0, stream>>>(w, n, vec, partial, partials, codes, state);
  SB_CUDA_CHECK_LAUNCH("QuantizeGlobalKernel");
  return absl::OkStatus();
}

}  // namespace switchback::cuda

// CUDA SwitchBack kernels: device pointers, explicit shapes and a stream in, Status out.
// Semantics are those of kernels/ops.h and match kernels/reference/ bit for bit
// (quantization) or within tolerance (products). No gRPC, no engine knowledge here.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace switchback::cuda {

absl::Status QuantizeRowwise(const __half* x, int64_t rows, int64_t cols, int8_t* codes,
                             __half* state, cudaStream_t stream);

// Column and global quantization reduce their absmax on the device in the same kernel
// (maxima exchanged between blocks, then the quantizing pass; no host round trip, no memset
// per call; on Hopper, colwise on large or short-stripped w by clusters in one pass). `scratch` is caller-owned device memory of QuantizeScratchBytes(rows, cols) bytes,
// cleared once by ClearQuantizeScratch before its first use; each call leaves it ready for
// the next. One scratch serves one (rows, cols) and one stream at a time. `variant`
// (optional) receives the kernel variant's name for the result line: the mode, the strip
// width, how pass 1 fills the cache (tensor memory accelerator or thread loads) and, for
// tensors larger than L2, the dynamic kernel, e.g. "quantize_global_s64_dynamic", or the
// cluster plan, e.g. "quantize_colwise_transpose_cluster16_s32".
size_t QuantizeScratchBytes(int64_t rows, int64_t cols);
absl::Status ClearQuantizeScratch(void* scratch, int64_t rows, int64_t cols, cudaStream_t stream);

absl::Status QuantizeColwiseTranspose(const __half* w, int64_t rows, int64_t cols,
                                      int8_t* codes_t, __half* state, void* scratch,
                                      cudaStream_t stream, std::string* variant = nullptr);

absl::Status QuantizeGlobal(const __half* w, int64_t rows, int64_t cols, int8_t* codes,
                            __half* state, void* scratch, cudaStream_t stream,
                            std::string* variant = nullptr);
absl::Status QuantizeGlobalTranspose(const __half* w, int64_t rows, int64_t cols,
                                     int8_t* codes_t, __half* state, void* scratch,
                                     cudaStream_t stream, std::string* variant = nullptr);

// out [M,N] = dequant(a [M,K] · b [N,K]^T); sb is [N] or, if sb_is_scalar, [1]; bias may be
// nullptr. Picks the best kernel variant for the device and shape; `variant` (optional)
// receives its name for the result line.
absl::Status Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n,
                               int64_t k, const __half* sa, const __half* sb, bool sb_is_scalar,
                               const __half* bias, __half* out, cudaStream_t stream,
                               std::string* variant = nullptr);

}  // namespace switchback::cuda

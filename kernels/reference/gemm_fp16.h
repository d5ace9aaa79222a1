// CPU reference fp16 GEMM with fp32 accumulation (see kernels/ops.h for op(A), op(B)).
#pragma once

#include <cstdint>

#include "kernels/half.h"
#include "kernels/ops.h"

namespace switchback::ref {

// C [M,N] = op(A) · op(B); A, B, C dense row-major; multithreaded and cache-blocked.
void GemmFp16(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k, const Half* a,
              const Half* b, Half* c);

}  // namespace switchback::ref

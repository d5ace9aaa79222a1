// CPU reference int8 x int8 -> fp16 product with fused dequantization (see kernels/ops.h).
#pragma once

#include <cstdint>

#include "kernels/half.h"

namespace switchback::ref {

// a [M,K], b [N,K] int8; sa [M]; sb [N] (sb_is_scalar == false) or [1]; bias [N] or nullptr.
// out [M,N] fp16. Multithreaded and cache-blocked; int32 accumulation is exact.
void Int8MatmulDequant(const int8_t* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
                       const Half* sa, const Half* sb, bool sb_is_scalar, const Half* bias,
                       Half* out);

}  // namespace switchback::ref

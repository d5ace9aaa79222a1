// CPU reference quantizers: the oracle for the CUDA kernels (same names, same semantics).
#pragma once

#include <cstdint>

#include "kernels/half.h"

namespace switchback::ref {

// x [rows, cols] -> codes [rows, cols], state [rows] (absmax of each row).
void QuantizeRowwise(const Half* x, int64_t rows, int64_t cols, int8_t* codes, Half* state);

// w [rows, cols] -> codes [cols, rows] (transposed), state [cols] (absmax of each column of w).
void QuantizeColwiseTranspose(const Half* w, int64_t rows, int64_t cols, int8_t* codes_t,
                              Half* state);

// w [rows, cols] -> codes [rows, cols], state [1] (absmax of the whole tensor).
void QuantizeGlobal(const Half* w, int64_t rows, int64_t cols, int8_t* codes, Half* state);

// w [rows, cols] -> codes [cols, rows] (transposed), state [1].
void QuantizeGlobalTranspose(const Half* w, int64_t rows, int64_t cols, int8_t* codes_t,
                             Half* state);

}  // namespace switchback::ref

// What each of the 13 ops computes, as data: which buffers, which shapes. Both backends
// allocate the same buffers and interpret the same plans, so SPEC.md's wiring (which state
// pairs with which product) is written once, here.
#pragma once

#include <array>
#include <cstdint>

#include "engine/op.h"
#include "engine/sweep.h"
#include "kernels/ops.h"

namespace switchback {

enum class Buf : int {
  kX,       // fp16 [B, in]   activations
  kG,       // fp16 [B, out]  output gradient
  kW,       // fp16 [out, in] weight
  kX8,      // int8 [B, in]   x rowwise codes
  kG8,      // int8 [B, out]  g rowwise codes
  kW8,      // int8 [out, in] w rowwise codes
  kWt8,     // int8 [in, out] w colwise codes, transposed
  kWg8,     // int8 [out, in] w global codes
  kWgt8,    // int8 [in, out] w global codes, transposed
  kSx,      // fp16 [B]   x row absmax
  kSg,      // fp16 [B]   g row absmax
  kSwRow,   // fp16 [out] w row absmax
  kSwCol,   // fp16 [in]  w column absmax
  kSwGlob,  // fp16 [1]
  kSwGlobT, // fp16 [1]
  kY,       // fp16 [B, out]  forward output (standard_fwd, rowwise_fwd, global_fwd)
  kGx,      // fp16 [B, in]   input gradient (standard_gx, rowwise_bwd, global_bwd)
  kGw,      // fp16 [out, in] weight gradient (standard_gw)
};
inline constexpr int kNumBufs = 18;

struct BufShape {
  int64_t elements = 0;
  int element_bytes = 0;  // 1 (int8) or 2 (fp16)
};
BufShape ShapeOf(Buf buf, const Config& config);

enum class QuantizeKind { kRowwise, kColwiseTranspose, kGlobal, kGlobalTranspose };

struct OpPlan {
  OpKind kind;
  // Quantization: input [rows, cols] -> codes, state.
  QuantizeKind quantize = QuantizeKind::kRowwise;
  int64_t rows = 0, cols = 0;
  Buf input = Buf::kX, codes = Buf::kX8, state = Buf::kSx;
  // Products: out [m, n] = op(a) · op(b) with depth k.
  int64_t m = 0, n = 0, k = 0;
  Buf a = Buf::kX, b = Buf::kW, out = Buf::kY;
  Transpose ta = Transpose::kNo, tb = Transpose::kNo;  // fp16 products
  Buf sa = Buf::kSx, sb = Buf::kSwRow;                 // int8 products
  bool sb_is_scalar = false;
};

OpPlan PlanOf(Op op, const Config& config);

// The quantizations Prepare runs once so that the products consume real codes.
inline constexpr std::array<Op, 6> kQuantizeOps = {
    Op::kXQuantizeRowwise,           Op::kGQuantizeRowwise, Op::kWQuantizeRowwise,
    Op::kWQuantizeColwiseTranspose,  Op::kWQuantizeGlobal,  Op::kWQuantizeGlobalTranspose};

}  // namespace switchback

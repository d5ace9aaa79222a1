#include "engine/op.h"

namespace switchback {

absl::string_view OpName(Op op) {
  switch (op) {
    case Op::kStandardFwd: return "standard_fwd";
    case Op::kStandardGw: return "standard_gw";
    case Op::kStandardGx: return "standard_gx";
    case Op::kRowwiseFwd: return "rowwise_fwd";
    case Op::kRowwiseBwd: return "rowwise_bwd";
    case Op::kGlobalFwd: return "global_fwd";
    case Op::kGlobalBwd: return "global_bwd";
    case Op::kXQuantizeRowwise: return "x_quantize_rowwise";
    case Op::kGQuantizeRowwise: return "g_quantize_rowwise";
    case Op::kWQuantizeRowwise: return "w_quantize_rowwise";
    case Op::kWQuantizeColwiseTranspose: return "w_quantize_colwise_transpose";
    case Op::kWQuantizeGlobal: return "w_quantize_global";
    case Op::kWQuantizeGlobalTranspose: return "w_quantize_global_transpose";
  }
  return "unknown_op";
}

OpKind KindOf(Op op) {
  switch (op) {
    case Op::kStandardFwd:
    case Op::kStandardGw:
    case Op::kStandardGx:
      return OpKind::kFp16Product;
    case Op::kRowwiseFwd:
    case Op::kRowwiseBwd:
    case Op::kGlobalFwd:
    case Op::kGlobalBwd:
      return OpKind::kInt8Product;
    default:
      return OpKind::kQuantize;
  }
}

}  // namespace switchback

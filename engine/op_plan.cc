#include "engine/op_plan.h"

namespace switchback {

BufShape ShapeOf(Buf buf, const Config& c) {
  const int64_t b = c.batch_size, in = c.dim_in, out = c.dim_out;
  switch (buf) {
    case Buf::kX: return {b * in, 2};
    case Buf::kG: return {b * out, 2};
    case Buf::kW: return {out * in, 2};
    case Buf::kX8: return {b * in, 1};
    case Buf::kG8: return {b * out, 1};
    case Buf::kW8:
    case Buf::kWt8:
    case Buf::kWg8:
    case Buf::kWgt8: return {out * in, 1};
    case Buf::kSx:
    case Buf::kSg: return {b, 2};
    case Buf::kSwRow: return {out, 2};
    case Buf::kSwCol: return {in, 2};
    case Buf::kSwGlob:
    case Buf::kSwGlobT: return {1, 2};
    case Buf::kY: return {b * out, 2};
    case Buf::kGx: return {b * in, 2};
    case Buf::kGw: return {out * in, 2};
  }
  return {};
}

namespace {

OpPlan Quantize(QuantizeKind kind, Buf input, int64_t rows, int64_t cols, Buf codes, Buf state) {
  OpPlan p{OpKind::kQuantize};
  p.quantize = kind;
  p.input = input;
  p.rows = rows;
  p.cols = cols;
  p.codes = codes;
  p.state = state;
  return p;
}

OpPlan Fp16(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k, Buf a, Buf b, Buf out) {
  OpPlan p{OpKind::kFp16Product};
  p.ta = ta;
  p.tb = tb;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = a;
  p.b = b;
  p.out = out;
  return p;
}

OpPlan Int8(Buf a, Buf b, int64_t m, int64_t n, int64_t k, Buf sa, Buf sb, bool scalar, Buf out) {
  OpPlan p{OpKind::kInt8Product};
  p.a = a;
  p.b = b;
  p.m = m;
  p.n = n;
  p.k = k;
  p.sa = sa;
  p.sb = sb;
  p.sb_is_scalar = scalar;
  p.out = out;
  return p;
}

}  // namespace

OpPlan PlanOf(Op op, const Config& c) {
  const int64_t B = c.batch_size, in = c.dim_in, out = c.dim_out;
  using T = Transpose;
  switch (op) {
    // y = x · wᵀ ; gw = gᵀ · x ; gx = g · w
    case Op::kStandardFwd: return Fp16(T::kNo, T::kYes, B, out, in, Buf::kX, Buf::kW, Buf::kY);
    case Op::kStandardGw: return Fp16(T::kYes, T::kNo, out, in, B, Buf::kG, Buf::kX, Buf::kGw);
    case Op::kStandardGx: return Fp16(T::kNo, T::kNo, B, in, out, Buf::kG, Buf::kW, Buf::kGx);
    // SwitchBack's own pairing (SPEC.md): forward uses w's row states, backward w's column
    // states of the transposed codes, and g's (not x's) row states.
    case Op::kRowwiseFwd:
      return Int8(Buf::kX8, Buf::kW8, B, out, in, Buf::kSx, Buf::kSwRow, false, Buf::kY);
    case Op::kRowwiseBwd:
      return Int8(Buf::kG8, Buf::kWt8, B, in, out, Buf::kSg, Buf::kSwCol, false, Buf::kGx);
    case Op::kGlobalFwd:
      return Int8(Buf::kX8, Buf::kWg8, B, out, in, Buf::kSx, Buf::kSwGlob, true, Buf::kY);
    case Op::kGlobalBwd:
      return Int8(Buf::kG8, Buf::kWgt8, B, in, out, Buf::kSg, Buf::kSwGlobT, true, Buf::kGx);
    case Op::kXQuantizeRowwise:
      return Quantize(QuantizeKind::kRowwise, Buf::kX, B, in, Buf::kX8, Buf::kSx);
    case Op::kGQuantizeRowwise:
      return Quantize(QuantizeKind::kRowwise, Buf::kG, B, out, Buf::kG8, Buf::kSg);
    case Op::kWQuantizeRowwise:
      return Quantize(QuantizeKind::kRowwise, Buf::kW, out, in, Buf::kW8, Buf::kSwRow);
    case Op::kWQuantizeColwiseTranspose:
      return Quantize(QuantizeKind::kColwiseTranspose, Buf::kW, out, in, Buf::kWt8, Buf::kSwCol);
    case Op::kWQuantizeGlobal:
      return Quantize(QuantizeKind::kGlobal, Buf::kW, out, in, Buf::kWg8, Buf::kSwGlob);
    case Op::kWQuantizeGlobalTranspose:
      return Quantize(QuantizeKind::kGlobalTranspose, Buf::kW, out, in, Buf::kWgt8,
                      Buf::kSwGlobT);
  }
  return OpPlan{OpKind::kQuantize};
}

}  // namespace switchback

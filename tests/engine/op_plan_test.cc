#include "engine/op_plan.h"

#include <gtest/gtest.h>

namespace switchback {
namespace {

Config OddConfig() {
  Config c;
  c.batch_size = 7;
  c.dim_in = 5;
  c.dim_out = 3;
  c.wm = 1;
  c.repeat = 1;
  return c;
}

// Every plan's shapes agree with the buffers it names: a state per row of its product.
TEST(OpPlanTest, ShapesAgreeWithBuffers) {
  const Config c = OddConfig();
  for (Op op : kAllOps) {
    const OpPlan p = PlanOf(op, c);
    SCOPED_TRACE(std::string(OpName(op)));
    switch (p.kind) {
      case OpKind::kQuantize: {
        EXPECT_EQ(ShapeOf(p.input, c).elements, p.rows * p.cols);
        EXPECT_EQ(ShapeOf(p.codes, c).elements, p.rows * p.cols);
        const bool global = p.quantize == QuantizeKind::kGlobal ||
                            p.quantize == QuantizeKind::kGlobalTranspose;
        const int64_t states = global ? 1
                               : p.quantize == QuantizeKind::kRowwise ? p.rows
                                                                      : p.cols;
        EXPECT_EQ(ShapeOf(p.state, c).elements, states);
        break;
      }
      case OpKind::kInt8Product:
        EXPECT_EQ(ShapeOf(p.a, c).elements, p.m * p.k);
        EXPECT_EQ(ShapeOf(p.b, c).elements, p.n * p.k);
        EXPECT_EQ(ShapeOf(p.sa, c).elements, p.m);
        EXPECT_EQ(ShapeOf(p.sb, c).elements, p.sb_is_scalar ? 1 : p.n);
        EXPECT_EQ(ShapeOf(p.out, c).elements, p.m * p.n);
        EXPECT_EQ(ShapeOf(p.a, c).element_bytes, 1);
        break;
      case OpKind::kFp16Product:
        EXPECT_EQ(ShapeOf(p.a, c).elements, p.m * p.k);
        EXPECT_EQ(ShapeOf(p.b, c).elements, p.n * p.k);
        EXPECT_EQ(ShapeOf(p.out, c).elements, p.m * p.n);
        break;
    }
  }
}

// SPEC.md's pairing, not the published script's swapped states.
TEST(OpPlanTest, SwitchBackStatePairing) {
  const Config c = OddConfig();
  const OpPlan fwd = PlanOf(Op::kRowwiseFwd, c);
  EXPECT_EQ(fwd.a, Buf::kX8);
  EXPECT_EQ(fwd.sa, Buf::kSx);
  EXPECT_EQ(fwd.b, Buf::kW8);
  EXPECT_EQ(fwd.sb, Buf::kSwRow);
  const OpPlan bwd = PlanOf(Op::kRowwiseBwd, c);
  EXPECT_EQ(bwd.a, Buf::kG8);
  EXPECT_EQ(bwd.sa, Buf::kSg);
  EXPECT_EQ(bwd.b, Buf::kWt8);
  EXPECT_EQ(bwd.sb, Buf::kSwCol);
  EXPECT_FALSE(bwd.sb_is_scalar);
  const OpPlan gbwd = PlanOf(Op::kGlobalBwd, c);
  EXPECT_EQ(gbwd.b, Buf::kWgt8);
  EXPECT_EQ(gbwd.sb, Buf::kSwGlobT);
  EXPECT_TRUE(gbwd.sb_is_scalar);
  const OpPlan gw = PlanOf(Op::kStandardGw, c);
  EXPECT_EQ(gw.m, c.dim_out);
  EXPECT_EQ(gw.n, c.dim_in);
  EXPECT_EQ(gw.k, c.batch_size);
  EXPECT_EQ(gw.ta, Transpose::kYes);
}

TEST(OpPlanTest, NamesAreTheJsonlKeysInOriginalOrder) {
  const char* expected[] = {"standard_fwd",       "standard_gw",        "standard_gx",
                            "rowwise_fwd",        "rowwise_bwd",        "global_fwd",
                            "global_bwd",         "x_quantize_rowwise", "g_quantize_rowwise",
                            "w_quantize_rowwise", "w_quantize_colwise_transpose",
                            "w_quantize_global",  "w_quantize_global_transpose"};
  for (int i = 0; i < kNumOps; ++i) EXPECT_EQ(OpName(kAllOps[i]), expected[i]);
}

}  // namespace
}  // namespace switchback

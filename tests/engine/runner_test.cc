#include "engine/runner.h"

#include <gtest/gtest.h>

#include "engine/cpu_backend.h"

namespace switchback {
namespace {

Config SmallConfig() {
  SweepSpec spec = DefaultSweepSpec();
  spec.dims = {32};
  spec.batch_sizes = {48};
  spec.switches = {true};
  spec.repeat = 3;
  spec.seed = 11;
  return ExpandSweep(spec)[0];
}

TEST(RunnerTest, UnstableOpsAreTheMeasuredOnesAboveTheCvLimit) {
  ConfigResult r;
  r.at(Op::kStandardFwd).measured = true;
  r.at(Op::kStandardFwd).summary.cv = 0.01;
  r.at(Op::kWQuantizeRowwise).measured = true;
  r.at(Op::kWQuantizeRowwise).summary.cv = kMaxStableCv * 1.1;
  r.at(Op::kWQuantizeGlobal).measured = true;
  r.at(Op::kWQuantizeGlobal).summary.cv = kMaxStableCv;  // at the limit: stable
  r.at(Op::kRowwiseFwd).summary.cv = 1.0;                 // not measured: ignored
  EXPECT_EQ(UnstableOps(r), std::vector<std::string>{"w_quantize_rowwise"});
  r.unstable = UnstableOps(r);
  EXPECT_NE(ToJsonLine(r).find("\"unstable\":[\"w_quantize_rowwise\"]"), std::string::npos) << ToJsonLine(r);
}

TEST(RunnerTest, CpuBackendMeasuresEveryOp) {
  auto backend = MakeCpuBackend({});
  CancelToken cancel;
  const ConfigResult r = RunConfig(*backend, SmallConfig(), cancel);
  EXPECT_EQ(r.error, "");
  for (Op op : kAllOps) {
    const OpResult& o = r.at(op);
    EXPECT_TRUE(o.measured) << OpName(op);
    EXPECT_EQ(o.summary.count, 3) << OpName(op);
    EXPECT_GT(o.summary.mean, 0.0) << OpName(op);
    EXPECT_LE(o.summary.min, o.summary.median);
    EXPECT_LE(o.summary.median, o.summary.max);
    EXPECT_FALSE(o.variant.empty());
  }
  ASSERT_TRUE(r.totals[0].has_value());
  // Ops this small take their flat key from a back-to-back loop where their warm-up calls
  // ran under kBackToBackBelowMs. The 32 x 48 x 128 products run on one thread (ParallelFor
  // starts threads only for kThreadWork each), so they stay under it on a loaded machine too
  // (with threads started per call they did not, with two busy loops beside this test).
  EXPECT_TRUE(r.at(Op::kStandardFwd).back_to_back_ms.has_value());
  for (Op op : kAllOps) {
    const OpResult& o = r.at(op);
    if (o.back_to_back_ms) {
      EXPECT_DOUBLE_EQ(o.FlatMs(), *o.back_to_back_ms) << OpName(op);
    }
  }
  EXPECT_DOUBLE_EQ(*r.totals[0], r.at(Op::kStandardFwd).FlatMs() + r.at(Op::kStandardGx).FlatMs() +
                                     r.at(Op::kStandardGw).FlatMs());
  EXPECT_EQ(r.device.backend, "cpu");
  EXPECT_GT(r.elapsed_s, 0.0);
}

TEST(RunnerTest, CancelledBeforeStartMeasuresNothing) {
  auto backend = MakeCpuBackend({});
  CancelToken cancel;
  cancel.Cancel();
  const ConfigResult r = RunConfig(*backend, SmallConfig(), cancel);
  EXPECT_EQ(r.error, "cancelled");
  for (Op op : kAllOps) EXPECT_FALSE(r.at(op).measured);
  EXPECT_FALSE(r.totals[0].has_value());
}

TEST(RunnerTest, WorkLimitRefusesBeforeAllocating) {
  CpuBackendOptions options;
  options.work_limit_macs = 1e6;
  auto backend = MakeCpuBackend(options);
  absl::Status s = backend->CheckFits(SmallConfig());
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("--cpu_work_limit"), std::string::npos) << s;
  CpuBackendOptions memory;
  memory.memory_limit_bytes = 1024;
  EXPECT_EQ(MakeCpuBackend(memory)->CheckFits(SmallConfig()).code(),
            absl::StatusCode::kResourceExhausted);
}

// A backend whose rowwise_bwd fails: the line says so and keeps every other op.
class FailingWorkspace : public ConfigWorkspace {
 public:
  absl::Status Enqueue(Op op, std::string* variant) override {
    if (op == Op::kRowwiseBwd) return absl::InternalError("kernel exploded");
    if (variant) *variant = "fake";
    return absl::OkStatus();
  }
  absl::Status Mark(int) override { return absl::OkStatus(); }
  absl::Status Synchronize() override { return absl::OkStatus(); }
  absl::StatusOr<double> ElapsedMs(int, int) override { return 1.0; }
  absl::Status FlushCaches() override { return absl::OkStatus(); }
  absl::Status Capture(Op, int64_t) override { return absl::UnimplementedError("fake"); }
  absl::Status ReplayCaptured() override { return absl::UnimplementedError("fake"); }
  absl::Status Read(Buf, int64_t, int64_t, int64_t, int64_t, void*) override {
    return absl::UnimplementedError("fake");
  }
};
class FailingBackend : public Backend {
 public:
  BackendInfo Info() const override {
    BackendInfo info;
    info.backend = "fake";
    info.device_name = "fake device";
    return info;
  }
  absl::Status CheckFits(const Config&) const override { return absl::OkStatus(); }
  absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config&) override {
    return std::unique_ptr<ConfigWorkspace>(new FailingWorkspace);
  }
};

TEST(RunnerTest, OneFailingOpKeepsTheRest) {
  FailingBackend backend;
  CancelToken cancel;
  Config config = SmallConfig();
  config.verify = false;  // the fake has no buffers to read
  config.measure.min_warmup_ms = 0;  // its clock says 1 ms for any span: one sample per call
  const ConfigResult r = RunConfig(backend, config, cancel);
  EXPECT_EQ(r.error, "rowwise_bwd: kernel exploded");
  EXPECT_FALSE(r.at(Op::kRowwiseBwd).measured);
  EXPECT_TRUE(r.at(Op::kGlobalBwd).measured);
  EXPECT_TRUE(r.totals[0].has_value());
  EXPECT_FALSE(r.totals[1].has_value());
  ASSERT_TRUE(r.totals[2].has_value());
  EXPECT_DOUBLE_EQ(*r.totals[2], 7.0);
}

}  // namespace
}  // namespace switchback

#include "engine/verify.h"

#include <gtest/gtest.h>

#include "engine/cpu_backend.h"
#include "engine/runner.h"
#include "kernels/half.h"

namespace switchback {
namespace {

Config SmallConfig(bool switch_mode) {
  SweepSpec spec = DefaultSweepSpec();
  spec.dims = {40};
  spec.batch_sizes = {70};
  spec.switches = {switch_mode};
  spec.repeat = 2;
  spec.seed = 5;
  return ExpandSweep(spec)[0];
}

// Forwards everything; reads of one buffer come back with one element corrupted.
class CorruptingWorkspace : public ConfigWorkspace {
 public:
  CorruptingWorkspace(std::unique_ptr<ConfigWorkspace> inner, Buf target)
      : inner_(std::move(inner)), target_(target) {}
  absl::Status Enqueue(Op op, std::string* v) override { return inner_->Enqueue(op, v); }
  absl::Status Mark(int slot) override { return inner_->Mark(slot); }
  absl::Status Synchronize() override { return inner_->Synchronize(); }
  absl::StatusOr<double> ElapsedMs(int a, int b) override { return inner_->ElapsedMs(a, b); }
  absl::Status FlushCaches() override { return inner_->FlushCaches(); }
  absl::Status Capture(Op op, int64_t calls) override { return inner_->Capture(op, calls); }
  absl::Status ReplayCaptured() override { return inner_->ReplayCaptured(); }
  absl::Status Read(Buf buf, int64_t offset, int64_t rows, int64_t cols, int64_t pitch,
                    void* host) override {
    absl::Status s = inner_->Read(buf, offset, rows, cols, pitch, host);
    if (s.ok() && buf == target_ && rows * cols > 0) {
      if (ShapeOf(buf, SmallConfig(false)).element_bytes == 1) {
        static_cast<int8_t*>(host)[0] ^= 0x10;
      } else {
        Half* h = static_cast<Half*>(host);
        h[0] = FloatToHalf(HalfToFloat(h[0]) + 64.0f);
      }
    }
    return s;
  }

 private:
  std::unique_ptr<ConfigWorkspace> inner_;
  Buf target_;
};

class CorruptingBackend : public Backend {
 public:
  explicit CorruptingBackend(Buf target) : inner_(MakeCpuBackend({})), target_(target) {}
  BackendInfo Info() const override { return inner_->Info(); }
  absl::Status CheckFits(const Config& c) const override { return inner_->CheckFits(c); }
  absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config& c) override {
    auto ws = inner_->Prepare(c);
    if (!ws.ok()) return ws.status();
    return std::unique_ptr<ConfigWorkspace>(new CorruptingWorkspace(*std::move(ws), target_));
  }

 private:
  std::unique_ptr<Backend> inner_;
  Buf target_;
};

TEST(VerifyTest, CpuBackendPassesEveryOpBothSwitchModes) {
  for (bool sw : {false, true}) {
    auto backend = MakeCpuBackend({});
    const Config config = SmallConfig(sw);
    auto ws = backend->Prepare(config);
    ASSERT_TRUE(ws.ok()) << ws.status();
    Verifier verifier(**ws, config);
    for (Op op : kAllOps) {
      ASSERT_TRUE((*ws)->Enqueue(op, nullptr).ok());
      auto v = verifier.Check(op);
      ASSERT_TRUE(v.ok()) << OpName(op) << ": " << v.status();
      EXPECT_TRUE(v->ok) << OpName(op) << ": " << v->detail;
      EXPECT_GT(v->checked, 0) << OpName(op);
    }
  }
}

TEST(VerifyTest, CatchesACorruptedProductAndWithholdsItsTime) {
  CorruptingBackend backend(Buf::kY);
  CancelToken cancel;
  const ConfigResult r = RunConfig(backend, SmallConfig(false), cancel);
  // Every op writing y is caught; the others are reported with their verification.
  for (Op op : {Op::kStandardFwd, Op::kRowwiseFwd, Op::kGlobalFwd}) {
    EXPECT_FALSE(r.at(op).measured) << OpName(op);
    EXPECT_NE(r.error.find(std::string(OpName(op)) + ": wrong result"), std::string::npos)
        << r.error;
  }
  EXPECT_TRUE(r.at(Op::kRowwiseBwd).measured);
  EXPECT_TRUE(r.at(Op::kRowwiseBwd).verified);
  EXPECT_FALSE(r.totals[0].has_value());
}

TEST(VerifyTest, CatchesACorruptedQuantizationCode) {
  CorruptingBackend backend(Buf::kWt8);
  CancelToken cancel;
  const ConfigResult r = RunConfig(backend, SmallConfig(true), cancel);
  EXPECT_FALSE(r.at(Op::kWQuantizeColwiseTranspose).measured);
  EXPECT_NE(r.error.find("w_quantize_colwise_transpose: wrong result"), std::string::npos)
      << r.error;
  EXPECT_TRUE(r.at(Op::kWQuantizeRowwise).measured);
}

TEST(VerifyTest, SampleIndices) {
  EXPECT_EQ(SampleIndices(1), std::vector<int64_t>({0}));
  EXPECT_EQ(SampleIndices(2), std::vector<int64_t>({0, 1}));
  EXPECT_EQ(SampleIndices(9), std::vector<int64_t>({0, 3, 6, 8}));
}

}  // namespace
}  // namespace switchback

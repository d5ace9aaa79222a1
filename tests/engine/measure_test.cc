#include "engine/measure.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/stopping_rule.h"

namespace switchback {
namespace {

// A workspace on a virtual clock: every call takes the next synthetic duration, a flush
// takes 1000 ms, so tests see exactly what each mode times.
class SyntheticWorkspace : public ConfigWorkspace {
 public:
  explicit SyntheticWorkspace(std::function<double()> next) : next_(std::move(next)) {}

  absl::Status Enqueue(Op, std::string* variant) override {
    if (variant) *variant = "synthetic";
    if (capturing_) {
      ++captured_;
      return absl::OkStatus();
    }
    const double d = next_();
    durations_.push_back(d);
    now_ += d;
    ++calls_;
    return absl::OkStatus();
  }
  absl::Status Mark(int slot) override {
    now_ += mark_cost_;  // what an event between two kernels costs the device
    if (static_cast<size_t>(slot) >= marks_.size()) marks_.resize(slot + 1);
    marks_[slot] = now_;
    return absl::OkStatus();
  }
  absl::Status Synchronize() override { return absl::OkStatus(); }
  absl::StatusOr<double> ElapsedMs(int from, int to) override { return marks_[to] - marks_[from]; }
  absl::Status FlushCaches() override {
    now_ += 1000.0;
    ++flushes_;
    return absl::OkStatus();
  }
  absl::Status Capture(Op op, int64_t calls) override {
    capturing_ = true;
    for (int64_t i = 0; i < calls; ++i) (void)Enqueue(op, nullptr);
    capturing_ = false;
    return absl::OkStatus();
  }
  absl::Status ReplayCaptured() override {
    for (int64_t i = 0; i < captured_; ++i) (void)Enqueue(Op::kStandardFwd, nullptr);
    return absl::OkStatus();
  }
  absl::Status Read(Buf, int64_t, int64_t, int64_t, int64_t, void*) override {
    return absl::UnimplementedError("synthetic");
  }

  std::function<double()> next_;
  std::vector<double> durations_;
  std::vector<double> marks_;
  double now_ = 0;
  double mark_cost_ = 0;
  int64_t calls_ = 0, flushes_ = 0, captured_ = 0;
  bool capturing_ = false;
};

// The options of SPEC's timing alone, without the clock warm-up, so call counts are exact.
MeasureOptions SpecOnly() {
  MeasureOptions options;
  options.min_warmup_ms = 0;
  return options;
}

std::function<double()> Sequence() {
  auto i = std::make_shared<int>(0);
  return [i] { return 1.0 + 0.01 * (*i)++; };
}

TEST(MeasureTest, OriginalIsWarmupThenRepeatBackToBack) {
  SyntheticWorkspace ws(Sequence());
  CancelToken cancel;
  auto out = Measure(ws, Op::kRowwiseFwd, 8, SpecOnly(), cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ws.calls_, 12);  // 8 // 2 warm-up + 8 timed
  ASSERT_EQ(out->samples_ms.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(out->samples_ms[i], ws.durations_[4 + i], 1e-9);
  EXPECT_EQ(out->variant, "synthetic");
}

TEST(MeasureTest, ShortOpsGetABackToBackMeanWithoutTheMarksCost) {
  SyntheticWorkspace ws([] { return 0.010; });
  ws.mark_cost_ = 0.002;
  CancelToken cancel;
  MeasureOptions options;
  options.min_warmup_ms = 0.05;  // rounds of 1, 2, 4 calls: 7 calls, ~0.012 ms each
  auto out = Measure(ws, Op::kWQuantizeGlobal, 8, options, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE(out->back_to_back_ms.has_value());
  EXPECT_NEAR(*out->back_to_back_ms, (8 * 0.010 + 0.002) / 8, 1e-12);  // one mark in 8 calls
  ASSERT_EQ(out->samples_ms.size(), 8u);
  for (double v : out->samples_ms) EXPECT_NEAR(v, 0.012, 1e-12);  // each pays one mark
  // Clock warm-up, SPEC's warm-up and loop (back to back), warm-up again and the marked loop.
  EXPECT_EQ(ws.calls_, 7 + 4 + 8 + 4 + 8);
  // Adaptive sampling keeps the mean of its samples as the flat key.
  options.stop.adaptive = true;
  auto adaptive = Measure(ws, Op::kWQuantizeGlobal, 8, options, cancel);
  ASSERT_TRUE(adaptive.ok()) << adaptive.status();
  EXPECT_FALSE(adaptive->back_to_back_ms.has_value());
}

TEST(MeasureTest, LongOpsAndOtherModesKeepTheSamplesMean) {
  SyntheticWorkspace slow([] { return kBackToBackBelowMs; });
  CancelToken cancel;
  MeasureOptions warm;
  warm.min_warmup_ms = 0.5;
  auto out = Measure(slow, Op::kStandardFwd, 8, warm, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->back_to_back_ms.has_value());
  EXPECT_EQ(slow.calls_, 1 + 12);
  for (MeasureMode mode : {MeasureMode::kCold, MeasureMode::kGraph}) {
    SyntheticWorkspace fast([] { return 0.010; });
    MeasureOptions options = warm;
    options.mode = mode;
    auto o = Measure(fast, Op::kWQuantizeGlobal, 8, options, cancel);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_FALSE(o->back_to_back_ms.has_value()) << ModeName(mode);
  }
}

TEST(MeasureTest, ClockWarmUpRunsUntilTheDeviceSpentTheMinimum) {
  SyntheticWorkspace ws([] { return 1.0; });
  CancelToken cancel;
  MeasureOptions options;
  options.min_warmup_ms = 20;
  auto out = Measure(ws, Op::kRowwiseFwd, 8, options, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  // Rounds of 1, 2, 4, 8, 16 calls reach 31 ms >= 20; then 8 // 2 warm-up + 8 timed.
  EXPECT_EQ(ws.calls_, 31 + 12);
  EXPECT_EQ(out->samples_ms.size(), 8u);
}

TEST(MeasureTest, ClockWarmUpEndsOnADeviceWhoseClockDoesNotMove) {
  SyntheticWorkspace ws([] { return 0.0; });
  CancelToken cancel;
  auto out = Measure(ws, Op::kRowwiseFwd, 8, MeasureOptions{}, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->samples_ms.size(), 8u);
}

TEST(MeasureTest, ColdFlushesBeforeEverySampleOutsideTheTimedInterval) {
  SyntheticWorkspace ws(Sequence());
  CancelToken cancel;
  MeasureOptions options = SpecOnly();
  options.mode = MeasureMode::kCold;
  auto out = Measure(ws, Op::kRowwiseFwd, 6, options, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ws.flushes_, 6);
  ASSERT_EQ(out->samples_ms.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(out->samples_ms[i], ws.durations_[3 + i], 1e-9);
}

TEST(MeasureTest, GraphSampleIsReplayTimeOverCalls) {
  SyntheticWorkspace ws([] { return 2.0; });
  CancelToken cancel;
  MeasureOptions options = SpecOnly();
  options.mode = MeasureMode::kGraph;
  auto out = Measure(ws, Op::kRowwiseFwd, 64, options, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->samples_ms.size(), 8u);  // 8 replays of 64 / 8 calls
  for (double s : out->samples_ms) EXPECT_DOUBLE_EQ(s, 2.0);
  EXPECT_EQ(ws.captured_, 8);
}

TEST(MeasureTest, CancelStopsBetweenCalls) {
  SyntheticWorkspace ws(Sequence());
  CancelToken cancel;
  cancel.Cancel();
  auto out = Measure(ws, Op::kRowwiseFwd, 8, SpecOnly(), cancel);
  EXPECT_TRUE(absl::IsCancelled(out.status())) << out.status();
}

TEST(StoppingRuleTest, ConfidenceHalfWidth) {
  EXPECT_TRUE(std::isinf(RelativeConfidenceHalfWidth({1.0})));
  EXPECT_DOUBLE_EQ(RelativeConfidenceHalfWidth({2.0, 2.0, 2.0}), 0.0);
  // mean 2, s = 1.2909944, n = 4: 1.96 * s / 2 / 2
  EXPECT_NEAR(RelativeConfidenceHalfWidth({0.5, 1.5, 2.5, 3.5}), 1.96 * 1.2909944487 / 4, 1e-9);
  EXPECT_TRUE(Converged({2.0, 2.0}, 0.01));
  EXPECT_FALSE(Converged({1.0, 3.0}, 0.01));
}

TEST(StoppingRuleTest, AdaptiveSamplesUntilTheTargetOnQuietData) {
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(1.0, 0.05);  // 5% spread: needs ~100 samples for 1%
  SyntheticWorkspace ws([&] { return noise(rng); });
  CancelToken cancel;
  MeasureOptions options;
  options.stop.adaptive = true;
  options.stop.target_rel_ci = 0.01;
  options.stop.max_seconds = 30;
  auto out = Measure(ws, Op::kRowwiseFwd, 8, options, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->converged);
  EXPECT_GT(out->samples_ms.size(), 8u);
  EXPECT_EQ(out->samples_ms.size() % 8, 0u);
  EXPECT_LE(RelativeConfidenceHalfWidth(out->samples_ms), 0.01);
}

TEST(StoppingRuleTest, AdaptiveStopsAtTheBudgetOnNoisyData) {
  std::mt19937 rng(2);
  std::exponential_distribution<double> heavy(0.01);  // CV ~1 and a zero-ish target
  SyntheticWorkspace ws([&] { return heavy(rng); });
  CancelToken cancel;
  MeasureOptions options;
  options.stop.adaptive = true;
  options.stop.target_rel_ci = 1e-6;
  options.stop.max_seconds = 0.05;
  auto out = Measure(ws, Op::kRowwiseFwd, 8, options, cancel);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->converged);
  EXPECT_GE(out->samples_ms.size(), 8u);
}

TEST(StoppingRuleTest, NonAdaptiveKeepsExactlyRepeatSamples) {
  SyntheticWorkspace ws([] { return 1.0; });
  CancelToken cancel;
  auto out = Measure(ws, Op::kRowwiseFwd, 64, MeasureOptions{}, cancel);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->samples_ms.size(), 64u);
}

}  // namespace
}  // namespace switchback

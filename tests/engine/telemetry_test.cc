#include "engine/telemetry.h"

#include <gtest/gtest.h>

#include "engine/runner.h"

namespace switchback {
namespace {

TelemetrySample Reading(uint64_t reasons, std::vector<GpuProcess> others = {}) {
  TelemetrySample s;
  s.available = true;
  s.sm_clock_mhz = 1980;
  s.throttle_reasons = reasons;
  s.other_processes = std::move(others);
  return s;
}

TEST(TelemetryTest, ThermalSlowdownIsThrottled) {
  const TelemetryFlags f = AssessTelemetry(Reading(0), Reading(kThrottleHwThermal));
  EXPECT_TRUE(f.throttled);
  EXPECT_FALSE(f.shared);
  EXPECT_EQ(f.reasons, std::vector<std::string>({"hw_thermal"}));
}

TEST(TelemetryTest, PowerCapAloneIsRecordedNotFlagged) {
  const TelemetryFlags f = AssessTelemetry(Reading(kThrottleSwPowerCap), Reading(kThrottleGpuIdle));
  EXPECT_FALSE(f.throttled);
  EXPECT_EQ(f.reasons, std::vector<std::string>({"sw_power_cap"}));
}

TEST(TelemetryTest, OtherProcessMeansShared) {
  const TelemetryFlags f = AssessTelemetry(Reading(0, {{4242, 1 << 20}}), Reading(0));
  EXPECT_TRUE(f.shared);
  EXPECT_FALSE(f.throttled);
}

TEST(TelemetryTest, UnavailableReadingsFlagNothing) {
  TelemetrySample off;
  off.unavailable_reason = "no NVML";
  const TelemetryFlags f = AssessTelemetry(off, off);
  EXPECT_FALSE(f.throttled || f.shared);
}

TEST(TelemetryTest, MissingLibraryIsReportedNotFatal) {
  // On machines without the driver, opening still yields a telemetry object that says why.
  auto t = GpuTelemetry::Open("0000:00:00.0");
  const TelemetrySample s = t->Sample();
  if (!s.available) {
    EXPECT_FALSE(s.unavailable_reason.empty());
  }
}

// A backend whose telemetry reads throttled for the first `throttled_attempts` configs.
class ThrottledBackend : public Backend {
 public:
  explicit ThrottledBackend(int throttled_attempts) : left_(throttled_attempts) {}
  BackendInfo Info() const override {
    BackendInfo info;
    info.backend = "fake";
    info.device_name = "fake gpu";
    return info;
  }
  absl::Status CheckFits(const Config&) const override { return absl::OkStatus(); }
  absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config&) override {
    ++prepares_;
    return absl::UnavailableError("no buffers in this fake");
  }
  TelemetrySample SampleTelemetry() const override {
    // Two samples per attempt (before, after); the "after" one carries the slowdown.
    const bool after = (samples_++ % 2) == 1;
    const bool throttled = after && left_ > 0;
    if (after && left_ > 0) --left_;
    return Reading(throttled ? uint64_t{kThrottleHwSlowdown} : uint64_t{0});
  }
  int prepares_ = 0;

 private:
  mutable int left_;
  mutable int samples_ = 0;
};

Config OneConfig(int remeasure) {
  Config c;
  c.batch_size = 4;
  c.dim = c.dim_in = 4;
  c.dim_out = 16;
  c.wm = 4;
  c.repeat = 2;
  c.remeasure = remeasure;
  return c;
}

TEST(TelemetryTest, ThrottledConfigIsMeasuredAgain) {
  ThrottledBackend backend(1);
  CancelToken cancel;
  const ConfigResult r = RunConfig(backend, OneConfig(2), cancel);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_FALSE(r.flags.throttled);
  EXPECT_EQ(backend.prepares_, 2);
}

TEST(TelemetryTest, StillThrottledAfterRetriesIsFlagged) {
  ThrottledBackend backend(10);
  CancelToken cancel;
  const ConfigResult r = RunConfig(backend, OneConfig(2), cancel);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_TRUE(r.flags.throttled);
  EXPECT_NE(ToJsonLine(r).find("\"throttled\":true"), std::string::npos);
}

// A backend whose attempt i reads throttled and/or shared as scripted.
class ScriptedBackend : public ThrottledBackend {
 public:
  struct Attempt {
    bool throttled, shared;
  };
  explicit ScriptedBackend(std::vector<Attempt> script) : ThrottledBackend(0), script_(std::move(script)) {}
  TelemetrySample SampleTelemetry() const override {
    const int i = samples_ / 2;
    const bool after = (samples_++ % 2) == 1;
    const Attempt a = i < static_cast<int>(script_.size()) ? script_[i] : Attempt{false, false};
    if (after) return Reading(a.throttled ? uint64_t{kThrottleHwSlowdown} : uint64_t{0});
    return a.shared ? Reading(0, {{4242, 1 << 20}}) : Reading(0);
  }

 private:
  std::vector<Attempt> script_;
  mutable int samples_ = 0;
};

TEST(TelemetryTest, MoreDisturbedRetryDoesNotReplaceTheFirstAttempt) {
  ScriptedBackend backend({{true, false}, {true, true}});
  CancelToken cancel;
  const ConfigResult r = RunConfig(backend, OneConfig(1), cancel);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_TRUE(r.flags.throttled);
  EXPECT_FALSE(r.flags.shared);  // the first attempt's flags: the second was also shared
}

TEST(TelemetryTest, LessDisturbedRetryIsKept) {
  ScriptedBackend backend({{true, true}, {false, true}, {false, true}});
  CancelToken cancel;
  const ConfigResult r = RunConfig(backend, OneConfig(2), cancel);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_FALSE(r.flags.throttled);
  EXPECT_TRUE(r.flags.shared);
}

}  // namespace
}  // namespace switchback

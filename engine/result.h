// One config's measurement and its JSONL line (SPEC.md keys first, extras after).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/op.h"
#include "engine/statistics.h"
#include "engine/sweep.h"

namespace switchback {

struct OpResult {
  bool measured = false;
  Summary summary;  // of the per-call samples (ms)
  // Original mode, short ops: the mean per call without marks between calls
  // (engine/measure.h, kBackToBackBelowMs).
  std::optional<double> back_to_back_ms;
  std::string variant;
  bool converged = true;  // adaptive sampling reached its target
  bool verified = false;  // checked against the CPU reference (engine/verify.h)
  double max_error = 0;
  double tolerance = 0;
  // The device right after the op's timed calls (before verification), where it reports
  // telemetry: the clock a long op ran at under the power cap, for rates per clock.
  std::optional<TelemetrySample> after;

  // The flat key's value (ms): the back-to-back mean where measured, else the samples' mean.
  double FlatMs() const { return back_to_back_ms.value_or(summary.mean); }
};

struct ConfigResult {
  Config config;
  std::array<OpResult, kNumOps> ops;  // indexed by static_cast<int>(Op)
  // A total is present only when every op it sums was measured.
  std::array<std::optional<double>, 3> totals;  // kTotals order
  std::string error;  // empty on success
  BackendInfo device;
  double elapsed_s = 0;
  TelemetrySample telemetry_before, telemetry_after;
  TelemetryFlags flags;
  std::vector<std::string> unstable;  // ops whose samples spread too much (engine/runner.h)
  int attempts = 1;  // > 1 when an earlier attempt was flagged and the config measured again
  std::optional<Ceilings> ceilings;  // adds roofline {op: {value, unit, fraction}}

  const OpResult& at(Op op) const { return ops[static_cast<int>(op)]; }
  OpResult& at(Op op) { return ops[static_cast<int>(op)]; }
};

// Fills totals from the measured ops.
void ComputeTotals(ConfigResult& result);

// The JSONL line without a trailing newline: repeat, batch_size, dim_out, dim_in, wm, switch,
// the 13 op means, time_standard, time_rowwise, time_global (as the original), then extras:
// speedup_rowwise_pct, speedup_global_pct, seed, dim, mode, unit, backend, device, driver_version,
// cuda_version, adaptive, stats {op: {count, mean, median, min, max, stddev, p05, p95, cv[,
// back_to_back_mean][, converged][, sm_clock_mhz_after, power_w_after]}}, variants {op: name},
// verification {op: {max_error, tolerance}} (ops that were checked), throttled, shared,
// unstable [op names], attempts, telemetry {...}, error (only when set). Ops not measured are
// absent, never zero.
std::string ToJsonLine(const ConfigResult& result);

}  // namespace switchback

#include "engine/runner.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/measure.h"
#include "engine/statistics.h"
#include "engine/verify.h"

namespace switchback {

namespace {

ConfigResult RunAttempt(Backend& backend, const Config& config, const CancelToken& cancel) {
  const auto start = std::chrono::steady_clock::now();
  ConfigResult result;
  result.config = config;
  result.device = backend.Info();
  result.telemetry_before = backend.SampleTelemetry();
  auto finish = [&]() -> ConfigResult {
    result.telemetry_after = backend.SampleTelemetry();
    result.flags = AssessTelemetry(result.telemetry_before, result.telemetry_after);
    result.unstable = UnstableOps(result);
    ComputeTotals(result);
    result.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::move(result);
  };
  auto add_error = [&](std::string message) {
    result.error = result.error.empty() ? std::move(message)
                                        : absl::StrCat(result.error, "; ", message);
  };

  if (absl::Status fits = backend.CheckFits(config); !fits.ok()) {
    add_error(std::string(fits.message()));
    return finish();
  }
  absl::StatusOr<std::unique_ptr<ConfigWorkspace>> workspace = backend.Prepare(config);
  if (!workspace.ok()) {
    add_error(absl::StrCat("prepare: ", workspace.status().message()));
    return finish();
  }
  Verifier verifier(**workspace, config);
  for (Op op : kAllOps) {
    if (cancel.cancelled()) {
      add_error("cancelled");
      break;
    }
    absl::StatusOr<OpSamples> samples = Measure(**workspace, op, config.repeat, config.measure, cancel);
    if (!samples.ok()) {
      if (absl::IsCancelled(samples.status())) {
        add_error("cancelled");
        break;
      }
      // Other ops may still run (e.g. one missing cuBLASLt algorithm); the line says which.
      add_error(absl::StrCat(OpName(op), ": ", samples.status().message()));
      continue;
    }
    OpResult& r = result.at(op);
    r.after = backend.SampleTelemetry();
    if (config.verify) {
      absl::StatusOr<Verification> v = verifier.Check(op);
      if (!v.ok()) {
        add_error(absl::StrCat(OpName(op), ": not verified: ", v.status().message()));
      } else if (!v->ok) {
        // A wrong result is never reported as a time.
        add_error(absl::StrCat(OpName(op), ": wrong result, time withheld: max error ",
                               v->max_error, " > ", v->tolerance, " (", v->detail, ")"));
        continue;
      } else {
        r.verified = true;
        r.max_error = v->max_error;
        r.tolerance = v->tolerance;
      }
    }
    r.measured = true;
    r.summary = Summarize(samples->samples_ms);
    r.back_to_back_ms = samples->back_to_back_ms;
    r.variant = std::move(samples->variant);
    r.converged = samples->converged;
  }
  return finish();
}

}  // namespace

std::vector<std::string> UnstableOps(const ConfigResult& result) {
  std::vector<std::string> names;
  for (Op op : kAllOps) {
    const OpResult& r = result.at(op);
    if (r.measured && r.summary.cv > kMaxStableCv) names.emplace_back(OpName(op));
  }
  return names;
}

namespace {

// What disturbed an attempt, counted: throttled, shared, and each unstable op.
size_t Disturbance(const ConfigResult& r) {
  return (r.flags.throttled ? 1 : 0) + (r.flags.shared ? 1 : 0) + r.unstable.size();
}

}  // namespace

ConfigResult RunConfig(Backend& backend, const Config& config, const CancelToken& cancel,
                       const Ceilings* ceilings) {
  ConfigResult result = RunAttempt(backend, config, cancel);
  // Throttled, shared or unstable: measure again (up to config.remeasure times) and keep the
  // least disturbed attempt (a later one that a stall hit harder does not replace it: s7, a
  // second attempt with two unstable weight quantizations).
  int attempts = 1;
  for (int attempt = 1; attempt <= config.remeasure; ++attempt) {
    if (Disturbance(result) == 0 || cancel.cancelled()) break;
    ConfigResult again = RunAttempt(backend, config, cancel);
    ++attempts;
    if (Disturbance(again) <= Disturbance(result)) result = std::move(again);
  }
  result.attempts = attempts;
  if (ceilings) result.ceilings = *ceilings;
  return result;
}

}  // namespace switchback

#include "engine/measure.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/stopping_rule.h"

namespace switchback {

absl::string_view ModeName(MeasureMode mode) {
  switch (mode) {
    case MeasureMode::kOriginal: return "original";
    case MeasureMode::kCold: return "cold";
    case MeasureMode::kGraph: return "graph";
  }
  return "unknown";
}

absl::StatusOr<MeasureMode> ParseMode(absl::string_view name) {
  for (MeasureMode m : {MeasureMode::kOriginal, MeasureMode::kCold, MeasureMode::kGraph}) {
    if (name == ModeName(m)) return m;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("mode = \"", name, "\": must be original, cold or graph"));
}

absl::StatusOr<OpSamples> Measure(ConfigWorkspace& ws, Op op, int64_t repeat,
                                  const MeasureOptions& options, const CancelToken& cancel) {
  using Batch = absl::StatusOr<OpSamples> (*)(ConfigWorkspace&, Op, int64_t, int64_t,
                                              const CancelToken&);
  Batch batch = options.mode == MeasureMode::kCold    ? &MeasureCold
                : options.mode == MeasureMode::kGraph ? &MeasureGraph
                                                      : &MeasureOriginal;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<OpSamples> all = batch(ws, op, repeat / 2, repeat, cancel);
  if (!all.ok() || !options.stop.adaptive) return all;
  // More batches (already warm) until the mean is known well enough or the budget is spent.
  while (!Converged(all->samples_ms, options.stop.target_rel_ci)) {
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (spent >= options.stop.max_seconds) {
      all->converged = false;
      break;
    }
    absl::StatusOr<OpSamples> more = batch(ws, op, 0, repeat, cancel);
    if (!more.ok()) return more.status();
    all->samples_ms.insert(all->samples_ms.end(), more->samples_ms.begin(),
                           more->samples_ms.end());
  }
  return all;
}

}  // namespace switchback

#include "engine/measure.h"

#include <algorithm>
#include <chrono>
#include <optional>

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

// GPU clocks fall while the device idles (the host verifying the previous op, a config's
// set-up) and take milliseconds to come back, while SPEC's repeat // 2 warm-up calls of a
// 6-us weight quantization last 0.2 ms: on the H100 such ops measured 2-4x slow right
// after the largest configs' verification. So calls run, untimed, until the device spent
// `min_ms` on them, timed by the workspace's own clock (events on a GPU).
// Returns the time per call of the last (warmest) round, 0 when none ran; the first call
// may include one-time work (a cuBLASLt plan's tuning).
absl::StatusOr<double> WarmUp(ConfigWorkspace& ws, Op op, double min_ms, const CancelToken& cancel) {
  double spent = 0, per_call = 0;
  int64_t calls = 1;
  for (int round = 0; spent < min_ms && round < 64; ++round, calls = std::min<int64_t>(2 * calls, 4096)) {
    if (cancel.cancelled()) return absl::CancelledError("cancelled");
    if (absl::Status s = ws.Mark(0); !s.ok()) return s;
    for (int64_t i = 0; i < calls; ++i) {
      if (absl::Status s = ws.Enqueue(op, nullptr); !s.ok()) return s;
    }
    if (absl::Status s = ws.Mark(1); !s.ok()) return s;
    if (absl::Status s = ws.Synchronize(); !s.ok()) return s;
    absl::StatusOr<double> ms = ws.ElapsedMs(0, 1);
    if (!ms.ok()) return ms.status();
    spent += *ms;
    per_call = *ms / static_cast<double>(calls);
  }
  return per_call;
}

absl::StatusOr<OpSamples> Measure(ConfigWorkspace& ws, Op op, int64_t repeat,
                                  const MeasureOptions& options, const CancelToken& cancel) {
  absl::StatusOr<double> per_call_ms = WarmUp(ws, op, options.min_warmup_ms, cancel);
  if (!per_call_ms.ok()) return per_call_ms.status();
  // Short ops in the original mode: SPEC's warm-up and loop with marks at its ends only
  // (the flat key, in SPEC's place), then the per-call samples (kBackToBackBelowMs). Not
  // with adaptive sampling, whose flat key is the mean of all its samples. The per-call
  // loop gets its warm-up calls again: started on an idle device, its first samples would
  // include the host's launch latency (the fourth session's H100 run, without these calls:
  // per-call cv of the weight quantizers 0.017 -> 0.046, median; five configs re-measured).
  std::optional<double> back_to_back_ms;
  const int64_t warmup = repeat / 2;
  if (options.mode == MeasureMode::kOriginal && !options.stop.adaptive && *per_call_ms > 0 &&
      *per_call_ms < kBackToBackBelowMs) {
    absl::StatusOr<double> ms = MeasureBackToBack(ws, op, warmup, repeat, cancel);
    if (!ms.ok()) return ms.status();
    back_to_back_ms = *ms;
  }
  using Batch = absl::StatusOr<OpSamples> (*)(ConfigWorkspace&, Op, int64_t, int64_t,
                                              const CancelToken&);
  Batch batch = options.mode == MeasureMode::kCold    ? &MeasureCold
                : options.mode == MeasureMode::kGraph ? &MeasureGraph
                                                      : &MeasureOriginal;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<OpSamples> all = batch(ws, op, warmup, repeat, cancel);
  if (!all.ok()) return all;
  all->back_to_back_ms = back_to_back_ms;
  // More batches (already warm) until the mean is known well enough or the budget is spent.
  while (options.stop.adaptive && !Converged(all->samples_ms, options.stop.target_rel_ci)) {
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

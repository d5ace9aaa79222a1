// Measurement settings a sweep carries (kept apart from measure.h so sweep.h can hold them).
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchback {

enum class MeasureMode {
  kOriginal,  // SPEC.md's get_time: warm caches, calls back to back, one sample per call
  kCold,      // caches flushed before every sample (the flush is not timed)
  kGraph,     // the timed loop captured once in a CUDA graph; launch gaps do not count
};

absl::string_view ModeName(MeasureMode mode);
absl::StatusOr<MeasureMode> ParseMode(absl::string_view name);

struct StoppingRule {
  // Off by default so the flat key keeps the original's meaning (repeat samples exactly).
  bool adaptive = false;
  // Stop once the 95% confidence interval of the mean is within this fraction of it...
  double target_rel_ci = 0.01;
  // ...or when this much time went into the op's samples (seconds), whichever comes first.
  double max_seconds = 2.0;
};

struct MeasureOptions {
  MeasureMode mode = MeasureMode::kOriginal;
  StoppingRule stop;
  // Before SPEC's repeat // 2 warm-up calls, untimed calls until the device has spent this
  // long on them (engine/measure.cc says why).
  double min_warmup_ms = 20.0;
};

}  // namespace switchback

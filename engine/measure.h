// How one op is measured: a mode (one file each: measure_original.cc, measure_cold.cc,
// measure_graph.cc) and an optional adaptive stopping rule (stopping_rule.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/backend.h"
#include "engine/cancel.h"
#include "engine/measure_options.h"
#include "engine/op.h"

namespace switchback {

// Per-call times of one op in milliseconds, and the kernel variant that ran.
struct OpSamples {
  std::vector<double> samples_ms;
  std::string variant;
  bool converged = true;  // false when adaptive sampling ran out of budget first
};

// One batch of `repeat` samples in a mode, after `warmup` untimed calls (graph mode: one
// untimed replay). CANCELLED when `cancel` fires between calls.
absl::StatusOr<OpSamples> MeasureOriginal(ConfigWorkspace& ws, Op op, int64_t warmup,
                                          int64_t repeat, const CancelToken& cancel);
absl::StatusOr<OpSamples> MeasureCold(ConfigWorkspace& ws, Op op, int64_t warmup,
                                      int64_t repeat, const CancelToken& cancel);
absl::StatusOr<OpSamples> MeasureGraph(ConfigWorkspace& ws, Op op, int64_t warmup,
                                       int64_t repeat, const CancelToken& cancel);

// The mode's batches, repeated while the stopping rule asks for more.
absl::StatusOr<OpSamples> Measure(ConfigWorkspace& ws, Op op, int64_t repeat,
                                  const MeasureOptions& options, const CancelToken& cancel);

}  // namespace switchback

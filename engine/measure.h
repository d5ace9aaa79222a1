// How one op is measured: a mode (one file each: measure_original.cc, measure_cold.cc,
// measure_graph.cc) and an optional adaptive stopping rule (stopping_rule.h).
#pragma once

#include <cstdint>
#include <optional>
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
  // Original mode, ops under kBackToBackBelowMs: the mean per call of SPEC's loop with
  // marks at its ends only (the flat key; see MeasureBackToBack).
  std::optional<double> back_to_back_ms;
};

// A mark between two calls costs the GPU about 2 us (H100: an 8 MB weight quantization
// at 11.4 us per call with a mark after each call, 9.7 us without), which SPEC's loop
// never paid. In the original mode, an op whose clock warm-up calls averaged under this
// many ms is timed by SPEC's warm-up and loop with marks at its ends only (the flat key),
// then by SPEC's warm-up and loop with a mark after each call (the statistics). Longer ops
// pay under 0.2%.
inline constexpr double kBackToBackBelowMs = 1.0;

// One batch of `repeat` samples in a mode, after `warmup` untimed calls (graph mode: one
// untimed replay). CANCELLED when `cancel` fires between calls.
absl::StatusOr<OpSamples> MeasureOriginal(ConfigWorkspace& ws, Op op, int64_t warmup,
                                          int64_t repeat, const CancelToken& cancel);
absl::StatusOr<OpSamples> MeasureCold(ConfigWorkspace& ws, Op op, int64_t warmup,
                                      int64_t repeat, const CancelToken& cancel);
absl::StatusOr<OpSamples> MeasureGraph(ConfigWorkspace& ws, Op op, int64_t warmup,
                                       int64_t repeat, const CancelToken& cancel);

// `warmup` untimed calls, then `calls` calls back to back with a mark before the first and
// after the last: the mean per call, undisturbed by marks between calls.
absl::StatusOr<double> MeasureBackToBack(ConfigWorkspace& ws, Op op, int64_t warmup,
                                         int64_t calls, const CancelToken& cancel);

// The mode's batches, repeated while the stopping rule asks for more.
absl::StatusOr<OpSamples> Measure(ConfigWorkspace& ws, Op op, int64_t repeat,
                                  const MeasureOptions& options, const CancelToken& cancel);

}  // namespace switchback

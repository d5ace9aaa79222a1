// SPEC.md's get_time: repeat // 2 untimed calls, then repeat calls back to back.
#include "engine/measure.h"

namespace switchback {

absl::StatusOr<OpSamples> MeasureOriginal(ConfigWorkspace& ws, Op op, int64_t warmup,
                                          int64_t repeat, const CancelToken& cancel) {
  OpSamples out;
  for (int64_t i = 0; i < warmup; ++i) {
    if (cancel.cancelled()) return absl::CancelledError("cancelled");
    if (absl::Status s = ws.Enqueue(op, i == 0 ? &out.variant : nullptr); !s.ok()) return s;
  }
  // A mark between consecutive calls: each interval is one call, and their sum is the
  // whole back-to-back loop, so the mean equals the original's loop time / repeat.
  if (absl::Status s = ws.Mark(0); !s.ok()) return s;
  for (int64_t i = 0; i < repeat; ++i) {
    if (cancel.cancelled()) {
      (void)ws.Synchronize();
      return absl::CancelledError("cancelled");
    }
    if (absl::Status s = ws.Enqueue(op, out.variant.empty() ? &out.variant : nullptr); !s.ok()) {
      return s;
    }
    if (absl::Status s = ws.Mark(static_cast<int>(i + 1)); !s.ok()) return s;
  }
  if (absl::Status s = ws.Synchronize(); !s.ok()) return s;
  out.samples_ms.reserve(static_cast<size_t>(repeat));
  for (int64_t i = 0; i < repeat; ++i) {
    absl::StatusOr<double> ms = ws.ElapsedMs(static_cast<int>(i), static_cast<int>(i + 1));
    if (!ms.ok()) return ms.status();
    out.samples_ms.push_back(*ms);
  }
  return out;
}

absl::StatusOr<double> MeasureBackToBack(ConfigWorkspace& ws, Op op, int64_t warmup,
                                         int64_t calls, const CancelToken& cancel) {
  if (calls <= 0) return absl::InvalidArgumentError("back-to-back loop needs calls > 0");
  for (int64_t i = 0; i < warmup; ++i) {
    if (cancel.cancelled()) return absl::CancelledError("cancelled");
    if (absl::Status s = ws.Enqueue(op, nullptr); !s.ok()) return s;
  }
  if (absl::Status s = ws.Mark(0); !s.ok()) return s;
  for (int64_t i = 0; i < calls; ++i) {
    if (cancel.cancelled()) {
      (void)ws.Synchronize();
      return absl::CancelledError("cancelled");
    }
    if (absl::Status s = ws.Enqueue(op, nullptr); !s.ok()) return s;
  }
  if (absl::Status s = ws.Mark(1); !s.ok()) return s;
  if (absl::Status s = ws.Synchronize(); !s.ok()) return s;
  absl::StatusOr<double> ms = ws.ElapsedMs(0, 1);
  if (!ms.ok()) return ms.status();
  return *ms / static_cast<double>(calls);
}

}  // namespace switchback

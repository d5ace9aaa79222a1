// Cold measurements: every sample starts with the caches flushed (not timed), so operands
// come from device memory as in a real training step where other layers ran in between.
#include "engine/measure.h"

namespace switchback {

absl::StatusOr<OpSamples> MeasureCold(ConfigWorkspace& ws, Op op, int64_t warmup,
                                      int64_t repeat, const CancelToken& cancel) {
  OpSamples out;
  for (int64_t i = 0; i < warmup; ++i) {
    if (cancel.cancelled()) return absl::CancelledError("cancelled");
    if (absl::Status s = ws.Enqueue(op, i == 0 ? &out.variant : nullptr); !s.ok()) return s;
  }
  for (int64_t i = 0; i < repeat; ++i) {
    if (cancel.cancelled()) {
      (void)ws.Synchronize();
      return absl::CancelledError("cancelled");
    }
    if (absl::Status s = ws.FlushCaches(); !s.ok()) return s;
    if (absl::Status s = ws.Mark(static_cast<int>(2 * i)); !s.ok()) return s;
    if (absl::Status s = ws.Enqueue(op, out.variant.empty() ? &out.variant : nullptr); !s.ok()) {
      return s;
    }
    if (absl::Status s = ws.Mark(static_cast<int>(2 * i + 1)); !s.ok()) return s;
  }
  if (absl::Status s = ws.Synchronize(); !s.ok()) return s;
  out.samples_ms.reserve(static_cast<size_t>(repeat));
  for (int64_t i = 0; i < repeat; ++i) {
    absl::StatusOr<double> ms = ws.ElapsedMs(static_cast<int>(2 * i), static_cast<int>(2 * i + 1));
    if (!ms.ok()) return ms.status();
    out.samples_ms.push_back(*ms);
  }
  return out;
}

}  // namespace switchback

// Graph measurements: repeat / 8 back-to-back calls captured once in a CUDA graph; each
// replay is one sample (its time / calls), so host launch gaps do not count. About 8
// replays make the `repeat` calls, so a graph sweep costs what an original one does.
#include "engine/measure.h"

#include <algorithm>

namespace switchback {

namespace {
constexpr int64_t kReplaysPerBatch = 8;
}  // namespace

absl::StatusOr<OpSamples> MeasureGraph(ConfigWorkspace& ws, Op op, int64_t warmup,
                                       int64_t repeat, const CancelToken& cancel) {
  OpSamples out;
  // One eager call names the variant and loads modules before capture.
  if (absl::Status s = ws.Enqueue(op, &out.variant); !s.ok()) return s;
  const int64_t calls = std::max<int64_t>(repeat / kReplaysPerBatch, 1);
  const int64_t replays = (repeat + calls - 1) / calls;
  if (absl::Status s = ws.Capture(op, calls); !s.ok()) return s;
  if (warmup > 0) {
    if (absl::Status s = ws.ReplayCaptured(); !s.ok()) return s;
  }
  if (absl::Status s = ws.Mark(0); !s.ok()) return s;
  for (int64_t r = 0; r < replays; ++r) {
    if (cancel.cancelled()) {
      (void)ws.Synchronize();
      return absl::CancelledError("cancelled");
    }
    if (absl::Status s = ws.ReplayCaptured(); !s.ok()) return s;
    if (absl::Status s = ws.Mark(static_cast<int>(r + 1)); !s.ok()) return s;
  }
  if (absl::Status s = ws.Synchronize(); !s.ok()) return s;
  for (int64_t r = 0; r < replays; ++r) {
    absl::StatusOr<double> ms = ws.ElapsedMs(static_cast<int>(r), static_cast<int>(r + 1));
    if (!ms.ok()) return ms.status();
    out.samples_ms.push_back(*ms / static_cast<double>(calls));
  }
  return out;
}

}  // namespace switchback

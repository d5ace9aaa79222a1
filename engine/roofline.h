// Roofline columns: each op's achieved rate and its fraction of the ceilings the server
// measured on its own card at start-up (copy bandwidth, fp16 GEMM rate), cached per device.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "engine/op.h"
#include "engine/sweep.h"

namespace switchback {

struct OpRate {
  double value = 0;        // in `unit`
  const char* unit = "";   // "TFLOP/s", "TOP/s" or "GB/s"
  double fraction = 0;     // of the matching ceiling; int8 against twice the fp16 rate
};

// Bytes one call moves (each input read once, each output written once) for quantizations;
// operations (2 M N K) for products.
double OpBytes(Op op, const Config& config);
double OpOperations(Op op, const Config& config);

OpRate RateOf(Op op, const Config& config, double mean_ms, const Ceilings& ceilings);

// The per-device cache: $XDG_CACHE_HOME/switchback/ceilings.json (or ~/.cache/...), keyed
// by Ceilings::device.
std::string CeilingsCachePath();
std::optional<Ceilings> LoadCachedCeilings(const std::string& path, const std::string& device);
absl::Status SaveCachedCeilings(const std::string& path, const Ceilings& ceilings);

// The backend's ceilings from the cache, or measured now and cached (refresh: always measure).
absl::StatusOr<Ceilings> CeilingsFor(Backend& backend, bool refresh);

}  // namespace switchback

// A backend owns one device (a GPU, or the CPU reference) and runs the 13 ops of a config.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/cancel.h"
#include "engine/op.h"
#include "engine/sweep.h"

namespace switchback {

struct BackendInfo {
  std::string backend;  // "cuda" or "cpu"
  std::string device_name;
  int64_t memory_bytes = 0;
  std::string driver_version;
  std::string cuda_version;
  std::string compute_capability;
  std::string build_flags;
};

// Per-call times of one op in milliseconds, and the kernel variant that ran.
struct OpSamples {
  std::vector<double> samples_ms;
  std::string variant;
};

// Buffers of one config, filled with x, g, w from the seed and their quantized copies.
class ConfigWorkspace {
 public:
  virtual ~ConfigWorkspace() = default;
  // `warmup` untimed calls, then `repeat` timed calls back to back; one sample per call.
  // CANCELLED when `cancel` fires between calls.
  virtual absl::StatusOr<OpSamples> Time(Op op, int64_t warmup, int64_t repeat,
                                         const CancelToken& cancel) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendInfo Info() const = 0;
  // Before any allocation: RESOURCE_EXHAUSTED when the config cannot fit the device's
  // memory or exceeds the backend's work limit.
  virtual absl::Status CheckFits(const Config& config) const = 0;
  virtual absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config& config) = 0;
};

}  // namespace switchback

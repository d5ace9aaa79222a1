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
#include "engine/op_plan.h"
#include "engine/sweep.h"
#include "engine/telemetry.h"

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

struct Ceilings {
  double copy_gbps = 0;    // device copy, bytes read + written per second / 1e9
  double fp16_tflops = 0;  // fp16 GEMM (fp32 accumulation) at 8192^3
  std::string device;      // what they were measured on (name | driver)
};

// One config's buffers, filled with x, g, w from the seed and their quantized copies, and
// the primitives that the measurement loops (engine/measure_*.cc) are built from. Work is
// enqueued in order on one stream (the CPU runs it synchronously).
class ConfigWorkspace {
 public:
  virtual ~ConfigWorkspace() = default;
  // Enqueues one call of `op`; `variant` (optional) receives the kernel variant's name.
  virtual absl::Status Enqueue(Op op, std::string* variant) = 0;
  // Records timestamp `slot` in stream order (a CUDA event, or the host clock).
  virtual absl::Status Mark(int slot) = 0;
  // Waits for all enqueued work.
  virtual absl::Status Synchronize() = 0;
  // Milliseconds between two marks; call after Synchronize.
  virtual absl::StatusOr<double> ElapsedMs(int from, int to) = 0;
  // Evicts the device's caches (L2, or the CPU's last level) with one buffer allocated
  // once, so the next call reads its operands from memory (cold measurements).
  virtual absl::Status FlushCaches() = 0;
  // Graph measurements: capture `calls` back-to-back calls of `op` once, replay them with
  // ReplayCaptured. UNIMPLEMENTED where the device has no graphs (the CPU).
  virtual absl::Status Capture(Op op, int64_t calls) = 0;
  virtual absl::Status ReplayCaptured() = 0;
  // Copies `rows` x `cols` elements of a buffer viewed as a matrix with `pitch` elements
  // per row, starting at element `offset`, to dense host memory (verification).
  virtual absl::Status Read(Buf buf, int64_t offset, int64_t rows, int64_t cols, int64_t pitch,
                            void* host) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendInfo Info() const = 0;
  // Before any allocation: RESOURCE_EXHAUSTED when the config cannot fit the device's
  // memory or exceeds the backend's work limit.
  virtual absl::Status CheckFits(const Config& config) const = 0;
  virtual absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config& config) = 0;
  // Clocks, temperature, power, throttle reasons and other processes, where the device
  // reports them (GPUs through NVML).
  // The device's own ceilings, measured now on random data (engine/roofline.h caches them).
  virtual absl::StatusOr<Ceilings> MeasureCeilings() {
    return absl::UnimplementedError("this backend measures no ceilings");
  }
  virtual TelemetrySample SampleTelemetry() const {
    TelemetrySample s;
    s.unavailable_reason = "this backend reports no telemetry";
    return s;
  }
};

}  // namespace switchback

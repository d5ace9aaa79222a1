// GPU telemetry per config through NVML, loaded at run time (dlopen): the GPU host has
// libnvidia-ml, build machines may not. Flags configs measured while throttled or shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchback {

// NVML's clock event ("throttle") reason bits, as the driver reports them.
enum ThrottleReason : uint64_t {
  kThrottleGpuIdle = 0x1,
  kThrottleApplicationClocks = 0x2,
  kThrottleSwPowerCap = 0x4,
  kThrottleHwSlowdown = 0x8,
  kThrottleSyncBoost = 0x10,
  kThrottleSwThermal = 0x20,
  kThrottleHwThermal = 0x40,
  kThrottleHwPowerBrake = 0x80,
  kThrottleDisplayClocks = 0x100,
};

struct GpuProcess {
  uint32_t pid = 0;
  uint64_t used_memory_bytes = 0;
};

struct TelemetrySample {
  bool available = false;
  std::string unavailable_reason;  // e.g. "libnvidia-ml.so.1 not found"
  uint32_t sm_clock_mhz = 0;
  uint32_t memory_clock_mhz = 0;
  uint32_t temperature_c = 0;
  double power_w = 0;
  uint64_t throttle_reasons = 0;
  std::vector<GpuProcess> other_processes;  // compute processes other than this one
};

struct TelemetryFlags {
  // Clocks were held down by heat, a hardware slowdown or the power brake. The software
  // power cap alone is not a flag: full-load GEMMs on an H100 sit at it by design; it is
  // listed in `reasons` for the record.
  bool throttled = false;
  bool shared = false;  // another process computed on the GPU during the config
  std::vector<std::string> reasons;
};

// Flags from samples taken before and after a config (pure; tested on synthetic readings).
TelemetryFlags AssessTelemetry(const TelemetrySample& before, const TelemetrySample& after);

// Names of the set reason bits ("sw_power_cap", "hw_thermal", ...).
std::vector<std::string> ThrottleReasonNames(uint64_t reasons);

// Reads one CUDA device through NVML. Sample() never fails: an unavailable NVML yields a
// sample with available = false and the reason.
class GpuTelemetry {
 public:
  // `pci_bus_id` as cudaDeviceGetPCIBusId prints it.
  static std::unique_ptr<GpuTelemetry> Open(const std::string& pci_bus_id);
  ~GpuTelemetry();
  TelemetrySample Sample() const;
  const std::string& driver_version() const { return driver_version_; }

 private:
  GpuTelemetry() = default;
  struct Api;
  std::unique_ptr<Api> api_;
  void* device_ = nullptr;
  std::string error_;
  std::string driver_version_;
};

}  // namespace switchback

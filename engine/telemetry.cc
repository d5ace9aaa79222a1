#include "engine/telemetry.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace switchback {

std::vector<std::string> ThrottleReasonNames(uint64_t reasons) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {kThrottleGpuIdle, "gpu_idle"},           {kThrottleApplicationClocks, "app_clocks"},
      {kThrottleSwPowerCap, "sw_power_cap"},    {kThrottleHwSlowdown, "hw_slowdown"},
      {kThrottleSyncBoost, "sync_boost"},       {kThrottleSwThermal, "sw_thermal"},
      {kThrottleHwThermal, "hw_thermal"},       {kThrottleHwPowerBrake, "hw_power_brake"},
      {kThrottleDisplayClocks, "display_clocks"}};
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (reasons & bit) names.push_back(name);
  }
  return names;
}

TelemetryFlags AssessTelemetry(const TelemetrySample& before, const TelemetrySample& after) {
  TelemetryFlags flags;
  constexpr uint64_t kSlowdown =
      kThrottleHwSlowdown | kThrottleSwThermal | kThrottleHwThermal | kThrottleHwPowerBrake;
  uint64_t seen = 0;
  for (const TelemetrySample* s : {&before, &after}) {
    if (!s->available) continue;
    seen |= s->throttle_reasons;
    if (!s->other_processes.empty()) flags.shared = true;
  }
  flags.throttled = (seen & kSlowdown) != 0;
  flags.reasons = ThrottleReasonNames(seen & ~uint64_t{kThrottleGpuIdle});
  if (flags.shared) flags.reasons.push_back("other_processes");
  return flags;
}

// The few NVML entry points used, declared here so that no NVML header is needed to build.
struct GpuTelemetry::Api {
  using Ret = int;  // nvmlReturn_t; 0 is NVML_SUCCESS
  struct ProcessInfo {  // nvmlProcessInfo_t (v2 layout, used by the _v3 query)
    unsigned int pid;
    unsigned long long used_gpu_memory;
    unsigned int gpu_instance_id;
    unsigned int compute_instance_id;
  };
  void* lib = nullptr;
  Ret (*init)() = nullptr;
  Ret (*shutdown)() = nullptr;
  Ret (*by_pci)(const char*, void**) = nullptr;
  Ret (*clock)(void*, int, unsigned int*) = nullptr;
  Ret (*temperature)(void*, int, unsigned int*) = nullptr;
  Ret (*power)(void*, unsigned int*) = nullptr;
  Ret (*reasons)(void*, unsigned long long*) = nullptr;
  Ret (*processes)(void*, unsigned int*, ProcessInfo*) = nullptr;
  Ret (*driver)(char*, unsigned int) = nullptr;

  ~Api() {
    if (shutdown) shutdown();
    if (lib) dlclose(lib);
  }
};

std::unique_ptr<GpuTelemetry> GpuTelemetry::Open(const std::string& pci_bus_id) {
  auto t = std::unique_ptr<GpuTelemetry>(new GpuTelemetry);
  auto api = std::make_unique<Api>();
  api->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!api->lib) {
    t->error_ = "libnvidia-ml.so.1 not found";
    return t;
  }
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(api->lib, name));
    return fn != nullptr;
  };
  const bool ok = sym(api->init, "nvmlInit_v2") && sym(api->shutdown, "nvmlShutdown") &&
                  sym(api->by_pci, "nvmlDeviceGetHandleByPciBusId_v2") &&
                  sym(api->clock, "nvmlDeviceGetClockInfo") &&
                  sym(api->temperature, "nvmlDeviceGetTemperature") &&
                  sym(api->power, "nvmlDeviceGetPowerUsage") &&
                  sym(api->reasons, "nvmlDeviceGetCurrentClocksThrottleReasons") &&
                  sym(api->processes, "nvmlDeviceGetComputeRunningProcesses_v3") &&
                  sym(api->driver, "nvmlSystemGetDriverVersion");
  if (!ok) {
    t->error_ = "libnvidia-ml.so.1 lacks an entry point";
    api->shutdown = nullptr;
    return t;
  }
  if (Api::Ret r = api->init(); r != 0) {
    t->error_ = absl::StrCat("nvmlInit_v2 returned ", r);
    api->shutdown = nullptr;
    t->api_ = std::move(api);
    return t;
  }
  if (Api::Ret r = api->by_pci(pci_bus_id.c_str(), &t->device_); r != 0) {
    t->error_ = absl::StrCat("NVML has no device at PCI ", pci_bus_id, " (", r, ")");
  }
  char version[96] = {};
  if (api->driver(version, sizeof(version)) == 0) t->driver_version_ = version;
  t->api_ = std::move(api);
  return t;
}

GpuTelemetry::~GpuTelemetry() = default;

TelemetrySample GpuTelemetry::Sample() const {
  TelemetrySample s;
  if (!error_.empty() || !api_ || !device_) {
    s.unavailable_reason = error_.empty() ? "NVML not opened" : error_;
    return s;
  }
  constexpr int kClockSm = 1, kClockMem = 2, kTemperatureGpu = 0;
  unsigned int v = 0;
  s.available = true;
  if (api_->clock(device_, kClockSm, &v) == 0) s.sm_clock_mhz = v;
  if (api_->clock(device_, kClockMem, &v) == 0) s.memory_clock_mhz = v;
  if (api_->temperature(device_, kTemperatureGpu, &v) == 0) s.temperature_c = v;
  if (api_->power(device_, &v) == 0) s.power_w = v / 1000.0;
  unsigned long long reasons = 0;
  if (api_->reasons(device_, &reasons) == 0) s.throttle_reasons = reasons;
  Api::ProcessInfo infos[64];
  unsigned int count = 64;
  if (api_->processes(device_, &count, infos) == 0) {
    const unsigned int self = static_cast<unsigned int>(getpid());
    for (unsigned int i = 0; i < std::min(count, 64u); ++i) {
      if (infos[i].pid != self) s.other_processes.push_back({infos[i].pid, infos[i].used_gpu_memory});
    }
  }
  return s;
}

}  // namespace switchback

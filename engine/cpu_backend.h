// The CPU reference backend: every op runs for real on the host (kernels/reference).
#pragma once

#include <cstdint>
#include <memory>

#include "engine/backend.h"

namespace switchback {

struct CpuBackendOptions {
  // Refuse configs whose timed products exceed this many multiply-adds in total
  // (1.5 * repeat calls of 7 products); 0 = no limit. About 10 s per 1e11 on 2 cores.
  double work_limit_macs = 2e12;
  // Host memory a config may use; 0 = half of physical memory.
  int64_t memory_limit_bytes = 0;
};

std::unique_ptr<Backend> MakeCpuBackend(const CpuBackendOptions& options);

// Total multiply-adds the runner performs for a config (used by the work limit).
double ConfigWorkMacs(const Config& config);

}  // namespace switchback

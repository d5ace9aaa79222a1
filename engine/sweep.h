// Sweep specification, its defaults (SPEC.md), validation and expansion into configs.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "engine/measure_options.h"

namespace switchback {

struct SweepSpec {
  std::vector<int64_t> dims;
  std::vector<int64_t> batch_sizes;
  std::vector<bool> switches;  // false = (dim, wm*dim), true = (wm*dim, dim); in this order
  int64_t wm = 4;
  int64_t repeat = 64;
  uint64_t seed = 0;
  MeasureOptions measure;
  // Check every op's output against the CPU reference on sampled rows (engine/verify.h).
  bool verify = true;
  // Measure a config again, up to this many times, while telemetry flags it as throttled
  // or shared (engine/telemetry.h).
  int remeasure = 1;
};

// SPEC.md's 60-config sweep.
SweepSpec DefaultSweepSpec();

struct Config {
  int index = 0;
  int64_t batch_size = 0;
  int64_t dim = 0;
  int64_t dim_in = 0;
  int64_t dim_out = 0;
  int64_t wm = 0;
  bool switch_mode = false;
  int64_t repeat = 0;
  uint64_t seed = 0;
  MeasureOptions measure;
  bool verify = true;
  int remeasure = 1;
};

struct SweepLimits {
  int max_configs = 1000;
};

// INVALID_ARGUMENT naming the field and value: empty or non-positive dims, batch sizes,
// repeat or wm; sizes whose element counts or byte counts overflow int64; too many configs.
absl::Status ValidateSweep(const SweepSpec& spec, const SweepLimits& limits);

// dims x batch sizes x switches, in SPEC.md's loop order. Call ValidateSweep first.
std::vector<Config> ExpandSweep(const SweepSpec& spec);

// Bytes a backend holds for one config: the buffers of engine/op_plan.h (x, g, w, their
// int8 copies and states, one output per shape, reused between operations); -1 on overflow.
int64_t ConfigBytes(const Config& config);

// Multiply-adds of one call of each product (M*N*K); the three fp16 and four int8 products
// of a config all have the same count.
int64_t ProductMacs(const Config& config);

}  // namespace switchback

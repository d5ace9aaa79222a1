#include "engine/sweep.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/op_plan.h"

namespace switchback {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// a * b, or -1 when it overflows int64 (all inputs are positive here).
int64_t CheckedMul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return -1;
  return out;
}

absl::Status CheckPositiveList(const char* field, const std::vector<int64_t>& values) {
  if (values.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "] = ", values[i], ": must be positive"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

SweepSpec DefaultSweepSpec() {
  SweepSpec spec;
  spec.dims = {1024, 1280, 1408, 1664, 2048, 4096};
  spec.batch_sizes = {8192, 16384, 32768, 65536, 131072};
  spec.switches = {false, true};
  spec.wm = 4;
  spec.repeat = 64;
  spec.seed = 0;
  return spec;
}

absl::Status ValidateSweep(const SweepSpec& spec, const SweepLimits& limits) {
  if (absl::Status s = CheckPositiveList("dims", spec.dims); !s.ok()) return s;
  if (absl::Status s = CheckPositiveList("batch_sizes", spec.batch_sizes); !s.ok()) return s;
  if (spec.switches.empty()) {
    return absl::InvalidArgumentError("switch_mode: no switch mode selected");
  }
  if (spec.wm <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("wm = ", spec.wm, ": must be positive"));
  }
  if (spec.repeat <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("repeat = ", spec.repeat, ": must be positive"));
  }
  if (spec.measure.stop.adaptive &&
      !(spec.measure.stop.target_rel_ci > 0 && spec.measure.stop.target_rel_ci < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target_rel_ci = ", spec.measure.stop.target_rel_ci, ": must be in (0, 1)"));
  }
  if (spec.measure.stop.adaptive && !(spec.measure.stop.max_seconds > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_seconds = ", spec.measure.stop.max_seconds, ": must be positive"));
  }
  if (spec.remeasure < 0 || spec.remeasure > 10) {
    return absl::InvalidArgumentError(
        absl::StrCat("remeasure = ", spec.remeasure, ": must be between 0 and 10"));
  }
  // Kernels index rows and columns with 32-bit grid dimensions and cuBLASLt takes int64
  // leading dimensions; cap each extent so every product stays well inside int64.
  constexpr int64_t kMaxExtent = int64_t{1} << 31;
  for (size_t i = 0; i < spec.dims.size(); ++i) {
    const int64_t wide = CheckedMul(spec.dims[i], spec.wm);
    if (wide < 0 || wide >= kMaxExtent) {
      return absl::InvalidArgumentError(absl::StrCat("dims[", i, "] = ", spec.dims[i],
                                                     " with wm = ", spec.wm,
                                                     ": dimension exceeds 2^31"));
    }
  }
  for (size_t i = 0; i < spec.batch_sizes.size(); ++i) {
    if (spec.batch_sizes[i] >= kMaxExtent) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch_sizes[", i, "] = ", spec.batch_sizes[i], ": exceeds 2^31"));
    }
  }
  for (size_t i = 0; i < spec.dims.size(); ++i) {
    for (size_t j = 0; j < spec.batch_sizes.size(); ++j) {
      Config probe;
      probe.batch_size = spec.batch_sizes[j];
      probe.dim_in = spec.dims[i];
      probe.dim_out = spec.dims[i] * spec.wm;
      if (ConfigBytes(probe) < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dims[", i, "] = ", spec.dims[i], " with batch_sizes[", j, "] = ",
            spec.batch_sizes[j], " and wm = ", spec.wm, ": tensor sizes overflow int64"));
      }
    }
  }
  const int64_t configs =
      static_cast<int64_t>(spec.dims.size() * spec.batch_sizes.size() * spec.switches.size());
  if (configs > limits.max_configs) {
    return absl::InvalidArgumentError(absl::StrCat("sweep: ", configs,
                                                   " configurations exceed the server's limit of ",
                                                   limits.max_configs, " (--max_configs)"));
  }
  return absl::OkStatus();
}

std::vector<Config> ExpandSweep(const SweepSpec& spec) {
  std::vector<Config> configs;
  for (int64_t dim : spec.dims) {
    for (int64_t batch : spec.batch_sizes) {
      for (bool sw : spec.switches) {
        Config c;
        c.index = static_cast<int>(configs.size());
        c.batch_size = batch;
        c.dim = dim;
        c.dim_in = sw ? spec.wm * dim : dim;
        c.dim_out = sw ? dim : spec.wm * dim;
        c.wm = spec.wm;
        c.switch_mode = sw;
        c.repeat = spec.repeat;
        c.seed = spec.seed;
        c.measure = spec.measure;
        c.verify = spec.verify;
        c.remeasure = spec.remeasure;
        configs.push_back(c);
      }
    }
  }
  return configs;
}

int64_t ConfigBytes(const Config& config) {
  // Extents are below 2^31 (ValidateSweep), so each buffer fits int64; the sum may not.
  __int128 total = 0;
  for (int b = 0; b < kNumBufs; ++b) {
    const BufShape shape = ShapeOf(static_cast<Buf>(b), config);
    total += static_cast<__int128>(shape.elements) * shape.element_bytes;
  }
  return total > kMaxInt64 ? -1 : static_cast<int64_t>(total);
}

int64_t ProductMacs(const Config& config) {
  return config.batch_size * config.dim_in * config.dim_out;
}

}  // namespace switchback

// `switchback-client plot`: the two panels people draw from this benchmark, via gnuplot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace switchback::client {

struct PlotOptions {
  std::vector<std::string> inputs;  // our JSONL files and/or bitsandbytes' published ones
  std::vector<std::string> labels;  // one per input; default: the file name
  std::string output;               // .png, .svg or .pdf
  int64_t batch_size = 0;           // left panel's batch size; 0 = the largest with switch off in the first file
};

// Left: time per operation against dim at one batch size (switch off, log scales).
// Right: percent speedup of SwitchBack (rowwise solid, global dashed) against dim for every
// batch size, each input in its own point style.
absl::Status Plot(const PlotOptions& options);

}  // namespace switchback::client

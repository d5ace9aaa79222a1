// Reads SwitchBack JSONL files: ours and bitsandbytes' published ones alike (SPEC.md keys).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchback::client {

// The JSONL keys of the 13 ops and 3 totals, in the original's order.
const std::vector<std::string>& OpKeys();
const std::vector<std::string>& TotalKeys();

struct ResultRow {
  int64_t repeat = 0;
  int64_t batch_size = 0;
  int64_t dim_out = 0;
  int64_t dim_in = 0;
  int64_t wm = 0;
  bool switch_mode = false;
  std::map<std::string, double> times;  // ops and totals present in the line (ms)
  std::string error;                    // empty unless the line carries one
  std::string device;                   // empty for the published bitsandbytes files
  std::string mode;                     // "original" when absent
  std::map<std::string, double> cv;     // per op coefficient of variation, when the line has stats
  // Ops whose flat key came from a loop with events at its two ends only
  // (stats.{op}.back_to_back_mean; docs/MEASUREMENT.md), not from an event per call.
  std::set<std::string> back_to_back;
  bool throttled = false;
  bool shared = false;

  std::optional<double> Get(const std::string& key) const;
  // dim as the sweep loop saw it: dim_in unless switched.
  int64_t dim() const { return switch_mode ? dim_out : dim_in; }
};

// Checks SPEC.md's keys and types: repeat, batch_size, dim_out, dim_in and wm are JSON
// integers, switch is a boolean, every op and total present is a number. A line without an
// error must carry all 13 ops and 3 totals.
absl::StatusOr<ResultRow> ParseResultLine(absl::string_view line);

// Every non-empty line of a file; the error names the file and line number.
absl::StatusOr<std::vector<ResultRow>> ReadResultsFile(const std::string& path);

}  // namespace switchback::client

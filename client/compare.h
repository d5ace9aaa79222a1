// `switchback-client compare a.jsonl b.jsonl`: per config and op, the ratio between two
// runs with the noise of each side, so that a regression shows.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/results_file.h"

namespace switchback::client {

struct Comparison {
  int64_t batch_size = 0, dim_in = 0, dim_out = 0;
  bool switch_mode = false;
  std::string op;
  double a_ms = 0, b_ms = 0;
  double ratio = 0;      // b / a: above 1 means b is slower
  double a_cv = -1, b_cv = -1;  // coefficient of variation of each side, -1 when unknown
  // "slower" or "faster" when the change exceeds max(threshold, 2 x the combined noise),
  // else "same".
  std::string verdict;
  // Both sides carry statistics but timed the op differently: one back to back, the other
  // with an event per call (about 2 us per call on a GPU, docs/MEASUREMENT.md), so part of
  // the ratio is the method, not the code.
  bool timing_differs = false;
};

// Matches configurations by (batch_size, dim_in, dim_out, switch); ops present on both sides.
std::vector<Comparison> Compare(const std::vector<ResultRow>& a, const std::vector<ResultRow>& b,
                                double threshold);

// A table (one line per config and op) and a summary with the geometric mean ratio per op.
void PrintComparison(const std::vector<Comparison>& rows, const std::string& a_name,
                     const std::string& b_name, std::ostream& out);

}  // namespace switchback::client

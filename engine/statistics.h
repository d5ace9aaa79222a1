// Summary statistics of one op's samples (the flat JSONL key keeps the mean).
#pragma once

#include <cstdint>
#include <vector>

namespace switchback {

struct Summary {
  int64_t count = 0;
  double mean = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  double stddev = 0;  // sample standard deviation (n - 1)
  double p05 = 0;     // percentiles, linear interpolation between order statistics
  double p95 = 0;
  double cv = 0;      // coefficient of variation: stddev / mean
};

// The q-quantile (0 <= q <= 1) of sorted samples, interpolating linearly.
double Quantile(const std::vector<double>& sorted, double q);

Summary Summarize(const std::vector<double>& samples);

}  // namespace switchback

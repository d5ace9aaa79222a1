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
};

Summary Summarize(const std::vector<double>& samples);

}  // namespace switchback

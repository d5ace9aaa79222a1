#include "engine/stopping_rule.h"

#include <cmath>
#include <limits>

#include "engine/statistics.h"

namespace switchback {

double RelativeConfidenceHalfWidth(const std::vector<double>& samples) {
  if (samples.size() < 2) return std::numeric_limits<double>::infinity();
  const Summary s = Summarize(samples);
  if (s.mean <= 0) return std::numeric_limits<double>::infinity();
  return 1.96 * s.stddev / std::sqrt(static_cast<double>(s.count)) / s.mean;
}

bool Converged(const std::vector<double>& samples, double target) {
  return RelativeConfidenceHalfWidth(samples) <= target;
}

}  // namespace switchback

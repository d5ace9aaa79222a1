// Adaptive sampling's stopping rule: is the mean known well enough?
#pragma once

#include <vector>

namespace switchback {

// Half-width of the 95% confidence interval of the mean, relative to the mean
// (1.96 * s / sqrt(n) / mean); infinity for fewer than 2 samples or a zero mean.
double RelativeConfidenceHalfWidth(const std::vector<double>& samples);

// True once RelativeConfidenceHalfWidth(samples) <= target.
bool Converged(const std::vector<double>& samples, double target);

}  // namespace switchback

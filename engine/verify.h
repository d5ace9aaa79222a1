// Checks an op's output, as its last timed call left it, against the CPU reference on
// sampled rows and columns: exact for quantization codes and states, a tolerance for
// products. A wrong result is never reported as a time (the runner drops it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "engine/op.h"
#include "engine/sweep.h"

namespace switchback {

struct Verification {
  bool ok = false;
  // Quantization: codes that differ (states must match exactly). Products: the largest
  // |out - ref| over the sampled elements divided by their RMS reference value.
  double max_error = 0;
  double tolerance = 0;
  int64_t checked = 0;  // elements compared
  std::string detail;   // what differed, when !ok
};

// Tolerances for products, relative to the RMS of the sampled reference values. The int8
// products accumulate exactly, so only the dequantization's fp32 rounding and the fp16
// output differ; fp16 products also differ in summation order.
inline constexpr double kInt8ProductTolerance = 2e-3;
inline constexpr double kFp16ProductTolerance = 5e-3;

// Reads the inputs it needs once per config (w whole, sampled rows and columns of x, g).
class Verifier {
 public:
  Verifier(ConfigWorkspace& ws, const Config& config);
  ~Verifier();
  absl::StatusOr<Verification> Check(Op op);

 private:
  struct Inputs;
  absl::Status LoadWeights();

  ConfigWorkspace& ws_;
  Config config_;
  std::unique_ptr<Inputs> inputs_;
};

// Rows sampled from [0, n): the first, last and two in between, without duplicates.
std::vector<int64_t> SampleIndices(int64_t n);

}  // namespace switchback

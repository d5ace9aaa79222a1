// The CUDA backend end to end on small configs: every op runs, is verified against the CPU
// reference on sampled rows, and is timed in each measurement mode.
#include <gtest/gtest.h>

#include "engine/cuda_backend.h"
#include "engine/runner.h"

namespace switchback {
namespace {

TEST(CudaBackendTest, SmallConfigsEveryModeVerified) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  auto backend = MakeCudaBackend(0);
  ASSERT_TRUE(backend.ok()) << backend.status();
  for (MeasureMode mode : {MeasureMode::kOriginal, MeasureMode::kCold, MeasureMode::kGraph}) {
    SweepSpec spec = DefaultSweepSpec();
    spec.dims = {64, 136};
    spec.batch_sizes = {272};
    spec.repeat = 4;
    spec.measure.mode = mode;
    for (const Config& c : ExpandSweep(spec)) {
      CancelToken cancel;
      const ConfigResult r = RunConfig(**backend, c, cancel);
      EXPECT_EQ(r.error, "") << ModeName(mode) << " config " << c.index;
      for (Op op : kAllOps) {
        EXPECT_TRUE(r.at(op).measured) << OpName(op);
        EXPECT_TRUE(r.at(op).verified) << OpName(op);
        EXPECT_GT(r.at(op).summary.mean, 0.0) << OpName(op);
      }
    }
  }
}

TEST(CudaBackendTest, MissingDeviceIsAClearError) {
  auto backend = MakeCudaBackend(CudaDeviceCount() + 3);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(backend.status().message().find("no CUDA device"), std::string::npos);
}

TEST(CudaBackendTest, OversizedConfigIsResourceExhausted) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  auto backend = MakeCudaBackend(0);
  ASSERT_TRUE(backend.ok());
  Config c;
  c.batch_size = int64_t{1} << 30;
  c.dim = c.dim_in = 4096;
  c.dim_out = 16384;
  c.wm = 4;
  c.repeat = 1;
  EXPECT_EQ((*backend)->CheckFits(c).code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace switchback

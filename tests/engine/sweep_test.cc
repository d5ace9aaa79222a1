#include "engine/sweep.h"

#include <gtest/gtest.h>

#include <limits>

namespace switchback {
namespace {

TEST(SweepTest, DefaultExpandsToSpecsSixtyConfigsInLoopOrder) {
  const std::vector<Config> configs = ExpandSweep(DefaultSweepSpec());
  ASSERT_EQ(configs.size(), 60u);
  const std::vector<int64_t> dims = {1024, 1280, 1408, 1664, 2048, 4096};
  const std::vector<int64_t> batches = {8192, 16384, 32768, 65536, 131072};
  int i = 0;
  for (int64_t dim : dims) {
    for (int64_t batch : batches) {
      for (bool sw : {false, true}) {
        const Config& c = configs[i];
        EXPECT_EQ(c.index, i);
        EXPECT_EQ(c.dim, dim);
        EXPECT_EQ(c.batch_size, batch);
        EXPECT_EQ(c.switch_mode, sw);
        EXPECT_EQ(c.dim_in, sw ? 4 * dim : dim);
        EXPECT_EQ(c.dim_out, sw ? dim : 4 * dim);
        EXPECT_EQ(c.wm, 4);
        EXPECT_EQ(c.repeat, 64);
        ++i;
      }
    }
  }
  EXPECT_TRUE(ValidateSweep(DefaultSweepSpec(), SweepLimits{}).ok());
}

TEST(SweepTest, LargestConfigNeedsAboutThirteenGiB) {
  Config c = ExpandSweep(DefaultSweepSpec()).back();
  const double gib = static_cast<double>(ConfigBytes(c)) / (1 << 30);
  EXPECT_GT(gib, 12.0);
  EXPECT_LT(gib, 15.0);
  EXPECT_EQ(ProductMacs(c), int64_t{131072} * 16384 * 4096);
}

struct BadCase {
  const char* name;
  void (*mutate)(SweepSpec&);
  const char* field;
};

class InvalidSweepTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(InvalidSweepTest, NamesTheField) {
  SweepSpec spec = DefaultSweepSpec();
  GetParam().mutate(spec);
  absl::Status s = ValidateSweep(spec, SweepLimits{});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(GetParam().field), absl::string_view::npos) << s;
}

INSTANTIATE_TEST_SUITE_P(
    AllFields, InvalidSweepTest,
    ::testing::Values(
        BadCase{"EmptyDims", [](SweepSpec& s) { s.dims.clear(); }, "dims"},
        BadCase{"ZeroDim", [](SweepSpec& s) { s.dims = {1024, 0}; }, "dims[1]"},
        BadCase{"NegativeDim", [](SweepSpec& s) { s.dims = {-5}; }, "dims[0]"},
        BadCase{"EmptyBatch", [](SweepSpec& s) { s.batch_sizes.clear(); }, "batch_sizes"},
        BadCase{"ZeroBatch", [](SweepSpec& s) { s.batch_sizes = {0}; }, "batch_sizes[0]"},
        BadCase{"NoSwitch", [](SweepSpec& s) { s.switches.clear(); }, "switch_mode"},
        BadCase{"ZeroWm", [](SweepSpec& s) { s.wm = 0; }, "wm"},
        BadCase{"ZeroRepeat", [](SweepSpec& s) { s.repeat = 0; }, "repeat"},
        BadCase{"NegativeRepeat", [](SweepSpec& s) { s.repeat = -3; }, "repeat"},
        BadCase{"HugeDim", [](SweepSpec& s) { s.dims = {int64_t{1} << 40}; }, "dims[0]"},
        BadCase{"WmOverflow",
                [](SweepSpec& s) { s.wm = std::numeric_limits<int64_t>::max() / 2; }, "dims[0]"},
        BadCase{"HugeBatch", [](SweepSpec& s) { s.batch_sizes = {int64_t{1} << 33}; },
                "batch_sizes[0]"},
        BadCase{"TooManyConfigs",
                [](SweepSpec& s) {
                  s.dims.assign(100, 16);
                  s.batch_sizes.assign(10, 16);
                },
                "configurations"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SweepTest, BytesOverflowIsInvalidNotUndefined) {
  SweepSpec spec;
  spec.dims = {(int64_t{1} << 31) / 4 - 1};
  spec.batch_sizes = {(int64_t{1} << 31) - 1};
  spec.switches = {false};
  absl::Status s = ValidateSweep(spec, SweepLimits{});
  // 2^31 x 2^31 elements fit int64, but not as bytes of every buffer together.
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("overflow"), absl::string_view::npos) << s;
}

TEST(SweepTest, SwitchOrderFollowsSpec) {
  SweepSpec spec = DefaultSweepSpec();
  spec.dims = {8};
  spec.batch_sizes = {2};
  spec.switches = {true};
  spec.wm = 3;
  const auto configs = ExpandSweep(spec);
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs[0].dim_in, 24);
  EXPECT_EQ(configs[0].dim_out, 8);
}

}  // namespace
}  // namespace switchback

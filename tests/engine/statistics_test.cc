#include "engine/statistics.h"

#include <gtest/gtest.h>

namespace switchback {
namespace {

TEST(StatisticsTest, KnownSamples) {
  const Summary s = Summarize({4.0, 1.0, 3.0, 2.0});
  EXPECT_EQ(s.count, 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 4.0);
  EXPECT_NEAR(s.stddev, 1.2909944487358056, 1e-12);  // sample stddev (n - 1)
}

TEST(StatisticsTest, OddCountMedianAndSingleSample) {
  EXPECT_DOUBLE_EQ(Summarize({5.0, 1.0, 9.0}).median, 5.0);
  const Summary one = Summarize({0.25});
  EXPECT_EQ(one.count, 1);
  EXPECT_DOUBLE_EQ(one.mean, 0.25);
  EXPECT_DOUBLE_EQ(one.stddev, 0.0);
  EXPECT_EQ(Summarize({}).count, 0);
}

}  // namespace
}  // namespace switchback

#include "client/compare.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <sstream>

namespace switchback::client {
namespace {

// The committed anchors; SWITCHBACK_ANCHORS_DIR in the environment overrides the build
// tree's path (bundles run from another checkout).
std::string AnchorsDir() {
  const char* env = std::getenv("SWITCHBACK_ANCHORS_DIR");
  return env && *env ? env : SWITCHBACK_ANCHORS_DIR;
}

std::string Anchors(const char* name) { return AnchorsDir() + "/" + name; }

ResultRow Row(double fwd_ms, double cv) {
  ResultRow r;
  r.batch_size = 8192;
  r.dim_in = 1024;
  r.dim_out = 4096;
  r.times["rowwise_fwd"] = fwd_ms;
  if (cv >= 0) r.cv["rowwise_fwd"] = cv;
  return r;
}

TEST(CompareTest, VerdictsRespectNoise) {
  // 10% slower with 1% noise: slower. 10% slower with 20% noise: within the noise.
  auto quiet = Compare({Row(1.0, 0.01)}, {Row(1.1, 0.01)}, 0.02);
  ASSERT_EQ(quiet.size(), 1u);
  EXPECT_NEAR(quiet[0].ratio, 1.1, 1e-12);
  EXPECT_EQ(quiet[0].verdict, "slower");
  auto noisy = Compare({Row(1.0, 0.2)}, {Row(1.1, 0.2)}, 0.02);
  EXPECT_EQ(noisy[0].verdict, "same");
  auto faster = Compare({Row(1.0, -1)}, {Row(0.5, -1)}, 0.02);
  EXPECT_EQ(faster[0].verdict, "faster");
}

// Rows timed by different methods (back to back against an event per call) are marked;
// rows without statistics (bitsandbytes' files) cannot be judged and are not.
TEST(CompareTest, MarksOpsTimedByDifferentMethods) {
  ResultRow per_call = Row(1.0, 0.01), back_to_back = Row(0.9, 0.01), no_stats = Row(1.0, -1);
  back_to_back.back_to_back.insert("rowwise_fwd");
  EXPECT_TRUE(Compare({per_call}, {back_to_back}, 0.02)[0].timing_differs);
  EXPECT_FALSE(Compare({back_to_back}, {back_to_back}, 0.02)[0].timing_differs);
  EXPECT_FALSE(Compare({per_call}, {per_call}, 0.02)[0].timing_differs);
  EXPECT_FALSE(Compare({no_stats}, {back_to_back}, 0.02)[0].timing_differs);
  std::ostringstream out;
  PrintComparison(Compare({per_call}, {back_to_back}, 0.02), "old", "new", out);
  EXPECT_NE(out.str().find("faster *"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("# * 1 rows"), std::string::npos) << out.str();
}

TEST(CompareTest, TwoPublishedRunsMatchEveryConfig) {
  auto a = ReadResultsFile(Anchors("bnb_triton_a100_published.jsonl"));
  auto b = ReadResultsFile(Anchors("bnb_triton_h100_measured.jsonl"));
  ASSERT_TRUE(a.ok() && b.ok());
  const auto rows = Compare(*a, *b, 0.02);
  EXPECT_EQ(rows.size(), 60u * 16u);  // 13 ops + 3 totals per config
  std::ostringstream out;
  PrintComparison(rows, "a100", "h100", out);
  EXPECT_NE(out.str().find("geometric mean ratio per op"), std::string::npos);
  EXPECT_NE(out.str().find("rowwise_fwd"), std::string::npos);
  // The H100 is faster than the A100 on the big fp16 products.
  int faster = 0;
  for (const auto& c : rows) faster += c.op == "standard_fwd" && c.verdict == "faster";
  EXPECT_GT(faster, 30);
}

}  // namespace
}  // namespace switchback::client

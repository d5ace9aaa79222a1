#include "engine/result.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <fstream>

#include <nlohmann/json.hpp>

#include "client/results_file.h"

namespace switchback {
namespace {

// The committed anchors; SWITCHBACK_ANCHORS_DIR in the environment overrides the build
// tree's path (bundles run from another checkout).
std::string AnchorsDir() {
  const char* env = std::getenv("SWITCHBACK_ANCHORS_DIR");
  return env && *env ? env : SWITCHBACK_ANCHORS_DIR;
}

ConfigResult FullResult() {
  ConfigResult r;
  r.config.index = 3;
  r.config.batch_size = 8192;
  r.config.dim = 1024;
  r.config.dim_in = 1024;
  r.config.dim_out = 4096;
  r.config.wm = 4;
  r.config.switch_mode = false;
  r.config.repeat = 64;
  r.config.seed = 7;
  r.device.backend = "cpu";
  r.device.device_name = "test device";
  double t = 0.125;
  for (Op op : kAllOps) {
    OpResult& o = r.at(op);
    o.measured = true;
    o.summary = Summarize({t, t, t});
    o.variant = "v";
    t += 0.125;
  }
  ComputeTotals(r);
  return r;
}

TEST(ResultTest, TotalsFollowSpec) {
  const ConfigResult r = FullResult();
  auto mean = [&](Op op) { return r.at(op).summary.mean; };
  ASSERT_TRUE(r.totals[0] && r.totals[1] && r.totals[2]);
  EXPECT_DOUBLE_EQ(*r.totals[0],
                   mean(Op::kStandardFwd) + mean(Op::kStandardGx) + mean(Op::kStandardGw));
  EXPECT_DOUBLE_EQ(*r.totals[1], mean(Op::kXQuantizeRowwise) + mean(Op::kGQuantizeRowwise) +
                                     mean(Op::kWQuantizeColwiseTranspose) +
                                     mean(Op::kWQuantizeRowwise) + mean(Op::kStandardGw) +
                                     mean(Op::kRowwiseFwd) + mean(Op::kRowwiseBwd));
  EXPECT_DOUBLE_EQ(*r.totals[2], mean(Op::kXQuantizeRowwise) + mean(Op::kGQuantizeRowwise) +
                                     mean(Op::kWQuantizeGlobal) +
                                     mean(Op::kWQuantizeGlobalTranspose) +
                                     mean(Op::kStandardGw) + mean(Op::kGlobalFwd) +
                                     mean(Op::kGlobalBwd));
}

// Where a back-to-back mean was measured it is the flat key, the totals and the rate; the
// per-call samples' statistics stay beside it.
TEST(ResultTest, BackToBackMeanIsTheFlatKey) {
  ConfigResult r = FullResult();
  OpResult& w = r.at(Op::kWQuantizeGlobal);
  const double samples_mean = w.summary.mean;
  w.back_to_back_ms = samples_mean - 0.0625;
  const double global_before = *r.totals[2];
  ComputeTotals(r);
  EXPECT_DOUBLE_EQ(*r.totals[2], global_before - 0.0625);
  EXPECT_DOUBLE_EQ(*r.totals[1], *FullResult().totals[1]);  // rowwise does not use it
  const auto j = nlohmann::json::parse(ToJsonLine(r));
  EXPECT_DOUBLE_EQ(j["w_quantize_global"].get<double>(), samples_mean - 0.0625);
  EXPECT_DOUBLE_EQ(j["stats"]["w_quantize_global"]["mean"].get<double>(), samples_mean);
  EXPECT_DOUBLE_EQ(j["stats"]["w_quantize_global"]["back_to_back_mean"].get<double>(),
                   samples_mean - 0.0625);
  EXPECT_FALSE(j["stats"]["w_quantize_rowwise"].contains("back_to_back_mean"));
  EXPECT_DOUBLE_EQ(j["time_global"].get<double>(), global_before - 0.0625);
}

// The clock and power read right after an op's timed calls go beside its statistics, and
// only where the device reported them.
TEST(ResultTest, TelemetryAfterEachOpGoesIntoItsStats) {
  ConfigResult r = FullResult();
  TelemetrySample busy;
  busy.available = true;
  busy.sm_clock_mhz = 1410;
  busy.power_w = 696.5;
  r.at(Op::kRowwiseFwd).after = busy;
  r.at(Op::kGlobalFwd).after = TelemetrySample{};  // NVML unavailable
  const auto j = nlohmann::json::parse(ToJsonLine(r));
  EXPECT_EQ(j["stats"]["rowwise_fwd"]["sm_clock_mhz_after"].get<int>(), 1410);
  EXPECT_DOUBLE_EQ(j["stats"]["rowwise_fwd"]["power_w_after"].get<double>(), 696.5);
  EXPECT_FALSE(j["stats"]["global_fwd"].contains("sm_clock_mhz_after"));
  EXPECT_FALSE(j["stats"]["standard_fwd"].contains("sm_clock_mhz_after"));
}

// The original's keys come first, in its order, with its types; extras follow.
TEST(ResultTest, LineKeysOrderAndTypesMatchTheOriginal) {
  const std::string line = ToJsonLine(FullResult());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  // The published bitsandbytes line, key for key.
  std::ifstream anchors(AnchorsDir() + "/bnb_triton_a100_published.jsonl");
  std::string first;
  ASSERT_TRUE(std::getline(anchors, first));
  const auto original = nlohmann::ordered_json::parse(first);
  size_t i = 0;
  for (auto it = original.begin(); it != original.end(); ++it, ++i) {
    ASSERT_LT(i, keys.size());
    EXPECT_EQ(keys[i], it.key()) << "position " << i;
    EXPECT_EQ(j[it.key()].type_name(), std::string(it->type_name())) << it.key();
    EXPECT_EQ(j[it.key()].is_number_integer(), it->is_number_integer()) << it.key();
  }
  EXPECT_EQ(i, 22u);
  EXPECT_TRUE(j["switch"].is_boolean());
  EXPECT_TRUE(j["stats"]["rowwise_fwd"]["median"].is_number());
  EXPECT_EQ(j["stats"]["rowwise_fwd"]["count"], 3);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["mode"], "original");
  EXPECT_FALSE(j.contains("error"));
  const double standard = j["time_standard"], rowwise = j["time_rowwise"];
  EXPECT_DOUBLE_EQ(j["speedup_rowwise_pct"].get<double>(),
                   100.0 * (standard - rowwise) / standard);
}

TEST(ResultTest, UnmeasuredOpsAreAbsentNotZero) {
  ConfigResult r = FullResult();
  r.at(Op::kRowwiseBwd) = OpResult{};
  r.error = "rowwise_bwd: boom";
  ComputeTotals(r);
  EXPECT_TRUE(r.totals[0].has_value());
  EXPECT_FALSE(r.totals[1].has_value());
  EXPECT_TRUE(r.totals[2].has_value());
  const auto j = nlohmann::json::parse(ToJsonLine(r));
  EXPECT_FALSE(j.contains("rowwise_bwd"));
  EXPECT_FALSE(j.contains("time_rowwise"));
  EXPECT_FALSE(j.contains("speedup_rowwise_pct"));
  EXPECT_TRUE(j.contains("time_global"));
  EXPECT_EQ(j["error"], "rowwise_bwd: boom");
  // The reader accepts a line with an error and missing ops.
  auto row = client::ParseResultLine(ToJsonLine(r));
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->error, "rowwise_bwd: boom");
  EXPECT_FALSE(row->Get("rowwise_bwd").has_value());
}

TEST(ResultTest, SameReaderReadsOursAndBitsandbytes) {
  auto ours = client::ParseResultLine(ToJsonLine(FullResult()));
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(ours->batch_size, 8192);
  EXPECT_EQ(ours->dim(), 1024);
  EXPECT_EQ(ours->times.size(), 16u);
  for (const char* file : {"bnb_triton_a100_published.jsonl", "bnb_triton_h100_measured.jsonl"}) {
    auto rows = client::ReadResultsFile(AnchorsDir() + "/" + file);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), 60u) << file;
    EXPECT_EQ((*rows)[0].batch_size, 8192);
    EXPECT_EQ((*rows)[0].times.size(), 16u);
    EXPECT_EQ((*rows)[59].dim(), 4096);
  }
}

TEST(ResultTest, ReaderRejectsWrongTypes) {
  std::string line = ToJsonLine(FullResult());
  auto swap = [&](const std::string& from, const std::string& to) {
    const size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at == std::string::npos) return client::ParseResultLine("");
    return client::ParseResultLine(line.substr(0, at) + to + line.substr(at + from.size()));
  };
  EXPECT_FALSE(swap("\"switch\":false", "\"switch\":0").ok());
  EXPECT_FALSE(swap("\"batch_size\":8192", "\"batch_size\":\"8192\"").ok());
  EXPECT_FALSE(swap("\"repeat\":64", "\"repeat\":64.5").ok());
  EXPECT_FALSE(client::ParseResultLine("{\"repeat\": 1").ok());
}

}  // namespace
}  // namespace switchback

#include "client/plot.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace switchback::client {
namespace {

// The committed anchors; SWITCHBACK_ANCHORS_DIR in the environment overrides the build
// tree's path (bundles run from another checkout).
std::string AnchorsDir() {
  const char* env = std::getenv("SWITCHBACK_ANCHORS_DIR");
  return env && *env ? env : SWITCHBACK_ANCHORS_DIR;
}

bool HaveGnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

std::string Anchors(const char* name) { return AnchorsDir() + "/" + name; }

std::string Header(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  return s;
}

class PlotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveGnuplot()) GTEST_SKIP() << "gnuplot is not installed (apt-get install gnuplot-nox)";
    dir_ = std::filesystem::temp_directory_path() / ("plot_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(PlotTest, BitsandbytesAndOursSideBySideInEveryFormat) {
  PlotOptions options;
  options.inputs = {Anchors("bnb_triton_h100_measured.jsonl"), Anchors("bnb_triton_a100_published.jsonl")};
  options.labels = {"bnb H100", "bnb A100"};
  for (const char* ext : {".png", ".svg", ".pdf"}) {
    options.output = (dir_ / (std::string("speedup") + ext)).string();
    ASSERT_TRUE(Plot(options).ok()) << ext;
    ASSERT_TRUE(std::filesystem::exists(options.output)) << ext;
    EXPECT_GT(std::filesystem::file_size(options.output), 5000u) << ext;
  }
  EXPECT_EQ(Header((dir_ / "speedup.png").string(), 4), "\x89PNG");
  EXPECT_EQ(Header((dir_ / "speedup.pdf").string(), 4), "%PDF");
  EXPECT_NE(Header((dir_ / "speedup.svg").string(), 200).find("<svg"), std::string::npos);
}

TEST_F(PlotTest, CommittedResultsPlot) {
  for (const auto& entry : std::filesystem::directory_iterator(SWITCHBACK_RESULTS_DIR)) {
    // Result files only: the *torch*.jsonl beside them are PyTorch baselines, and the *_vs_*
    // ones interleaved comparisons (bench/fp16_interleaved.py, bench/int8_interleaved.py).
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() != ".jsonl" || stem.find("torch") != std::string::npos ||
        stem.find("_vs_") != std::string::npos) {
      continue;
    }
    PlotOptions options;
    options.inputs = {entry.path().string(), Anchors("bnb_triton_h100_measured.jsonl")};
    options.output = (dir_ / (entry.path().stem().string() + ".png")).string();
    EXPECT_TRUE(Plot(options).ok()) << entry.path();
  }
}

TEST_F(PlotTest, ClearErrors) {
  PlotOptions options;
  options.inputs = {Anchors("bnb_triton_h100_measured.jsonl")};
  options.output = (dir_ / "x.gif").string();
  EXPECT_EQ(Plot(options).code(), absl::StatusCode::kInvalidArgument);
  options.output = (dir_ / "x.png").string();
  options.batch_size = 12345;
  EXPECT_EQ(Plot(options).code(), absl::StatusCode::kInvalidArgument);
  options.inputs = {(dir_ / "missing.jsonl").string()};
  EXPECT_EQ(Plot(options).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace switchback::client

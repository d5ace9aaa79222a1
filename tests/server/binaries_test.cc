// switchback-server and switchback-client as processes: exit codes, files, signals.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "client/results_file.h"
#include "engine/cuda_backend.h"

extern char** environ;

namespace switchback {
namespace {

namespace fs = std::filesystem;

struct Process {
  pid_t pid = -1;
  std::string out, err;  // file paths
};

// A fresh directory per test process (mkdtemp): a directory named after the pid outlived
// its run, and a later process with the same pid found its results files (a CI run failed
// on a stale sigterm.jsonl that already held lines).
// Removed when the test process ends (what a failing test needs is in its messages).
struct TempDir {
  fs::path path;
  TempDir() {
    std::string name = (fs::temp_directory_path() / "switchback_bin_test_XXXXXX").string();
    if (mkdtemp(name.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << name << ": " << std::strerror(errno);
    path = name;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

const fs::path& TestDir() {
  static const TempDir dir;
  return dir.path;
}

Process Spawn(const std::vector<std::string>& args, const std::string& tag) {
  static int counter = 0;
  const fs::path& dir = TestDir();
  Process p;
  p.out = (dir / (tag + std::to_string(counter) + ".out")).string();
  p.err = (dir / (tag + std::to_string(counter++) + ".err")).string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, p.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, p.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  EXPECT_EQ(posix_spawn(&p.pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return p;
}

// Exit code, or -1 on timeout (then the process is killed).
int Wait(const Process& p, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    int status = 0;
    if (waitpid(p.pid, &status, WNOHANG) == p.pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(p.pid, SIGKILL);
  waitpid(p.pid, nullptr, 0);
  return -1;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts `switchback-server --cpu` on a free port; returns the address.
std::string StartCpuServer(Process* server) {
  *server = Spawn({SWITCHBACK_SERVER_BIN, "--cpu", "--listen", "127.0.0.1:0"}, "server");
  std::smatch m;
  const std::regex re("listening (127\\.0\\.0\\.1:[0-9]+)");
  for (int i = 0; i < 400; ++i) {
    const std::string out = Slurp(server->out);
    if (std::regex_search(out, m, re)) return m[1];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "server did not start: " << Slurp(server->err);
  return "";
}

int64_t CountLines(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) n += !line.empty();
  return n;
}

TEST(BinariesTest, GpuFlagWithoutDeviceSuggestsCpuAndExits2) {
  if (CudaDeviceCount() > 0) GTEST_SKIP() << "this machine has a CUDA device";
  Process p = Spawn({SWITCHBACK_SERVER_BIN, "--gpu", "0"}, "nogpu");
  EXPECT_EQ(Wait(p, 30), 2);
  EXPECT_NE(Slurp(p.err).find("--cpu"), std::string::npos) << Slurp(p.err);
}

TEST(BinariesTest, ServerAndClientWriteAResultsFile) {
  Process server;
  const std::string address = StartCpuServer(&server);
  ASSERT_FALSE(address.empty());
  const std::string out = fs::path(server.out).parent_path() / "results.jsonl";
  Process client = Spawn({SWITCHBACK_CLIENT_BIN, "sweep", "--server", address, "--dims", "16,24",
                          "--batch-sizes", "32", "--repeat", "2", "--out", out},
                         "client");
  EXPECT_EQ(Wait(client, 120), 0) << Slurp(client.err);
  EXPECT_EQ(CountLines(out), 4);
  auto rows = client::ReadResultsFile(out);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_NE(Slurp(client.err).find("rowwise%"), std::string::npos);  // the summary table
  // --append adds lines; info and jobs answer.
  Process again = Spawn({SWITCHBACK_CLIENT_BIN, "sweep", "--server", address, "--dims", "16",
                         "--batch-sizes", "32", "--switch", "on", "--repeat", "2", "--out", out, "--append"},
                        "client");
  EXPECT_EQ(Wait(again, 120), 0) << Slurp(again.err);
  EXPECT_EQ(CountLines(out), 5);
  Process info = Spawn({SWITCHBACK_CLIENT_BIN, "info", "--server", address}, "info");
  EXPECT_EQ(Wait(info, 30), 0);
  EXPECT_NE(Slurp(info.out).find("backend        cpu"), std::string::npos) << Slurp(info.out);
  Process jobs = Spawn({SWITCHBACK_CLIENT_BIN, "jobs", "--server", address}, "jobs");
  EXPECT_EQ(Wait(jobs, 30), 0);
  EXPECT_NE(Slurp(jobs.out).find("JOB_STATE_SUCCEEDED"), std::string::npos) << Slurp(jobs.out);
  kill(server.pid, SIGTERM);
  EXPECT_EQ(Wait(server, 30), 0) << Slurp(server.err);
}

TEST(BinariesTest, SigtermMidJobDeliversWhatWasMeasuredAndExitsZero) {
  Process server;
  const std::string address = StartCpuServer(&server);
  ASSERT_FALSE(address.empty());
  const std::string out = fs::path(server.out).parent_path() / "sigterm.jsonl";
  Process client = Spawn({SWITCHBACK_CLIENT_BIN, "sweep", "--server", address, "--dims",
                          "64,64,64,64,64,64,64,64", "--batch-sizes", "256", "--repeat", "8", "--out", out},
                         "client");
  for (int i = 0; i < 600 && CountLines(out) < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GE(CountLines(out), 1) << Slurp(client.err);
  kill(server.pid, SIGTERM);
  EXPECT_EQ(Wait(server, 60), 0) << Slurp(server.err);
  const int rc = Wait(client, 60);
  EXPECT_NE(rc, -1);
  const int64_t lines = CountLines(out);
  EXPECT_LT(lines, 16);
  auto rows = client::ReadResultsFile(out);  // every line whole and valid
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_NE(Slurp(client.err).find("JOB_STATE_CANCELLED"), std::string::npos) << Slurp(client.err);
}

TEST(BinariesTest, ClientErrorsAreOneClearLine) {
  Process unreachable = Spawn({SWITCHBACK_CLIENT_BIN, "info", "--server", "127.0.0.1:1"}, "bad");
  EXPECT_EQ(Wait(unreachable, 60), 3);
  const std::string err = Slurp(unreachable.err);
  EXPECT_NE(err.find("cannot reach switchback-server at 127.0.0.1:1"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  Process bad_dims = Spawn({SWITCHBACK_CLIENT_BIN, "sweep", "--dims", "abc"}, "bad");
  EXPECT_EQ(Wait(bad_dims, 30), 2);
  EXPECT_NE(Slurp(bad_dims.err).find("--dims"), std::string::npos);
  Process bad_switch = Spawn({SWITCHBACK_CLIENT_BIN, "sweep", "--switch", "maybe"}, "bad");
  EXPECT_EQ(Wait(bad_switch, 30), 2);
  EXPECT_NE(Slurp(bad_switch.err).find("--switch"), std::string::npos);
  Process unknown = Spawn({SWITCHBACK_CLIENT_BIN, "sweep", "--bogus", "1"}, "bad");
  EXPECT_EQ(Wait(unknown, 30), 2);
  EXPECT_NE(Slurp(unknown.err).find("unknown flag --bogus"), std::string::npos);
}

TEST(BinariesTest, SweepAgainstUnreachableServerFailsFast) {
  Process p = Spawn({SWITCHBACK_CLIENT_BIN, "sweep", "--server", "127.0.0.1:1", "--dims", "16"}, "bad");
  EXPECT_EQ(Wait(p, 60), 3) << Slurp(p.err);
}

}  // namespace
}  // namespace switchback

// The gRPC service over loopback on an ephemeral port, with the CPU backend.
#include "server/service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <thread>

#include "client/results_file.h"
#include "tests/server/test_backend.h"

namespace switchback::server {
namespace {

using testing::SlowBackend;
using testing::TinySweep;

class ServiceTest : public ::testing::Test {
 protected:
  void Start(std::unique_ptr<Backend> backend, int max_configs = 1000) {
    backend_ = std::move(backend);
    queue_ = std::make_unique<JobQueue>(*backend_, std::nullopt);
    ServiceOptions options;
    options.limits.max_configs = max_configs;
    service_ = std::make_unique<BenchmarkService>(*backend_, *queue_, options);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    if (queue_) queue_->CancelAll();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (queue_) queue_->Shutdown();
  }
  std::unique_ptr<v1::Benchmark::Stub> Stub() {
    return v1::Benchmark::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                                      grpc::InsecureChannelCredentials()));
  }
  // Submits and reads every event; returns the final status.
  grpc::Status SubmitAll(const v1::SweepSpec& sweep, std::vector<v1::JobEvent>* events, bool detach = false) {
    v1::SubmitRequest request;
    *request.mutable_sweep() = sweep;
    request.set_detach(detach);
    grpc::ClientContext context;
    auto reader = Stub()->Submit(&context, request);
    v1::JobEvent e;
    while (reader->Read(&e)) events->push_back(e);
    return reader->Finish();
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<JobQueue> queue_;
  std::unique_ptr<BenchmarkService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

std::vector<std::string> Lines(const std::vector<v1::JobEvent>& events) {
  std::vector<std::string> lines;
  for (const auto& e : events) {
    if (e.has_result()) lines.push_back(e.result().json_line());
  }
  return lines;
}

TEST_F(ServiceTest, SmallSweepStreamsOneValidLinePerConfig) {
  Start(MakeCpuBackend({}));
  std::vector<v1::JobEvent> events;
  ASSERT_TRUE(SubmitAll(TinySweep(7, 3), &events).ok());
  ASSERT_TRUE(events.front().has_accepted());
  EXPECT_EQ(events.front().accepted().total_configs(), 3);
  EXPECT_EQ(events.front().accepted().sweep().wm(), 4);  // defaults filled in
  EXPECT_TRUE(events.back().has_finished());
  const auto lines = Lines(events);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& line : lines) {
    auto row = client::ParseResultLine(line);
    ASSERT_TRUE(row.ok()) << row.status() << "\n" << line;
    EXPECT_EQ(row->error, "");
    EXPECT_EQ(row->times.size(), 16u);
    EXPECT_EQ(row->repeat, 2);
  }
}

TEST_F(ServiceTest, FourConcurrentClientsGetTheirOwnResults) {
  Start(MakeCpuBackend({}));
  std::vector<std::thread> clients;
  std::vector<std::vector<v1::JobEvent>> events(4);
  std::vector<grpc::Status> status(4);
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] { status[i] = SubmitAll(TinySweep(100 + i), &events[i]); });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(status[i].ok()) << status[i].error_message();
    const auto lines = Lines(events[i]);
    ASSERT_EQ(lines.size(), 2u) << i;
    for (const auto& line : lines) {
      EXPECT_NE(line.find(absl::StrCat("\"seed\":", 100 + i)), std::string::npos) << line;
    }
  }
}

struct Bad {
  const char* name;
  void (*mutate)(v1::SweepSpec&);
  const char* field;
};

class InvalidFieldTest : public ServiceTest, public ::testing::WithParamInterface<Bad> {};

TEST_P(InvalidFieldTest, AnswersInvalidArgumentNamingTheField) {
  Start(MakeCpuBackend({}), /*max_configs=*/20);
  v1::SweepSpec sweep = TinySweep();
  GetParam().mutate(sweep);
  std::vector<v1::JobEvent> events;
  const grpc::Status s = SubmitAll(sweep, &events);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find(GetParam().field), std::string::npos) << s.error_message();
  EXPECT_TRUE(events.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Fields, InvalidFieldTest,
    ::testing::Values(
        Bad{"EmptyDims", [](v1::SweepSpec& s) { s.mutable_dims()->clear_values(); }, "dims"},
        Bad{"ZeroDim", [](v1::SweepSpec& s) { s.mutable_dims()->set_values(0, 0); }, "dims[0]"},
        Bad{"NegativeDim", [](v1::SweepSpec& s) { s.mutable_dims()->set_values(1, -3); }, "dims[1]"},
        Bad{"EmptyBatch", [](v1::SweepSpec& s) { s.mutable_batch_sizes()->clear_values(); }, "batch_sizes"},
        Bad{"ZeroBatch", [](v1::SweepSpec& s) { s.mutable_batch_sizes()->set_values(0, 0); }, "batch_sizes[0]"},
        Bad{"ZeroRepeat", [](v1::SweepSpec& s) { s.set_repeat(0); }, "repeat"},
        Bad{"NegativeWm", [](v1::SweepSpec& s) { s.set_wm(-1); }, "wm"},
        Bad{"OverflowingDim", [](v1::SweepSpec& s) { s.mutable_dims()->set_values(0, int64_t{1} << 40); }, "dims[0]"},
        Bad{"OverflowingBytes",
            [](v1::SweepSpec& s) {
              s.mutable_dims()->set_values(0, (int64_t{1} << 29) - 1);
              s.mutable_batch_sizes()->set_values(0, (int64_t{1} << 31) - 1);
            },
            "overflow"},
        Bad{"TooManyConfigs",
            [](v1::SweepSpec& s) {
              for (int i = 0; i < 30; ++i) s.mutable_dims()->add_values(8);
            },
            "max_configs"},
        Bad{"BadTarget",
            [](v1::SweepSpec& s) {
              s.mutable_measure()->set_adaptive(true);
              s.mutable_measure()->set_target_rel_ci(0);
            },
            "target_rel_ci"},
        Bad{"BadRemeasure", [](v1::SweepSpec& s) { s.set_remeasure(99); }, "remeasure"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ServiceTest, WorkLimitAnswersResourceExhaustedBeforeAnyWork) {
  CpuBackendOptions options;
  options.work_limit_macs = 1e5;  // below the first config's work
  Start(MakeCpuBackend(options));
  std::vector<v1::JobEvent> events;
  const grpc::Status s = SubmitAll(TinySweep(), &events);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("config 0"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("--cpu_work_limit"), std::string::npos) << s.error_message();
}

TEST_F(ServiceTest, CancelRunningJobFromAnotherConnection) {
  Start(std::make_unique<SlowBackend>(std::chrono::milliseconds(300)));
  v1::SubmitRequest request;
  *request.mutable_sweep() = TinySweep(1, 6);
  grpc::ClientContext context;
  auto reader = Stub()->Submit(&context, request);
  v1::JobEvent e;
  ASSERT_TRUE(reader->Read(&e));
  const std::string id = e.job_id();
  grpc::ClientContext cancel_context;
  v1::CancelRequest cancel;
  cancel.set_job_id(id);
  v1::CancelResponse response;
  ASSERT_TRUE(Stub()->Cancel(&cancel_context, cancel, &response).ok());
  v1::JobState final_state = v1::JOB_STATE_UNSPECIFIED;
  int results = 0;
  while (reader->Read(&e)) {
    results += e.has_result();
    if (e.has_finished()) final_state = e.finished().state();
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(final_state, v1::JOB_STATE_CANCELLED);
  EXPECT_LT(results, 6);
  grpc::ClientContext missing;
  cancel.set_job_id("job-404");
  EXPECT_EQ(Stub()->Cancel(&missing, cancel, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, DetachThenWatchReplaysEverything) {
  Start(std::make_unique<SlowBackend>(std::chrono::milliseconds(50)));
  v1::SubmitRequest request;
  *request.mutable_sweep() = TinySweep(9, 3);
  request.set_detach(true);
  std::string id;
  {
    grpc::ClientContext context;
    auto reader = Stub()->Submit(&context, request);
    v1::JobEvent e;
    ASSERT_TRUE(reader->Read(&e));
    id = e.job_id();
    context.TryCancel();  // the client goes away at once
    reader->Finish();
  }
  grpc::ClientContext watch_context;
  v1::WatchRequest watch;
  watch.set_job_id(id);
  auto reader = Stub()->Watch(&watch_context, watch);
  v1::JobEvent e;
  std::vector<v1::JobEvent> events;
  while (reader->Read(&e)) events.push_back(e);
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(events.front().has_accepted());
  EXPECT_EQ(Lines(events).size(), 3u);
  EXPECT_EQ(events.back().finished().state(), v1::JOB_STATE_SUCCEEDED);
  grpc::ClientContext missing;
  watch.set_job_id("job-404");
  auto none = Stub()->Watch(&missing, watch);
  while (none->Read(&e)) {
  }
  EXPECT_EQ(none->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, DisconnectMidStreamCancelsTheJobAndServerKeepsServing) {
  Start(std::make_unique<SlowBackend>(std::chrono::milliseconds(200)));
  std::string id;
  {
    v1::SubmitRequest request;
    *request.mutable_sweep() = TinySweep(1, 8);
    grpc::ClientContext context;
    auto reader = Stub()->Submit(&context, request);
    v1::JobEvent e;
    while (reader->Read(&e) && !e.has_result()) id = e.job_id();
    context.TryCancel();
    reader->Finish();
  }
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  for (int i = 0; i < 100 && state != v1::JOB_STATE_CANCELLED; ++i) {
    grpc::ClientContext context;
    v1::ListJobsResponse jobs;
    ASSERT_TRUE(Stub()->ListJobs(&context, v1::ListJobsRequest(), &jobs).ok());
    for (const auto& j : jobs.jobs()) {
      if (j.job_id() == id) state = j.state();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(state, v1::JOB_STATE_CANCELLED);
  std::vector<v1::JobEvent> events;
  EXPECT_TRUE(SubmitAll(TinySweep(2), &events).ok());  // still serving
  EXPECT_EQ(Lines(events).size(), 2u);
}

TEST_F(ServiceTest, InfoDescribesTheBackend) {
  Start(MakeCpuBackend({}));
  grpc::ClientContext context;
  v1::ServerInfo info;
  ASSERT_TRUE(Stub()->GetInfo(&context, v1::GetInfoRequest(), &info).ok());
  EXPECT_EQ(info.backend(), "cpu");
  EXPECT_FALSE(info.version().empty());
  EXPECT_EQ(info.max_configs(), 1000);
}

}  // namespace
}  // namespace switchback::server

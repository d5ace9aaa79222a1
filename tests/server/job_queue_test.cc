#include "server/job_queue.h"

#include <gtest/gtest.h>

#include "engine/sweep.h"
#include "server/service.h"
#include "tests/server/test_backend.h"

namespace switchback::server {
namespace {

using testing::SlowBackend;
using testing::TinySweep;

std::vector<Config> Configs(const v1::SweepSpec& wire) {
  auto spec = ToEngineSpec(wire);
  EXPECT_TRUE(spec.ok());
  return ExpandSweep(*spec);
}

// Collects a job's events until it ends.
std::vector<v1::JobEvent> Drain(const JobQueue& q, const Job& job) {
  std::vector<v1::JobEvent> events;
  for (int i = 0; i < 600; ++i) {
    if (q.WaitEvents(job, events.size(), 100, &events)) return events;
  }
  ADD_FAILURE() << "job did not end";
  return events;
}

TEST(JobQueueTest, RunsJobsFifoOneAtATime) {
  SlowBackend backend(std::chrono::milliseconds(50));
  JobQueue q(backend, std::nullopt);
  auto a = q.Submit(TinySweep(1), Configs(TinySweep(1)), "a", false);
  auto b = q.Submit(TinySweep(2), Configs(TinySweep(2)), "b", false);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto ea = Drain(q, **a);
  const auto eb = Drain(q, **b);
  // a: Accepted, Started, 2 results, Finished. b waited: Accepted (position 2 or 1), Queued..., Started.
  ASSERT_GE(ea.size(), 5u);
  EXPECT_TRUE(ea.front().has_accepted());
  EXPECT_TRUE(ea.back().has_finished());
  EXPECT_EQ(ea.back().finished().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ea.back().finished().completed_configs(), 2);
  int results = 0;
  for (const auto& e : eb) results += e.has_result();
  EXPECT_EQ(results, 2);
  // b started only after a finished: its Started comes after a queue update to position 0... and
  // b's results carry b's seed.
  for (const auto& e : eb) {
    if (e.has_result()) {
      EXPECT_NE(e.result().json_line().find("\"seed\":2"), std::string::npos);
    }
  }
}

TEST(JobQueueTest, QueuedJobsAreToldTheirPosition) {
  SlowBackend backend(std::chrono::milliseconds(100));
  JobQueue q(backend, std::nullopt);
  auto a = q.Submit(TinySweep(1), Configs(TinySweep(1)), "a", false);
  auto b = q.Submit(TinySweep(2), Configs(TinySweep(2)), "b", false);
  auto c = q.Submit(TinySweep(3), Configs(TinySweep(3)), "c", false);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  // a may or may not have left the queue for the worker when c arrived (the worker is a
  // thread): c is third in line, or second behind b.
  const int accepted_at = (*c)->events.front().accepted().queue_position();
  EXPECT_TRUE(accepted_at == 3 || accepted_at == 2) << accepted_at;
  const auto ec = Drain(q, **c);
  std::vector<int> positions;
  for (const auto& e : ec) {
    if (e.has_queued()) positions.push_back(e.queued().queue_position());
  }
  ASSERT_FALSE(positions.empty());
  EXPECT_EQ(positions.back(), 1);  // next in line before it started
  EXPECT_TRUE(std::is_sorted(positions.rbegin(), positions.rend()));
}

TEST(JobQueueTest, CancelQueuedAndRunning) {
  SlowBackend backend(std::chrono::milliseconds(200));
  JobQueue q(backend, std::nullopt);
  auto a = q.Submit(TinySweep(1, 5), Configs(TinySweep(1, 5)), "a", false);
  auto b = q.Submit(TinySweep(2), Configs(TinySweep(2)), "b", false);
  ASSERT_TRUE(a.ok() && b.ok());
  auto prev_b = q.Cancel((*b)->id);
  ASSERT_TRUE(prev_b.ok());
  EXPECT_EQ(*prev_b, v1::JOB_STATE_QUEUED);
  // Wait until a is running, then cancel it.
  for (int i = 0; i < 100 && backend.prepared == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto prev_a = q.Cancel((*a)->id);
  ASSERT_TRUE(prev_a.ok());
  const auto ea = Drain(q, **a);
  EXPECT_EQ(ea.back().finished().state(), v1::JOB_STATE_CANCELLED);
  EXPECT_LT(ea.back().finished().completed_configs(), 5);
  const auto eb = Drain(q, **b);
  EXPECT_EQ(eb.back().finished().state(), v1::JOB_STATE_CANCELLED);
  for (const auto& e : eb) EXPECT_FALSE(e.has_result());
  EXPECT_EQ(q.Cancel("job-999").status().code(), absl::StatusCode::kNotFound);
}

TEST(JobQueueTest, ListShowsStatesAndShutdownCancels) {
  SlowBackend backend(std::chrono::milliseconds(100));
  JobQueue q(backend, std::nullopt);
  auto a = q.Submit(TinySweep(1, 4), Configs(TinySweep(1, 4)), "alice", true);
  auto b = q.Submit(TinySweep(2), Configs(TinySweep(2)), "bob", false);
  const auto jobs = q.List();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs.back().client(), "bob");
  EXPECT_EQ(jobs.back().state(), v1::JOB_STATE_QUEUED);
  EXPECT_TRUE(jobs.front().detached());
  q.Shutdown();
  EXPECT_EQ((*a)->state, v1::JOB_STATE_CANCELLED);
  EXPECT_EQ((*b)->state, v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(q.Submit(TinySweep(3), Configs(TinySweep(3)), "late", false).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace switchback::server

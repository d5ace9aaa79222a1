// The job queue: FIFO, one worker thread that owns the backend and runs one job at a time
// (timings never overlap). Jobs keep their events so that watchers can replay them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "engine/cancel.h"
#include "engine/sweep.h"
#include "switchback/v1/switchback.pb.h"

namespace switchback::server {

struct Job {
  std::string id;
  v1::SweepSpec spec;  // with defaults filled in, as the client sees it
  std::vector<Config> configs;
  std::string client;
  bool detached = false;
  int64_t submitted_unix_ms = 0;
  CancelToken cancel;
  // Guarded by the queue's mutex.
  v1::JobState state = v1::JOB_STATE_QUEUED;
  std::vector<v1::JobEvent> events;
  int completed = 0;
  int failed = 0;
};

struct JobQueueOptions {
  int keep_finished = 100;  // finished jobs kept for Watch and ListJobs
};

class JobQueue {
 public:
  // The worker starts at once; `ceilings` (optional) adds roofline columns to results.
  JobQueue(Backend& backend, std::optional<Ceilings> ceilings, JobQueueOptions options = {});
  ~JobQueue();  // Shutdown()

  // UNAVAILABLE once shutting down. The job's first event (Accepted) is already recorded.
  absl::StatusOr<std::shared_ptr<Job>> Submit(v1::SweepSpec spec, std::vector<Config> configs,
                                               std::string client, bool detached);
  std::shared_ptr<Job> Find(const std::string& id) const;
  // NOT_FOUND for unknown ids; returns the state the job had.
  absl::StatusOr<v1::JobState> Cancel(const std::string& id);
  std::vector<v1::JobSummary> List() const;
  int QueuedJobs() const;
  bool Busy() const;

  // Copies events [next, ...) of `job` into `out`, waiting up to `timeout_ms` for at least
  // one. Returns true once the job has ended and every event up to its end was copied.
  bool WaitEvents(const Job& job, size_t next, int timeout_ms, std::vector<v1::JobEvent>* out) const;

  // Stops taking jobs and cancels the running and queued ones; their streams still get
  // everything measured and a Finished event. Idempotent.
  void CancelAll();
  // CancelAll, then waits for the worker to stop.
  void Shutdown();

 private:
  void WorkerLoop();
  void Record(Job& job, v1::JobEvent event);  // with mu_ held
  void Finish(Job& job, v1::JobState state, const std::string& message);  // with mu_ held
  void AnnouncePositions();  // with mu_ held
  int PositionOf(const Job& job) const;  // with mu_ held

  Backend& backend_;
  std::optional<Ceilings> ceilings_;
  JobQueueOptions options_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::deque<std::shared_ptr<Job>> queued_;
  std::shared_ptr<Job> running_;
  std::deque<std::shared_ptr<Job>> finished_;
  std::map<std::string, std::shared_ptr<Job>> by_id_;
  bool closing_ = false;
  int64_t next_id_ = 1;
  std::thread worker_;
};

}  // namespace switchback::server

#include "server/job_queue.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/runner.h"

namespace switchback::server {
namespace {

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Ended(v1::JobState s) {
  return s == v1::JOB_STATE_SUCCEEDED || s == v1::JOB_STATE_CANCELLED || s == v1::JOB_STATE_FAILED;
}

v1::JobEvent ResultEvent(const ConfigResult& r, int total) {
  v1::JobEvent e;
  v1::ConfigResult* out = e.mutable_result();
  v1::Config* c = out->mutable_config();
  c->set_index(r.config.index);
  c->set_batch_size(r.config.batch_size);
  c->set_dim(r.config.dim);
  c->set_dim_in(r.config.dim_in);
  c->set_dim_out(r.config.dim_out);
  c->set_wm(r.config.wm);
  c->set_switch_(r.config.switch_mode);
  c->set_repeat(r.config.repeat);
  out->set_total_configs(total);
  out->set_json_line(ToJsonLine(r));
  if (r.totals[0]) out->set_time_standard(*r.totals[0]);
  if (r.totals[1]) out->set_time_rowwise(*r.totals[1]);
  if (r.totals[2]) out->set_time_global(*r.totals[2]);
  out->set_error(r.error);
  out->set_elapsed_s(r.elapsed_s);
  out->set_throttled(r.flags.throttled);
  out->set_shared(r.flags.shared);
  return e;
}

}  // namespace

JobQueue::JobQueue(Backend& backend, std::optional<Ceilings> ceilings, JobQueueOptions options)
    : backend_(backend), ceilings_(std::move(ceilings)), options_(options) {
  worker_ = std::thread([this] { WorkerLoop(); });
}

JobQueue::~JobQueue() { Shutdown(); }

absl::StatusOr<std::shared_ptr<Job>> JobQueue::Submit(v1::SweepSpec spec,
                                                       std::vector<Config> configs,
                                                       std::string client, bool detached) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_) return absl::UnavailableError("the server is shutting down");
  auto job = std::make_shared<Job>();
  job->id = absl::StrCat("job-", next_id_++);
  job->spec = std::move(spec);
  job->configs = std::move(configs);
  job->client = std::move(client);
  job->detached = detached;
  job->submitted_unix_ms = NowUnixMs();
  queued_.push_back(job);
  by_id_[job->id] = job;
  v1::JobEvent accepted;
  accepted.mutable_accepted()->set_total_configs(static_cast<int>(job->configs.size()));
  accepted.mutable_accepted()->set_queue_position(PositionOf(*job));
  *accepted.mutable_accepted()->mutable_sweep() = job->spec;
  Record(*job, std::move(accepted));
  return job;
}

std::shared_ptr<Job> JobQueue::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

absl::StatusOr<v1::JobState> JobQueue::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return absl::NotFoundError(absl::StrCat("no job ", id));
  Job& job = *it->second;
  const v1::JobState previous = job.state;
  job.cancel.Cancel();
  if (job.state == v1::JOB_STATE_QUEUED) {
    // Never started: it ends here; the worker skips it.
    for (auto q = queued_.begin(); q != queued_.end(); ++q) {
      if ((*q)->id == id) {
        queued_.erase(q);
        break;
      }
    }
    Finish(job, v1::JOB_STATE_CANCELLED, "cancelled before it started");
    finished_.push_back(it->second);
    AnnouncePositions();
  }
  changed_.notify_all();
  return previous;
}

std::vector<v1::JobSummary> JobQueue::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::JobSummary> out;
  auto add = [&](const Job& job) {
    v1::JobSummary s;
    s.set_job_id(job.id);
    s.set_state(job.state);
    s.set_queue_position(PositionOf(job));
    s.set_total_configs(static_cast<int>(job.configs.size()));
    s.set_completed_configs(job.completed);
    s.set_submitted_unix_ms(job.submitted_unix_ms);
    s.set_client(job.client);
    *s.mutable_sweep() = job.spec;
    s.set_detached(job.detached);
    out.push_back(std::move(s));
  };
  for (const auto& j : finished_) add(*j);
  if (running_) add(*running_);
  for (const auto& j : queued_) add(*j);
  return out;
}

int JobQueue::QueuedJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queued_.size());
}

bool JobQueue::Busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_ != nullptr;
}

bool JobQueue::WaitEvents(const Job& job, size_t next, int timeout_ms,
                          std::vector<v1::JobEvent>* out) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [&] { return job.events.size() > next || Ended(job.state); });
  for (size_t i = next; i < job.events.size(); ++i) out->push_back(job.events[i]);
  return Ended(job.state);
}

void JobQueue::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  closing_ = true;
  if (running_) running_->cancel.Cancel();
  for (auto& job : queued_) {
    job->cancel.Cancel();
    Finish(*job, v1::JOB_STATE_CANCELLED, "the server is shutting down");
    finished_.push_back(job);
  }
  queued_.clear();
  changed_.notify_all();
}

void JobQueue::Shutdown() {
  CancelAll();
  if (worker_.joinable()) worker_.join();
}

void JobQueue::Record(Job& job, v1::JobEvent event) {
  event.set_job_id(job.id);
  job.events.push_back(std::move(event));
  changed_.notify_all();
}

void JobQueue::Finish(Job& job, v1::JobState state, const std::string& message) {
  job.state = state;
  v1::JobEvent e;
  v1::Finished* f = e.mutable_finished();
  f->set_state(state);
  f->set_message(message);
  f->set_completed_configs(job.completed);
  f->set_failed_configs(job.failed);
  Record(job, std::move(e));
  while (static_cast<int>(finished_.size()) > options_.keep_finished) {
    by_id_.erase(finished_.front()->id);
    finished_.pop_front();
  }
}

int JobQueue::PositionOf(const Job& job) const {
  int position = 1;
  for (const auto& q : queued_) {
    if (q.get() == &job) return position;
    ++position;
  }
  return 0;
}

void JobQueue::AnnouncePositions() {
  for (const auto& job : queued_) {
    v1::JobEvent e;
    e.mutable_queued()->set_queue_position(PositionOf(*job));
    Record(*job, std::move(e));
  }
}

void JobQueue::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return closing_ || !queued_.empty(); });
    if (queued_.empty()) return;  // closing and nothing left
    running_ = queued_.front();
    queued_.pop_front();
    Job& job = *running_;
    job.state = v1::JOB_STATE_RUNNING;
    v1::JobEvent started;
    started.mutable_started()->set_device(backend_.Info().device_name);
    Record(job, std::move(started));
    AnnouncePositions();
    const int total = static_cast<int>(job.configs.size());
    for (const Config& config : job.configs) {
      if (job.cancel.cancelled()) break;
      lock.unlock();  // measure without the lock: clients keep being served
      const ConfigResult result =
          RunConfig(backend_, config, job.cancel, ceilings_ ? &*ceilings_ : nullptr);
      lock.lock();
      // Everything measured is sent, a cancelled config's partial line included.
      ++job.completed;
      if (!result.error.empty()) ++job.failed;
      Record(job, ResultEvent(result, total));
    }
    const bool cancelled = job.cancel.cancelled();
    Finish(job, cancelled ? v1::JOB_STATE_CANCELLED : v1::JOB_STATE_SUCCEEDED,
           cancelled ? "cancelled" : absl::StrCat(job.completed, " configurations measured"));
    finished_.push_back(running_);
    running_.reset();
  }
}

}  // namespace switchback::server

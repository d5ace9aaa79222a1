#include "server/service.h"

#include "absl/strings/str_cat.h"
#include "server/version.h"

namespace switchback::server {

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::StatusOr<SweepSpec> ToEngineSpec(const v1::SweepSpec& wire) {
  SweepSpec spec = DefaultSweepSpec();
  if (wire.has_dims()) spec.dims.assign(wire.dims().values().begin(), wire.dims().values().end());
  if (wire.has_batch_sizes()) {
    spec.batch_sizes.assign(wire.batch_sizes().values().begin(), wire.batch_sizes().values().end());
  }
  switch (wire.switch_mode()) {
    case v1::SWITCH_MODE_UNSPECIFIED:
    case v1::SWITCH_MODE_BOTH: spec.switches = {false, true}; break;
    case v1::SWITCH_MODE_OFF: spec.switches = {false}; break;
    case v1::SWITCH_MODE_ON: spec.switches = {true}; break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("switch_mode = ", wire.switch_mode(), ": unknown value"));
  }
  if (wire.has_wm()) spec.wm = wire.wm();
  if (wire.has_repeat()) spec.repeat = wire.repeat();
  if (wire.has_seed()) spec.seed = wire.seed();
  switch (wire.measure().mode()) {
    case v1::MEASURE_MODE_UNSPECIFIED:
    case v1::MEASURE_MODE_ORIGINAL: spec.measure.mode = MeasureMode::kOriginal; break;
    case v1::MEASURE_MODE_COLD: spec.measure.mode = MeasureMode::kCold; break;
    case v1::MEASURE_MODE_GRAPH: spec.measure.mode = MeasureMode::kGraph; break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("measure.mode = ", wire.measure().mode(), ": unknown value"));
  }
  spec.measure.stop.adaptive = wire.measure().adaptive();
  if (wire.measure().has_target_rel_ci()) {
    spec.measure.stop.target_rel_ci = wire.measure().target_rel_ci();
  }
  if (wire.measure().has_max_seconds()) spec.measure.stop.max_seconds = wire.measure().max_seconds();
  if (wire.has_verify()) spec.verify = wire.verify();
  if (wire.has_remeasure()) spec.remeasure = wire.remeasure();
  return spec;
}

v1::SweepSpec ToWireSpec(const SweepSpec& spec) {
  v1::SweepSpec w;
  for (int64_t d : spec.dims) w.mutable_dims()->add_values(d);
  for (int64_t b : spec.batch_sizes) w.mutable_batch_sizes()->add_values(b);
  w.set_switch_mode(spec.switches.size() == 2 ? v1::SWITCH_MODE_BOTH
                    : spec.switches[0]        ? v1::SWITCH_MODE_ON
                                              : v1::SWITCH_MODE_OFF);
  w.set_wm(spec.wm);
  w.set_repeat(spec.repeat);
  w.set_seed(spec.seed);
  w.mutable_measure()->set_mode(spec.measure.mode == MeasureMode::kCold    ? v1::MEASURE_MODE_COLD
                                : spec.measure.mode == MeasureMode::kGraph ? v1::MEASURE_MODE_GRAPH
                                                                           : v1::MEASURE_MODE_ORIGINAL);
  w.mutable_measure()->set_adaptive(spec.measure.stop.adaptive);
  w.mutable_measure()->set_target_rel_ci(spec.measure.stop.target_rel_ci);
  w.mutable_measure()->set_max_seconds(spec.measure.stop.max_seconds);
  w.set_verify(spec.verify);
  w.set_remeasure(spec.remeasure);
  return w;
}

BenchmarkService::BenchmarkService(Backend& backend, JobQueue& queue, ServiceOptions options)
    : backend_(backend), queue_(queue), options_(std::move(options)) {}

grpc::Status BenchmarkService::Submit(grpc::ServerContext* context,
                                      const v1::SubmitRequest* request,
                                      grpc::ServerWriter<v1::JobEvent>* writer) {
  // Validation before any work: bad fields, then configs that cannot fit.
  absl::StatusOr<SweepSpec> spec = ToEngineSpec(request->sweep());
  if (!spec.ok()) return ToGrpc(spec.status());
  if (absl::Status s = ValidateSweep(*spec, options_.limits); !s.ok()) return ToGrpc(s);
  std::vector<Config> configs = ExpandSweep(*spec);
  for (const Config& c : configs) {
    if (absl::Status s = backend_.CheckFits(c); !s.ok()) {
      return ToGrpc(absl::Status(
          s.code(), absl::StrCat("config ", c.index, " (batch_size=", c.batch_size, ", dim=", c.dim,
                                 ", switch=", c.switch_mode ? "true" : "false", "): ", s.message())));
    }
  }
  std::string client = request->client().empty() ? context->peer() : request->client();
  absl::StatusOr<std::shared_ptr<Job>> job =
      queue_.Submit(ToWireSpec(*spec), std::move(configs), std::move(client), request->detach());
  if (!job.ok()) return ToGrpc(job.status());
  return Stream(context, **job, writer, /*cancel_on_disconnect=*/!request->detach());
}

grpc::Status BenchmarkService::Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                                     grpc::ServerWriter<v1::JobEvent>* writer) {
  std::shared_ptr<Job> job = queue_.Find(request->job_id());
  if (!job) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("job_id: no job \"", request->job_id(), "\""));
  }
  return Stream(context, *job, writer, /*cancel_on_disconnect=*/false);
}

grpc::Status BenchmarkService::Stream(grpc::ServerContext* context, const Job& job,
                                      grpc::ServerWriter<v1::JobEvent>* writer,
                                      bool cancel_on_disconnect) {
  size_t next = 0;
  std::vector<v1::JobEvent> batch;
  while (true) {
    batch.clear();
    // Short waits so that a client that went away is noticed promptly. When the job has
    // ended, the batch holds every event up to its Finished.
    const bool ended = queue_.WaitEvents(job, next, 200, &batch);
    bool delivered = true;
    for (const v1::JobEvent& e : batch) {
      if (!writer->Write(e)) {
        delivered = false;
        break;
      }
      ++next;
    }
    if (!delivered || context->IsCancelled()) {
      if (cancel_on_disconnect) (void)queue_.Cancel(job.id);
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    }
    if (ended) return grpc::Status::OK;
  }
}

grpc::Status BenchmarkService::Cancel(grpc::ServerContext*, const v1::CancelRequest* request,
                                      v1::CancelResponse* response) {
  absl::StatusOr<v1::JobState> previous = queue_.Cancel(request->job_id());
  if (!previous.ok()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("job_id: no job \"", request->job_id(), "\""));
  }
  response->set_previous_state(*previous);
  return grpc::Status::OK;
}

grpc::Status BenchmarkService::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest*,
                                        v1::ListJobsResponse* response) {
  for (v1::JobSummary& s : queue_.List()) *response->add_jobs() = std::move(s);
  return grpc::Status::OK;
}

grpc::Status BenchmarkService::GetInfo(grpc::ServerContext*, const v1::GetInfoRequest*,
                                       v1::ServerInfo* response) {
  const BackendInfo info = backend_.Info();
  response->set_version(kVersion);
  response->set_backend(info.backend);
  response->set_device_name(info.device_name);
  response->set_device_memory_bytes(info.memory_bytes);
  response->set_driver_version(info.driver_version);
  response->set_cuda_version(info.cuda_version);
  response->set_build_flags(info.build_flags);
  response->set_compute_capability(info.compute_capability);
  response->set_max_configs(options_.limits.max_configs);
  response->set_queued_jobs(queue_.QueuedJobs());
  response->set_busy(queue_.Busy());
  response->set_cpu_work_limit(options_.cpu_work_limit);
  if (options_.ceilings) {
    response->set_copy_gbps(options_.ceilings->copy_gbps);
    response->set_fp16_tflops(options_.ceilings->fp16_tflops);
  }
  return grpc::Status::OK;
}

}  // namespace switchback::server

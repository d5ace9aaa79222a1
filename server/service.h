// The gRPC service: maps the wire (switchback.v1) to the engine and the job queue, nothing more.
#pragma once

#include <optional>
#include <string>

#include "engine/backend.h"
#include "engine/sweep.h"
#include "server/job_queue.h"
#include "switchback/v1/switchback.grpc.pb.h"

namespace switchback::server {

struct ServiceOptions {
  SweepLimits limits;
  double cpu_work_limit = 0;  // reported by GetInfo
  std::optional<Ceilings> ceilings;
};

// Unset fields take SPEC.md's defaults; INVALID_ARGUMENT names the field otherwise.
absl::StatusOr<SweepSpec> ToEngineSpec(const v1::SweepSpec& wire);
// The spec with every default written in, as Accepted and ListJobs report it.
v1::SweepSpec ToWireSpec(const SweepSpec& spec);

class BenchmarkService final : public v1::Benchmark::Service {
 public:
  BenchmarkService(Backend& backend, JobQueue& queue, ServiceOptions options);

  grpc::Status Submit(grpc::ServerContext* context, const v1::SubmitRequest* request,
                      grpc::ServerWriter<v1::JobEvent>* writer) override;
  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::JobEvent>* writer) override;
  grpc::Status Cancel(grpc::ServerContext* context, const v1::CancelRequest* request,
                      v1::CancelResponse* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status GetInfo(grpc::ServerContext* context, const v1::GetInfoRequest* request,
                       v1::ServerInfo* response) override;

 private:
  // Streams the job's events from `next` until it ends or the client goes away; on a
  // disconnect, cancels the job when `cancel_on_disconnect`.
  grpc::Status Stream(grpc::ServerContext* context, const Job& job,
                      grpc::ServerWriter<v1::JobEvent>* writer, bool cancel_on_disconnect);

  Backend& backend_;
  JobQueue& queue_;
  ServiceOptions options_;
};

grpc::Status ToGrpc(const absl::Status& status);

}  // namespace switchback::server

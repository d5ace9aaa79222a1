// switchback-server: owns one GPU (or the CPU reference backend), a job queue, and the
// gRPC service. Flags are defined here and only here.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "engine/cpu_backend.h"
#include "engine/cuda_backend.h"
#include "engine/roofline.h"
#include "server/job_queue.h"
#include "server/service.h"

ABSL_FLAG(int, gpu, -1, "CUDA device to own (e.g. --gpu 0)");
ABSL_FLAG(bool, cpu, false, "Run the CPU reference backend instead of a GPU");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "Address to serve on (host:port; port 0 picks one)");
ABSL_FLAG(int, max_configs, 1000, "Most configurations one sweep may have");
ABSL_FLAG(double, cpu_work_limit, 2e12,
          "CPU backend: refuse configs whose timed products exceed this many multiply-adds (0: no limit)");
ABSL_FLAG(int64_t, memory_limit, 0, "CPU backend: host bytes a config may use (0: half of RAM)");
ABSL_FLAG(bool, ceilings, true, "Measure (or load cached) copy and GEMM ceilings at start-up");
ABSL_FLAG(bool, refresh_ceilings, false, "Measure the ceilings again even if cached");

namespace {

using switchback::Backend;

int Run() {
  const bool cpu = absl::GetFlag(FLAGS_cpu);
  const int gpu = absl::GetFlag(FLAGS_gpu);
  if (cpu == (gpu >= 0)) {
    std::cerr << "switchback-server: give exactly one of --gpu N or --cpu\n";
    return 2;
  }
  // Signals go to one thread that waits for them; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<Backend> backend;
  if (cpu) {
    switchback::CpuBackendOptions options;
    options.work_limit_macs = absl::GetFlag(FLAGS_cpu_work_limit);
    options.memory_limit_bytes = absl::GetFlag(FLAGS_memory_limit);
    backend = switchback::MakeCpuBackend(options);
  } else {
    absl::StatusOr<std::unique_ptr<Backend>> made = switchback::MakeCudaBackend(gpu);
    if (!made.ok()) {
      std::cerr << "switchback-server: cannot use --gpu " << gpu << ": " << made.status().message()
                << "\n  (run with --cpu to use the CPU reference backend)\n";
      return 2;
    }
    backend = *std::move(made);
  }
  const switchback::BackendInfo info = backend->Info();

  std::optional<switchback::Ceilings> ceilings;
  if (absl::GetFlag(FLAGS_ceilings)) {
    absl::StatusOr<switchback::Ceilings> c =
        switchback::CeilingsFor(*backend, absl::GetFlag(FLAGS_refresh_ceilings));
    if (c.ok()) {
      ceilings = *c;
    } else {
      std::cerr << "switchback-server: no ceilings (" << c.status().message() << ")\n";
    }
  }

  switchback::server::JobQueue queue(*backend, ceilings);
  switchback::server::ServiceOptions options;
  options.limits.max_configs = absl::GetFlag(FLAGS_max_configs);
  options.cpu_work_limit = cpu ? absl::GetFlag(FLAGS_cpu_work_limit) : 0;
  options.ceilings = ceilings;
  switchback::server::BenchmarkService service(*backend, queue, options);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "switchback-server: cannot listen on " << absl::GetFlag(FLAGS_listen) << "\n";
    return 1;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::cerr << "switchback-server: " << info.backend << " backend on " << info.device_name
            << ", listening on " << host << ":" << port;
  if (ceilings) {
    std::cerr << absl::StrCat(" (ceilings: copy ", static_cast<int>(ceilings->copy_gbps),
                              " GB/s, fp16 GEMM ", static_cast<int>(ceilings->fp16_tflops * 1000),
                              " GFLOP/s)");
  }
  std::cerr << std::endl;
  // For scripts that asked for port 0.
  std::printf("listening %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cerr << "switchback-server: " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM")
            << ": cancelling jobs, delivering what was measured, stopping" << std::endl;
  // Order matters: cancel first so streams receive the last lines and a Finished event,
  // then stop the server (which waits for those streams), then the worker.
  queue.CancelAll();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(30));
  queue.Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "switchback-server --gpu N | --cpu [--listen 127.0.0.1:50051] [--max_configs 1000]");
  absl::ParseCommandLine(argc, argv);
  return Run();
}

// switchback-client: submits sweeps and streams results as JSONL; watches, lists and cancels
// jobs; plots and compares result files. Depends on the wire contract only.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/args.h"
#include "client/compare.h"
#include "client/plot.h"
#include "client/results_file.h"
#include "switchback/v1/switchback.grpc.pb.h"

namespace sb = switchback::client;
namespace v1 = switchback::v1;

namespace {

constexpr int kExitServerError = 1, kExitUsage = 2, kExitUnreachable = 3, kExitInterrupted = 130;

const char kUsage[] =
    "usage: switchback-client COMMAND [flags]\n"
    "  sweep   [--dims 1024,4096] [--batch-sizes 8192,16384] [--switch off|on|both] [--wm 4]\n"
    "          [--repeat 64] [--seed 0] [--mode original|cold|graph] [--adaptive]\n"
    "          [--target-rel-ci 0.01] [--max-seconds 2] [--no-verify] [--remeasure 1]\n"
    "          [--out FILE] [--append] [--detach] [--server 127.0.0.1:50051]\n"
    "  watch JOB [--out FILE] [--append]     follow a job (replays what was measured)\n"
    "  jobs                                  list jobs with state and queue position\n"
    "  cancel JOB\n"
    "  info                                  server version, backend, device, ceilings\n"
    "  plot FILE.jsonl [FILE.jsonl ...] -o speedup.png|.svg|.pdf [--label NAME ...] [--batch-size N]\n"
    "  compare A.jsonl B.jsonl [--threshold 0.02]\n";

int Fail(int code, const std::string& message) {
  std::cerr << "switchback-client: " << message << "\n";
  return code;
}

std::string CodeName(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    default: return absl::StrCat("status ", static_cast<int>(c));
  }
}

int FromStatus(const grpc::Status& s, const std::string& server) {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return Fail(kExitUnreachable, absl::StrCat("cannot reach switchback-server at ", server, ": ",
                                               s.error_message()));
  }
  return Fail(kExitServerError, absl::StrCat(CodeName(s.error_code()), ": ", s.error_message()));
}

// Ctrl-C: one thread waits for SIGINT and cancels the call in flight; the stream then ends
// and the results file keeps only whole lines.
std::atomic<grpc::ClientContext*> g_call{nullptr};
std::atomic<bool> g_interrupted{false};

void StartInterruptWatcher() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    g_interrupted = true;
    if (grpc::ClientContext* c = g_call.load()) c->TryCancel();
  }).detach();
}

std::string Duration(double s) {
  if (s < 60) return absl::StrFormat("%.0fs", s);
  if (s < 3600) return absl::StrFormat("%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return absl::StrFormat("%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
}

struct Row {
  v1::Config config;
  std::optional<double> standard, rowwise, global;
  std::string error;
  bool throttled = false, shared = false;
};

double Speedup(double standard, double x) { return 100.0 * (standard - x) / standard; }

void PrintTable(const std::vector<Row>& rows) {
  if (rows.empty()) return;
  std::cerr << absl::StrFormat("\n%7s %6s %6s %6s %10s %10s %10s %9s %9s  %s\n", "batch", "din",
                               "dout", "switch", "standard", "rowwise", "global", "rowwise%",
                               "global%", "notes");
  for (const Row& r : rows) {
    auto ms = [](const std::optional<double>& v) { return v ? absl::StrFormat("%10.4f", *v) : std::string("         -"); };
    auto pct = [&](const std::optional<double>& v) {
      return r.standard && v ? absl::StrFormat("%+8.1f%%", Speedup(*r.standard, *v)) : std::string("        -");
    };
    std::string notes;
    if (r.throttled) notes += "THROTTLED ";
    if (r.shared) notes += "SHARED-GPU ";
    if (!r.error.empty()) notes += "error: " + r.error;
    std::cerr << absl::StrFormat("%7d %6d %6d %6s %s %s %s %s %s  %s\n", r.config.batch_size(),
                                 r.config.dim_in(), r.config.dim_out(),
                                 r.config.switch_() ? "on" : "off", ms(r.standard), ms(r.rowwise),
                                 ms(r.global), pct(r.rowwise), pct(r.global), notes);
  }
  std::cerr << "(times in ms; speedup % = 100 (standard - X) / standard)\n";
}

// Reads a job's events: JSONL to `out`, progress to stderr. Returns the exit code.
int Consume(grpc::ClientReader<v1::JobEvent>* reader, grpc::ClientContext* context,
            const std::string& out_path, bool append, bool detach, const std::string& server) {
  const bool tty = isatty(STDERR_FILENO);
  FILE* out = nullptr;
  std::vector<Row> rows;
  std::string job_id;
  int total = 0;
  const auto start = std::chrono::steady_clock::now();
  v1::JobEvent event;
  v1::JobState final_state = v1::JOB_STATE_UNSPECIFIED;
  std::string final_message;
  auto open_out = [&]() -> bool {
    if (out) return true;
    if (out_path.empty() || out_path == "-") {
      out = stdout;
      return true;
    }
    out = std::fopen(out_path.c_str(), append ? "a" : "w");
    return out != nullptr;
  };
  while (reader->Read(&event)) {
    job_id = event.job_id();
    switch (event.event_case()) {
      case v1::JobEvent::kAccepted:
        total = event.accepted().total_configs();
        if (detach) {
          std::cout << job_id << std::endl;
          std::cerr << "switchback-client: " << job_id << " accepted (" << total
                    << " configurations); detached, follow with: switchback-client watch " << job_id << "\n";
          context->TryCancel();
          reader->Finish();
          return 0;
        }
        if (!open_out()) {
          context->TryCancel();
          reader->Finish();
          return Fail(kExitUsage, absl::StrCat("cannot open --out ", out_path));
        }
        std::cerr << "switchback-client: " << job_id << ": " << total << " configurations"
                  << (event.accepted().queue_position() > 1
                          ? absl::StrCat(", position ", event.accepted().queue_position(), " in the queue")
                          : "")
                  << "\n";
        break;
      case v1::JobEvent::kQueued:
        std::cerr << "switchback-client: " << job_id << ": position " << event.queued().queue_position()
                  << " in the queue\n";
        break;
      case v1::JobEvent::kStarted:
        std::cerr << "switchback-client: " << job_id << ": running on " << event.started().device() << "\n";
        break;
      case v1::JobEvent::kResult: {
        if (!open_out()) return Fail(kExitUsage, absl::StrCat("cannot open --out ", out_path));
        const v1::ConfigResult& r = event.result();
        total = r.total_configs();
        // One write and a flush per line: an interrupted run leaves only whole lines.
        const std::string line = r.json_line() + "\n";
        std::fwrite(line.data(), 1, line.size(), out);
        std::fflush(out);
        Row row;
        row.config = r.config();
        if (r.has_time_standard()) row.standard = r.time_standard();
        if (r.has_time_rowwise()) row.rowwise = r.time_rowwise();
        if (r.has_time_global()) row.global = r.time_global();
        row.error = r.error();
        row.throttled = r.throttled();
        row.shared = r.shared();
        rows.push_back(row);
        const int done = static_cast<int>(rows.size());
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double eta = done > 0 ? elapsed / done * (total - done) : 0;
        const v1::Config& c = r.config();
        if (tty) {
          const int width = 30, filled = total > 0 ? width * done / total : width;
          std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
                    << done << "/" << total << "  batch " << c.batch_size() << " dim " << c.dim()
                    << (c.switch_() ? " switched" : "") << "  ETA " << Duration(eta) << "   "
                    << std::flush;
          if (done == total) std::cerr << "\n";
        } else {
          std::cerr << absl::StrFormat("[%d/%d] batch=%d dim_in=%d dim_out=%d", done, total,
                                       c.batch_size(), c.dim_in(), c.dim_out());
          if (row.standard && row.rowwise && row.global) {
            std::cerr << absl::StrFormat(" standard %.4f ms, rowwise %+.1f%%, global %+.1f%%",
                                         *row.standard, Speedup(*row.standard, *row.rowwise),
                                         Speedup(*row.standard, *row.global));
          }
          if (!row.error.empty()) std::cerr << " error: " << row.error;
          std::cerr << absl::StrFormat(" (%.1f s, ETA %s)\n", r.elapsed_s(), Duration(eta));
        }
        break;
      }
      case v1::JobEvent::kFinished:
        final_state = event.finished().state();
        final_message = event.finished().message();
        break;
      default:
        break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (out && out != stdout) std::fclose(out);
  PrintTable(rows);
  if (g_interrupted) {
    std::cerr << "switchback-client: interrupted; " << job_id << " cancelled, " << rows.size()
              << " lines written\n";
    return kExitInterrupted;
  }
  if (!status.ok()) return FromStatus(status, server);
  std::cerr << "switchback-client: " << job_id << " " << v1::JobState_Name(final_state) << ": "
            << final_message << "\n";
  return final_state == v1::JOB_STATE_SUCCEEDED ? 0 : kExitServerError;
}

std::unique_ptr<v1::Benchmark::Stub> Connect(const std::string& server) {
  return v1::Benchmark::NewStub(grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
}

// Unary calls and the start of streams fail fast when no server answers.
void SetDeadline(grpc::ClientContext& ctx, int seconds) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

int CmdSweep(const sb::Args& args, const std::string& server) {
  v1::SubmitRequest request;
  v1::SweepSpec* spec = request.mutable_sweep();
  auto list = [&](const char* flag, v1::Int64List* out) -> absl::Status {
    if (!args.Has(flag)) return absl::OkStatus();
    absl::StatusOr<std::vector<int64_t>> values = args.GetIntList(flag);
    if (!values.ok()) return values.status();
    out->Clear();
    for (int64_t v : *values) out->add_values(v);
    return absl::OkStatus();
  };
  if (absl::Status s = list("dims", spec->mutable_dims()); !s.ok()) return Fail(kExitUsage, std::string(s.message()));
  if (absl::Status s = list("batch-sizes", spec->mutable_batch_sizes()); !s.ok()) return Fail(kExitUsage, std::string(s.message()));
  // list() touched both fields; unset ones take the server's defaults (SPEC.md).
  if (!args.Has("dims")) spec->clear_dims();
  if (!args.Has("batch-sizes")) spec->clear_batch_sizes();
  const std::string sw = args.Get("switch", "both");
  if (sw == "off") spec->set_switch_mode(v1::SWITCH_MODE_OFF);
  else if (sw == "on") spec->set_switch_mode(v1::SWITCH_MODE_ON);
  else if (sw == "both") spec->set_switch_mode(v1::SWITCH_MODE_BOTH);
  else return Fail(kExitUsage, absl::StrCat("--switch \"", sw, "\": must be off, on or both"));
  for (const char* flag : {"wm", "repeat", "seed", "remeasure"}) {
    if (!args.Has(flag)) continue;
    absl::StatusOr<int64_t> v = args.GetInt(flag, 0);
    if (!v.ok()) return Fail(kExitUsage, std::string(v.status().message()));
    if (std::string(flag) == "wm") spec->set_wm(*v);
    if (std::string(flag) == "repeat") spec->set_repeat(*v);
    if (std::string(flag) == "seed") {
      if (*v < 0) return Fail(kExitUsage, "--seed must not be negative");
      spec->set_seed(static_cast<uint64_t>(*v));
    }
    if (std::string(flag) == "remeasure") spec->set_remeasure(static_cast<int32_t>(*v));
  }
  const std::string mode = args.Get("mode", "original");
  if (mode == "original") spec->mutable_measure()->set_mode(v1::MEASURE_MODE_ORIGINAL);
  else if (mode == "cold") spec->mutable_measure()->set_mode(v1::MEASURE_MODE_COLD);
  else if (mode == "graph") spec->mutable_measure()->set_mode(v1::MEASURE_MODE_GRAPH);
  else return Fail(kExitUsage, absl::StrCat("--mode \"", mode, "\": must be original, cold or graph"));
  spec->mutable_measure()->set_adaptive(args.Has("adaptive"));
  for (const char* flag : {"target-rel-ci", "max-seconds"}) {
    if (!args.Has(flag)) continue;
    absl::StatusOr<double> v = args.GetDouble(flag, 0);
    if (!v.ok()) return Fail(kExitUsage, std::string(v.status().message()));
    if (std::string(flag) == "target-rel-ci") spec->mutable_measure()->set_target_rel_ci(*v);
    else spec->mutable_measure()->set_max_seconds(*v);
  }
  if (args.Has("no-verify")) spec->set_verify(false);
  request.set_detach(args.Has("detach"));
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const char* user = std::getenv("USER");
  request.set_client(absl::StrCat(user ? user : "?", "@", host, " switchback-client"));

  auto stub = Connect(server);
  grpc::ClientContext context;
  // Fail fast when nobody listens; the stream itself may run for hours.
  context.set_wait_for_ready(false);
  g_call = &context;
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader = stub->Submit(&context, request);
  const int rc = Consume(reader.get(), &context, args.Get("out"), args.Has("append"),
                         args.Has("detach"), server);
  g_call = nullptr;
  return rc;
}

int CmdWatch(const sb::Args& args, const std::string& server) {
  if (args.positional().size() != 2) return Fail(kExitUsage, "watch needs a job id (switchback-client jobs lists them)");
  v1::WatchRequest request;
  request.set_job_id(args.positional()[1]);
  auto stub = Connect(server);
  grpc::ClientContext context;
  g_call = &context;
  auto reader = stub->Watch(&context, request);
  const int rc = Consume(reader.get(), &context, args.Get("out"), args.Has("append"), false, server);
  g_call = nullptr;
  return rc;
}

int CmdCancel(const sb::Args& args, const std::string& server) {
  if (args.positional().size() != 2) return Fail(kExitUsage, "cancel needs a job id");
  v1::CancelRequest request;
  request.set_job_id(args.positional()[1]);
  v1::CancelResponse response;
  grpc::ClientContext context;
  SetDeadline(context, 10);
  grpc::Status s = Connect(server)->Cancel(&context, request, &response);
  if (!s.ok()) return FromStatus(s, server);
  std::cout << request.job_id() << ": cancelled (was " << v1::JobState_Name(response.previous_state()) << ")\n";
  return 0;
}

int CmdJobs(const std::string& server) {
  v1::ListJobsResponse response;
  grpc::ClientContext context;
  SetDeadline(context, 10);
  grpc::Status s = Connect(server)->ListJobs(&context, v1::ListJobsRequest(), &response);
  if (!s.ok()) return FromStatus(s, server);
  std::cout << absl::StrFormat("%-10s %-20s %8s %9s  %s\n", "job", "state", "position", "progress", "client");
  for (const v1::JobSummary& j : response.jobs()) {
    std::cout << absl::StrFormat("%-10s %-20s %8d %4d/%-4d  %s%s\n", j.job_id(), v1::JobState_Name(j.state()),
                                 j.queue_position(), j.completed_configs(), j.total_configs(), j.client(),
                                 j.detached() ? " (detached)" : "");
  }
  return 0;
}

int CmdInfo(const std::string& server) {
  v1::ServerInfo info;
  grpc::ClientContext context;
  SetDeadline(context, 10);
  grpc::Status s = Connect(server)->GetInfo(&context, v1::GetInfoRequest(), &info);
  if (!s.ok()) return FromStatus(s, server);
  std::cout << "server         " << server << "\n"
            << "version        " << info.version() << "\n"
            << "backend        " << info.backend() << "\n"
            << "device         " << info.device_name() << "\n"
            << "memory         " << absl::StrFormat("%.1f GiB", info.device_memory_bytes() / 1073741824.0) << "\n";
  if (!info.compute_capability().empty()) std::cout << "compute cap.   " << info.compute_capability() << "\n";
  if (!info.driver_version().empty()) std::cout << "driver         " << info.driver_version() << "\n";
  if (!info.cuda_version().empty()) std::cout << "cuda runtime   " << info.cuda_version() << "\n";
  std::cout << "build          " << info.build_flags() << "\n"
            << "max configs    " << info.max_configs() << "\n"
            << "queue          " << info.queued_jobs() << " waiting" << (info.busy() ? ", one running" : ", idle") << "\n";
  if (info.copy_gbps() > 0) {
    std::cout << "ceilings       " << absl::StrFormat("copy %.0f GB/s, fp16 GEMM %.1f TFLOP/s", info.copy_gbps(), info.fp16_tflops()) << "\n";
  }
  return 0;
}

int CmdPlot(const sb::Args& args) {
  sb::PlotOptions options;
  options.inputs.assign(args.positional().begin() + 1, args.positional().end());
  options.labels = args.GetAll("label");
  options.output = args.Get("out");
  if (options.output.empty()) return Fail(kExitUsage, "plot needs -o FILE.png|.svg|.pdf");
  absl::StatusOr<int64_t> batch = args.GetInt("batch-size", 0);
  if (!batch.ok()) return Fail(kExitUsage, std::string(batch.status().message()));
  options.batch_size = *batch;
  if (absl::Status s = sb::Plot(options); !s.ok()) return Fail(kExitServerError, std::string(s.message()));
  std::cerr << "switchback-client: wrote " << options.output << "\n";
  return 0;
}

int CmdCompare(const sb::Args& args) {
  if (args.positional().size() != 3) return Fail(kExitUsage, "compare needs two files: compare A.jsonl B.jsonl");
  absl::StatusOr<double> threshold = args.GetDouble("threshold", 0.02);
  if (!threshold.ok()) return Fail(kExitUsage, std::string(threshold.status().message()));
  auto a = sb::ReadResultsFile(args.positional()[1]);
  if (!a.ok()) return Fail(kExitServerError, std::string(a.status().message()));
  auto b = sb::ReadResultsFile(args.positional()[2]);
  if (!b.ok()) return Fail(kExitServerError, std::string(b.status().message()));
  const auto rows = sb::Compare(*a, *b, *threshold);
  if (rows.empty()) return Fail(kExitServerError, "no configuration appears in both files");
  sb::PrintComparison(rows, args.positional()[1], args.positional()[2], std::cout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::set<std::string> known = {"dims", "batch-sizes", "switch", "wm", "repeat", "seed",
                                       "server", "out", "append", "detach", "mode", "adaptive",
                                       "target-rel-ci", "max-seconds", "no-verify", "remeasure",
                                       "label", "batch-size", "threshold", "help"};
  const std::set<std::string> boolean = {"append", "detach", "adaptive", "no-verify", "help"};
  absl::StatusOr<sb::Args> args = sb::Args::Parse(argc, argv, known, boolean);
  if (!args.ok()) {
    std::cerr << "switchback-client: " << args.status().message() << "\n" << kUsage;
    return kExitUsage;
  }
  if (args->Has("help") || args->positional().empty()) {
    std::cerr << kUsage;
    return args->Has("help") ? 0 : kExitUsage;
  }
  const std::string command = args->positional()[0];
  const std::string server = args->Get("server", "127.0.0.1:50051");
  StartInterruptWatcher();
  if (command == "sweep") return CmdSweep(*args, server);
  if (command == "watch") return CmdWatch(*args, server);
  if (command == "cancel") return CmdCancel(*args, server);
  if (command == "jobs") return CmdJobs(server);
  if (command == "info") return CmdInfo(server);
  if (command == "plot") return CmdPlot(*args);
  if (command == "compare") return CmdCompare(*args);
  std::cerr << "switchback-client: unknown command \"" << command << "\"\n" << kUsage;
  return kExitUsage;
}

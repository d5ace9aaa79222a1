#include "engine/cpu_backend.h"

#include <unistd.h>

#include <chrono>
#include <new>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/op_plan.h"
#include "kernels/half.h"
#include "kernels/random.h"
#include "kernels/reference/gemm_fp16.h"
#include "kernels/reference/int8_matmul.h"
#include "kernels/reference/parallel.h"
#include "kernels/reference/quantize.h"

namespace switchback {
namespace {

int64_t PhysicalMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

void FillNormal(Half* out, int64_t n, uint64_t seed, TensorId id) {
  ref::ParallelFor(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = FloatToHalf(NormalAt(seed, id, i));
  });
}

class CpuWorkspace final : public ConfigWorkspace {
 public:
  explicit CpuWorkspace(const Config& config) : config_(config) {}

  absl::Status Allocate() {
    for (int b = 0; b < kNumBufs; ++b) {
      const BufShape shape = ShapeOf(static_cast<Buf>(b), config_);
      const size_t bytes = static_cast<size_t>(shape.elements) * shape.element_bytes;
      bufs_[b].reset(new (std::nothrow) unsigned char[bytes]);
      if (bufs_[b] == nullptr) {
        return absl::ResourceExhaustedError(
            absl::StrCat("host allocation of ", bytes, " bytes failed"));
      }
    }
    FillNormal(H(Buf::kX), ShapeOf(Buf::kX, config_).elements, config_.seed, TensorId::kX);
    FillNormal(H(Buf::kG), ShapeOf(Buf::kG, config_).elements, config_.seed, TensorId::kG);
    FillNormal(H(Buf::kW), ShapeOf(Buf::kW, config_).elements, config_.seed, TensorId::kW);
    for (Op op : kQuantizeOps) RunOnce(PlanOf(op, config_));
    return absl::OkStatus();
  }

  absl::StatusOr<OpSamples> Time(Op op, int64_t warmup, int64_t repeat,
                                 const CancelToken& cancel) override {
    const OpPlan plan = PlanOf(op, config_);
    OpSamples out;
    out.variant = VariantOf(plan);
    out.samples_ms.reserve(static_cast<size_t>(repeat));
    for (int64_t i = 0; i < warmup + repeat; ++i) {
      if (cancel.cancelled()) return absl::CancelledError("cancelled");
      const auto t0 = std::chrono::steady_clock::now();
      RunOnce(plan);
      const auto t1 = std::chrono::steady_clock::now();
      if (i >= warmup) {
        out.samples_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    }
    return out;
  }

 private:
  Half* H(Buf b) { return reinterpret_cast<Half*>(bufs_[static_cast<int>(b)].get()); }
  int8_t* I8(Buf b) { return reinterpret_cast<int8_t*>(bufs_[static_cast<int>(b)].get()); }

  static std::string VariantOf(const OpPlan& plan) {
    switch (plan.kind) {
      case OpKind::kFp16Product: return "ref_gemm_fp16_fp32acc";
      case OpKind::kInt8Product: return "ref_int8_matmul_dequant";
      case OpKind::kQuantize: return "ref_quantize";
    }
    return "ref";
  }

  void RunOnce(const OpPlan& p) {
    switch (p.kind) {
      case OpKind::kFp16Product:
        ref::GemmFp16(p.ta, p.tb, p.m, p.n, p.k, H(p.a), H(p.b), H(p.out));
        return;
      case OpKind::kInt8Product:
        ref::Int8MatmulDequant(I8(p.a), I8(p.b), p.m, p.n, p.k, H(p.sa), H(p.sb), p.sb_is_scalar,
                               /*bias=*/nullptr, H(p.out));
        return;
      case OpKind::kQuantize:
        switch (p.quantize) {
          case QuantizeKind::kRowwise:
            ref::QuantizeRowwise(H(p.input), p.rows, p.cols, I8(p.codes), H(p.state));
            return;
          case QuantizeKind::kColwiseTranspose:
            ref::QuantizeColwiseTranspose(H(p.input), p.rows, p.cols, I8(p.codes), H(p.state));
            return;
          case QuantizeKind::kGlobal:
            ref::QuantizeGlobal(H(p.input), p.rows, p.cols, I8(p.codes), H(p.state));
            return;
          case QuantizeKind::kGlobalTranspose:
            ref::QuantizeGlobalTranspose(H(p.input), p.rows, p.cols, I8(p.codes), H(p.state));
            return;
        }
    }
  }

  Config config_;
  std::unique_ptr<unsigned char[]> bufs_[kNumBufs];
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const CpuBackendOptions& options) : options_(options) {
    if (options_.memory_limit_bytes <= 0) options_.memory_limit_bytes = PhysicalMemoryBytes() / 2;
    info_.backend = "cpu";
    info_.device_name = absl::StrCat("CPU reference (", std::thread::hardware_concurrency(),
                                     " threads)");
    info_.memory_bytes = options_.memory_limit_bytes;
    info_.build_flags = "reference kernels (kernels/reference)";
  }

  BackendInfo Info() const override { return info_; }

  absl::Status CheckFits(const Config& config) const override {
    const int64_t bytes = ConfigBytes(config);
    if (bytes < 0 || bytes > options_.memory_limit_bytes) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "needs %.2f GiB of host memory; the CPU backend's limit is %.2f GiB (--memory-limit)",
          bytes / 1073741824.0, options_.memory_limit_bytes / 1073741824.0));
    }
    const double work = ConfigWorkMacs(config);
    if (options_.work_limit_macs > 0 && work > options_.work_limit_macs) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "needs %.3g multiply-adds on the CPU backend, over its work limit of %.3g "
          "(--cpu-work-limit); use a GPU server or a smaller sweep",
          work, options_.work_limit_macs));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config& config) override {
    if (absl::Status fits = CheckFits(config); !fits.ok()) return fits;
    auto workspace = std::make_unique<CpuWorkspace>(config);
    if (absl::Status s = workspace->Allocate(); !s.ok()) return s;
    return workspace;
  }

 private:
  CpuBackendOptions options_;
  BackendInfo info_;
};

}  // namespace

double ConfigWorkMacs(const Config& config) {
  const double calls = static_cast<double>(config.repeat + config.repeat / 2);
  return calls * 7.0 * static_cast<double>(ProductMacs(config));
}

std::unique_ptr<Backend> MakeCpuBackend(const CpuBackendOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace switchback

#include "engine/cpu_backend.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
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
  ref::ParallelFor(n, 64, [&](int64_t begin, int64_t end) {
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

  absl::Status Enqueue(Op op, std::string* variant) override {
    const OpPlan plan = PlanOf(op, config_);
    if (variant) *variant = VariantOf(plan);
    RunOnce(plan);
    return absl::OkStatus();
  }

  absl::Status Mark(int slot) override {
    if (slot < 0) return absl::InvalidArgumentError("negative mark slot");
    if (static_cast<size_t>(slot) >= marks_.size()) marks_.resize(slot + 1);
    marks_[slot] = std::chrono::steady_clock::now();
    return absl::OkStatus();
  }

  absl::Status Synchronize() override { return absl::OkStatus(); }

  absl::StatusOr<double> ElapsedMs(int from, int to) override {
    if (from < 0 || to < 0 || static_cast<size_t>(std::max(from, to)) >= marks_.size()) {
      return absl::InvalidArgumentError("mark slot out of range");
    }
    return std::chrono::duration<double, std::milli>(marks_[to] - marks_[from]).count();
  }

  absl::Status FlushCaches() override {
    // Larger than any last-level cache here; written once with a value that changes, so
    // the writes cannot be elided.
    constexpr size_t kFlushBytes = size_t{256} << 20;
    if (flush_.empty()) flush_.resize(kFlushBytes);
    ++flush_round_;
    ref::ParallelFor(static_cast<int64_t>(flush_.size() / 64), 64, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) flush_[static_cast<size_t>(i) * 64] = flush_round_;
    });
    return absl::OkStatus();
  }

  absl::Status Capture(Op, int64_t) override {
    return absl::UnimplementedError("graph mode needs the CUDA backend (no graphs on the CPU)");
  }
  absl::Status ReplayCaptured() override {
    return absl::UnimplementedError("graph mode needs the CUDA backend (no graphs on the CPU)");
  }

  absl::Status Read(Buf buf, int64_t offset, int64_t rows, int64_t cols, int64_t pitch,
                    void* host) override {
    const BufShape shape = ShapeOf(buf, config_);
    if (rows < 0 || cols < 0 || offset < 0 ||
        (rows > 0 && offset + (rows - 1) * pitch + cols > shape.elements)) {
      return absl::OutOfRangeError("read outside the buffer");
    }
    const unsigned char* src = bufs_[static_cast<int>(buf)].get();
    unsigned char* dst = static_cast<unsigned char*>(host);
    const size_t eb = static_cast<size_t>(shape.element_bytes);
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(dst + r * cols * eb, src + (offset + r * pitch) * eb, cols * eb);
    }
    return absl::OkStatus();
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
  std::vector<std::chrono::steady_clock::time_point> marks_;
  std::vector<unsigned char> flush_;
  unsigned char flush_round_ = 0;
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
          "(--cpu_work_limit); use a GPU server or a smaller sweep",
          work, options_.work_limit_macs));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Ceilings> MeasureCeilings() override {
    Ceilings c;
    // Copy: a buffer far larger than the caches, best of 5 (bytes read + written).
    constexpr size_t kCopyBytes = size_t{256} << 20;
    std::vector<unsigned char> src(kCopyBytes, 1), dst(kCopyBytes, 0);
    double best = 1e30;
    for (int i = 0; i < 5; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      ref::ParallelFor(static_cast<int64_t>(kCopyBytes >> 20), 1 << 20, [&](int64_t b, int64_t e) {
        std::memcpy(dst.data() + (b << 20), src.data() + (b << 20), (e - b) << 20);
      });
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    c.copy_gbps = 2.0 * kCopyBytes / best / 1e9;
    // Fp16 GEMM of the reference kernel on random data, best of 3.
    constexpr int64_t n = 512;
    std::vector<Half> a(n * n), b(n * n), out(n * n);
    FillNormal(a.data(), n * n, 1, TensorId::kX);
    FillNormal(b.data(), n * n, 1, TensorId::kW);
    best = 1e30;
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      ref::GemmFp16(Transpose::kNo, Transpose::kYes, n, n, n, a.data(), b.data(), out.data());
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    c.fp16_tflops = 2.0 * n * n * n / best / 1e12;
    return c;
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

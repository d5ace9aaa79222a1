#include "engine/cuda_backend.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cuda_fill.h"
#include "engine/op_plan.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/gemm_fp16.h"
#include "kernels/cuda/switchback_kernels.h"

namespace switchback {
namespace {

// CUDA errors become Status through kernels/cuda/check.h, as in the kernels.
absl::Status CudaOk(cudaError_t e) {
  return ::switchback::cuda::CudaStatus(e, "CUDA call", __FILE__, __LINE__);
}

#define SB_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    if (absl::Status sb_s_ = (expr); !sb_s_.ok()) {  \
      return sb_s_;                                  \
    }                                                \
  } while (0)

std::string VersionString(int v) { return absl::StrCat(v / 1000, ".", (v % 1000) / 10); }

// Headroom kept free beyond a config's buffers: cuBLASLt workspace, scratch, allocator slack.
constexpr int64_t kDeviceHeadroomBytes = int64_t{512} << 20;

// Device memory owned for the backend's lifetime (the cache-flush buffer).
struct DeviceBuffer {
  void* data = nullptr;
  size_t bytes = 0;
  ~DeviceBuffer() { cudaFree(data); }
};

class CudaWorkspace final : public ConfigWorkspace {
 public:
  CudaWorkspace(const Config& config, cudaStream_t stream, cuda::GemmFp16Runner* gemm,
                const DeviceBuffer* flush)
      : config_(config), stream_(stream), gemm_(gemm), flush_(flush) {}

  ~CudaWorkspace() override {
    cudaStreamSynchronize(stream_);
    DestroyGraph();
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
    for (void* p : bufs_) cudaFree(p);
    cudaFree(scratch_);
    cudaGetLastError();  // leave no sticky non-fatal error behind for the next config
  }

  absl::Status Allocate() {
    for (int b = 0; b < kNumBufs; ++b) {
      const BufShape shape = ShapeOf(static_cast<Buf>(b), config_);
      const size_t bytes = static_cast<size_t>(shape.elements) * shape.element_bytes;
      if (cudaError_t e = cudaMalloc(&bufs_[b], bytes); e != cudaSuccess) {
        bufs_[b] = nullptr;
        cudaGetLastError();
        return absl::ResourceExhaustedError(
            absl::StrCat("cudaMalloc of ", bytes, " bytes: ", cudaGetErrorString(e)));
      }
    }
    const int64_t rows = config_.dim_out, cols = config_.dim_in;
    scratch_bytes_ = cuda::QuantizeScratchBytes(rows, cols);
    if (scratch_bytes_ > 0) {
      SB_CUDA_CHECK(cudaMalloc(&scratch_, scratch_bytes_));
      SB_RETURN_IF_ERROR(cuda::ClearQuantizeScratch(scratch_, rows, cols, stream_));
    }
    SB_RETURN_IF_ERROR(FillNormalDevice(H(Buf::kX), ShapeOf(Buf::kX, config_).elements,
                                        config_.seed, TensorId::kX, stream_));
    SB_RETURN_IF_ERROR(FillNormalDevice(H(Buf::kG), ShapeOf(Buf::kG, config_).elements,
                                        config_.seed, TensorId::kG, stream_));
    SB_RETURN_IF_ERROR(FillNormalDevice(H(Buf::kW), ShapeOf(Buf::kW, config_).elements,
                                        config_.seed, TensorId::kW, stream_));
    for (Op op : kQuantizeOps) SB_RETURN_IF_ERROR(RunOnce(PlanOf(op, config_), nullptr));
    SB_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return absl::OkStatus();
  }

  absl::Status Enqueue(Op op, std::string* variant) override {
    return RunOnce(PlanOf(op, config_), variant);
  }

  absl::Status Mark(int slot) override {
    if (slot < 0) return absl::InvalidArgumentError("negative mark slot");
    while (static_cast<int>(events_.size()) <= slot) {
      cudaEvent_t e;
      SB_CUDA_CHECK(cudaEventCreate(&e));
      events_.push_back(e);
    }
    SB_CUDA_CHECK(cudaEventRecord(events_[slot], stream_));
    return absl::OkStatus();
  }

  absl::Status Synchronize() override {
    SB_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return absl::OkStatus();
  }

  absl::StatusOr<double> ElapsedMs(int from, int to) override {
    if (from < 0 || to < 0 || std::max(from, to) >= static_cast<int>(events_.size())) {
      return absl::InvalidArgumentError("mark slot out of range");
    }
    float ms = 0;
    SB_CUDA_CHECK(cudaEventElapsedTime(&ms, events_[from], events_[to]));
    return static_cast<double>(ms);
  }

  absl::Status FlushCaches() override {
    // Writing a buffer twice the L2's size with a new value each time replaces every line.
    ++flush_round_;
    SB_CUDA_CHECK(
        cudaMemsetAsync(flush_->data, flush_round_, flush_->bytes, stream_));
    return absl::OkStatus();
  }

  absl::Status Capture(Op op, int64_t calls) override {
    DestroyGraph();
    const OpPlan plan = PlanOf(op, config_);
    SB_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    absl::Status run = absl::OkStatus();
    for (int64_t i = 0; i < calls && run.ok(); ++i) run = RunOnce(plan, nullptr);
    cudaGraph_t graph = nullptr;
    const cudaError_t end = cudaStreamEndCapture(stream_, &graph);
    if (!run.ok()) {
      if (graph) cudaGraphDestroy(graph);
      return run;
    }
    if (end != cudaSuccess) return ::switchback::cuda::CudaStatus(end, "cudaStreamEndCapture", __FILE__, __LINE__);
    const cudaError_t inst = cudaGraphInstantiate(&graph_exec_, graph, 0);
    cudaGraphDestroy(graph);
    if (inst != cudaSuccess) {
      graph_exec_ = nullptr;
      return ::switchback::cuda::CudaStatus(inst, "cudaGraphInstantiate", __FILE__, __LINE__);
    }
    return absl::OkStatus();
  }

  absl::Status ReplayCaptured() override {
    if (!graph_exec_) return absl::FailedPreconditionError("nothing captured");
    SB_CUDA_CHECK(cudaGraphLaunch(graph_exec_, stream_));
    return absl::OkStatus();
  }

  absl::Status Read(Buf buf, int64_t offset, int64_t rows, int64_t cols, int64_t pitch,
                    void* host) override {
    const BufShape shape = ShapeOf(buf, config_);
    if (rows < 0 || cols < 0 || offset < 0 ||
        (rows > 0 && offset + (rows - 1) * pitch + cols > shape.elements)) {
      return absl::OutOfRangeError("read outside the buffer");
    }
    if (rows == 0 || cols == 0) return absl::OkStatus();
    const size_t eb = static_cast<size_t>(shape.element_bytes);
    SB_CUDA_CHECK(cudaStreamSynchronize(stream_));
    const char* src = static_cast<const char*>(bufs_[static_cast<int>(buf)]) + offset * eb;
    SB_CUDA_CHECK(cudaMemcpy2D(host, cols * eb, src, pitch * eb, cols * eb,
                                         static_cast<size_t>(rows), cudaMemcpyDeviceToHost));
    return absl::OkStatus();
  }

 private:
  __half* H(Buf b) { return static_cast<__half*>(bufs_[static_cast<int>(b)]); }
  int8_t* I8(Buf b) { return static_cast<int8_t*>(bufs_[static_cast<int>(b)]); }

  absl::Status RunOnce(const OpPlan& p, std::string* variant) {
    switch (p.kind) {
      case OpKind::kFp16Product:
        return gemm_->Run(p.ta, p.tb, p.m, p.n, p.k, H(p.a), H(p.b), H(p.out), stream_, variant);
      case OpKind::kInt8Product:
        return cuda::Int8MatmulDequant(I8(p.a), I8(p.b), p.m, p.n, p.k, H(p.sa), H(p.sb),
                                       p.sb_is_scalar, /*bias=*/nullptr, H(p.out), stream_,
                                       variant);
      case OpKind::kQuantize:
        switch (p.quantize) {
          case QuantizeKind::kRowwise:
            if (variant) *variant = "quantize_rowwise";
            return cuda::QuantizeRowwise(H(p.input), p.rows, p.cols, I8(p.codes), H(p.state),
                                         stream_);
          case QuantizeKind::kColwiseTranspose:
            return cuda::QuantizeColwiseTranspose(H(p.input), p.rows, p.cols, I8(p.codes),
                                                  H(p.state), scratch_, stream_, variant);
          case QuantizeKind::kGlobal:
            return cuda::QuantizeGlobal(H(p.input), p.rows, p.cols, I8(p.codes), H(p.state),
                                        scratch_, stream_, variant);
          case QuantizeKind::kGlobalTranspose:
            return cuda::QuantizeGlobalTranspose(H(p.input), p.rows, p.cols, I8(p.codes),
                                                 H(p.state), scratch_, stream_, variant);
        }
    }
    return absl::InternalError("unknown op kind");
  }

  Config config_;
  cudaStream_t stream_;
  cuda::GemmFp16Runner* gemm_;
  void* bufs_[kNumBufs] = {};
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  std::vector<cudaEvent_t> events_;
  const DeviceBuffer* flush_;
  unsigned char flush_round_ = 0;
  cudaGraphExec_t graph_exec_ = nullptr;

  void DestroyGraph() {
    if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
    graph_exec_ = nullptr;
  }
};

class CudaBackend final : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<Backend>> Create(int device) {
    const int count = CudaDeviceCount();
    if (device < 0 || device >= count) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no CUDA device ", device, " (", count, " visible",
          count == 0 ? "; no driver or GPU on this machine" : "", ")"));
    }
    auto backend = std::unique_ptr<CudaBackend>(new CudaBackend(device));
    SB_CUDA_CHECK(cudaSetDevice(device));
    SB_CUDA_CHECK(
        cudaStreamCreateWithFlags(&backend->stream_, cudaStreamNonBlocking));
    absl::StatusOr<std::unique_ptr<cuda::GemmFp16Runner>> gemm = cuda::GemmFp16Runner::Create();
    if (!gemm.ok()) return gemm.status();
    backend->gemm_ = *std::move(gemm);
    cudaDeviceProp prop;
    SB_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    BackendInfo& info = backend->info_;
    info.backend = "cuda";
    info.device_name = prop.name;
    info.memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    char pci[32] = {};
    SB_CUDA_CHECK(cudaDeviceGetPCIBusId(pci, sizeof(pci), device));
    backend->telemetry_ = GpuTelemetry::Open(pci);
    // The driver's own version string (580.xx) when NVML is there, else CUDA's view of it.
    info.driver_version = backend->telemetry_->driver_version().empty()
                              ? VersionString(driver)
                              : backend->telemetry_->driver_version();
    info.cuda_version = VersionString(runtime);
    info.compute_capability = absl::StrCat(prop.major, ".", prop.minor);
    info.build_flags = SWITCHBACK_BUILD_FLAGS;
    // Cold measurements flush L2 with one buffer of twice its size, allocated once.
    backend->flush_.bytes = static_cast<size_t>(std::max(prop.l2CacheSize, 1 << 20)) * 2;
    SB_CUDA_CHECK(cudaMalloc(&backend->flush_.data, backend->flush_.bytes));
    return std::unique_ptr<Backend>(std::move(backend));
  }

  ~CudaBackend() override {
    gemm_.reset();
    if (stream_) cudaStreamDestroy(stream_);
  }

  BackendInfo Info() const override { return info_; }

  TelemetrySample SampleTelemetry() const override { return telemetry_->Sample(); }

  absl::Status CheckFits(const Config& config) const override {
    size_t free_bytes = 0, total_bytes = 0;
    cudaSetDevice(device_);
    SB_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    const int64_t need = ConfigBytes(config);
    if (need < 0 || need + kDeviceHeadroomBytes > static_cast<int64_t>(free_bytes)) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "needs %.2f GiB of device memory (+%.2f GiB headroom); %.2f GiB of %.2f GiB free on %s",
          need / 1073741824.0, kDeviceHeadroomBytes / 1073741824.0, free_bytes / 1073741824.0,
          total_bytes / 1073741824.0, info_.device_name));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Ceilings> MeasureCeilings() override {
    SB_CUDA_CHECK(cudaSetDevice(device_));
    Ceilings c;
    // Copy: 1 GiB device to device (bytes read + written), 10 back to back after a warm-up.
    constexpr size_t kCopyBytes = size_t{1} << 30;
    DeviceBuffer src, dst;
    SB_CUDA_CHECK(cudaMalloc(&src.data, kCopyBytes));
    SB_CUDA_CHECK(cudaMalloc(&dst.data, kCopyBytes));
    SB_RETURN_IF_ERROR(FillNormalDevice(static_cast<__half*>(src.data), kCopyBytes / 2, 1,
                                        TensorId::kX, stream_));
    auto time_loop = [&](int calls, auto&& body) -> absl::StatusOr<double> {
      cudaEvent_t start, stop;
      SB_CUDA_CHECK(cudaEventCreate(&start));
      SB_CUDA_CHECK(cudaEventCreate(&stop));
      absl::Status s = body();  // warm-up
      if (s.ok()) s = CudaOk(cudaEventRecord(start, stream_));
      for (int i = 0; i < calls && s.ok(); ++i) s = body();
      if (s.ok()) s = CudaOk(cudaEventRecord(stop, stream_));
      if (s.ok()) s = CudaOk(cudaEventSynchronize(stop));
      float ms = 0;
      if (s.ok()) s = CudaOk(cudaEventElapsedTime(&ms, start, stop));
      cudaEventDestroy(start);
      cudaEventDestroy(stop);
      if (!s.ok()) return s;
      return static_cast<double>(ms) / calls;
    };
    absl::StatusOr<double> copy_ms = time_loop(10, [&] {
      return CudaOk(cudaMemcpyAsync(dst.data, src.data, kCopyBytes, cudaMemcpyDeviceToDevice,
                                    stream_));
    });
    if (!copy_ms.ok()) return copy_ms.status();
    c.copy_gbps = 2.0 * kCopyBytes / (*copy_ms * 1e-3) / 1e9;
    // Fp16 GEMM 8192^3 through the same cuBLASLt runner the sweep uses, on random data.
    constexpr int64_t n = 8192;
    __half* a = static_cast<__half*>(src.data);
    __half* b = a + n * n;
    __half* out = static_cast<__half*>(dst.data);
    absl::StatusOr<double> gemm_ms = time_loop(10, [&] {
      return gemm_->Run(Transpose::kNo, Transpose::kYes, n, n, n, a, b, out, stream_);
    });
    if (!gemm_ms.ok()) return gemm_ms.status();
    c.fp16_tflops = 2.0 * n * n * n / (*gemm_ms * 1e-3) / 1e12;
    return c;
  }

  absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config& config) override {
    SB_CUDA_CHECK(cudaSetDevice(device_));
    auto workspace = std::make_unique<CudaWorkspace>(config, stream_, gemm_.get(), &flush_);
    SB_RETURN_IF_ERROR(workspace->Allocate());
    return std::unique_ptr<ConfigWorkspace>(std::move(workspace));
  }

 private:
  explicit CudaBackend(int device) : device_(device) {}

  int device_;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<cuda::GemmFp16Runner> gemm_;
  DeviceBuffer flush_;
  std::unique_ptr<GpuTelemetry> telemetry_;
  BackendInfo info_;
};

}  // namespace

int CudaDeviceCount() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

absl::StatusOr<std::unique_ptr<Backend>> MakeCudaBackend(int device) {
  return CudaBackend::Create(device);
}

}  // namespace switchback

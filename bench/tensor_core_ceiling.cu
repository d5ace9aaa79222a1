// What an int8 product can sustain on this card under its power cap, measured from below:
// a kernel that does nothing but the tensor-core work of our GEMM's mainloop. Every SM runs
// two warpgroups that issue wgmma m64n256k32 s8 (our cooperative kernel's instruction, the
// widest N, so the fewest shared-memory bytes per MAC) back to back on operands that stay in
// shared memory: no global loads, no TMA, no L2 traffic, no epilogue, no pipeline waits.
// Any int8 GEMM on the same operand values does at least this work per operation, so what
// this kernel sustains at the cap bounds what any of them can (docs/BENCHMARKS.md, twenty-
// second session). "rs" takes A from registers instead (wgmma's other form: no
// shared-memory reads for A at all), the lower of the two energy floors.
//
// Operand values matter (the power of a multiply follows how many bits toggle):
//   normal   codes of N(0,1) scaled by 127/3.8, as rowwise quantization of the sweep's
//            randn tensors gives (absmax 3.3-4.3 sigma for rows of 1024-16384)
//   uniform  codes uniform in [-127, 127] (bench/int8_gemm_bench's operands)
//   zeros    all zero (the floor of the data-dependent part)
// Each run holds the load for --seconds (default 8), drops the first 2 s (the cap settles
// within them) and reports the median TOP/s of its launches (p10-p90), the SM clock, board
// power and temperature NVML reads after each launch (medians), TOP per joule, the TOP/s
// over the int8 peak at the clock read (8192 ops per SM per cycle), and the clock event
// reasons seen. --gemm M N K (repeatable) also holds our product (Int8MatmulDequant, the
// variant the dispatcher picks, rowwise scales) on normal codes the same way, before and
// after the ceiling runs, so both read the same card in the same state. --variants V,W,...
// holds each named sm90 variant instead ("-" is the dispatcher's pick): an A/B of variants
// in TOP per joule, one held at a time, which turns in one loop cannot show.
// --no-ceiling skips the ceiling arms (then only the products run, once).
// Before timing, each form multiplies one block's tiles once and checks every int32 against
// the host (so the descriptors and fragments read the operands meant).
//
//   tensor_core_ceiling [--seconds S] [--gemm M N K]... [--variants V,W,...] [--no-ceiling]
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/exit_on_cuda_error.h"
#include "engine/telemetry.h"
#include "kernels/cuda/sm90/int8_gemm_sm90.h"
#include "kernels/cuda/switchback_kernels.h"
#include "kernels/random.h"

namespace {

constexpr int kThreads = 256;  // two warpgroups, as in the cooperative GEMM's consumers
constexpr int kRowsA = 128;    // 64 rows per warpgroup
constexpr int kRowsB = 256;    // the wgmma's N, shared by both warpgroups
constexpr int kStageK = 512;   // bytes of K held in shared memory: 16 distinct k32 steps
constexpr int kSteps = kStageK / 32;
constexpr int kSmemBytes = (kRowsA + kRowsB) * kStageK;  // 192 KB
constexpr double kOpsPerWgmma = 2.0 * 64 * 256 * 32;

// K-major without swizzle: 8-row x 16-byte core matrices, 128 contiguous bytes each; the
// core matrices of one 8-row group follow each other along K, the groups kStageK * 8
// bytes apart.
__host__ __device__ constexpr int CoreOffset(int row, int kbyte) {
  return (row / 8) * (kStageK * 8) + (kbyte / 16) * 128 + (row % 8) * 16 + kbyte % 16;
}

// wgmma's shared-memory descriptor: start address, leading byte offset (the next core
// matrix along K), stride byte offset (the next 8-row group), all in 16-byte units; no
// swizzle (bits 62-63 zero).
__device__ uint64_t Descriptor(uint32_t smem_address) {
  return uint64_t{(smem_address & 0x3FFFF) >> 4} | (uint64_t{128 >> 4} << 16) |
         (uint64_t{(kStageK * 8) >> 4} << 32);
}

__device__ void WgmmaFence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ void WgmmaCommit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int kPending>
__device__ void WgmmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}

#define CEILING_D_REGS                                                                   \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "              \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "     \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "     \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "     \
  "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "     \
  "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "     \
  "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, "     \
  "%110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, " \
  "%124, %125, %126, %127}"
#define CEILING_D8(i)                                                                         \
  "+r"(d[i]), "+r"(d[i + 1]), "+r"(d[i + 2]), "+r"(d[i + 3]), "+r"(d[i + 4]), "+r"(d[i + 5]), \
      "+r"(d[i + 6]), "+r"(d[i + 7])
#define CEILING_D_OPERANDS                                                                      \
  CEILING_D8(0), CEILING_D8(8), CEILING_D8(16), CEILING_D8(24), CEILING_D8(32), CEILING_D8(40), \
      CEILING_D8(48), CEILING_D8(56), CEILING_D8(64), CEILING_D8(72), CEILING_D8(80),           \
      CEILING_D8(88), CEILING_D8(96), CEILING_D8(104), CEILING_D8(112), CEILING_D8(120)

// d += A (64 x 32, shared memory) . B (256 x 32, shared memory)^T
__device__ void MmaSS(int32_t (&d)[128], uint64_t a_desc, uint64_t b_desc) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k32.s32.s8.s8 " CEILING_D_REGS ", %128, %129, p;\n}\n"
      : CEILING_D_OPERANDS
      : "l"(a_desc), "l"(b_desc), "r"(1));
}

// d += A (64 x 32, registers) . B (256 x 32, shared memory)^T
__device__ void MmaRS(int32_t (&d)[128], const uint32_t (&a)[4], uint64_t b_desc) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %133, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k32.s32.s8.s8 " CEILING_D_REGS
      ", {%128, %129, %130, %131}, %132, p;\n}\n"
      : CEILING_D_OPERANDS
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b_desc), "r"(1));
}

// a: [kRowsA][kStageK], b: [kRowsB][kStageK], row-major. Block 0 writes its accumulators
// to out [kRowsA][kRowsB] (after `iterations` passes over the kSteps k-steps).
template <bool kRegisterA>
__global__ void __launch_bounds__(kThreads, 1)
    CeilingKernel(const int8_t* a, const int8_t* b, int64_t iterations, int32_t* out) {
  extern __shared__ __align__(1024) int8_t smem[];
  int8_t* const sa = smem;
  int8_t* const sb = smem + kRowsA * kStageK;
  constexpr int kPiecesPerRow = kStageK / 16;
  for (int i = threadIdx.x; i < (kRowsA + kRowsB) * kPiecesPerRow; i += kThreads) {
    const bool in_b = i >= kRowsA * kPiecesPerRow;
    const int piece = in_b ? i - kRowsA * kPiecesPerRow : i;
    const int row = piece / kPiecesPerRow, chunk = piece % kPiecesPerRow;
    const int4 v = reinterpret_cast<const int4*>((in_b ? b : a) + int64_t{row} * kStageK)[chunk];
    *reinterpret_cast<int4*>((in_b ? sb : sa) + CoreOffset(row, chunk * 16)) = v;
  }
  // The generic proxy's stores must be visible to wgmma's (async proxy) reads.
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();

  const int wg = threadIdx.x / 128, t = threadIdx.x % 128, warp = t / 32, lane = t % 32;
  const uint32_t a_base =
      static_cast<uint32_t>(__cvta_generic_to_shared(sa + CoreOffset(wg * 64, 0)));
  const uint32_t b_base = static_cast<uint32_t>(__cvta_generic_to_shared(sb));
  // wgmma's A fragment for 8-bit types: register j holds 4 consecutive k of row
  // g + 8 (j % 2), k offset 16 (j / 2), where g = warp * 16 + lane / 4.
  uint32_t fragments[kRegisterA ? kSteps : 1][4];
  if constexpr (kRegisterA) {
#pragma unroll
    for (int s = 0; s < kSteps; ++s) {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int row = wg * 64 + warp * 16 + lane / 4 + 8 * (j % 2);
        const int k = s * 32 + (lane % 4) * 4 + 16 * (j / 2);
        fragments[s][j] = *reinterpret_cast<const uint32_t*>(sa + CoreOffset(row, k));
      }
    }
  }
  int32_t d[128];
#pragma unroll
  for (int r = 0; r < 128; ++r) d[r] = 0;
  for (int64_t it = 0; it < iterations; ++it) {
    WgmmaFence();
#pragma unroll
    for (int s = 0; s < kSteps; ++s) {
      // k step s: 32 bytes = two core matrices along K.
      const uint64_t b_desc = Descriptor(b_base + s * 256);
      if constexpr (kRegisterA) {
        MmaRS(d, fragments[s], b_desc);
      } else {
        MmaSS(d, Descriptor(a_base + s * 256), b_desc);
      }
    }
    WgmmaCommit();
    WgmmaWait<1>();
  }
  WgmmaWait<0>();
  if (blockIdx.x != 0) return;
    // The accumulator layout: register r is row g + 8 ((r / 2) % 2), column
    // 8 (r / 4) + 2 (lane % 4) + r % 2.
#pragma unroll
  for (int r = 0; r < 128; ++r) {
    const int row = wg * 64 + warp * 16 + lane / 4 + 8 * ((r / 2) % 2);
    const int col = (r / 4) * 8 + (lane % 4) * 2 + r % 2;
    out[row * kRowsB + col] = d[r];
  }
}

// The `normal` operands: codes of N(0,1) at 127/3.8 per unit, on the host (tiles) and the
// device (our products' operands) alike.
__host__ __device__ int8_t NormalCode(uint64_t seed, switchback::TensorId id, uint64_t index) {
  const float v = rintf(switchback::NormalAt(seed, id, index) * (127.0f / 3.8f));
  return static_cast<int8_t>(fminf(fmaxf(v, -127.0f), 127.0f));
}

int8_t UniformCode(uint64_t seed, uint64_t index) {
  return static_cast<int8_t>(static_cast<int>(switchback::SplitMix64(seed + index) % 255) - 127);
}

__global__ void FillNormalCodes(int8_t* p, int64_t n, uint64_t seed, switchback::TensorId id) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    p[i] = NormalCode(seed, id, i);
}

__global__ void FillScales(__half* p, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    p[i] = __float2half(3.0f + (i % 7) * 0.25f);
}

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= list.size();) {
    const size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

// Holds `launch` back to back for `seconds` and prints what it sustained after the first 2 s.
// Launches go in units of about 20 ms between two events (a short product is repeated), four
// units queued ahead, and NVML is read at most every 100 ms: its calls take a millisecond or
// more, and the GPU must never wait for the host, or it would idle, cool and clock up.
void Sustain(const std::string& name, const std::function<void()>& launch, double ops_per_launch,
             double seconds, int sms, const switchback::GpuTelemetry& telemetry) {
  constexpr int kAhead = 4;
  constexpr double kSettle = 2.0, kUnitMs = 20.0, kSampleEvery = 0.1;
  std::array<cudaEvent_t, kAhead> start{}, stop{};
  for (int i = 0; i < kAhead; ++i) {
    EXIT_ON_CUDA_ERROR(cudaEventCreate(&start[i]));
    EXIT_ON_CUDA_ERROR(cudaEventCreate(&stop[i]));
  }
  // Calibrate the unit on the second of two launches.
  launch();
  EXIT_ON_CUDA_ERROR(cudaEventRecord(start[0]));
  launch();
  EXIT_ON_CUDA_ERROR(cudaEventRecord(stop[0]));
  EXIT_ON_CUDA_ERROR(cudaEventSynchronize(stop[0]));
  float one_ms = 0;
  EXIT_ON_CUDA_ERROR(cudaEventElapsedTime(&one_ms, start[0], stop[0]));
  const int reps =
      std::clamp(static_cast<int>(std::lround(kUnitMs / std::max(one_ms, 1e-3f))), 1, 10000);

  std::vector<double> tops, watts, mhz, celsius;
  uint64_t reasons = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto since_t0 = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double last_sample = 0;
  auto enqueue = [&](int i) {
    EXIT_ON_CUDA_ERROR(cudaEventRecord(start[i]));
    for (int r = 0; r < reps; ++r) launch();
    EXIT_ON_CUDA_ERROR(cudaGetLastError());
    EXIT_ON_CUDA_ERROR(cudaEventRecord(stop[i]));
  };
  for (int i = 0; i < kAhead; ++i) enqueue(i);
  for (int i = 0;; i = (i + 1) % kAhead) {
    EXIT_ON_CUDA_ERROR(cudaEventSynchronize(stop[i]));
    float ms = 0;
    EXIT_ON_CUDA_ERROR(cudaEventElapsedTime(&ms, start[i], stop[i]));
    const double elapsed = since_t0();
    const bool done = elapsed > seconds;
    if (!done) enqueue(i);  // refill first: the queue stays full while the host reads NVML
    if (elapsed > kSettle) {
      tops.push_back(ops_per_launch * reps / (ms * 1e-3) / 1e12);
      if (elapsed - last_sample >= kSampleEvery) {
        last_sample = elapsed;
        const switchback::TelemetrySample s = telemetry.Sample();
        if (s.available) {
          watts.push_back(s.power_w);
          mhz.push_back(s.sm_clock_mhz);
          celsius.push_back(s.temperature_c);
          reasons |= s.throttle_reasons;
        }
      }
    }
    if (done) break;
  }
  EXIT_ON_CUDA_ERROR(cudaDeviceSynchronize());
  for (int i = 0; i < kAhead; ++i) {
    EXIT_ON_CUDA_ERROR(cudaEventDestroy(start[i]));
    EXIT_ON_CUDA_ERROR(cudaEventDestroy(stop[i]));
  }
  const double median = Quantile(tops, 0.5), clock = Quantile(mhz, 0.5),
               power = Quantile(watts, 0.5);
  std::string reason_names;
  for (const std::string& r : switchback::ThrottleReasonNames(reasons))
    reason_names += (reason_names.empty() ? "" : ",") + r;
  std::printf("%-60s %7.0f (%4.0f-%4.0f) %6.0f %6.0f %5.0f %6.2f %6.3f %5zu x%-4d %s\n",
              name.c_str(), median, Quantile(tops, 0.1), Quantile(tops, 0.9), clock, power,
              Quantile(celsius, 0.5), power > 0 ? median / power : 0.0,
              clock > 0 ? median * 1e12 / (sms * 8192.0 * clock * 1e6) : 0.0, tops.size(), reps,
              reason_names.empty() ? "-" : reason_names.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 8;
  std::vector<std::array<int64_t, 3>> gemms;
  std::vector<std::string> variants = {"-"};
  bool ceiling = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--gemm" && i + 3 < argc) {
      gemms.push_back({std::atoll(argv[i + 1]), std::atoll(argv[i + 2]), std::atoll(argv[i + 3])});
      i += 3;
    } else if (arg == "--variants" && i + 1 < argc) {
      variants = Split(argv[++i]);
    } else if (arg == "--no-ceiling") {
      ceiling = false;
    } else {
      std::fprintf(stderr,
                   "usage: tensor_core_ceiling [--seconds S] [--gemm M N K]... [--variants "
                   "V,W,...] [--no-ceiling]\n");
      return 2;
    }
  }
  if (seconds < 3 || variants.empty()) {
    std::fprintf(
        stderr, "tensor_core_ceiling: --seconds must be >= 3 (2 s settle), --variants non-empty\n");
    return 2;
  }
  int device = 0, sms = 0;
  cudaDeviceProp prop{};
  EXIT_ON_CUDA_ERROR(cudaGetDeviceProperties(&prop, device));
  sms = prop.multiProcessorCount;
  if (prop.major != 9) {
    std::printf("skipped: %s is compute %d.%d; the probe needs sm_90a (wgmma)\n", prop.name,
                prop.major, prop.minor);
    return 0;
  }
  char pci[32] = {};
  EXIT_ON_CUDA_ERROR(cudaDeviceGetPCIBusId(pci, sizeof(pci), device));
  const std::unique_ptr<switchback::GpuTelemetry> telemetry = switchback::GpuTelemetry::Open(pci);
  const switchback::TelemetrySample idle = telemetry->Sample();
  std::printf("device: %s, %d SMs; idle: %u MHz, %.0f W, %u C%s%s\n", prop.name, sms,
              idle.sm_clock_mhz, idle.power_w, idle.temperature_c, idle.available ? "" : "; NVML: ",
              idle.available ? "" : idle.unavailable_reason.c_str());
  EXIT_ON_CUDA_ERROR(cudaFuncSetAttribute(CeilingKernel<false>,
                                          cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  EXIT_ON_CUDA_ERROR(cudaFuncSetAttribute(CeilingKernel<true>,
                                          cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));

  // Operand tiles per data kind, and each form checked once against the host.
  const std::array<std::string, 3> kinds = {"normal", "uniform", "zeros"};
  std::array<std::vector<int8_t>, 3> host_a, host_b;
  int8_t *tile_a = nullptr, *tile_b = nullptr;
  int32_t* tile_out = nullptr;
  EXIT_ON_CUDA_ERROR(cudaMalloc(&tile_a, 3 * kRowsA * kStageK));
  EXIT_ON_CUDA_ERROR(cudaMalloc(&tile_b, 3 * kRowsB * kStageK));
  EXIT_ON_CUDA_ERROR(cudaMalloc(&tile_out, kRowsA * kRowsB * sizeof(int32_t)));
  bool all_ok = true;
  for (int kind = 0; kind < 3; ++kind) {
    host_a[kind].resize(kRowsA * kStageK);
    host_b[kind].resize(kRowsB * kStageK);
    for (size_t i = 0; i < host_a[kind].size(); ++i)
      host_a[kind][i] = kind == 0   ? NormalCode(7, switchback::TensorId::kX, i)
                        : kind == 1 ? UniformCode(7, i)
                                    : 0;
    for (size_t i = 0; i < host_b[kind].size(); ++i)
      host_b[kind][i] = kind == 0   ? NormalCode(7, switchback::TensorId::kW, i)
                        : kind == 1 ? UniformCode(8, i)
                                    : 0;
    EXIT_ON_CUDA_ERROR(cudaMemcpy(tile_a + kind * kRowsA * kStageK, host_a[kind].data(),
                                  host_a[kind].size(), cudaMemcpyHostToDevice));
    EXIT_ON_CUDA_ERROR(cudaMemcpy(tile_b + kind * kRowsB * kStageK, host_b[kind].data(),
                                  host_b[kind].size(), cudaMemcpyHostToDevice));
    std::vector<int32_t> expect(kRowsA * kRowsB);
    for (int i = 0; i < kRowsA; ++i)
      for (int j = 0; j < kRowsB; ++j) {
        int32_t sum = 0;
        for (int k = 0; k < kStageK; ++k)
          sum += host_a[kind][i * kStageK + k] * host_b[kind][j * kStageK + k];
        expect[i * kRowsB + j] = sum;
      }
    for (const bool register_a : {false, true}) {
      EXIT_ON_CUDA_ERROR(cudaMemset(tile_out, 0x55, kRowsA * kRowsB * sizeof(int32_t)));
      auto kernel = register_a ? CeilingKernel<true> : CeilingKernel<false>;
      kernel<<<1, kThreads, kSmemBytes>>>(tile_a + kind * kRowsA * kStageK,
                                          tile_b + kind * kRowsB * kStageK, 1, tile_out);
      EXIT_ON_CUDA_ERROR(cudaGetLastError());
      std::vector<int32_t> got(expect.size());
      EXIT_ON_CUDA_ERROR(
          cudaMemcpy(got.data(), tile_out, got.size() * sizeof(int32_t), cudaMemcpyDeviceToHost));
      int bad = 0;
      for (size_t i = 0; i < got.size(); ++i) bad += got[i] != expect[i];
      std::printf("check %s %s: %s (%d of %zu differ)\n", register_a ? "rs" : "ss",
                  kinds[kind].c_str(), bad == 0 ? "ok" : "MISMATCH", bad, got.size());
      all_ok = all_ok && bad == 0;
    }
  }

  // n: timed units after the settle; xR: launches per unit.
  std::printf("\n%-60s %7s %11s %6s %6s %5s %6s %6s %5s %-5s %s\n", "run", "TOP/s", "(p10-p90)",
              "MHz", "W", "C", "TOP/J", "x peak", "n", "reps", "clock event reasons");
  // Our product on normal codes: the dispatcher's pick, rowwise scales.
  struct Gemm {
    std::array<int64_t, 3> shape;
    int8_t *a = nullptr, *b = nullptr;
    __half *sa = nullptr, *sb = nullptr, *out = nullptr;
    std::string variant;
  };
  std::vector<Gemm> products;
  for (const auto& shape : gemms) {
    Gemm g{shape};
    const auto [m, n, k] = shape;
    EXIT_ON_CUDA_ERROR(cudaMalloc(&g.a, m * k));
    EXIT_ON_CUDA_ERROR(cudaMalloc(&g.b, n * k));
    EXIT_ON_CUDA_ERROR(cudaMalloc(&g.sa, m * 2));
    EXIT_ON_CUDA_ERROR(cudaMalloc(&g.sb, n * 2));
    EXIT_ON_CUDA_ERROR(cudaMalloc(&g.out, m * n * 2));
    FillNormalCodes<<<1024, 256>>>(g.a, m * k, 11, switchback::TensorId::kX);
    FillNormalCodes<<<1024, 256>>>(g.b, n * k, 11, switchback::TensorId::kW);
    FillScales<<<64, 256>>>(g.sa, m);
    FillScales<<<64, 256>>>(g.sb, n);
    EXIT_ON_CUDA_ERROR(cudaGetLastError());
    products.push_back(g);
  }
  auto run_products = [&](const char* when) {
    for (Gemm& g : products) {
      const int64_t m = g.shape[0], n = g.shape[1], k = g.shape[2];
      for (const std::string& v : variants) {
        auto launch = [&] {
          const absl::Status s =
              v == "-" ? switchback::cuda::Int8MatmulDequant(g.a, g.b, m, n, k, g.sa, g.sb, false,
                                                             nullptr, g.out, nullptr, &g.variant)
                       : switchback::cuda::sm90::Int8MatmulDequantVariant(
                             v, g.a, g.b, m, n, k, g.sa, g.sb, false, nullptr, g.out, nullptr);
          if (!s.ok()) {
            std::fprintf(stderr, "%s: %s\n", v.c_str(), std::string(s.message()).c_str());
            std::exit(2);
          }
        };
        launch();  // names the dispatcher's variant
        EXIT_ON_CUDA_ERROR(cudaDeviceSynchronize());
        const std::string name = "ours " + std::to_string(m) + "x" + std::to_string(n) + "x" +
                                 std::to_string(k) + " " + (v == "-" ? g.variant : v) + " " + when;
        Sustain(name, launch, 2.0 * m * n * k, seconds, sms, *telemetry);
      }
    }
  };
  run_products(ceiling ? "(before)" : "");
  for (const bool register_a : {false, true}) {
    if (!ceiling) break;
    for (int kind = 0; kind < 3; ++kind) {
      auto kernel = register_a ? CeilingKernel<true> : CeilingKernel<false>;
      const int8_t* a = tile_a + kind * kRowsA * kStageK;
      const int8_t* b = tile_b + kind * kRowsB * kStageK;
      // About 20 ms per launch at ~1.5 GHz: 2 warpgroups x kSteps wgmma per iteration.
      constexpr int64_t iterations = 7000;
      auto launch = [&] { kernel<<<sms, kThreads, kSmemBytes>>>(a, b, iterations, tile_out); };
      Sustain(std::string("ceiling ") + (register_a ? "rs " : "ss ") + kinds[kind], launch,
              kOpsPerWgmma * 2 * kSteps * iterations * sms, seconds, sms, *telemetry);
    }
  }
  if (ceiling) run_products("(after)");
  for (Gemm& g : products) {
    cudaFree(g.a);
    cudaFree(g.b);
    cudaFree(g.sa);
    cudaFree(g.sb);
    cudaFree(g.out);
  }
  cudaFree(tile_a);
  cudaFree(tile_b);
  cudaFree(tile_out);
  const cudaError_t e = cudaDeviceSynchronize();
  std::printf("status: %s%s\n", cudaGetErrorString(e),
              all_ok ? "" : " (a check failed: the ceiling runs read other operands than meant)");
  return e == cudaSuccess && all_ok ? 0 : 1;
}

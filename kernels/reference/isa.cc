#include "kernels/reference/isa.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>

namespace switchback::ref {
namespace {

std::atomic<int> g_cap{static_cast<int>(Isa::kAvx512)};

Isa Detect() {
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))) {
    return Isa::kPortable;
  }
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) {
    return Isa::kAvx512;
  }
  return Isa::kAvx2;
}

__attribute__((target("avx2,f16c"))) void HalfsToFloatsF16c(const Half* src, float* dst,
                                                             int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));  // exact (every half is a float)
  }
  for (; i < n; ++i) dst[i] = HalfToFloat(src[i]);
}

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

Isa DetectedIsa() {
  static const Isa detected = Detect();
  return detected;
}

Isa ActiveIsa() {
  return static_cast<Isa>(
      std::min(static_cast<int>(DetectedIsa()), g_cap.load(std::memory_order_relaxed)));
}

void SetIsaCap(Isa cap) { g_cap.store(static_cast<int>(cap), std::memory_order_relaxed); }

void HalfsToFloats(const Half* src, float* dst, int64_t n) {
  if (ActiveIsa() >= Isa::kAvx2) {
    HalfsToFloatsF16c(src, dst, n);
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = HalfToFloat(src[i]);
}

}  // namespace switchback::ref

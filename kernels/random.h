// Counter-based N(0,1) generator usable on host and device, so both backends build the
// same x, g, w from one seed without copying tensors around.
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define SWITCHBACK_HD __host__ __device__
#else
#define SWITCHBACK_HD
#endif

namespace switchback {

// Tensor ids keep x, g and w independent streams under one seed.
enum class TensorId : uint32_t { kX = 1, kG = 2, kW = 3 };

SWITCHBACK_HD inline uint64_t SplitMix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Two uniforms in (0, 1] from one 64-bit hash, then Box-Muller (fp32). Host and device
// agree to within an ulp of the fp32 math library; after rounding to fp16 they agree
// almost always, which is all the tests need (they copy inputs back when exactness matters).
SWITCHBACK_HD inline float NormalAt(uint64_t seed, TensorId tensor, uint64_t index) {
  const uint64_t h =
      SplitMix64(seed ^ SplitMix64((static_cast<uint64_t>(tensor) << 56) ^ index));
  const float u1 = (static_cast<float>(h >> 40) + 1.0f) * (1.0f / 16777216.0f);
  const float u2 = static_cast<float>((h >> 16) & 0xFFFFFFull) * (1.0f / 16777216.0f);
  const float r = sqrtf(-2.0f * logf(u1));
  return r * cosf(6.28318530717958647692f * u2);
}

}  // namespace switchback

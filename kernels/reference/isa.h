// Run-time choice of the CPU reference's vector code. The library is compiled for plain
// x86-64; wider kernels carry __attribute__((target)) and run only where the host has them.
#pragma once

#include <cstdint>

#include "kernels/half.h"

namespace switchback::ref {

enum class Isa : int {
  kPortable = 0,  // plain C++ loops
  kAvx2 = 1,      // AVX2 + FMA + F16C
  kAvx512 = 2,    // AVX-512 F/BW/VL + VNNI (Cascade Lake, Ice Lake, Sapphire Rapids, Zen 4)
};

const char* IsaName(Isa isa);

// The widest level this host supports.
Isa DetectedIsa();

// What the kernels use: min(DetectedIsa(), cap). Tests lower the cap to cover every path;
// the cap is process-wide (set it before a call, not during one).
Isa ActiveIsa();
void SetIsaCap(Isa cap);

// dst[i] = HalfToFloat(src[i]); F16C where the host has it (the same values, except that a
// signalling NaN comes back quiet).
void HalfsToFloats(const Half* src, float* dst, int64_t n);

}  // namespace switchback::ref

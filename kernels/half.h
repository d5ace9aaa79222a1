// IEEE binary16 storage type shared by the CPU reference and the CUDA kernels.
#pragma once

#include <cstdint>

namespace switchback {

// Bit-compatible with CUDA's __half; the CPU code never does fp16 arithmetic,
// it converts to float, computes in fp32 and rounds back (round to nearest even).
struct Half {
  uint16_t bits = 0;
};
static_assert(sizeof(Half) == 2);

float HalfToFloat(Half h);
Half FloatToHalf(float f);  // round to nearest, ties to even; overflow -> inf

}  // namespace switchback

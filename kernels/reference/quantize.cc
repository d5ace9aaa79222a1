#include "kernels/reference/quantize.h"

#include <cmath>
#include <vector>

#include "kernels/reference/parallel.h"

namespace switchback::ref {
namespace {

// The one quantization formula (kernels/ops.h): fp32, IEEE division, round half to even.
inline int8_t Code(float v, float absmax) {
  if (absmax == 0.0f) return 0;
  return static_cast<int8_t>(std::nearbyint(127.0f * (v / absmax)));
}

inline float AbsMax(const Half* v, int64_t n, int64_t stride) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(HalfToFloat(v[i * stride])));
  return m;
}

void QuantizeTensor(const Half* w, int64_t rows, int64_t cols, bool transpose, int8_t* codes,
                    Half* state) {
  std::vector<float> row_max(static_cast<size_t>(rows));
  ParallelFor(rows, cols, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) row_max[r] = AbsMax(w + r * cols, cols, 1);
  });
  float absmax = 0.0f;
  for (float m : row_max) absmax = std::fmax(absmax, m);
  *state = FloatToHalf(absmax);  // exact: absmax is one of the fp16 inputs
  ParallelFor(rows, cols, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int8_t q = Code(HalfToFloat(w[r * cols + c]), absmax);
        codes[transpose ? c * rows + r : r * cols + c] = q;
      }
    }
  });
}

}  // namespace

void QuantizeRowwise(const Half* x, int64_t rows, int64_t cols, int8_t* codes, Half* state) {
  ParallelFor(rows, cols, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const Half* row = x + r * cols;
      const float absmax = AbsMax(row, cols, 1);
      state[r] = FloatToHalf(absmax);
      for (int64_t c = 0; c < cols; ++c) codes[r * cols + c] = Code(HalfToFloat(row[c]), absmax);
    }
  });
}

void QuantizeColwiseTranspose(const Half* w, int64_t rows, int64_t cols, int8_t* codes_t,
                              Half* state) {
  ParallelFor(cols, rows, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const float absmax = AbsMax(w + c, rows, cols);
      state[c] = FloatToHalf(absmax);
      for (int64_t r = 0; r < rows; ++r) {
        codes_t[c * rows + r] = Code(HalfToFloat(w[r * cols + c]), absmax);
      }
    }
  });
}

void QuantizeGlobal(const Half* w, int64_t rows, int64_t cols, int8_t* codes, Half* state) {
  QuantizeTensor(w, rows, cols, /*transpose=*/false, codes, state);
}

void QuantizeGlobalTranspose(const Half* w, int64_t rows, int64_t cols, int8_t* codes_t,
                             Half* state) {
  QuantizeTensor(w, rows, cols, /*transpose=*/true, codes_t, state);
}

}  // namespace switchback::ref

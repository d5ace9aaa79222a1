// The shared blocking driver of the CPU products: out[i, j] = f(dot(a_row i, b_row j)) for
// K-major panels (a [M, Kp], b [N, Kp], Kp padded with zeros to the vector width). Rows of
// b are taken in blocks that stay in L2 while every row of a streams past them; a micro
// kernel computes a RM x RN tile of dot products at a time. Threads split M.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/reference/parallel.h"

namespace switchback::ref {

// Kernel provides:
//   static constexpr int kRM, kRN;
//   void Tile(int64_t i, int64_t j, int rm, int rn) const;  // rm <= kRM, rn <= kRN
template <typename Kernel>
void DotTiles(const Kernel& kernel, int64_t m, int64_t n, int64_t row_bytes) {
  // About 256 KiB of b per block, in whole micro-tile columns.
  const int64_t nb = std::max<int64_t>(Kernel::kRN, (256 << 10) / std::max<int64_t>(row_bytes, 1)) /
                     Kernel::kRN * Kernel::kRN;
  constexpr int64_t kMb = 64;
  ParallelFor(
      m,
      [&](int64_t m_begin, int64_t m_end) {
        for (int64_t i0 = m_begin; i0 < m_end; i0 += kMb) {
          const int64_t i1 = std::min(i0 + kMb, m_end);
          for (int64_t j0 = 0; j0 < n; j0 += nb) {
            const int64_t j1 = std::min(j0 + nb, n);
            for (int64_t i = i0; i < i1; i += Kernel::kRM) {
              const int rm = static_cast<int>(std::min<int64_t>(Kernel::kRM, i1 - i));
              for (int64_t j = j0; j < j1; j += Kernel::kRN) {
                kernel.Tile(i, j, rm, static_cast<int>(std::min<int64_t>(Kernel::kRN, j1 - j)));
              }
            }
          }
        }
      },
      /*grain=*/kMb);
}

}  // namespace switchback::ref

// The blocking driver of the AVX2 and portable CPU products: out[i, j] = f(dot(a_row i,
// b_row j)) for K-major panels (a [M, Kp], b [N, Kp], Kp padded with zeros to the vector
// width). Rows of b are taken in blocks of about 256 KiB (they stay in L2) while a block of
// 64 rows of a streams past them; a micro kernel computes an RM x RN tile of dot products at
// a time. Threads take (row block, column block) tasks, so small M still uses every thread.
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
  if (m <= 0 || n <= 0) return;
  const int64_t nb = std::max<int64_t>(Kernel::kRN, (256 << 10) / std::max<int64_t>(row_bytes, 1)) /
                     Kernel::kRN * Kernel::kRN;
  constexpr int64_t kMb = 64;
  const int64_t m_blocks = (m + kMb - 1) / kMb, n_blocks = (n + nb - 1) / nb;
  // A task's work: up to kMb x nb dot products of row_bytes each.
  ParallelTasks(m_blocks * n_blocks, std::min(kMb, m) * std::min(nb, n) * row_bytes, [&](int64_t task) {
    const int64_t i0 = task / n_blocks * kMb, i1 = std::min(i0 + kMb, m);
    const int64_t j0 = task % n_blocks * nb, j1 = std::min(j0 + nb, n);
    for (int64_t i = i0; i < i1; i += Kernel::kRM) {
      const int rm = static_cast<int>(std::min<int64_t>(Kernel::kRM, i1 - i));
      for (int64_t j = j0; j < j1; j += Kernel::kRN) {
        kernel.Tile(i, j, rm, static_cast<int>(std::min<int64_t>(Kernel::kRN, j1 - j)));
      }
    }
  });
}

}  // namespace switchback::ref

// The blocking driver of the AVX-512 CPU products (outer-product form). Both operands are
// packed once: a into tiles of kMR rows laid out [tile][k][kMR], b into panels of kNR
// columns laid out [panel][k][kNR], so a micro kernel broadcasts one element of a and
// multiplies it into whole vectors of b, keeping a kMR x kNR tile of accumulators in
// registers.
//
// Blocking: the depth is cut into balanced slices of at most k_slice (a panel's slice is
// about 64 KiB: it stays in L1/L2 while it meets every tile of a chunk); a task is a chunk of
// tiles (their slices total about 512 KiB, they stay in L2 while they meet every panel of a
// group) x a group of panels, over the whole depth. Partial sums between slices go to a
// buffer the task owns. Threads take tasks in order, so small M still uses every thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "kernels/reference/parallel.h"

namespace switchback::ref {

// Kernel provides:
//   static constexpr int kMR, kNR;
//   using Acc = ...;  // accumulator type (float, int32_t)
//   // Tile `tile` x panel `panel` over depth [k0, k0 + kc) (kc may be 0). accumulate: add
//   // the partial sums at acc (row stride ld_acc); final: finish into the output, else
//   // store the sums back there. acc is null when there is a single slice.
//   void Micro(int64_t tile, int64_t panel, int64_t k0, int64_t kc, Acc* acc, int64_t ld_acc,
//              bool accumulate, bool final) const;
// k and k_slice are in the kernel's depth units (elements, or groups of 4 int8 codes);
// bytes_per_k is what one row of packed a holds per depth unit.
template <typename Kernel>
void OuterTiles(const Kernel& kernel, int64_t m, int64_t n, int64_t k, int64_t k_slice,
                int64_t bytes_per_k) {
  if (m <= 0 || n <= 0) return;
  using Acc = typename Kernel::Acc;
  constexpr int64_t kMR = Kernel::kMR, kNR = Kernel::kNR, kGroup = 8;
  const int64_t tiles = (m + kMR - 1) / kMR, panels = (n + kNR - 1) / kNR;
  const int64_t slices = std::max<int64_t>(1, (k + k_slice - 1) / k_slice);
  const int64_t depth = std::max<int64_t>(1, (k + slices - 1) / slices);  // balanced
  const int64_t chunk = std::clamp<int64_t>((512 << 10) / (kMR * depth * bytes_per_k), 1, 64);
  const int64_t chunks = (tiles + chunk - 1) / chunk, groups = (panels + kGroup - 1) / kGroup;
  const int64_t ld_acc = kGroup * kNR;
  // A task's work: up to chunk x kGroup tiles of kMR x kNR outputs over depth k.
  ParallelTasks(chunks * groups, std::min(chunk * kMR, m) * std::min(kGroup * kNR, n) * k, [&](int64_t task) {
    const int64_t t0 = task % chunks * chunk, t1 = std::min(t0 + chunk, tiles);
    const int64_t p0 = task / chunks * kGroup, p1 = std::min(p0 + kGroup, panels);
    std::unique_ptr<Acc[]> acc;
    if (slices > 1) acc = std::make_unique_for_overwrite<Acc[]>(static_cast<size_t>(chunk * kMR * ld_acc));
    for (int64_t s = 0; s < slices; ++s) {
      const int64_t k0 = s * depth, kc = std::max<int64_t>(0, std::min(depth, k - k0));
      for (int64_t p = p0; p < p1; ++p) {
        for (int64_t t = t0; t < t1; ++t) {
          Acc* tile_acc = acc ? acc.get() + (t - t0) * kMR * ld_acc + (p - p0) * kNR : nullptr;
          kernel.Micro(t, p, k0, kc, tile_acc, ld_acc, s > 0, s == slices - 1);
        }
      }
    }
  });
}

}  // namespace switchback::ref

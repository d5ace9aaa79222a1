// Thread helpers for the CPU reference (std::thread, one per hardware thread, per call).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace switchback::ref {

inline int NumThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// fn(begin, end) on disjoint ranges covering [0, n); ranges are multiples of `grain`
// (except the last) so callers can keep blocks whole. Runs inline when one range suffices.
inline void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                        int64_t grain = 1) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t blocks = (n + grain - 1) / grain;
  const int64_t threads = std::min<int64_t>(NumThreads(), blocks);
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  const int64_t per = (blocks + threads - 1) / threads;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads - 1));
  for (int64_t t = 1; t < threads; ++t) {
    const int64_t begin = std::min(n, t * per * grain), end = std::min(n, (t + 1) * per * grain);
    if (begin < end) pool.emplace_back(fn, begin, end);
  }
  fn(0, std::min(n, per * grain));
  for (std::thread& th : pool) th.join();
}

// fn(task) for every task in [0, n), handed out one at a time in increasing order to
// whichever thread is free (tasks of uneven cost balance themselves).
inline void ParallelTasks(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t threads = std::min<int64_t>(NumThreads(), n);
  if (threads <= 1) {
    for (int64_t t = 0; t < n; ++t) fn(t);
    return;
  }
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < n;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(t);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads - 1));
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& th : pool) th.join();
}

}  // namespace switchback::ref

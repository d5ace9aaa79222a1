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

// Elementary operations (a multiply-add, an element converted) a thread is started for: a
// start and join cost tens of microseconds, more on a loaded machine, so small calls (the
// tests' and the CPU sweep's tiny shapes) run on fewer threads or inline. Callers state
// the work of one item (kThreadWork: each item is worth a thread).
inline constexpr int64_t kThreadWork = int64_t{1} << 18;

// Threads for n items of item_work operations each: at most one per kThreadWork.
inline int64_t ThreadsFor(int64_t n, int64_t item_work) {
  const double work = static_cast<double>(n) * static_cast<double>(std::max<int64_t>(item_work, 1));
  const double wanted = std::max(1.0, work / static_cast<double>(kThreadWork));
  return std::min<int64_t>({NumThreads(), n, wanted >= 1e9 ? int64_t{1000000000} : static_cast<int64_t>(wanted)});
}

// fn(begin, end) on disjoint ranges covering [0, n) of items of item_work operations each.
// Runs inline when one range suffices.
inline void ParallelFor(int64_t n, int64_t item_work, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t threads = ThreadsFor(n, item_work);
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  const int64_t per = (n + threads - 1) / threads;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads - 1));
  for (int64_t t = 1; t < threads; ++t) {
    const int64_t begin = std::min(n, t * per), end = std::min(n, (t + 1) * per);
    if (begin < end) pool.emplace_back(fn, begin, end);
  }
  fn(0, std::min(n, per));
  for (std::thread& th : pool) th.join();
}

// fn(task) for every task in [0, n), handed out one at a time in increasing order to
// whichever thread is free (tasks of uneven cost balance themselves).
inline void ParallelTasks(int64_t n, int64_t task_work, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t threads = ThreadsFor(n, task_work);
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

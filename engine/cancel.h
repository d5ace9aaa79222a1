// Cooperative cancellation flag checked by the runner between op calls.
#pragma once

#include <atomic>

namespace switchback {

class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace switchback

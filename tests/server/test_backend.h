// Test helpers: a CPU backend sized for tests, a tiny sweep, and a slow backend whose
// configs take a controllable time (so tests can act mid-job).
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/cpu_backend.h"
#include "switchback/v1/switchback.pb.h"

namespace switchback::server::testing {

inline v1::SweepSpec TinySweep(uint64_t seed = 0, int dims = 2, int64_t repeat = 2) {
  v1::SweepSpec s;
  for (int i = 0; i < dims; ++i) s.mutable_dims()->add_values(16 + 8 * i);
  s.mutable_batch_sizes()->add_values(32);
  s.set_switch_mode(v1::SWITCH_MODE_OFF);
  s.set_repeat(repeat);
  s.set_seed(seed);
  return s;
}

// Wraps the CPU backend; every Prepare sleeps `delay` first, so a job of N configs takes
// at least N * delay and can be cancelled or disconnected mid-way.
class SlowBackend : public Backend {
 public:
  explicit SlowBackend(std::chrono::milliseconds delay) : inner_(MakeCpuBackend({})), delay_(delay) {}
  BackendInfo Info() const override { return inner_->Info(); }
  absl::Status CheckFits(const Config& c) const override { return inner_->CheckFits(c); }
  absl::StatusOr<std::unique_ptr<ConfigWorkspace>> Prepare(const Config& c) override {
    ++prepared;
    std::this_thread::sleep_for(delay_);
    return inner_->Prepare(c);
  }
  std::atomic<int> prepared{0};

 private:
  std::unique_ptr<Backend> inner_;
  std::chrono::milliseconds delay_;
};

}  // namespace switchback::server::testing

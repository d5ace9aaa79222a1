// Runs a reference test once per vector level (portable, AVX2, AVX-512) the host supports,
// so the fallbacks stay covered on hosts that would pick the widest one.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "kernels/reference/isa.h"

namespace switchback::ref {

inline const auto kAllIsas = ::testing::Values(Isa::kPortable, Isa::kAvx2, Isa::kAvx512);

// Caps the kernels at `isa` for the scope; skips the test where the host lacks it.
class IsaScope {
 public:
  explicit IsaScope(Isa isa) { SetIsaCap(isa); }
  ~IsaScope() { SetIsaCap(Isa::kAvx512); }
};

#define SWITCHBACK_USE_ISA(isa)                                                          \
  if (::switchback::ref::DetectedIsa() < (isa)) {                                        \
    GTEST_SKIP() << "host lacks " << ::switchback::ref::IsaName(isa) << " (has "         \
                 << ::switchback::ref::IsaName(::switchback::ref::DetectedIsa()) << ")"; \
  }                                                                                      \
  const ::switchback::ref::IsaScope isa_scope_(isa)

inline std::string IsaParamName(Isa isa) { return IsaName(isa); }

}  // namespace switchback::ref

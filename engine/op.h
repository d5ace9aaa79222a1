// The 13 timed operations of SPEC.md; names are the JSONL keys, in the original's order.
#pragma once

#include <array>
#include <cstdint>
#include "absl/strings/string_view.h"

namespace switchback {

enum class Op : int {
  kStandardFwd,
  kStandardGw,
  kStandardGx,
  kRowwiseFwd,
  kRowwiseBwd,
  kGlobalFwd,
  kGlobalBwd,
  kXQuantizeRowwise,
  kGQuantizeRowwise,
  kWQuantizeRowwise,
  kWQuantizeColwiseTranspose,
  kWQuantizeGlobal,
  kWQuantizeGlobalTranspose,
};

inline constexpr int kNumOps = 13;

inline constexpr std::array<Op, kNumOps> kAllOps = {
    Op::kStandardFwd,       Op::kStandardGw,        Op::kStandardGx,
    Op::kRowwiseFwd,        Op::kRowwiseBwd,        Op::kGlobalFwd,
    Op::kGlobalBwd,         Op::kXQuantizeRowwise,  Op::kGQuantizeRowwise,
    Op::kWQuantizeRowwise,  Op::kWQuantizeColwiseTranspose,
    Op::kWQuantizeGlobal,   Op::kWQuantizeGlobalTranspose,
};

// The JSONL key of an op (e.g. "w_quantize_colwise_transpose"). absl::string_view because
// Debian's Abseil is built with its own string_view (StrCat does not take std::string_view).
absl::string_view OpName(Op op);

enum class OpKind { kFp16Product, kInt8Product, kQuantize };
OpKind KindOf(Op op);

// The three totals of SPEC.md, in JSONL order, with the ops each one sums.
struct Total {
  absl::string_view name;
  std::array<Op, 7> ops;  // time_standard uses the first 3
  int num_ops;
};
inline constexpr std::array<Total, 3> kTotals = {{
    {"time_standard", {Op::kStandardFwd, Op::kStandardGx, Op::kStandardGw}, 3},
    {"time_rowwise",
     {Op::kXQuantizeRowwise, Op::kGQuantizeRowwise, Op::kWQuantizeColwiseTranspose,
      Op::kWQuantizeRowwise, Op::kStandardGw, Op::kRowwiseFwd, Op::kRowwiseBwd},
     7},
    {"time_global",
     {Op::kXQuantizeRowwise, Op::kGQuantizeRowwise, Op::kWQuantizeGlobal,
      Op::kWQuantizeGlobalTranspose, Op::kStandardGw, Op::kGlobalFwd, Op::kGlobalBwd},
     7},
}};

}  // namespace switchback

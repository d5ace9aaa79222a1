#include "client/compare.h"

#include <cmath>
#include <map>
#include <tuple>

#include "absl/strings/str_format.h"

namespace switchback::client {

std::vector<Comparison> Compare(const std::vector<ResultRow>& a, const std::vector<ResultRow>& b,
                                double threshold) {
  using Key = std::tuple<int64_t, int64_t, int64_t, bool>;
  std::map<Key, const ResultRow*> by_key;
  for (const ResultRow& r : b) by_key[{r.batch_size, r.dim_in, r.dim_out, r.switch_mode}] = &r;
  std::vector<Comparison> out;
  for (const ResultRow& ra : a) {
    auto it = by_key.find({ra.batch_size, ra.dim_in, ra.dim_out, ra.switch_mode});
    if (it == by_key.end()) continue;
    const ResultRow& rb = *it->second;
    std::vector<std::string> keys = OpKeys();
    keys.insert(keys.end(), TotalKeys().begin(), TotalKeys().end());
    for (const std::string& op : keys) {
      auto va = ra.Get(op), vb = rb.Get(op);
      if (!va || !vb || *va <= 0) continue;
      Comparison c;
      c.batch_size = ra.batch_size;
      c.dim_in = ra.dim_in;
      c.dim_out = ra.dim_out;
      c.switch_mode = ra.switch_mode;
      c.op = op;
      c.a_ms = *va;
      c.b_ms = *vb;
      c.ratio = *vb / *va;
      if (auto cv = ra.cv.find(op); cv != ra.cv.end()) c.a_cv = cv->second;
      if (auto cv = rb.cv.find(op); cv != rb.cv.end()) c.b_cv = cv->second;
      // The noise of a mean over n samples is about cv / sqrt(n); without n here, the
      // per-sample cv is a conservative stand-in.
      const double noise = (c.a_cv >= 0 && c.b_cv >= 0)
                               ? std::sqrt(c.a_cv * c.a_cv + c.b_cv * c.b_cv)
                               : 0;
      const double bar = std::max(threshold, 2 * noise);
      c.verdict = c.ratio > 1 + bar ? "slower" : c.ratio < 1 / (1 + bar) ? "faster" : "same";
      c.timing_differs = c.a_cv >= 0 && c.b_cv >= 0 &&
                         ra.back_to_back.count(op) != rb.back_to_back.count(op);
      out.push_back(c);
    }
  }
  return out;
}

void PrintComparison(const std::vector<Comparison>& rows, const std::string& a_name,
                     const std::string& b_name, std::ostream& out) {
  auto cv = [](double v) { return v < 0 ? std::string("   n/a") : absl::StrFormat("%5.1f%%", 100 * v); };
  out << absl::StrFormat("# a = %s\n# b = %s\n# ratio = b / a (above 1: b slower)\n", a_name, b_name);
  out << absl::StrFormat("%7s %6s %6s %6s  %-30s %10s %7s %10s %7s %7s  %s\n", "batch", "din",
                         "dout", "switch", "op", "a ms", "a cv", "b ms", "b cv", "ratio", "verdict");
  std::map<std::string, std::pair<double, int>> log_sum;
  int differing = 0;
  for (const Comparison& c : rows) {
    out << absl::StrFormat("%7d %6d %6d %6s  %-30s %10.4f %7s %10.4f %7s %7.3f  %s%s\n",
                           c.batch_size, c.dim_in, c.dim_out, c.switch_mode ? "on" : "off", c.op,
                           c.a_ms, cv(c.a_cv), c.b_ms, cv(c.b_cv), c.ratio, c.verdict,
                           c.timing_differs ? " *" : "");
    differing += c.timing_differs;
    auto& [sum, n] = log_sum[c.op];
    sum += std::log(c.ratio);
    ++n;
  }
  if (differing > 0) {
    out << absl::StrFormat(
        "# * %d rows: one side timed the op back to back, the other with an event after each "
        "call (about 2 us per call on a GPU); part of their ratio is the method "
        "(docs/MEASUREMENT.md)\n",
        differing);
  }
  out << "\n# geometric mean ratio per op\n";
  for (const auto& [op, s] : log_sum) {
    out << absl::StrFormat("%-30s %7.3f  (%d configs)\n", op, std::exp(s.first / s.second), s.second);
  }
}

}  // namespace switchback::client

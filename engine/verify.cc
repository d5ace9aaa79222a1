#include "engine/verify.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/op_plan.h"
#include "kernels/half.h"
#include "kernels/reference/gemm_fp16.h"
#include "kernels/reference/int8_matmul.h"
#include "kernels/reference/quantize.h"

namespace switchback {

struct Verifier::Inputs {
  bool loaded = false;
  std::vector<Half> w;  // [out, in]
  std::vector<int8_t> wg8_ref, wgt8_ref;
  Half wg_state{}, wgt_state{};
};

Verifier::Verifier(ConfigWorkspace& ws, const Config& config)
    : ws_(ws), config_(config), inputs_(std::make_unique<Inputs>()) {}
Verifier::~Verifier() = default;

std::vector<int64_t> SampleIndices(int64_t n) {
  std::vector<int64_t> idx = {0, n / 3, (2 * n) / 3, n - 1};
  idx.erase(std::remove_if(idx.begin(), idx.end(), [&](int64_t i) { return i < 0 || i >= n; }),
            idx.end());
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

namespace {

template <typename T>
absl::StatusOr<std::vector<T>> ReadRows(ConfigWorkspace& ws, Buf buf, const std::vector<int64_t>& rows,
                                        int64_t cols) {
  std::vector<T> out(rows.size() * cols);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (absl::Status s = ws.Read(buf, rows[r] * cols, 1, cols, cols, out.data() + r * cols);
        !s.ok()) {
      return s;
    }
  }
  return out;
}

// Column `col` of a [rows, cols] fp16 matrix as a dense vector (a strided read).
absl::StatusOr<std::vector<Half>> ReadColumn(ConfigWorkspace& ws, Buf buf, int64_t col,
                                             int64_t rows, int64_t cols) {
  std::vector<Half> out(rows);
  if (absl::Status s = ws.Read(buf, col, rows, 1, cols, out.data()); !s.ok()) return s;
  return out;
}

Verification CompareProducts(const std::vector<Half>& got, const std::vector<Half>& want,
                             double tolerance) {
  Verification v;
  v.tolerance = tolerance;
  v.checked = static_cast<int64_t>(want.size());
  double ss = 0;
  for (Half h : want) ss += static_cast<double>(HalfToFloat(h)) * HalfToFloat(h);
  const double rms = std::sqrt(ss / std::max<size_t>(want.size(), 1));
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = HalfToFloat(got[i]), w = HalfToFloat(want[i]);
    const double e = std::isfinite(g) ? std::fabs(g - w) : INFINITY;
    if (!(e <= worst)) {  // NaN-safe: a NaN error is the worst
      worst = std::isnan(e) ? INFINITY : e;
      worst_at = i;
    }
  }
  v.max_error = rms > 0 ? worst / rms : worst;
  v.ok = v.max_error <= tolerance;
  if (!v.ok) {
    v.detail = absl::StrFormat("sampled element %d: got %g, reference %g (rms %g)", worst_at,
                               HalfToFloat(got[worst_at]), HalfToFloat(want[worst_at]), rms);
  }
  return v;
}

Verification CompareCodes(const std::vector<int8_t>& got, const std::vector<int8_t>& want,
                          const std::vector<Half>& got_state, const std::vector<Half>& want_state) {
  Verification v;
  v.checked = static_cast<int64_t>(want.size() + want_state.size());
  int64_t bad = 0;
  size_t first = want.size();
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i] != want[i]) {
      if (bad++ == 0) first = i;
    }
  }
  for (size_t i = 0; i < want_state.size(); ++i) {
    if (got_state[i].bits != want_state[i].bits) {
      v.detail = absl::StrFormat("state %d: got %g, reference %g", i, HalfToFloat(got_state[i]),
                                 HalfToFloat(want_state[i]));
      v.max_error = std::max<double>(v.max_error, 1);
    }
  }
  v.max_error = std::max<double>(v.max_error, static_cast<double>(bad));
  if (bad > 0) {
    v.detail = absl::StrFormat("%d codes differ; first at sampled element %d: got %d, reference %d",
                               bad, first, got[first], want[first]);
  }
  v.ok = v.max_error == 0;
  return v;
}

}  // namespace

absl::Status Verifier::LoadWeights() {
  if (inputs_->loaded) return absl::OkStatus();
  const int64_t out = config_.dim_out, in = config_.dim_in;
  inputs_->w.resize(out * in);
  if (absl::Status s = ws_.Read(Buf::kW, 0, 1, out * in, out * in, inputs_->w.data()); !s.ok()) {
    return s;
  }
  inputs_->wg8_ref.resize(out * in);
  inputs_->wgt8_ref.resize(out * in);
  ref::QuantizeGlobal(inputs_->w.data(), out, in, inputs_->wg8_ref.data(), &inputs_->wg_state);
  ref::QuantizeGlobalTranspose(inputs_->w.data(), out, in, inputs_->wgt8_ref.data(),
                               &inputs_->wgt_state);
  inputs_->loaded = true;
  return absl::OkStatus();
}

absl::StatusOr<Verification> Verifier::Check(Op op) {
  if (absl::Status s = LoadWeights(); !s.ok()) return s;
  const OpPlan p = PlanOf(op, config_);
  const std::vector<Half>& w = inputs_->w;
  switch (p.kind) {
    case OpKind::kQuantize: {
      const bool transposed = p.quantize == QuantizeKind::kColwiseTranspose ||
                              p.quantize == QuantizeKind::kGlobalTranspose;
      // Rows of the codes as stored: rows of the input, or columns of w when transposed.
      const int64_t code_rows = transposed ? p.cols : p.rows;
      const int64_t code_cols = transposed ? p.rows : p.cols;
      const std::vector<int64_t> rows = SampleIndices(code_rows);
      auto got = ReadRows<int8_t>(ws_, p.codes, rows, code_cols);
      if (!got.ok()) return got.status();
      std::vector<int8_t> want(rows.size() * code_cols);
      std::vector<Half> got_state, want_state;
      const bool global = p.quantize == QuantizeKind::kGlobal ||
                          p.quantize == QuantizeKind::kGlobalTranspose;
      if (global) {
        const std::vector<int8_t>& full = transposed ? inputs_->wgt8_ref : inputs_->wg8_ref;
        for (size_t r = 0; r < rows.size(); ++r) {
          std::copy_n(full.begin() + rows[r] * code_cols, code_cols, want.begin() + r * code_cols);
        }
        got_state.resize(1);
        if (absl::Status s = ws_.Read(p.state, 0, 1, 1, 1, got_state.data()); !s.ok()) return s;
        want_state = {transposed ? inputs_->wgt_state : inputs_->wg_state};
      } else {
        got_state.resize(rows.size());
        want_state.resize(rows.size());
        for (size_t r = 0; r < rows.size(); ++r) {
          if (absl::Status s = ws_.Read(p.state, rows[r], 1, 1, 1, &got_state[r]); !s.ok()) {
            return s;
          }
          // The group of this row of codes: a row of the input, or a column of w.
          std::vector<Half> group;
          if (transposed) {
            group.resize(p.rows);
            for (int64_t i = 0; i < p.rows; ++i) group[i] = w[i * p.cols + rows[r]];
          } else if (p.input == Buf::kW) {
            group.assign(w.begin() + rows[r] * p.cols, w.begin() + (rows[r] + 1) * p.cols);
          } else {
            auto in = ReadRows<Half>(ws_, p.input, {rows[r]}, p.cols);
            if (!in.ok()) return in.status();
            group = *std::move(in);
          }
          ref::QuantizeRowwise(group.data(), 1, code_cols, want.data() + r * code_cols,
                               &want_state[r]);
        }
      }
      return CompareCodes(*got, want, got_state, want_state);
    }
    case OpKind::kInt8Product: {
      const std::vector<int64_t> rows = SampleIndices(p.m);
      auto a = ReadRows<int8_t>(ws_, p.a, rows, p.k);
      if (!a.ok()) return a.status();
      std::vector<int8_t> b(p.n * p.k);
      if (absl::Status s = ws_.Read(p.b, 0, 1, p.n * p.k, p.n * p.k, b.data()); !s.ok()) return s;
      std::vector<Half> sa(rows.size()), sb(p.sb_is_scalar ? 1 : p.n);
      for (size_t r = 0; r < rows.size(); ++r) {
        if (absl::Status s = ws_.Read(p.sa, rows[r], 1, 1, 1, &sa[r]); !s.ok()) return s;
      }
      if (absl::Status s = ws_.Read(p.sb, 0, 1, sb.size(), sb.size(), sb.data()); !s.ok()) {
        return s;
      }
      auto got = ReadRows<Half>(ws_, p.out, rows, p.n);
      if (!got.ok()) return got.status();
      std::vector<Half> want(rows.size() * p.n);
      ref::Int8MatmulDequant(a->data(), b.data(), static_cast<int64_t>(rows.size()), p.n, p.k,
                             sa.data(), sb.data(), p.sb_is_scalar, nullptr, want.data());
      return CompareProducts(*got, want, kInt8ProductTolerance);
    }
    case OpKind::kFp16Product: {
      if (p.ta == Transpose::kNo) {
        // fwd and gx: sampled rows of A (x or g) against all of w.
        const std::vector<int64_t> rows = SampleIndices(p.m);
        auto a = ReadRows<Half>(ws_, p.a, rows, p.k);
        if (!a.ok()) return a.status();
        auto got = ReadRows<Half>(ws_, p.out, rows, p.n);
        if (!got.ok()) return got.status();
        std::vector<Half> want(rows.size() * p.n);
        ref::GemmFp16(p.ta, p.tb, static_cast<int64_t>(rows.size()), p.n, p.k, a->data(), w.data(),
                      want.data());
        return CompareProducts(*got, want, kFp16ProductTolerance);
      }
      // gw = gᵀ · x: sampled entries need columns of g and x (depth = batch).
      const std::vector<int64_t> rows = SampleIndices(p.m), cols = SampleIndices(p.n);
      std::vector<Half> a(p.k * rows.size()), b(p.k * cols.size());  // [K, R], [K, C]
      for (size_t r = 0; r < rows.size(); ++r) {
        auto col = ReadColumn(ws_, p.a, rows[r], p.k, p.m);
        if (!col.ok()) return col.status();
        for (int64_t i = 0; i < p.k; ++i) a[i * rows.size() + r] = (*col)[i];
      }
      for (size_t c = 0; c < cols.size(); ++c) {
        auto col = ReadColumn(ws_, p.b, cols[c], p.k, p.n);
        if (!col.ok()) return col.status();
        for (int64_t i = 0; i < p.k; ++i) b[i * cols.size() + c] = (*col)[i];
      }
      std::vector<Half> want(rows.size() * cols.size()), got(rows.size() * cols.size());
      ref::GemmFp16(Transpose::kYes, Transpose::kNo, static_cast<int64_t>(rows.size()),
                    static_cast<int64_t>(cols.size()), p.k, a.data(), b.data(), want.data());
      for (size_t r = 0; r < rows.size(); ++r) {
        for (size_t c = 0; c < cols.size(); ++c) {
          if (absl::Status s = ws_.Read(p.out, rows[r] * p.n + cols[c], 1, 1, 1,
                                        &got[r * cols.size() + c]);
              !s.ok()) {
            return s;
          }
        }
      }
      return CompareProducts(got, want, kFp16ProductTolerance);
    }
  }
  return absl::InternalError("unknown op kind");
}

}  // namespace switchback

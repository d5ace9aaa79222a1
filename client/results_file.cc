#include "client/results_file.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace switchback::client {

const std::vector<std::string>& OpKeys() {
  static const std::vector<std::string> keys = {
      "standard_fwd",       "standard_gw",        "standard_gx",
      "rowwise_fwd",        "rowwise_bwd",        "global_fwd",
      "global_bwd",         "x_quantize_rowwise", "g_quantize_rowwise",
      "w_quantize_rowwise", "w_quantize_colwise_transpose",
      "w_quantize_global",  "w_quantize_global_transpose"};
  return keys;
}

const std::vector<std::string>& TotalKeys() {
  static const std::vector<std::string> keys = {"time_standard", "time_rowwise", "time_global"};
  return keys;
}

std::optional<double> ResultRow::Get(const std::string& key) const {
  auto it = times.find(key);
  if (it == times.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<ResultRow> ParseResultLine(absl::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  ResultRow row;
  auto integer = [&](const char* key, int64_t* out) -> absl::Status {
    auto it = j.find(key);
    if (it == j.end()) return absl::InvalidArgumentError(absl::StrCat("missing key ", key));
    if (!it->is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat(key, " is not a JSON integer"));
    }
    *out = it->get<int64_t>();
    return absl::OkStatus();
  };
  for (auto [key, out] : {std::pair{"repeat", &row.repeat}, {"batch_size", &row.batch_size},
                          {"dim_out", &row.dim_out}, {"dim_in", &row.dim_in},
                          {"wm", &row.wm}}) {
    if (absl::Status s = integer(key, out); !s.ok()) return s;
  }
  auto sw = j.find("switch");
  if (sw == j.end()) return absl::InvalidArgumentError("missing key switch");
  if (!sw->is_boolean()) return absl::InvalidArgumentError("switch is not a JSON boolean");
  row.switch_mode = sw->get<bool>();
  if (auto e = j.find("error"); e != j.end() && e->is_string()) row.error = e->get<std::string>();
  if (auto d = j.find("device"); d != j.end() && d->is_string()) row.device = d->get<std::string>();
  row.mode = "original";
  if (auto m = j.find("mode"); m != j.end() && m->is_string()) row.mode = m->get<std::string>();
  if (auto t = j.find("throttled"); t != j.end() && t->is_boolean()) row.throttled = t->get<bool>();
  if (auto t = j.find("shared"); t != j.end() && t->is_boolean()) row.shared = t->get<bool>();
  if (auto st = j.find("stats"); st != j.end() && st->is_object()) {
    for (auto it = st->begin(); it != st->end(); ++it) {
      if (!it->is_object()) continue;
      auto cv = it->find("cv");
      if (cv != it->end() && cv->is_number()) row.cv[it.key()] = cv->get<double>();
      if (it->contains("back_to_back_mean")) row.back_to_back.insert(it.key());
    }
  }
  for (const auto* keys : {&OpKeys(), &TotalKeys()}) {
    for (const std::string& key : *keys) {
      auto it = j.find(key);
      if (it == j.end()) {
        if (row.error.empty()) return absl::InvalidArgumentError(absl::StrCat("missing key ", key));
        continue;
      }
      if (!it->is_number()) {
        return absl::InvalidArgumentError(absl::StrCat(key, " is not a JSON number"));
      }
      row.times[key] = it->get<double>();
    }
  }
  return row;
}

absl::StatusOr<std::vector<ResultRow>> ReadResultsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<ResultRow> rows;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<ResultRow> row = ParseResultLine(line);
    if (!row.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", row.status().message()));
    }
    rows.push_back(*std::move(row));
  }
  return rows;
}

}  // namespace switchback::client

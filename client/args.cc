#include "client/args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchback::client {

absl::StatusOr<Args> Args::Parse(int argc, char** argv, const std::set<std::string>& known,
                                 const std::set<std::string>& boolean) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a.substr(2), value;
      const size_t eq = name.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (!known.count(name)) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
      if (boolean.count(name)) {
        if (inline_value && value != "true" && value != "false") {
          return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
        }
        if (value != "false") args.values_.emplace(name, "true");
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        value = argv[++i];
      }
      args.values_.emplace(name, value);
    } else if (a == "-o") {
      if (i + 1 >= argc) return absl::InvalidArgumentError("-o needs a file name");
      args.values_.emplace("out", argv[++i]);
    } else {
      args.positional_.push_back(a);
    }
  }
  return args;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = values_.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

absl::StatusOr<int64_t> Args::GetInt(const std::string& name, int64_t fallback) const {
  if (!Has(name)) return fallback;
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " \"", Get(name), "\": not an integer"));
  }
  return v;
}

absl::StatusOr<double> Args::GetDouble(const std::string& name, double fallback) const {
  if (!Has(name)) return fallback;
  double v = 0;
  if (!absl::SimpleAtod(Get(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " \"", Get(name), "\": not a number"));
  }
  return v;
}

absl::StatusOr<std::vector<int64_t>> Args::GetIntList(const std::string& name) const {
  std::vector<int64_t> out;
  for (absl::string_view part : absl::StrSplit(Get(name), ',', absl::SkipWhitespace())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(part, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " \"", Get(name), "\": \"", part, "\" is not an integer"));
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace switchback::client

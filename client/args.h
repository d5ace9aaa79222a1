// Command-line parsing for switchback-client: `--name value` or `--name=value`, positional
// arguments kept in order. Errors name the flag. (Hand-written: the client's flags have
// dashes, e.g. --batch-sizes, which Abseil's flags cannot spell.)
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace switchback::client {

class Args {
 public:
  // `boolean` flags take no value (--append); every other flag needs one.
  static absl::StatusOr<Args> Parse(int argc, char** argv, const std::set<std::string>& known,
                                    const std::set<std::string>& boolean);
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback) const;
  absl::StatusOr<double> GetDouble(const std::string& name, double fallback) const;
  // Comma-separated positive integers, e.g. --dims 1024,4096.
  absl::StatusOr<std::vector<int64_t>> GetIntList(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Repeated flags (e.g. --label a --label b), in order.
  std::vector<std::string> GetAll(const std::string& name) const;

 private:
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace switchback::client

// Text out of the bench's C entry points (bench/fp16_capi.cc, bench/int8_capi.cc): a
// variant name or an error into a caller's buffer, truncated, always terminated.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"

namespace switchback::bench {

inline void CopyOut(const std::string& s, char* out, int out_len) {
  if (!out || out_len <= 0) return;
  const size_t n = std::min(s.size(), static_cast<size_t>(out_len - 1));
  std::memcpy(out, s.data(), n);
  out[n] = '\0';
}

// An entry point's return: 0 with `name` in `variant`, or -1 with the status's message in
// `error`.
inline int Returned(const absl::Status& s, const std::string& name, char* variant, int variant_len, char* error,
                    int error_len) {
  if (!s.ok()) {
    CopyOut(std::string(s.message()), error, error_len);
    return -1;
  }
  CopyOut(name, variant, variant_len);
  return 0;
}

}  // namespace switchback::bench

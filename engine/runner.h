// Runs one config on a backend as SPEC.md times it: repeat//2 warm-up calls, then repeat
// timed calls of each op, mean ms under the original key, statistics beside it.
#pragma once

#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/cancel.h"
#include "engine/result.h"

namespace switchback {

// Never fails as a whole: a failure (allocation, kernel error, cancellation) is recorded
// in result.error and the ops measured before it are kept.
// `ceilings` (optional) adds the roofline columns to the result.
// A config is measured again (like a throttled one) when an op's samples spread with a
// coefficient of variation above this: on the H100, undisturbed ops stay under 0.05
// (median 0.016 over 3900 op measurements), while a stretch of host delays between 6 us
// launches put four weight quantizations of one config at 2-4x their time (cv 0.17-0.61,
// docs/BENCHMARKS.md).
inline constexpr double kMaxStableCv = 0.25;

// The measured ops of `result` whose cv exceeds kMaxStableCv, by name.
std::vector<std::string> UnstableOps(const ConfigResult& result);

// Measures again (up to config.remeasure times) while the attempt is throttled, shared or
// has unstable ops; the least disturbed attempt is kept (the fewest of: throttled, shared,
// unstable ops; the later one on a tie), its flags say what persisted, and `attempts`
// counts them all.
ConfigResult RunConfig(Backend& backend, const Config& config, const CancelToken& cancel,
                       const Ceilings* ceilings = nullptr);

}  // namespace switchback

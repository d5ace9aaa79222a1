// Runs one config on a backend as SPEC.md times it: repeat//2 warm-up calls, then repeat
// timed calls of each op, mean ms under the original key, statistics beside it.
#pragma once

#include "engine/backend.h"
#include "engine/cancel.h"
#include "engine/result.h"

namespace switchback {

// Never fails as a whole: a failure (allocation, kernel error, cancellation) is recorded
// in result.error and the ops measured before it are kept.
// `ceilings` (optional) adds the roofline columns to the result.
ConfigResult RunConfig(Backend& backend, const Config& config, const CancelToken& cancel,
                       const Ceilings* ceilings = nullptr);

}  // namespace switchback

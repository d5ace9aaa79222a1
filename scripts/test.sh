#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest). GPU tests skip, with the
# reason printed, on machines without a CUDA device.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_packages
build -DSWITCHBACK_WERROR=ON
log "running ctest"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$JOBS" --timeout 600 "$@"

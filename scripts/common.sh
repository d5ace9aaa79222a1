# Shared by scripts/run.sh and scripts/test.sh: install what is missing, then build.
# Sourced, not executed.

SWITCHBACK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SWITCHBACK_ROOT/build}
JOBS=${JOBS:-$(nproc)}

# Debian packages the build needs (the CUDA toolkit itself is expected on the machine).
SWITCHBACK_PACKAGES=(cmake g++ make pkg-config libgrpc++-dev protobuf-compiler-grpc
  libprotobuf-dev protobuf-compiler libabsl-dev libgtest-dev nlohmann-json3-dev gnuplot-nox
  python3-pip)

log() { printf '[switchback] %s\n' "$*" >&2; }

ensure_packages() {
  local missing=()
  for p in "${SWITCHBACK_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ! command -v nvcc >/dev/null 2>&1; then
    for d in /usr/local/cuda/bin /usr/local/cuda-13.0/bin; do
      [ -x "$d/nvcc" ] && export PATH="$d:$PATH" && break
    done
  fi
  command -v nvcc >/dev/null 2>&1 || { log "nvcc not found: install the CUDA toolkit (13.0)"; exit 1; }
}

# build [extra cmake args...]
build() {
  log "configuring $BUILD_DIR"
  cmake -S "$SWITCHBACK_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  log "building with $JOBS jobs (the CUDA and CUTLASS kernels take a while on few cores)"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

has_gpu() {
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'
}

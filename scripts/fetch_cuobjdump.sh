#!/usr/bin/env bash
# Fetches cuobjdump and nvdisasm, pinned, from PyPI's nvidia-cuda-cuobjdump and
# nvidia-cuda-nvdisasm wheels into DEST (default build/_deps/cudatools) unless already there,
# and prints the directory holding them. The build machine's CUDA has neither; with them the
# GEMMs' SASS and register use can be read here, without a device call:
#   PATH=$(scripts/fetch_cuobjdump.sh):$PATH
#   cuobjdump -sass build/kernels/cuda/sm90/CMakeFiles/switchback_kernels_sm90.dir/int8_gemm_sm90_pingpong_128x128.cu.o
#   cuobjdump -res-usage <same object>      # registers, stack, shared memory
set -euo pipefail
VERSION=13.5.37
dest=${1:-build/_deps/cudatools}
bin="$dest/nvidia/cu13/bin"
if [ ! -x "$bin/cuobjdump" ] || [ ! -x "$bin/nvdisasm" ]; then
  mkdir -p "$dest"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    "nvidia-cuda-cuobjdump==$VERSION" "nvidia-cuda-nvdisasm==$VERSION" -d "$dest" >&2
  python3 - "$dest" <<'PY'
import pathlib, sys, zipfile
dest = pathlib.Path(sys.argv[1])
for wheel in dest.glob("nvidia_cuda_*.whl"):
    with zipfile.ZipFile(wheel) as z:
        z.extractall(dest)
PY
  chmod +x "$bin/cuobjdump" "$bin/nvdisasm"
fi
echo "$bin"

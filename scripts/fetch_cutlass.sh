#!/usr/bin/env bash
# Fetches CUTLASS's C++ headers, pinned, from PyPI's nvidia-cutlass wheel into DEST (default
# build/_deps/cutlass) unless already there, and prints the include directory. Nothing is
# vendored into the repository.
#   scripts/fetch_cutlass.sh [DEST]
set -euo pipefail
VERSION=4.2.0.0
dest=${1:-build/_deps/cutlass}
include="$dest/cutlass_library/source/include"
if [ ! -f "$include/cutlass/cutlass.h" ]; then
  mkdir -p "$dest"
  python3 -m pip download --quiet --no-deps --only-binary=:all: "nvidia-cutlass==$VERSION" -d "$dest" >&2
  python3 - "$dest" <<'PY'
import pathlib, sys, zipfile
dest = pathlib.Path(sys.argv[1])
wheel = next(dest.glob("nvidia_cutlass-*.whl"))
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(("cutlass_library/source/include/", "cutlass_library/source/tools/util/include/")):
            z.extract(name, dest)
PY
fi
echo "$include"

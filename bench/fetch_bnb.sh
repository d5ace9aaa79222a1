#!/usr/bin/env bash
# Fetches bitsandbytes' SwitchBack Triton kernels, pinned, from PyPI into DEST (default
# .anchor/bnb) unless already there, and prints DEST, the directory to put on PYTHONPATH for
# bench/bnb_baselines.py. Nothing is vendored into the repository: DEST is ignored by git
# and travels to a GPU host as a carried path.
#
# 0.49.2 is the last release with bitsandbytes/triton/ (0.50 removed it). Only those files
# are taken, under an empty bitsandbytes/__init__.py: the package's own __init__ loads its
# native CUDA library, which these kernels do not use. One compatibility edit, the one the
# H100 anchor run made (SPEC.md): Triton 3.x has no tl.libdevice, so each
# `tl.libdevice.llrint(v)` becomes `libdevice.llrint((v).to(tl.float32))` (libdevice's
# llrint has fp32 and fp64 forms; global quantization's v is fp16). Same rounding
# (round half to even), same kernels otherwise.
#   bench/fetch_bnb.sh [DEST]
set -euo pipefail
VERSION=0.49.2
SHA256=54b771f06e1a3c73af5c7f16ccf0fc23a846052813d4b008d10cb6e017dd1c8c
WHEEL=bitsandbytes-$VERSION-py3-none-manylinux_2_24_x86_64.whl
dest=${1:-.anchor/bnb}
if [ ! -f "$dest/bitsandbytes/triton/.fetched-$VERSION" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_24_x86_64 \
    --python-version 3.12 "bitsandbytes==$VERSION" -d "$tmp" >&2
  echo "$SHA256  $tmp/$WHEEL" | sha256sum --check --quiet
  python3 - "$tmp/$WHEEL" "$dest" <<'PY'
import pathlib, re, sys, zipfile
wheel, dest = sys.argv[1], pathlib.Path(sys.argv[2])
pkg = dest / "bitsandbytes"
(pkg / "triton").mkdir(parents=True, exist_ok=True)
(pkg / "__init__.py").write_text("# Empty: only bitsandbytes.triton is used (bench/fetch_bnb.sh).\n")
llrint = re.compile(r"tl\.libdevice\.llrint\((.*)\)$")
edits = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if not (name.startswith("bitsandbytes/triton/") and name.endswith(".py")):
            continue
        lines = z.read(name).decode().splitlines()
        out = []
        for line in lines:
            new = llrint.sub(r"libdevice.llrint((\1).to(tl.float32))", line)
            edits += new != line
            out.append(new)
            if line.strip() == "import triton.language as tl":
                out.append(line.replace("import triton.language as tl",
                                        "from triton.language.extra import libdevice"))
        (dest / name).write_text("\n".join(out) + "\n")
if edits != 4:  # rowwise, columnwise, global, global transpose
    sys.exit(f"fetch_bnb: expected 4 llrint edits, made {edits}")
PY
  touch "$dest/bitsandbytes/triton/.fetched-$VERSION"
fi
echo "$dest"

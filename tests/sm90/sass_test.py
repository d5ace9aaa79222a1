#!/usr/bin/env python3
"""The Hopper int8 GEMMs' machine code, on any build machine (no GPU needed).

Every CUTLASS GEMM kernel in the sm90 library must issue int8 wgmma (IGMMA ...S8.S8; the
ping-pong tiles as 64x128x32, the cooperative one as 64x256x32) and must not spill: no
stack frame, no local memory, no STL/LDL. A change to the epilogue or the tiles that makes
the compiler spill in the hot loop, or fall back from wgmma, fails here before any device
run. cuobjdump comes from PyPI (scripts/fetch_cuobjdump.sh); where it cannot be fetched the
test is skipped (exit 77) and says so.

  sass_test.py LIBRARY TOOLS_DIR
"""
import pathlib
import re
import subprocess
import sys

SKIP = 77
ROOT = pathlib.Path(__file__).resolve().parents[2]


def cuobjdump(tools, *args):
    return subprocess.run([str(tools / "cuobjdump"), *args], check=True, capture_output=True, text=True).stdout


def sections(text, header):
    """(function name, text) per function of a cuobjdump listing."""
    parts = re.split(header, text)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def main():
    library, tools_dir = sys.argv[1], sys.argv[2]
    fetch = subprocess.run(["bash", str(ROOT / "scripts/fetch_cuobjdump.sh"), tools_dir],
                           capture_output=True, text=True)
    if fetch.returncode != 0:
        print("SKIP: could not fetch cuobjdump from PyPI:", fetch.stderr.strip()[-300:])
        return SKIP
    tools = pathlib.Path(fetch.stdout.strip())

    failures = []
    usage = sections(cuobjdump(tools, "-res-usage", library), r"\n\s*Function (\S+):")
    gemms = [(name, body) for name, body in usage if "device_kernel" in name]
    for name, body in gemms:
        fields = dict(re.findall(r"(STACK|LOCAL|REG):(\d+)", body))
        if fields.get("STACK") != "0" or fields.get("LOCAL") != "0":
            failures.append(f"{name[:80]}...: stack {fields.get('STACK')}, local {fields.get('LOCAL')} bytes")

    sass = sections(cuobjdump(tools, "-sass", library), r"\n\s*Function : (\S+)")
    shapes = set()
    for name, body in sass:
        if "device_kernel" not in name:
            continue
        found = set(re.findall(r"IGMMA\.(64x\d+x32)\.S8\.S8", body))
        if not found:
            failures.append(f"{name[:80]}...: no int8 wgmma (IGMMA ...S8.S8)")
        shapes |= found
        spills = re.findall(r"\b(STL|LDL)\b", body)
        if spills:
            failures.append(f"{name[:80]}...: {len(spills)} local-memory instructions (spills)")

    print(f"{len(gemms)} GEMM kernels; wgmma shapes {sorted(shapes)}")
    if len(gemms) < 4:
        failures.append(f"expected the 4 GEMM variants of kernels/cuda/sm90, found {len(gemms)}")
    for shape in ("64x128x32", "64x256x32"):
        if shape not in shapes:
            failures.append(f"no kernel issues IGMMA.{shape}.S8.S8")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Which kernels of two builds of one object file have identical SASS.

A source change that leaves a measured kernel's machine code byte for byte the same needs
no new device time for that kernel; one that changes it does. Both arguments are `cuobjdump
-sass -arch sm_90a FILE.o` listings (scripts/fetch_cuobjdump.sh puts cuobjdump on PATH here):

    cuobjdump -sass -arch sm_90a build/kernels/cuda/CMakeFiles/switchback_kernels_cuda.dir/quantize_weight.cu.o > new.sass
    python3 bench/sass_compare.py old.sass new.sass

Prints one line per kernel: instructions in each listing and "same" or "differs"; exits 1
when any kernel differs or is missing from one side.
"""
import re
import sys


def kernels(path):
    """Kernel name -> its instructions (opcode and operands, addresses included)."""
    out, name = {}, None
    with open(path) as f:
        for line in f:
            m = re.search(r"Function : (\S+)", line)
            if m:
                name = m.group(1)
                out[name] = []
                continue
            m = re.search(r"/\*[0-9a-f]{4,}\*/\s+(.*?)\s*;", line)
            if m and name is not None:
                out[name].append(m.group(1))
    return out


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: sass_compare.py OLD.sass NEW.sass", file=sys.stderr)
        return 2
    old, new = kernels(argv[1]), kernels(argv[2])
    differs = False
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None or b is None:
            state = "only in " + (argv[2] if a is None else argv[1])
        else:
            state = "same" if a == b else "differs"
        differs |= state != "same"
        print(f"{len(a or []):6d} {len(b or []):6d}  {state:8s} {name}")
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

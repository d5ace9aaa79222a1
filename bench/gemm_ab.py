#!/usr/bin/env python3
"""Summarizes sustained A/B runs of int8 GEMM variants (the run_device.sh `gemm_ab` step).

Input: the concatenated output of `int8_gemm_bench --sweep VARIANT`, one process per
variant and pass, each preceded by a line `== pass P VARIANT [anything]`. Turns inside one process share
one clock, which hides what the power cap does to each variant (docs/BENCHMARKS.md, ninth
session); one process per variant and alternating passes do not. Output: per shape the mean
TOP/s of each variant over the passes, then per K range the median, min and max of each
variant's TOP/s over the first (base) variant's, and each pass's median (the spread between
passes is the noise to read the ratios against).

    python3 bench/gemm_ab.py ab.txt [--base VARIANT]
"""
import argparse
import collections
import statistics
import sys

K_RANGES = [("K <= 1408", lambda k: k <= 1408), ("K 1664-2048", lambda k: 1664 <= k <= 2048),
            ("K >= 4096", lambda k: k >= 4096)]


def parse(lines):
    """{variant: {(m, n, k): [TOP/s per pass]}} and the variants in order of appearance."""
    runs = collections.defaultdict(lambda: collections.defaultdict(list))
    order = []
    variant = None
    for line in lines:
        fields = line.split()
        if line.startswith("=="):
            if len(fields) < 4 or fields[1] != "pass":
                raise ValueError(f"bad header line: {line.rstrip()}")
            variant = fields[3]
            if variant not in order:
                order.append(variant)
        elif len(fields) == 4 and all(f.isdigit() for f in fields[:3]) and variant is not None:
            runs[variant][tuple(int(f) for f in fields[:3])].append(float(fields[3]))
    return runs, order


def summarize(runs, order, base, out):
    if base not in runs:
        raise ValueError(f"base variant {base} not in the input (have: {', '.join(order)})")
    others = [v for v in order if v != base]
    shapes = [s for s in runs[base] if all(runs[v].get(s) for v in order)]
    if not shapes:
        raise ValueError("no shape was timed for every variant")
    out.write("%8s %6s %6s" % ("M", "N", "K") + "".join(" %14s" % v[-14:] for v in order) + "\n")
    for s in shapes:
        out.write("%8d %6d %6d" % s + "".join(" %14.0f" % statistics.mean(runs[v][s]) for v in order) + "\n")
    for name, in_range in K_RANGES:
        picked = [s for s in shapes if in_range(s[2])]
        if not picked:
            continue
        out.write(f"{name} ({len(picked)} shapes), TOP/s over {base}:\n")
        for v in others:
            r = [statistics.mean(runs[v][s]) / statistics.mean(runs[base][s]) for s in picked]
            out.write("  %-32s median %.3f  min %.3f  max %.3f\n" % (v, statistics.median(r), min(r), max(r)))
    passes = min(len(runs[v][s]) for v in order for s in shapes)
    for v in others:
        per_pass = [statistics.median(runs[v][s][p] / runs[base][s][p] for s in shapes) for p in range(passes)]
        out.write("  %-32s per pass: %s\n" % (v, " ".join("%.3f" % x for x in per_pass)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("input")
    p.add_argument("--base", help="the variant the others are compared with (default: the first)")
    args = p.parse_args()
    try:
        with open(args.input) as f:
            runs, order = parse(f)
        if not order:
            raise ValueError(f"no `== pass` lines in {args.input}")
        summarize(runs, order, args.base or order[0], sys.stdout)
    except (OSError, ValueError) as e:
        sys.exit(f"gemm_ab: {e}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Summarizes A/B runs of the quantizers (the run_device.sh `quantize_ab` step).

Input: the concatenated output of bench/quantize_bench runs, each preceded by a line
`== pass P ARM` (or `== ARM pass P`, the fifteenth session's files; ARM names the build or flag that ran: the arms alternate, pass by pass, so
a drift of the card's clock falls on every arm alike). Output: per weight shape and
quantizer the median over the passes of each arm's microseconds per call, then each arm's
median over the shapes of its time over the first (base) arm's.

    python3 bench/quantize_ab.py ab.txt
"""
import collections
import re
import statistics
import sys

OPS = ("rowwise", "colwise_T", "global", "global_T")
PASS = re.compile(r"^== (?:pass \d+ (?P<arm>.+?)|(?P<arm2>\S+) pass \d+)\s*$")
ROW = re.compile(r"^\s*(\d+)\s+(\d+) \|(.*)$")
TIME = re.compile(r"([\d.]+) \(")


def parse(lines):
    """{arm: {(rows, cols): [[us per op] per pass]}} and the arms in order of appearance."""
    runs = collections.defaultdict(lambda: collections.defaultdict(list))
    order, arm = [], None
    for line in lines:
        m = PASS.match(line)
        if m:
            arm = m.group("arm") or m.group("arm2")
            if arm not in order:
                order.append(arm)
            continue
        if line.startswith("=="):  # another section (a timeline, the variants)
            arm = None
            continue
        m = ROW.match(line)
        if m and arm is not None:
            times = [float(t) for t in TIME.findall(m.group(3))]
            if len(times) == len(OPS):
                runs[arm][(int(m.group(1)), int(m.group(2)))].append(times)
    return runs, order


def summarize(runs, order):
    out = []
    shapes = sorted({s for arm in order for s in runs[arm]}, key=lambda s: (s[0] * s[1], s))
    out.append("median us per call over the passes; arms: " + " | ".join(order))
    out.append("%6s %6s %-9s " % ("rows", "cols", "op") + " ".join("%10s" % a[:10] for a in order))
    ratios = collections.defaultdict(list)
    for shape in shapes:
        for i, op in enumerate(OPS):
            meds = [statistics.median(p[i] for p in runs[arm][shape]) if runs[arm].get(shape) else None
                    for arm in order]
            out.append("%6d %6d %-9s " % (shape[0], shape[1], op) +
                       " ".join("%10s" % ("-" if v is None else "%.2f" % v) for v in meds))
            if meds[0]:
                for arm, v in zip(order[1:], meds[1:]):
                    if v is not None:
                        ratios[(arm, op)].append(v / meds[0])
    out.append("")
    out.append("time over the base arm (%s), median over the shapes [min, max]:" % order[0])
    for arm in order[1:]:
        cells = []
        for op in OPS:
            r = ratios.get((arm, op))
            cells.append("%s %.3f [%.3f, %.3f]" % (op, statistics.median(r), min(r), max(r)) if r else op + " -")
        out.append("  %s: %s" % (arm, "; ".join(cells)))
    return "\n".join(out)


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        runs, order = parse(f)
    if not order:
        sys.exit("quantize_ab: no '== pass P ARM' sections with quantize_bench rows")
    print(summarize(runs, order))


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
"""Applies the reading rules that docs/BENCHMARKS.md (twenty-second session) set before the
first run of bench/tensor_core_ceiling, to its output (the `ceiling` step's ceiling.txt):

  1. If `ceiling ss normal` (the tensor-core work alone on the sweep's kind of operands)
     sustains less than 1500 TOP/s at the cap, no int8 GEMM reaches issue 4's 1500 TOP/s on
     the card: that bar is bound by the card, not by our kernel.
  2. Each of our products held beside it: its TOP per joule over the ceiling's. Under 0.9
     names the operand traffic (L2, TMA) as the lever; 0.95 or more leaves nothing on our
     side; in between, little.
  3. With --ours and --anchors (our sweep's and bitsandbytes' result files): every int8
     product below 1.25x bitsandbytes, and whether bitsandbytes' rate times 1.25 is above the
     ceiling (then out of reach for any kernel on this card) or not (the gap is ours).

    python3 bench/ceiling_report.py ceiling.txt [--ours OURS.jsonl ...] [--anchors BNB.jsonl ...]

Standard library only; exits 2 on input it cannot read.
"""
import argparse
import re
import sys

from lines import INT8_PRODUCTS, load

BAR_TOPS = 1500.0
BNB_RATIO = 1.25
TRAFFIC_LEVER = 0.90  # ours / ceiling in TOP per joule below this: operand traffic is the lever
NOTHING_LEFT = 0.95   # at or above this: nothing left on our side

# tensor_core_ceiling's result line: name, TOP/s, (p10-p90), MHz, W, C, TOP/J, x peak, n,
# xREPS, clock event reasons.
ROW = re.compile(r"^(?P<name>\S.*?)\s+(?P<tops>\d+)\s+\(\s*(?P<p10>\d+)-\s*(?P<p90>\d+)\)\s+"
                 r"(?P<mhz>\d+)\s+(?P<watts>\d+)\s+(?P<celsius>\d+)\s+(?P<top_per_joule>[\d.]+)\s+"
                 r"(?P<of_peak>[\d.]+)\s+(?P<units>\d+)\s+x(?P<reps>\d+)\s+(?P<reasons>\S+)\s*$")
CHECK = re.compile(r"^check (?P<form>\w+) (?P<kind>\w+): (?P<verdict>ok|MISMATCH)\b")


def parse(lines):
    """({run name: row dict}, [failed check names]) from tensor_core_ceiling's output."""
    rows, failed = {}, []
    for line in lines:
        line = line.rstrip("\n")
        check = CHECK.match(line)
        if check:
            if check["verdict"] != "ok":
                failed.append(f"{check['form']} {check['kind']}")
            continue
        m = ROW.match(line)
        if m:
            row = {k: (v if k in ("name", "reasons") else float(v)) for k, v in m.groupdict().items()}
            rows[row["name"]] = row
    return rows, failed


def top_per_joule(row):
    """TOP/s over watts from the row's own fields (the printed TOP/J has two decimals only)."""
    return row["tops"] / row["watts"] if row["watts"] > 0 else 0.0


def verdict(ratio):
    if ratio < TRAFFIC_LEVER:
        return "operand traffic is the lever"
    if ratio >= NOTHING_LEFT:
        return "nothing left on our side"
    return "little left on our side"


def report(rows, failed, ours=None, bnb=None, out=sys.stdout):
    """Prints the three rules' readings; returns the ceiling row it judged against."""
    ceiling = rows.get("ceiling ss normal")
    if ceiling is None:
        raise ValueError("no 'ceiling ss normal' line: not tensor_core_ceiling's output, or the run was cut short")
    if failed:
        print(f"WARNING: the check failed for {', '.join(failed)}: those arms multiplied other operands "
              "than meant, read them with care", file=out)
    print(f"ceiling ss normal: {ceiling['tops']:.0f} TOP/s ({ceiling['p10']:.0f}-{ceiling['p90']:.0f}) at "
          f"{ceiling['mhz']:.0f} MHz, {ceiling['watts']:.0f} W, {top_per_joule(ceiling):.2f} TOP/J, "
          f"{ceiling['of_peak']:.3f} of the peak at that clock", file=out)
    for name in sorted(rows):
        if name.startswith("ceiling ") and name != "ceiling ss normal":
            r = rows[name]
            print(f"  {name}: {r['tops']:.0f} TOP/s at {r['mhz']:.0f} MHz, {r['watts']:.0f} W "
                  f"({r['tops'] / ceiling['tops']:.3f} of ss normal)", file=out)
    if ceiling["tops"] < BAR_TOPS:
        print(f"rule 1: {ceiling['tops']:.0f} < {BAR_TOPS:.0f} TOP/s: the 1500 TOP/s bar is bound by the card "
              "(no int8 GEMM on these operands reaches it under the cap)", file=out)
    else:
        print(f"rule 1: {ceiling['tops']:.0f} >= {BAR_TOPS:.0f} TOP/s: the card allows the bar; what stands "
              "between is our kernel's energy beyond the tensor-core work (rule 2)", file=out)
    for name, r in rows.items():
        if not name.startswith("ours "):
            continue
        ratio = top_per_joule(r) / top_per_joule(ceiling) if top_per_joule(ceiling) > 0 else 0.0
        print(f"rule 2: {name}: {r['tops']:.0f} TOP/s, {top_per_joule(r):.2f} TOP/J = {ratio:.3f} of the "
              f"ceiling's: {verdict(ratio)}", file=out)
    if ours is not None and bnb is not None:
        short = 0
        for key in sorted(set(ours) & set(bnb)):
            b, din, dout = key
            for op in INT8_PRODUCTS:
                ours_ms, bnb_ms = ours[key].get(op), bnb[key].get(op)
                if not ours_ms or not bnb_ms or bnb_ms / ours_ms >= BNB_RATIO:
                    continue
                short += 1
                bnb_tops = 2.0 * b * din * dout / (bnb_ms * 1e-3) / 1e12
                ours_tops = 2.0 * b * din * dout / (ours_ms * 1e-3) / 1e12
                need = BNB_RATIO * bnb_tops
                where = ("out of reach for any kernel on this card" if need > ceiling["tops"]
                         else "within the ceiling: the gap is ours")
                print(f"rule 3: {b} x {din} x {dout} {op}: x bnb {bnb_ms / ours_ms:.3f} (ours {ours_tops:.0f}, "
                      f"bnb {bnb_tops:.0f} TOP/s); 1.25x needs {need:.0f} against the ceiling's "
                      f"{ceiling['tops']:.0f}: {where}", file=out)
        print(f"rule 3: {short} product(s) below {BNB_RATIO}x bitsandbytes in these files", file=out)
    return ceiling


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ceiling", help="tensor_core_ceiling's output (the ceiling step's ceiling.txt)")
    ap.add_argument("--ours", nargs="*", default=[], help="our sweep's result files (JSONL)")
    ap.add_argument("--anchors", nargs="*", default=[], help="bitsandbytes' result files (bench/bnb_baselines.py)")
    args = ap.parse_args()
    try:
        with open(args.ceiling) as f:
            rows, failed = parse(f)
        ours = load(*args.ours) if args.ours else None
        bnb = load(*args.anchors) if args.anchors else None
        report(rows, failed, ours, bnb)
    except (OSError, ValueError, KeyError) as e:
        print(f"ceiling_report: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

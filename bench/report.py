#!/usr/bin/env python3
"""Renders docs/BENCHMARKS.md tables from one device run: our JSONL beside bitsandbytes'
Triton numbers and PyTorch's products timed in the same run (bench/torch_baselines.py).
Standard library only.

    python3 bench/report.py OURS.jsonl [OURS2.jsonl ...] [--torch TORCH.jsonl]
                            [--fp16 FP16.jsonl] [--int8 INT8.jsonl] [--anchors BNB.jsonl ...]

Several OURS files: a later file's configurations replace the earlier ones' (a partial
sweep of a newer build over a full run); the summary then counts the lines from each file.

--anchors: bench/bnb_baselines.py's output from the same run (same card; it may cover part
of the sweep), or by default bitsandbytes' own script on an H100
(bench/anchors/bnb_triton_h100_measured.jsonl). The summary says which, and on which card
ours ran. --fp16 takes bench/fp16_interleaved.py's output (ours and torch.matmul
alternately in one process), the fp16 comparison the bar is judged on when given. --int8
takes bench/int8_interleaved.py's output (our int8 products and bitsandbytes' alternately in
one process, on the configurations it timed): a line beside the sweep-against-anchors one.
"""
import argparse
import statistics

from lines import load

OPS = ["standard_fwd", "standard_gw", "standard_gx", "rowwise_fwd", "rowwise_bwd", "global_fwd",
       "global_bwd", "x_quantize_rowwise", "g_quantize_rowwise", "w_quantize_rowwise",
       "w_quantize_colwise_transpose", "w_quantize_global", "w_quantize_global_transpose"]


def quant_bytes(op, b, din, dout):
    """Bytes read + written by one call (fp16 in, int8 out, fp16 states)."""
    if op == "x_quantize_rowwise":
        return b * din * 3 + b * 2
    if op == "g_quantize_rowwise":
        return b * dout * 3 + b * 2
    n = dout * din * 3
    return n + {"w_quantize_rowwise": dout * 2, "w_quantize_colwise_transpose": din * 2}.get(op, 2)


# H100 and H200 SXM: 132 SMs x 4 tensor cores; dense int8 wgmma does 8192 ops per SM per
# clock (1979 TOP/s at the datasheet's 1830 MHz). The card's clock under its power cap sets
# the peak a GEMM can reach: stats[op].sm_clock_mhz_after is read right after the timed calls.
INT8_OPS_PER_MHZ = 132 * 8192 * 1e6 / 1e12  # TOP/s per MHz

# Issue 3's quantization bars were set on an H100 that copies at 3.0 TB/s (SPEC.md): 2.5 and
# 2.0 TB/s are these fractions of the copy ceiling, the form that carries to another card.
H100_COPY_TBPS = 3.0


def tops(b, din, dout, ms):
    return 2.0 * b * din * dout / (ms * 1e-3) / 1e12


def stat(r, op, key):
    """One of an op's measurement stats in our line (e.g. sm_clock_mhz_after), or None."""
    return r.get("stats", {}).get(op, {}).get(key)


def fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def speedup(r, key):
    if r and r.get("time_standard") and r.get(key):
        return 100.0 * (r["time_standard"] - r[key]) / r["time_standard"]
    return None


def summary(ours, torch, bnb, fp16_interleaved, sources=(), int8_interleaved=None):
    """One line per bar of issues 3 and 4, computed from the run (docs/BENCHMARKS.md)."""
    def span(v, spec=".2f"):
        return f"{min(v):{spec}}-{max(v):{spec}} (median {statistics.median(v):{spec}})" if v else "-"

    big, ratios, int_mm, fp16, e2e, pos, clocks, of_peak = [], [], [], [], [], [], [], []
    # Products whose clock both sides logged (bench/bnb_baselines.py: sm_clock_mhz_after_<op>):
    # under the power cap each settles at its own clock, so the time ratio is set by the energy
    # per operation as much as by the kernels (eighteenth session).
    bnb_clocks, our_clocks, cycle_ratios = [], [], []
    bnb_tops_per_j, our_tops_per_j = [], []  # TOP/s over the power read after the same product
    for k, r in ours.items():
        b, din, dout = k
        q, t = bnb.get(k, {}), torch.get(k, {})
        for o in OPS[3:7]:
            if o not in r:
                continue
            ours_mhz = stat(r, o, "sm_clock_mhz_after")
            if b >= 32768 and min(din, dout) >= 2048:
                big.append(tops(b, din, dout, r[o]))
                if ours_mhz:
                    clocks.append(ours_mhz)
                    of_peak.append(tops(b, din, dout, r[o]) / (ours_mhz * INT8_OPS_PER_MHZ))
            if o in q:
                ratios.append(q[o] / r[o])
                bnb_mhz = q.get("sm_clock_mhz_after_" + o)
                if ours_mhz and bnb_mhz:
                    bnb_clocks.append(bnb_mhz)
                    our_clocks.append(ours_mhz)
                    cycle_ratios.append(q[o] * bnb_mhz / (r[o] * ours_mhz))
                ours_w = stat(r, o, "power_w_after")
                bnb_w = q.get("power_w_after_" + o)
                if ours_w and bnb_w:
                    our_tops_per_j.append(tops(b, din, dout, r[o]) / ours_w)
                    bnb_tops_per_j.append(tops(b, din, dout, q[o]) / bnb_w)
            tk = "torch_int_mm_" + o.split("_")[1]
            if tk in t:
                int_mm.append(t[tk] / r[o])
        for o in ("fwd", "gw", "gx"):
            if fp16_interleaved:
                if k in fp16_interleaved:
                    fp16.append(fp16_interleaved[k][f"ratio_{o}"])
            elif f"torch_matmul_{o}" in t and f"standard_{o}" in r:
                fp16.append(t[f"torch_matmul_{o}"] / r[f"standard_{o}"])
        for key in ("time_rowwise", "time_global"):
            s = speedup(r, key)
            if s is None:
                continue
            if r.get("dim") == 4096 and b >= 32768:
                e2e.append(s)
            if b >= 16384:
                pos.append(s)
    print("### Against the bars (this run)\n")
    if len(sources) > 1:
        # Which file each configuration's line came from (the last one that has it).
        counts = [sum(1 for k in ours if k in lines and all(k not in later for later in sources[i + 1:]))
                  for i, lines in enumerate(sources)]
        print("- ours from " + ", then ".join(f"{n} configurations of file {i + 1}" for i, n in enumerate(counts))
              + " (a later file's lines replace an earlier one's)")
    first = next(iter(ours.values()), {})
    copy_tbps = first.get("ceilings", {}).get("copy_gbps", 0) / 1e3
    print(f"- ours on {first.get('device', '?')} (driver {first.get('driver_version', '?')}); copy ceiling "
          f"measured by the server: {copy_tbps:.2f} TB/s" if copy_tbps else "- copy ceiling: not in the lines")
    anchor_devices = sorted({q.get("device", "H100 (bitsandbytes' own script, host-clock timing)")
                             for q in bnb.values()})
    covered = sum(k in bnb for k in ours)
    print(f"- bitsandbytes: {', '.join(anchor_devices) or 'none'}; {covered} of {len(ours)} configurations")
    print(f"- int8 products / torch._int_mm: {span(int_mm)}x")
    how = "interleaved in one process (--fp16)" if fp16_interleaved else "same run"
    print(f"- torch.matmul / our fp16 products, {how}: {span(fp16, '.3f')}; within 3% or faster: "
          f"{sum(x >= 0.97 for x in fp16)} of {len(fp16)}")
    for o in OPS[7:]:
        rates = []
        for k, r in ours.items():
            if o in r:
                rates.append((quant_bytes(o, *k) / (r[o] * 1e-3) / 1e12, quant_bytes(o, *k)))
        large = [x for x, n in rates if n * 2 / 3 >= 256e6]
        line = f"- {o}: {span([x for x, _ in rates])} TB/s"
        if copy_tbps:
            line += f" = {span([x / copy_tbps for x, _ in rates])} of copy"
        if large:
            line += f"; on >= 256 MB: {span(large)}, >= 2.5 TB/s: {sum(x >= 2.5 for x in large)} of {len(large)}"
            if copy_tbps:
                line += f", >= 2.5/3.0 of copy: {sum(x / copy_tbps >= 2.5 / H100_COPY_TBPS for x in large)} of {len(large)}"
        elif copy_tbps and o.startswith("w_quantize") and o != "w_quantize_rowwise":
            frac = [x / copy_tbps for x, _ in rates]
            line += (f"; >= 2.0 TB/s: {sum(x >= 2.0 for x, _ in rates)} of {len(rates)}, >= 2.0/3.0 of copy: "
                     f"{sum(f >= 2.0 / H100_COPY_TBPS for f in frac)} of {len(rates)}")
        print(line)
    print(f"- int8 TOP/s at batch >= 32768, dims >= 2048: {span(big, '.0f')}; >= 1500: "
          f"{sum(x >= 1500 for x in big)} of {len(big)}")
    if clocks:
        print(f"- SM clock right after those products: {span(clocks, '.0f')} MHz; their TOP/s over the int8 "
              f"peak at that clock (132 SMs x 8192 ops/clock): {span(of_peak)}")
    print(f"- int8 products x bnb Triton: {span(ratios)}; >= 1.25x: {sum(x >= 1.25 for x in ratios)} of {len(ratios)}")
    if cycle_ratios:
        print(f"- SM clock after the same products, {len(cycle_ratios)} with both logged: bnb {span(bnb_clocks, '.0f')} "
              f"MHz, ours {span(our_clocks, '.0f')} MHz; x bnb in cycles (time x that clock): {span(cycle_ratios)}; "
              f">= 1.25x: {sum(x >= 1.25 for x in cycle_ratios)} of {len(cycle_ratios)}")
    if our_tops_per_j:
        print(f"- TOP per joule (TOP/s over the board power read after the same products, {len(our_tops_per_j)} "
              f"with both logged): bnb {span(bnb_tops_per_j)}, ours {span(our_tops_per_j)}")
    if int8_interleaved:
        pairs = [r[f"ratio_{o}"] for r in int8_interleaved.values() for o in OPS[3:7] if f"ratio_{o}" in r]
        print(f"- int8 products x bnb Triton, interleaved in one process (--int8, {len(int8_interleaved)} "
              f"configurations): {span(pairs)}; >= 1.25x: {sum(x >= 1.25 for x in pairs)} of {len(pairs)}")
    print(f"- end to end at dim 4096, batch >= 32768: {span(e2e, '+.1f')} %; >= +30%: "
          f"{sum(x >= 30 for x in e2e)} of {len(e2e)}")
    print(f"- end to end at batch >= 16384: positive {sum(x > 0 for x in pos)} of {len(pos)} totals, "
          f"lowest {min(pos) if pos else float('nan'):+.1f} %\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ours", nargs="+")
    p.add_argument("--torch")
    p.add_argument("--fp16")
    p.add_argument("--int8")
    p.add_argument("--anchors", nargs="+", default=["bench/anchors/bnb_triton_h100_measured.jsonl"])
    a = p.parse_args()
    sources = [load(path) for path in a.ours]
    ours = {k: r for lines in sources for k, r in lines.items()}  # load(*a.ours), each file read once
    torch, bnb, fp16 = load(a.torch), load(*a.anchors), load(a.fp16)
    keys = list(ours)

    summary(ours, torch, bnb, fp16, sources, load(a.int8))

    print("### End to end (ms; speedup % = 100 (standard - X) / standard)\n")
    print("| batch | dim_in | dim_out | standard | rowwise | global | speedup rowwise | speedup global | bnb rowwise | bnb global |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in keys:
        r, q = ours[k], bnb.get(k)
        print(f"| {k[0]} | {k[1]} | {k[2]} | {fmt(r.get('time_standard'))} | {fmt(r.get('time_rowwise'))} | "
              f"{fmt(r.get('time_global'))} | {fmt(speedup(r, 'time_rowwise'), '+.1f')} | "
              f"{fmt(speedup(r, 'time_global'), '+.1f')} | {fmt(speedup(q, 'time_rowwise'), '+.1f')} | "
              f"{fmt(speedup(q, 'time_global'), '+.1f')} |")

    print("\n### Int8 products (TOP/s; ratio = our time / bnb's inverse, >1 is faster)\n")
    print("| batch | dim_in | dim_out | rowwise_fwd | rowwise_bwd | global_fwd | global_bwd | bnb rowwise_fwd | x bnb (min of 4) | torch._int_mm fwd | fp8 _scaled_mm fwd | variant |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for k in keys:
        r, q, t = ours[k], bnb.get(k), torch.get(k)
        b, din, dout = k
        vals = [tops(b, din, dout, r[o]) if o in r else None for o in OPS[3:7]]
        ratios = [q[o] / r[o] for o in OPS[3:7] if q and o in r and o in q]
        bnb_fwd = tops(b, din, dout, q["rowwise_fwd"]) if q else None
        int_mm = tops(b, din, dout, t["torch_int_mm_fwd"]) if t and "torch_int_mm_fwd" in t else None
        fp8 = tops(b, din, dout, t["torch_scaled_mm_fp8_fwd"]) if t and "torch_scaled_mm_fp8_fwd" in t else None
        variant = r.get("variants", {}).get("rowwise_fwd", "")
        print(f"| {b} | {din} | {dout} | " + " | ".join(fmt(v, ".0f") for v in vals) +
              f" | {fmt(bnb_fwd, '.0f')} | {fmt(min(ratios) if ratios else None, '.2f')} | {fmt(int_mm, '.0f')} | {fmt(fp8, '.0f')} | {variant} |")

    print("\n### Fp16 products (ours through cuBLASLt vs torch.matmul; ratio = torch / ours, "
          + ("interleaved in one process, bench/fp16_interleaved.py)\n" if fp16 else "same run)\n"))
    print("| batch | dim_in | dim_out | fwd ms | gw ms | gx ms | fwd TFLOP/s | ratio fwd | ratio gw | ratio gx |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in keys:
        r, t = ours[k], torch.get(k, {})
        b, din, dout = k
        if fp16:
            ratio = [fp16[k][f"ratio_{o}"] if k in fp16 else None for o in ("fwd", "gw", "gx")]
        else:
            ratio = [t.get(f"torch_matmul_{o}") / r[f"standard_{o}"] if t.get(f"torch_matmul_{o}") and f"standard_{o}" in r else None
                     for o in ("fwd", "gw", "gx")]
        print(f"| {b} | {din} | {dout} | {fmt(r.get('standard_fwd'))} | {fmt(r.get('standard_gw'))} | {fmt(r.get('standard_gx'))} | "
              f"{fmt(tops(b, din, dout, r['standard_fwd']) if 'standard_fwd' in r else None, '.0f')} | " +
              " | ".join(fmt(v, ".3f") for v in ratio) + " |")

    print("\n### Quantization (effective TB/s: bytes read + written / time; bnb in brackets)\n")
    print("| batch | dim_in | dim_out | " + " | ".join(OPS[7:]) + " |")
    print("|---:|---:|---:|" + "---:|" * 6)
    for k in keys:
        r, q = ours[k], bnb.get(k)
        b, din, dout = k
        cells = []
        for o in OPS[7:]:
            mine = quant_bytes(o, b, din, dout) / (r[o] * 1e-3) / 1e12 if o in r else None
            theirs = quant_bytes(o, b, din, dout) / (q[o] * 1e-3) / 1e12 if q and o in q else None
            cells.append(f"{fmt(mine, '.2f')} [{fmt(theirs, '.2f')}]")
        print(f"| {b} | {din} | {dout} | " + " | ".join(cells) + " |")

    errors = [(k, ours[k]["error"]) for k in keys if ours[k].get("error")]
    if errors:
        print("\n### Configurations with errors\n")
        for k, e in errors:
            print(f"- {k}: {e}")


if __name__ == "__main__":
    main()

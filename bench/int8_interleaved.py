#!/usr/bin/env python3
"""Our int8 products beside bitsandbytes' Triton kernels, interleaved, in one process.

The sweep (ours) and bench/bnb_baselines.py (theirs) run minutes or sessions apart, and
these products' time follows the SM clock the card holds under its 700 W cap: the same
GEMM code gave 236, 224 and 215 of 240 products >= 1.25x bitsandbytes in three sweeps of
the sixteenth session's day, against one bnb run (docs/BENCHMARKS.md). So, as
bench/fp16_interleaved.py does for torch.matmul, each int8 product is timed here as
--pairs pairs of short loops (--calls calls between two events, after repeat // 2 untimed
calls of each side) on the same quantized tensors and stream, the order alternating (theirs
then ours, ours then theirs: a drift in clocks cancels), and the ratio is the median of the
pairs' theirs / ours. The operands are bitsandbytes' own quantizers' outputs, wired as its
SwitchBack layers wire them (as bench/bnb_baselines.py does); ours come from the bundle's
lib/libswitchback_int8.so (bench/int8_capi.cc) through ctypes. Both outputs are compared
(max |ours - theirs| / rms(theirs)). One JSON line per configuration, then a summary on
stderr.

    bench/fetch_bnb.sh && python3 bench/int8_interleaved.py --lib BUNDLE/lib/libswitchback_int8.so \\
        --bnb .anchor/bnb --out int8_vs_bnb.jsonl [--configs 65536x4096x1024,...] [--pairs 16 --calls 8]
"""
import argparse
import ctypes
import json
import statistics
import sys

import torch

from baselines import add_sweep_args, output, sm_clock_mhz, sweep
from bnb_baselines import autotune_pick, load_bnb, quantize_operands
from fp16_interleaved import paired_loops
from lines import INT8_PRODUCTS as PRODUCTS

BAR = 1.25  # issue 4: at least 1.25x bitsandbytes on every product


def load(lib_path):
    lib = ctypes.CDLL(lib_path)
    f = lib.switchback_int8_matmul
    f.restype = ctypes.c_int
    f.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_int64] + [ctypes.c_void_p] * 4 + [ctypes.c_int] + \
                 [ctypes.c_void_p] * 3 + [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    return f


def parse_configs(text):
    """"BxDINxDOUT,..." -> {(batch, dim_in, dim_out)}; None for every configuration."""
    if not text:
        return None
    out = set()
    for item in text.split(","):
        parts = item.strip().lower().split("x")
        if len(parts) != 3:
            raise SystemExit(f"--configs: {item!r} is not BATCHxDIM_INxDIM_OUT")
        out.add(tuple(int(v) for v in parts))
    return out


def summarize(ratios, bar=BAR):
    """Lines of the stderr summary: per product and over all, the ratios' range, median and
    how many reach the bar."""
    lines = []
    every = [r for v in ratios.values() for r in v]
    for name in tuple(ratios) + ("all",):
        r = every if name == "all" else ratios[name]
        if r:
            lines.append(f"int8 {name}: bnb/ours {min(r):.3f}-{max(r):.3f} (median {statistics.median(r):.3f}); "
                         f">= {bar}x: {sum(v >= bar for v in r)} of {len(r)}")
    return lines


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True, help="the bundle's lib/libswitchback_int8.so")
    p.add_argument("--bnb", default=".anchor/bnb", help="directory printed by bench/fetch_bnb.sh")
    p.add_argument("--configs", help="only these configurations: BATCHxDIM_INxDIM_OUT,...")
    p.add_argument("--pairs", type=int, default=16,
                   help="pairs of loops (theirs, ours), the order alternating; the median ratio is reported")
    p.add_argument("--calls", type=int, default=8, help="calls per loop between its two events")
    add_sweep_args(p)
    args = p.parse_args()
    only = parse_configs(args.configs)
    k = load_bnb(args.bnb)
    matmul = load(args.lib)
    out = output(args)
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    variant = ctypes.create_string_buffer(128)
    error = ctypes.create_string_buffer(512)
    ratios = {n: [] for n in PRODUCTS}
    for line, x, g, w in sweep(args):
        batch, din, dout = line["batch_size"], line["dim_in"], line["dim_out"]
        if only is not None and (batch, din, dout) not in only:
            continue
        x8, sx, g8, sg, w8, sw_row, wt8, sw_col, w8g, sw_g, wt8g = quantize_operands(k, x, g, w)
        half = lambda s: s.to(torch.float16).contiguous()  # maxima of fp16 values: exact
        # name: (theirs, (a [m,k], b [n,k], sa, sb, sb is a scalar)), as bench/bnb_baselines.py wires them
        plans = {
            "rowwise_fwd": (lambda: k["rowwise_matmul"](x8, w8.t(), sx, sw_row, None), (x8, w8, sx, sw_row, 0)),
            "rowwise_bwd": (lambda: k["rowwise_matmul"](g8, wt8.t(), sg, sw_col, None), (g8, wt8, sg, sw_col, 0)),
            "global_fwd": (lambda: k["mixed_matmul"](x8, w8g.t(), sx, sw_g, None), (x8, w8g, sx, sw_g, 1)),
            "global_bwd": (lambda: k["mixed_matmul"](g8, wt8g.t(), sg, sw_g, None), (g8, wt8g, sg, sw_g, 1)),
        }
        line.update(order=f"{args.pairs} pairs of {args.calls} calls: bnb ours, ours bnb, ...",
                    source="bitsandbytes 0.49.2 Triton kernels (bench/fetch_bnb.sh) beside ours (bench/int8_capi.cc)")
        for name, (theirs, (a, b, sa, sb, scalar)) in plans.items():
            a, b, sa, sb = a.contiguous(), b.contiguous(), half(sa), half(sb)
            m, n, kk = a.shape[0], b.shape[0], a.shape[1]
            c = torch.empty(m, n, device="cuda", dtype=torch.float16)

            def ours():
                if matmul(m, n, kk, a.data_ptr(), b.data_ptr(), sa.data_ptr(), sb.data_ptr(), scalar, None,
                          c.data_ptr(), stream, variant, 128, error, 512) != 0:
                    raise RuntimeError(error.value.decode())

            t_runs, o_runs, pair_ratios = paired_loops(theirs, ours, args.repeat // 2, args.pairs, args.calls)
            line[f"bnb_{name}_config"] = autotune_pick(name)
            ref = theirs().float()
            rel = ((c.float() - ref).abs().max() / ref.pow(2).mean().sqrt().clamp_min(1e-30)).item()
            ratio = statistics.median(pair_ratios)
            q = statistics.quantiles(pair_ratios, n=4) if len(pair_ratios) > 1 else [ratio] * 3
            line[f"bnb_{name}"] = statistics.median(t_runs)
            line[f"ours_{name}"] = statistics.median(o_runs)
            line[f"ratio_{name}"] = ratio  # > 1: ours faster
            line[f"ratio_{name}_quartiles"] = [q[0], q[2]]
            line[f"variant_{name}"] = variant.value.decode()
            line[f"max_diff_over_rms_{name}"] = rel
            ratios[name].append(ratio)
            del c, ref
        line["sm_clock_mhz_after"] = sm_clock_mhz()  # after this configuration's products
        out.write(json.dumps(line) + "\n")
        out.flush()
        del x, g, w, x8, g8, w8, wt8, w8g, wt8g, plans  # freed before the next config is allocated
    for text in summarize(ratios):
        print(text, file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Our cuBLASLt fp16 products beside torch.matmul, interleaved, in one process.

Two sweeps minutes apart differ per configuration by more than the 3% that the
comparison is about (docs/BENCHMARKS.md: run-to-run spread), and so do two loops of 64
calls a second apart in one process (the clocks move under the power cap: s6 runs of
torch, ours, ours, torch moved by up to 6% per product). So each of the sweep's fp16
products is timed here as --pairs pairs of short loops (--calls calls between two events,
after repeat // 2 untimed calls of each side) on the same tensors and stream, the order
alternating (torch then ours, ours then torch: a drift in clocks cancels), and the
ratio is the median of the pairs' torch / ours. Ours comes from the bundle's
lib/libswitchback_fp16.so (bench/fp16_capi.cc) through ctypes. One JSON line per
configuration, then a summary on stderr.

    python3 bench/fp16_interleaved.py --lib BUNDLE/lib/libswitchback_fp16.so --out fp16.jsonl \\
        [--pairs 16 --calls 16] [--only EARLIER_OUTPUT.jsonl --below 0.97]

The runner's options can be varied for a trial through the environment of the C entry
point (bench/fp16_capi.cc): SWITCHBACK_FP16_WORKSPACE_MB, SWITCHBACK_FP16_CANDIDATES,
SWITCHBACK_FP16_CALL_NEEDED_WORKSPACE (0: offer the whole workspace at every call).
"""
import argparse
import ctypes
import json
import statistics
import sys

import torch

from baselines import add_sweep_args, output, sweep

PRODUCTS = ("fwd", "gw", "gx")


def load(lib_path):
    lib = ctypes.CDLL(lib_path)
    f = lib.switchback_fp16_gemm
    f.restype = ctypes.c_int
    f.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                  ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                  ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    return f


def loop_ms(fn, calls):
    """Mean ms per call of `calls` back-to-back calls between two events."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(calls):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / calls


def paired_loops(theirs, ours, warmup, pairs, calls):
    """(torch loop times, our loop times, per-pair torch / ours), the order alternating."""
    for _ in range(warmup):
        theirs()
        ours()
    t_runs, o_runs, ratios = [], [], []
    for i in range(pairs):
        if i % 2 == 0:
            t, o = loop_ms(theirs, calls), loop_ms(ours, calls)
        else:
            o, t = loop_ms(ours, calls), loop_ms(theirs, calls)
        t_runs.append(t)
        o_runs.append(o)
        ratios.append(t / o)
    return t_runs, o_runs, ratios


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True)
    p.add_argument("--only", help="a file of this script's output: time only the products below --below there")
    p.add_argument("--below", type=float, default=0.97)
    p.add_argument("--pairs", type=int, default=16,
                   help="pairs of loops (torch, ours), the order alternating; the median ratio is reported")
    p.add_argument("--calls", type=int, default=16, help="calls per loop between its two events")
    add_sweep_args(p)
    args = p.parse_args()
    only = None
    if args.only:
        only = set()
        for l in open(args.only):
            r = json.loads(l)
            only |= {(r["batch_size"], r["dim_in"], r["dim_out"], n) for n in PRODUCTS if r[f"ratio_{n}"] < args.below}
    gemm = load(args.lib)
    out = output(args)
    dev = "cuda"
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    variant = ctypes.create_string_buffer(128)
    error = ctypes.create_string_buffer(512)
    ratios = {p: [] for p in PRODUCTS}
    for line, x, g, w in sweep(args):
        batch, din, dout = line["batch_size"], line["dim_in"], line["dim_out"]
        # (torch call, ours: ta, tb, m, n, k, a, b, output)
        plans = {
            "fwd": (lambda: torch.matmul(x, w.t()), (0, 1, batch, dout, din, x, w)),
            "gw": (lambda: torch.matmul(g.t(), x), (1, 0, dout, din, batch, g, x)),
            "gx": (lambda: torch.matmul(g, w), (0, 0, batch, din, dout, g, w)),
        }
        line["order"] = f"{args.pairs} pairs of {args.calls} calls: torch ours, ours torch, ..."
        for name, (theirs, (ta, tb, m, n, k, a, b)) in plans.items():
            if only is not None and (batch, din, dout, name) not in only:
                continue
            c = torch.empty(m, n, device=dev, dtype=torch.float16)

            def ours():
                if gemm(ta, tb, m, n, k, a.data_ptr(), b.data_ptr(), c.data_ptr(), stream,
                        variant, 128, error, 512) != 0:
                    raise RuntimeError(error.value.decode())

            t_runs, o_runs, pair_ratios = paired_loops(theirs, ours, args.repeat // 2, args.pairs, args.calls)
            ref = theirs().float()
            rel = ((c.float() - ref).abs().max() / ref.pow(2).mean().sqrt()).item()
            t, o = statistics.median(t_runs), statistics.median(o_runs)
            ratio = statistics.median(pair_ratios)
            line[f"torch_{name}"] = t
            line[f"ours_{name}"] = o
            line[f"ratio_{name}"] = ratio  # > 1: ours faster
            q = statistics.quantiles(pair_ratios, n=4) if len(pair_ratios) > 1 else [ratio] * 3
            line[f"ratio_{name}_quartiles"] = [q[0], q[2]]
            line[f"ours_{name}_runs"] = o_runs
            line[f"torch_{name}_runs"] = t_runs
            line[f"variant_{name}"] = variant.value.decode()
            line[f"max_diff_over_rms_{name}"] = rel
            ratios[name].append(ratio)
            del c, ref
        if only is not None and not any(f"ratio_{n}" in line for n in PRODUCTS):
            del x, g, w, a, b, plans
            continue
        out.write(json.dumps(line) + "\n")
        out.flush()
        del x, g, w, a, b, plans  # freed before the next config is allocated
    all_r = [r for v in ratios.values() for r in v]
    for name in PRODUCTS + ("all",):
        r = all_r if name == "all" else ratios[name]
        if not r:
            continue
        print(f"fp16 {name}: torch/ours {min(r):.3f}-{max(r):.3f} (median {statistics.median(r):.3f}); "
              f"within 3% or faster: {sum(v >= 0.97 for v in r)} of {len(r)}", file=sys.stderr)


if __name__ == "__main__":
    main()

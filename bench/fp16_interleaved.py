#!/usr/bin/env python3
"""Our cuBLASLt fp16 products beside torch.matmul, interleaved, in one process.

Two sweeps minutes apart differ per configuration by more than the 3% that the
comparison is about (docs/BENCHMARKS.md: run-to-run spread), so each of the sweep's fp16
products is timed here on the same tensors and stream, in the order torch, ours, ours,
torch (a linear drift in clocks cancels), each with the daemon's timing (bench/baselines.py);
--rounds N repeats that order N times and compares each side's median.
Ours comes from the bundle's lib/libswitchback_fp16.so (bench/fp16_capi.cc) through
ctypes. One JSON line per configuration, then a summary on stderr.

    python3 bench/fp16_interleaved.py --lib BUNDLE/lib/libswitchback_fp16.so --out fp16.jsonl \\
        [--only EARLIER_OUTPUT.jsonl --below 0.97]

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

from baselines import add_sweep_args, output, sweep, time_op

PRODUCTS = ("fwd", "gw", "gx")


def load(lib_path):
    lib = ctypes.CDLL(lib_path)
    f = lib.switchback_fp16_gemm
    f.restype = ctypes.c_int
    f.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                  ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                  ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    return f


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True)
    p.add_argument("--only", help="a file of this script's output: time only the products below --below there")
    p.add_argument("--below", type=float, default=0.97)
    p.add_argument("--rounds", type=int, default=1,
                   help="rounds of torch, ours, ours, torch per product; each side's median is compared")
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
        line["order"] = " ".join(["torch ours ours torch"] * args.rounds)
        for name, (theirs, (ta, tb, m, n, k, a, b)) in plans.items():
            if only is not None and (batch, din, dout, name) not in only:
                continue
            c = torch.empty(m, n, device=dev, dtype=torch.float16)

            def ours():
                if gemm(ta, tb, m, n, k, a.data_ptr(), b.data_ptr(), c.data_ptr(), stream,
                        variant, 128, error, 512) != 0:
                    raise RuntimeError(error.value.decode())

            t_runs, o_runs = [], []
            for _ in range(args.rounds):
                t_runs.append(time_op(theirs, args.repeat)[0])
                o_runs.append(time_op(ours, args.repeat)[0])
                o_runs.append(time_op(ours, args.repeat)[0])
                t_runs.append(time_op(theirs, args.repeat)[0])
            ref = theirs().float()
            rel = ((c.float() - ref).abs().max() / ref.pow(2).mean().sqrt()).item()
            # The median of each side's runs (with one round, the mean of two).
            t, o = statistics.median(t_runs), statistics.median(o_runs)
            line[f"torch_{name}"] = t
            line[f"ours_{name}"] = o
            line[f"ratio_{name}"] = t / o  # > 1: ours faster
            line[f"ours_{name}_runs"] = o_runs
            line[f"torch_{name}_runs"] = t_runs
            line[f"variant_{name}"] = variant.value.decode()
            line[f"max_diff_over_rms_{name}"] = rel
            ratios[name].append(t / o)
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

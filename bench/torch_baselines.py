#!/usr/bin/env python3
"""Times PyTorch's own products on the sweep's shapes, in the same run as ours.

For each configuration of the default sweep (SPEC.md): torch.matmul fp16 for the three
standard products (cuBLAS), torch._int_mm int8 -> int32 for the two int8 product shapes
(cuBLASLt, no dequantization), torch._scaled_mm fp8 e4m3 with row-wise scales -> fp16
(cuBLASLt). Timing as ours (bench/baselines.py): repeat // 2 warm-up calls, `repeat` calls
with CUDA events between consecutive calls (median), and for ops under 1 ms a loop with
events at its ends only (the mean); --mode graph times replays of a captured CUDA graph
instead, to pair with the daemon's graph mode. One JSON line per config.

    python3 bench/torch_baselines.py --out torch.jsonl [--dims 1024,4096] [--repeat 64] [--mode graph]
"""
import argparse
import json

import torch

from baselines import add_sweep_args, add_timing_args, error_text, output, sweep, timer


def main():
    p = argparse.ArgumentParser()
    add_sweep_args(p)
    add_timing_args(p)
    args = p.parse_args()
    out = output(args)
    dev = "cuda"
    for line, x, g, w in sweep(args):
        batch, din, dout = line["batch_size"], line["dim_in"], line["dim_out"]
        line["mode"] = args.mode
        ops = {
            "torch_matmul_fwd": lambda: torch.matmul(x, w.t()),
            "torch_matmul_gw": lambda: torch.matmul(g.t(), x),
            "torch_matmul_gx": lambda: torch.matmul(g, w),
        }
        x8 = torch.randint(-127, 128, (batch, din), device=dev, dtype=torch.int8)
        g8 = torch.randint(-127, 128, (batch, dout), device=dev, dtype=torch.int8)
        w8 = torch.randint(-127, 128, (dout, din), device=dev, dtype=torch.int8)
        wt8 = w8.t().contiguous()
        ops["torch_int_mm_fwd"] = lambda: torch._int_mm(x8, w8.t())
        ops["torch_int_mm_bwd"] = lambda: torch._int_mm(g8, wt8.t())
        e4 = torch.float8_e4m3fn
        xf, gf, wf, wtf = x.to(e4), g.to(e4), w.to(e4), w.t().contiguous().to(e4)
        sa = torch.rand(batch, 1, device=dev, dtype=torch.float32)
        sbf = torch.rand(1, dout, device=dev, dtype=torch.float32)
        sbb = torch.rand(1, din, device=dev, dtype=torch.float32)
        ops["torch_scaled_mm_fp8_fwd"] = lambda: torch._scaled_mm(
            xf, wf.t(), scale_a=sa, scale_b=sbf, out_dtype=torch.float16)
        ops["torch_scaled_mm_fp8_bwd"] = lambda: torch._scaled_mm(
            gf, wtf.t(), scale_a=sa, scale_b=sbb, out_dtype=torch.float16)
        for name, fn in ops.items():
            try:
                mean, median, _ = timer(args)(fn, args.repeat)
                line[name] = mean
                line[name + "_median"] = median
            except Exception as e:  # keep going: one unsupported op is not the run
                line[name + "_error"] = error_text(e)
        out.write(json.dumps(line) + "\n")
        out.flush()
        del x, g, w, x8, g8, w8, wt8, xf, gf, wf, wtf  # freed before the next config is allocated


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Which cuBLASLt configuration torch.matmul and our runner use on given fp16 products.

For the products where torch.matmul beat our runner in bench/fp16_interleaved.py, this
runs each once through torch and once through ours with cuBLASLt's own logging on
(CUBLASLT_LOG_LEVEL, set before the library loads), so the log shows what each chose.
Both sides load the same libcublasLt (the first one in the process: torch's). Read the log
by hand; nothing is parsed.

    python3 bench/fp16_choices.py --lib BUNDLE/lib/libswitchback_fp16.so --log out/cublaslt.log \\
        [--from FP16_VS_TORCH.jsonl --below 0.97]
"""
import argparse
import ctypes
import json
import os
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--from", dest="source",
                   default="bench/results/h100_2026-11-25_s4_fp16_vs_torch_interleaved_top6.jsonl")
    p.add_argument("--below", type=float, default=0.97)
    args = p.parse_args()
    os.environ["CUBLASLT_LOG_LEVEL"] = "5"
    os.environ["CUBLASLT_LOG_FILE"] = args.log
    import torch  # after the environment: cuBLASLt reads it when it loads

    from fp16_interleaved import load

    gemm = load(args.lib)
    stream = torch.cuda.current_stream().cuda_stream
    variant, error = ctypes.create_string_buffer(128), ctypes.create_string_buffer(512)
    slow = []
    for line in open(args.source):
        r = json.loads(line)
        for name in ("fwd", "gw", "gx"):
            if r[f"ratio_{name}"] < args.below:
                slow.append((r["batch_size"], r["dim_in"], r["dim_out"], name, r[f"ratio_{name}"]))
    for batch, din, dout, name, ratio in slow:
        x = torch.randn(batch, din, device="cuda", dtype=torch.float16)
        g = torch.randn(batch, dout, device="cuda", dtype=torch.float16)
        w = torch.randn(dout, din, device="cuda", dtype=torch.float16)
        theirs, (ta, tb, m, n, k, a, b) = {
            "fwd": (lambda: torch.matmul(x, w.t()), (0, 1, batch, dout, din, x, w)),
            "gw": (lambda: torch.matmul(g.t(), x), (1, 0, dout, din, batch, g, x)),
            "gx": (lambda: torch.matmul(g, w), (0, 0, batch, din, dout, g, w)),
        }[name]
        c = torch.empty(m, n, device="cuda", dtype=torch.float16)
        print(f"=== {batch} x {din} x {dout} {name} (torch/ours {ratio:.3f}): torch, then ours", file=sys.stderr)
        theirs()
        torch.cuda.synchronize()
        if gemm(ta, tb, m, n, k, a.data_ptr(), b.data_ptr(), c.data_ptr(), stream, variant, 128, error, 512):
            print(error.value.decode(), file=sys.stderr)
        torch.cuda.synchronize()
        print(f"    ours: {variant.value.decode()}", file=sys.stderr)
        del x, g, w, c


if __name__ == "__main__":
    main()

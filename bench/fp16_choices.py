#!/usr/bin/env python3
"""Which cuBLASLt configuration torch.matmul and our runner use on the fp16 products.

Runs each product once through torch.matmul and once through our runner with cuBLASLt's
own logging on (CUBLASLT_LOG_LEVEL, set before the library loads), so the log shows what
each ran. Both sides load the same libcublasLt (the first one in the process: torch's).
By default the products of the sweep (bench/baselines.py's arguments); with --from, only
those below --below in an earlier bench/fp16_interleaved.py output. --compare reads such a
log (here, without a GPU) and pairs each torch.matmul call (cuBLAS's cublasLtHSHMatmul)
with the runner calls that follow it: same algorithm, tile, stages, options and cluster, or
not. With the runner's default options there is one runner call per product; with
candidates > 1 the last is the one it kept.

    python3 bench/fp16_choices.py --lib BUNDLE/lib/libswitchback_fp16.so --log out/cublaslt.log \\
        [--from FP16_VS_TORCH.jsonl --below 0.97] [--dims 1024 ...]
    python3 bench/fp16_choices.py --compare out/cublaslt.log
"""
import argparse
import ctypes
import gzip
import json
import os
import re
import sys


def compare(log_path):
    """Prints one line per torch.matmul call and a count; returns the number that differ."""
    opener = gzip.open if log_path.endswith(".gz") else open
    pairs = []  # [shape, torch's config, [ours...]]
    with opener(log_path, "rt") as log:
        for line in log:
            if "[Trace][cublasLtHSHMatmul]" not in line and "[Trace][cublasLtMatmul]" not in line:
                continue
            desc = {k: re.search(k + r"=\[([^\]]*)\]", line).group(1) for k in ("Adesc", "Bdesc")}
            trans = " ".join(re.findall(r"trans[ab]=OP_T", line))
            shape = f"A [{desc['Adesc']}] B [{desc['Bdesc']}] {trans}".rstrip()
            algo = re.search(r"algo=\[([^\]]*)\]", line).group(1)
            if "HSH" in line:
                pairs.append([shape, algo, []])
            elif pairs:
                pairs[-1][2].append((shape, algo))
    differ = 0
    for shape, theirs, calls in pairs:
        ours = [algo for _, algo in calls]
        # The same problem (layouts, transposes) and the same configuration.
        same = bool(calls) and calls[-1] == (shape, theirs)
        differ += not same
        print(f"{'same' if same else 'DIFFERENT'}  {shape}  torch: {theirs}" +
              ("" if same else f"  ours: {ours[-1] if ours else 'none'}"))
    print(f"{len(pairs) - differ} of {len(pairs)} products: our runner ran torch.matmul's configuration")
    return differ


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compare", help="a log written by this script: pair and compare, then exit")
    p.add_argument("--lib")
    p.add_argument("--log")
    p.add_argument("--from", dest="source", help="an fp16_interleaved.py output: only its slow products")
    p.add_argument("--below", type=float, default=0.97)
    p.add_argument("--dims", default="1024,1280,1408,1664,2048,4096")
    p.add_argument("--batch-sizes", default="8192,16384,32768,65536,131072")
    p.add_argument("--wm", type=int, default=4)
    args = p.parse_args()
    if args.compare:
        return 1 if compare(args.compare) else 0
    if not args.lib or not args.log:
        p.error("--lib and --log are needed to run the products")
    os.environ["CUBLASLT_LOG_LEVEL"] = "5"
    os.environ["CUBLASLT_LOG_FILE"] = args.log
    import torch  # after the environment: cuBLASLt reads it when it loads

    from fp16_interleaved import load

    gemm = load(args.lib)
    stream = torch.cuda.current_stream().cuda_stream
    variant, error = ctypes.create_string_buffer(128), ctypes.create_string_buffer(512)
    products = []  # (batch, dim_in, dim_out, name)
    if args.source:
        for line in open(args.source):
            r = json.loads(line)
            products += [(r["batch_size"], r["dim_in"], r["dim_out"], n) for n in ("fwd", "gw", "gx")
                         if r[f"ratio_{n}"] < args.below]
    else:
        for dim in map(int, args.dims.split(",")):
            for batch in map(int, args.batch_sizes.split(",")):
                for din, dout in ((dim, args.wm * dim), (args.wm * dim, dim)):
                    products += [(batch, din, dout, n) for n in ("fwd", "gw", "gx")]
    for batch, din, dout, name in products:
        x = torch.randn(batch, din, device="cuda", dtype=torch.float16)
        g = torch.randn(batch, dout, device="cuda", dtype=torch.float16)
        w = torch.randn(dout, din, device="cuda", dtype=torch.float16)
        theirs, (ta, tb, m, n, k, a, b) = {
            "fwd": (lambda: torch.matmul(x, w.t()), (0, 1, batch, dout, din, x, w)),
            "gw": (lambda: torch.matmul(g.t(), x), (1, 0, dout, din, batch, g, x)),
            "gx": (lambda: torch.matmul(g, w), (0, 0, batch, din, dout, g, w)),
        }[name]
        c = torch.empty(m, n, device="cuda", dtype=torch.float16)
        print(f"=== {batch} x {din} x {dout} {name}: torch, then ours", file=sys.stderr)
        theirs()
        torch.cuda.synchronize()
        if gemm(ta, tb, m, n, k, a.data_ptr(), b.data_ptr(), c.data_ptr(), stream, variant, 128, error, 512):
            print(error.value.decode(), file=sys.stderr)
        torch.cuda.synchronize()
        print(f"    ours: {variant.value.decode()}", file=sys.stderr)
        del x, g, w, c
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())

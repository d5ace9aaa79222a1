#!/usr/bin/env python3
"""Times bitsandbytes' SwitchBack Triton kernels on the sweep's shapes, on the card at hand,
so that ours and theirs are compared on one card in one session (the anchors in
bench/anchors were measured on an H100 by bitsandbytes' own script).

The kernels come from bench/fetch_bnb.sh (pinned wheel, nothing vendored). What differs from
bitsandbytes' speed_benchmark.py, on purpose (SPEC.md):
- timing as ours (bench/baselines.py): CUDA events, back to back under 1 ms, not a host
  clock around Python launches; with --mode graph, replays of a captured CUDA graph, which
  leave out the Python launch path (its quantizers' floor in the original mode is the
  launch, ~27 us a call on an H200, not the kernel);
- the products consume the tensors bitsandbytes' own quantizers produce, wired as its
  SwitchBack layers wire them (x and g row-wise; w row-wise for the forward product and
  column-wise transposed for the backward one; global w for the mixed products), not
  `randn().to(int8)` with swapped states.
The standard products are torch.matmul, as in its script. Each product is checked on its
first 64 rows against a float reference of the same int8 inputs and states (`check` key).
One line per configuration, in SPEC.md's JSONL format (bench/report.py --anchors reads it).

    bench/fetch_bnb.sh && python3 bench/bnb_baselines.py --bnb .anchor/bnb --out bnb.jsonl
"""
import argparse
import json
import sys

import torch

from baselines import add_sweep_args, add_timing_args, error_text, output, power_w, sm_clock_mhz, sweep, timer

def load_bnb(path):
    sys.path.insert(0, path)
    import bitsandbytes.triton.int8_matmul_mixed_dequantize as mixed
    import bitsandbytes.triton.int8_matmul_rowwise_dequantize as rowwise
    import bitsandbytes.triton.quantize_columnwise_and_transpose as colwise
    import bitsandbytes.triton.quantize_global as qglobal
    import bitsandbytes.triton.quantize_rowwise as qrow
    return {
        "rowwise_matmul": rowwise.int8_matmul_rowwise_dequantize,
        "mixed_matmul": mixed.int8_matmul_mixed_dequantize,
        "quantize_rowwise": qrow.quantize_rowwise,
        "quantize_colwise_t": colwise.quantize_columnwise_and_transpose,
        "quantize_global": qglobal.quantize_global,
        "quantize_global_t": qglobal.quantize_global_transpose,
    }


def quantize_operands(k, x, g, w):
    """The int8 operands and their states, as bitsandbytes' SwitchBack layers make them:
    (x8, sx, g8, sg, w8, sw_row, wt8, sw_col, w8g, sw_g, wt8g)."""
    x8, sx = k["quantize_rowwise"](x)
    g8, sg = k["quantize_rowwise"](g)
    w8, sw_row = k["quantize_rowwise"](w)
    wt8, sw_col = k["quantize_colwise_t"](w)
    w8g, sw_g = k["quantize_global"](w)
    wt8g, _ = k["quantize_global_t"](w)
    return x8, sx, g8, sg, w8, sw_row, wt8, sw_col, w8g, sw_g, wt8g


def autotune_pick(product):
    """The configuration Triton's autotuner chose for bitsandbytes' kernel of an int8 product
    ("rowwise_fwd", ...) at the shape it last ran in this process (str), or None: the picks
    can differ between processes, and with them the kernel's time."""
    module = "int8_matmul_rowwise_dequantize" if product.startswith("rowwise") else "int8_matmul_mixed_dequantize"
    try:
        return str(getattr(sys.modules["bitsandbytes.triton." + module], "_" + module).best_config)
    except Exception:  # noqa: BLE001 -- optional: a Triton without the attribute
        return None


def product_error(out, a8, b8t, sa, sb, rows=64):
    """max |out - ref| / rms(ref) over the first rows, ref = a8 b8t * sa[m] sb[n] / 127^2 in
    float32 (fp32 accumulation; the fp16 output's rounding is ~5e-4 of a value)."""
    a = a8[:rows].float()
    ref = (a @ b8t.float()) * sa[:rows].float()[:, None] * sb.float().reshape(1, -1) / (127.0 * 127.0)
    err = (out[:rows].float() - ref).abs().max()
    rms = ref.pow(2).mean().sqrt().clamp_min(1e-30)
    return float(err / rms)


def main():
    p = argparse.ArgumentParser()
    add_sweep_args(p)
    add_timing_args(p)
    p.add_argument("--bnb", default=".anchor/bnb", help="directory printed by bench/fetch_bnb.sh")
    args = p.parse_args()
    k = load_bnb(args.bnb)
    import triton
    out = output(args)
    for line, x, g, w in sweep(args):
        line.update(wm=args.wm, mode=args.mode, triton=triton.__version__,
                    source="bitsandbytes 0.49.2 Triton kernels (bench/bnb_baselines.py)")
        # Quantized operands, as its SwitchBack layers make them (also compiles and autotunes
        # the quantizers before anything is timed).
        try:
            x8, sx, g8, sg, w8, sw_row, wt8, sw_col, w8g, sw_g, wt8g = quantize_operands(k, x, g, w)
        except Exception as e:
            line["error"] = "quantizing the operands: " + error_text(e)
            out.write(json.dumps(line) + "\n")
            out.flush()
            del x, g, w
            continue
        ops = {
            "standard_fwd": lambda: torch.matmul(x, w.t()),
            "standard_gw": lambda: torch.matmul(g.t(), x),
            "standard_gx": lambda: torch.matmul(g, w),
            "rowwise_fwd": lambda: k["rowwise_matmul"](x8, w8.t(), sx, sw_row, None),
            "rowwise_bwd": lambda: k["rowwise_matmul"](g8, wt8.t(), sg, sw_col, None),
            "global_fwd": lambda: k["mixed_matmul"](x8, w8g.t(), sx, sw_g, None),
            "global_bwd": lambda: k["mixed_matmul"](g8, wt8g.t(), sg, sw_g, None),
            "x_quantize_rowwise": lambda: k["quantize_rowwise"](x),
            "g_quantize_rowwise": lambda: k["quantize_rowwise"](g),
            "w_quantize_rowwise": lambda: k["quantize_rowwise"](w),
            "w_quantize_colwise_transpose": lambda: k["quantize_colwise_t"](w),
            "w_quantize_global": lambda: k["quantize_global"](w),
            "w_quantize_global_transpose": lambda: k["quantize_global_t"](w),
        }
        operands = {
            "rowwise_fwd": (x8, w8.t(), sx, sw_row),
            "rowwise_bwd": (g8, wt8.t(), sg, sw_col),
            "global_fwd": (x8, w8g.t(), sx, sw_g),
            "global_bwd": (g8, wt8g.t(), sg, sw_g),
        }
        check = {}
        for name, fn in ops.items():
            try:
                if name in operands:
                    check[name] = product_error(fn(), *operands[name])
                mean, median, _ = timer(args)(fn, args.repeat)
                line[name] = mean
                line[name + "_median"] = median
                if name in operands:
                    line[f"bnb_{name}_config"] = autotune_pick(name)
                    # Back to back, the card settles at the clock this kernel's power allows:
                    # compare with the sweep's and bench/int8_interleaved.py's (docs/BENCHMARKS.md).
                    line[f"sm_clock_mhz_after_{name}"] = sm_clock_mhz()
                    line[f"power_w_after_{name}"] = power_w()
            except Exception as e:  # keep going: one failing kernel is not the run
                line[name + "_error"] = error_text(e)
        line["check"] = check
        if all(o in line for o in ops):
            line["time_standard"] = line["standard_fwd"] + line["standard_gx"] + line["standard_gw"]
            common = line["x_quantize_rowwise"] + line["g_quantize_rowwise"] + line["standard_gw"]
            line["time_rowwise"] = (common + line["w_quantize_colwise_transpose"] + line["w_quantize_rowwise"]
                                    + line["rowwise_fwd"] + line["rowwise_bwd"])
            line["time_global"] = (common + line["w_quantize_global"] + line["w_quantize_global_transpose"]
                                   + line["global_fwd"] + line["global_bwd"])
        out.write(json.dumps(line) + "\n")
        out.flush()
        del x, g, w, x8, g8, w8, wt8, w8g, wt8g, ops, operands  # freed before the next config


if __name__ == "__main__":
    main()

"""What the Python baselines share: the daemon's sweep (SPEC.md) and its timing
(engine/measure*.cc), original or graph mode (--mode).

original: repeat // 2 untimed calls, then `repeat` calls with a CUDA event after each
(per-call samples: mean, median); for ops under 1 ms per call a second loop of `repeat`
calls with events at its ends only gives the flat mean, since an event between two kernels
costs the GPU about 2 us (engine/measure.h, kBackToBackBelowMs). Ours and PyTorch's are
timed alike.

graph: repeat // 2 untimed eager calls (they also compile and autotune Triton kernels),
then repeat // 8 calls captured in one CUDA graph, one untimed replay, and about 8 timed
replays, each a sample of its time / calls (engine/measure_graph.cc). Host launch paths
(Python, Triton's launcher) drop out: what remains is the GPU's time for the kernels.
"""
import sys

import torch

import lines

BACK_TO_BACK_BELOW_MS = 1.0


def add_sweep_args(parser):
    parser.add_argument("--dims", default="1024,1280,1408,1664,2048,4096")
    parser.add_argument("--batch-sizes", default="8192,16384,32768,65536,131072")
    parser.add_argument("--wm", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=64)
    parser.add_argument("--out", default="-")
    parser.add_argument("--skip", nargs="+", default=[], metavar="JSONL",
                        help="leave out the configurations that have a line in these files "
                             "(an earlier call's output), to finish a sweep in parts")


def add_timing_args(parser):
    parser.add_argument("--mode", choices=["original", "graph"], default="original",
                        help="original: SPEC's loop; graph: calls replayed from a CUDA graph")


def timer(args):
    """The timing function of --mode: fn, repeat -> (flat mean, per-call median, per-call mean)."""
    return time_graph if args.mode == "graph" else time_op


def error_text(e):
    """One line for a result's *_error key: an op that fails is recorded, not fatal."""
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


def sm_clock_mhz():
    """The SM clock now (NVML through torch), or None without it: read right after a timed
    loop, the clock the card held under its power cap for that op."""
    try:
        return torch.cuda.clock_rate()
    except Exception:  # noqa: BLE001 -- optional telemetry
        return None


def power_w():
    """The board's power draw now in W (NVML through torch), or None without it: beside
    sm_clock_mhz, whether the card was at its power cap when it held that clock."""
    try:
        return torch.cuda.power_draw() / 1000.0  # NVML reports milliwatts
    except Exception:  # noqa: BLE001 -- optional telemetry
        return None


def output(args):
    return sys.stdout if args.out == "-" else open(args.out, "w")


def sweep(args):
    """Per configuration, in the daemon's order: (line, x, g, w), where line holds the keys
    that name it and x, g, w are fp16 N(0, 1) on the GPU; freed after each. Configurations
    with a line in --skip's files are left out."""
    skip = set(lines.load(*args.skip))
    torch.manual_seed(0)
    for dim in map(int, args.dims.split(",")):
        for batch in map(int, args.batch_sizes.split(",")):
            for switch in (False, True):
                din, dout = (dim, args.wm * dim) if not switch else (args.wm * dim, dim)
                if (batch, din, dout) in skip:
                    continue
                x = torch.randn(batch, din, device="cuda", dtype=torch.float16)
                g = torch.randn(batch, dout, device="cuda", dtype=torch.float16)
                w = torch.randn(dout, din, device="cuda", dtype=torch.float16)
                line = {"batch_size": batch, "dim_in": din, "dim_out": dout, "switch": switch,
                        "repeat": args.repeat, "device": torch.cuda.get_device_name(),
                        "torch": torch.__version__}
                yield line, x, g, w
                del x, g, w
                torch.cuda.empty_cache()


def median_of(samples):
    """The median of a sorted list."""
    n = len(samples)
    return samples[n // 2] if n % 2 else 0.5 * (samples[n // 2 - 1] + samples[n // 2])


def time_op(fn, repeat):
    """Returns (flat mean, per-call median, per-call mean) in ms."""
    for _ in range(repeat // 2):
        fn()
    events = [torch.cuda.Event(enable_timing=True) for _ in range(repeat + 1)]
    events[0].record()
    for i in range(repeat):
        fn()
        events[i + 1].record()
    torch.cuda.synchronize()
    samples = sorted(events[i].elapsed_time(events[i + 1]) for i in range(repeat))
    per_call_mean = sum(samples) / repeat
    median = median_of(samples)
    flat = per_call_mean
    if per_call_mean < BACK_TO_BACK_BELOW_MS:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeat):
            fn()
        end.record()
        torch.cuda.synchronize()
        flat = start.elapsed_time(end) / repeat
    return flat, median, per_call_mean


GRAPH_REPLAYS = 8


def time_graph(fn, repeat):
    """Returns (mean, median, mean) in ms per call over the replays of one captured graph."""
    for _ in range(repeat // 2):
        fn()
    calls = max(repeat // GRAPH_REPLAYS, 1)
    replays = -(-repeat // calls)
    graph = torch.cuda.CUDAGraph()
    side = torch.cuda.Stream()  # capture on a side stream, as torch.cuda.graphs asks
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        with torch.cuda.graph(graph, stream=side):
            for _ in range(calls):
                fn()
    torch.cuda.current_stream().wait_stream(side)
    graph.replay()  # untimed: the first replay uploads the graph
    events = [torch.cuda.Event(enable_timing=True) for _ in range(replays + 1)]
    events[0].record()
    for i in range(replays):
        graph.replay()
        events[i + 1].record()
    torch.cuda.synchronize()
    samples = sorted(events[i].elapsed_time(events[i + 1]) / calls for i in range(replays))
    mean = sum(samples) / replays
    median = median_of(samples)
    return mean, median, mean

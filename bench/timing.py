"""The daemon's original-mode timing (engine/measure*.cc), for the Python baselines.

repeat // 2 untimed calls, then `repeat` calls with a CUDA event after each (per-call
samples: mean, median); for ops under 1 ms per call a second loop of `repeat` calls with
events at its ends only gives the flat mean, since an event between two kernels costs the
GPU about 2 us (engine/measure.h, kBackToBackBelowMs). Ours and PyTorch's are timed alike.
"""
import torch

BACK_TO_BACK_BELOW_MS = 1.0


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
    median = samples[repeat // 2] if repeat % 2 else 0.5 * (samples[repeat // 2 - 1] + samples[repeat // 2])
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

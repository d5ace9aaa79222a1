#!/usr/bin/env python3
"""bench/baselines.py's two timings against a stand-in torch whose GPU is a clock: each
eager call costs the kernel plus a launch gap, a call replayed from a graph the kernel
alone, and events read the clock. Checks what each timing counts and how often it calls."""
import argparse
import contextlib
import json
import os
import sys
import tempfile
import types
import unittest

KERNEL_MS, GAP_MS = 0.2, 0.1


class FakeGpu:
    def __init__(self):
        self.clock = 0.0
        self.capturing = None  # the graph being captured, if any
        self.eager_calls = 0
        self.captured_calls = 0


gpu = FakeGpu()


class Event:
    def __init__(self, enable_timing=False):
        self.at = None

    def record(self):
        self.at = gpu.clock

    def elapsed_time(self, end):
        return end.at - self.at


class CUDAGraph:
    def __init__(self):
        self.calls = 0

    def replay(self):
        gpu.clock += self.calls * KERNEL_MS


class Stream:
    def wait_stream(self, other):
        pass


@contextlib.contextmanager
def capture(graph, stream=None):
    gpu.capturing = graph
    try:
        yield
    finally:
        gpu.capturing = None


def install_fake_torch():
    cuda = types.SimpleNamespace(
        Event=Event, CUDAGraph=CUDAGraph, Stream=Stream, graph=capture,
        stream=lambda s: contextlib.nullcontext(), current_stream=lambda: Stream(),
        synchronize=lambda: None, get_device_name=lambda: "Fake GPU", empty_cache=lambda: None)
    sys.modules["torch"] = types.SimpleNamespace(
        cuda=cuda, float16="float16", __version__="0", manual_seed=lambda seed: None,
        randn=lambda *shape, device, dtype: shape)


install_fake_torch()
import baselines  # noqa: E402  (after the stand-in torch)


def op():
    if gpu.capturing is not None:
        gpu.capturing.calls += 1
        gpu.captured_calls += 1
    else:
        gpu.clock += KERNEL_MS + GAP_MS
        gpu.eager_calls += 1


class TimingTest(unittest.TestCase):
    def setUp(self):
        global gpu
        gpu = FakeGpu()

    def test_original_counts_the_launch_gaps(self):
        flat, median, mean = baselines.time_op(op, 64)
        self.assertAlmostEqual(flat, KERNEL_MS + GAP_MS)
        self.assertAlmostEqual(median, KERNEL_MS + GAP_MS)
        self.assertAlmostEqual(mean, KERNEL_MS + GAP_MS)
        # 32 warm-up, 64 per-call, 64 back to back (under 1 ms a call)
        self.assertEqual(gpu.eager_calls, 32 + 64 + 64)

    def test_graph_counts_the_kernels_alone(self):
        flat, median, mean = baselines.time_graph(op, 64)
        self.assertAlmostEqual(flat, KERNEL_MS)
        self.assertAlmostEqual(median, KERNEL_MS)
        self.assertAlmostEqual(mean, KERNEL_MS)
        self.assertEqual(gpu.eager_calls, 32)  # warm-up (compiles, autotunes) before capture
        self.assertEqual(gpu.captured_calls, 8)  # repeat // 8 calls in the graph
        # untimed first replay plus 8 timed ones: 9 x 8 calls of kernel time
        self.assertAlmostEqual(gpu.clock, 32 * (KERNEL_MS + GAP_MS) + 9 * 8 * KERNEL_MS)

    def test_graph_with_few_calls_still_times_repeat_calls(self):
        baselines.time_graph(op, 4)  # one call per graph, four replays
        self.assertEqual(gpu.captured_calls, 1)
        self.assertAlmostEqual(gpu.clock, 2 * (KERNEL_MS + GAP_MS) + 5 * KERNEL_MS)

    def test_error_text_is_one_line_or_the_type(self):
        self.assertEqual(baselines.error_text(RuntimeError("CUDA out of memory.\nTried to allocate")),
                         "CUDA out of memory.")
        self.assertEqual(baselines.error_text(AssertionError()), "AssertionError")

    def test_sweep_leaves_out_what_earlier_files_hold(self):
        p = argparse.ArgumentParser()
        baselines.add_sweep_args(p)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(json.dumps({"batch_size": 4, "dim_in": 32, "dim_out": 8}) + "\n\n")
        try:
            args = p.parse_args(["--dims", "8,16", "--batch-sizes", "4", "--skip", f.name])
            got = [(line["batch_size"], line["dim_in"], line["dim_out"], line["switch"], x, w)
                   for line, x, g, w in baselines.sweep(args)]
        finally:
            os.unlink(f.name)
        self.assertEqual(got, [(4, 8, 32, False, (4, 8), (32, 8)),
                               (4, 16, 64, False, (4, 16), (64, 16)),
                               (4, 64, 16, True, (4, 64), (16, 64))])

    def test_sm_clock_is_nvml_or_none(self):
        cuda = sys.modules["torch"].cuda
        cuda.clock_rate = lambda: 1605
        self.assertEqual(baselines.sm_clock_mhz(), 1605)

        def no_nvml():
            raise ModuleNotFoundError("pynvml")
        cuda.clock_rate = no_nvml
        self.assertIsNone(baselines.sm_clock_mhz())
        del cuda.clock_rate
        self.assertIsNone(baselines.sm_clock_mhz())

    def test_power_is_nvml_watts_or_none(self):
        cuda = sys.modules["torch"].cuda
        cuda.power_draw = lambda: 693055  # milliwatts
        self.assertAlmostEqual(baselines.power_w(), 693.055)
        del cuda.power_draw
        self.assertIsNone(baselines.power_w())

    def test_mode_picks_the_timing(self):
        p = argparse.ArgumentParser()
        baselines.add_timing_args(p)
        self.assertIs(baselines.timer(p.parse_args([])), baselines.time_op)
        self.assertIs(baselines.timer(p.parse_args(["--mode", "graph"])), baselines.time_graph)


if __name__ == "__main__":
    unittest.main()

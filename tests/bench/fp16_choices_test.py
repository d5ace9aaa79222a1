#!/usr/bin/env python3
"""bench/fp16_choices.py --compare on a small cuBLASLt log written here."""
import contextlib
import io
import os
import tempfile
import unittest

import fp16_choices

A = "Adesc=[type=R_16F rows=4096 cols=1024 ld=4096] Bdesc=[type=R_16F rows=4096 cols=16384 ld=4096]"
T = "computeDesc=[computeType=COMPUTE_32F scaleType=R_32F transa=OP_T]"
CFG1 = "algo=[algoId=66 tile=MATMUL_TILE_128x256 stages=MATMUL_STAGES_64xAUTO customOption=4 clusterShape=CLUSTER_SHAPE_2x1x1]"
CFG2 = "algo=[algoId=66 tile=MATMUL_TILE_256x128 stages=MATMUL_STAGES_64xAUTO customOption=7 clusterShape=CLUSTER_SHAPE_1x2x1]"


def torch_line(cfg, a=A):
    return f"[2026-11-25][cublasLt][1][Trace][cublasLtHSHMatmul] A=0X1 {a} {T} {cfg} workSpaceSizeInBytes=0\n"


def ours_line(cfg, a=A):
    return f"[2026-11-25][cublasLt][1][Trace][cublasLtMatmul] A=0X2 {a} {T} {cfg} workSpaceSizeInBytes=0\n"


class CompareTest(unittest.TestCase):
    def run_compare(self, lines):
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write("[2026-11-25][cublasLt][1][Api][cublasLtCtxInit] ctx=0X1\n")
            f.writelines(lines)
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                differ = fp16_choices.compare(f.name)
        finally:
            os.unlink(f.name)
        return differ, out.getvalue()

    def test_same_and_different_configurations(self):
        differ, text = self.run_compare([torch_line(CFG1), ours_line(CFG1),
                                         torch_line(CFG1), ours_line(CFG2)])
        self.assertEqual(differ, 1)
        self.assertIn("1 of 2 products", text)
        self.assertIn("DIFFERENT", text)

    def test_last_runner_call_is_the_one_kept(self):
        differ, _ = self.run_compare([torch_line(CFG1), ours_line(CFG2), ours_line(CFG1)])
        self.assertEqual(differ, 0)

    def test_same_configuration_on_another_layout_differs(self):
        other = A.replace("cols=16384", "cols=8192")
        differ, _ = self.run_compare([torch_line(CFG1), ours_line(CFG1, other)])
        self.assertEqual(differ, 1)

    def test_torch_call_without_ours_differs(self):
        differ, text = self.run_compare([torch_line(CFG1)])
        self.assertEqual(differ, 1)
        self.assertIn("ours: none", text)


if __name__ == "__main__":
    unittest.main()

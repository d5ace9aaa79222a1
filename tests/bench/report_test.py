#!/usr/bin/env python3
"""bench/report.py on small JSONL files written here: which card and which anchors the
summary names, fractions of the measured copy ceiling, anchors from several files."""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

import report

OPS = report.OPS
W_BYTES = 4096 * 1024 * 3 + 2  # w_quantize_global on w [4096, 1024]: read fp16, write int8, one scale


def config(batch, **values):
    line = {"batch_size": batch, "dim_in": 1024, "dim_out": 4096, "switch": False, "dim": 1024}
    line.update({o: 1.0 for o in OPS})
    line.update(values)
    return line


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, lines):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.writelines(json.dumps(x) + "\n" for x in lines)
        return path

    def run_report(self, *args):
        out = io.StringIO()
        argv = sys.argv
        sys.argv = ["report.py", *args]
        try:
            with contextlib.redirect_stdout(out):
                report.main()
        finally:
            sys.argv = argv
        return out.getvalue()

    def ours(self):
        ceiling = {"ceilings": {"copy_gbps": 4000.0}, "device": "Test GPU", "driver_version": "1.0"}
        # 2.5 TB/s: over the absolute 2.0 bar, under two thirds of a 4 TB/s copy ceiling.
        quick = W_BYTES / 2.5e12 * 1e3
        return self.write("ours.jsonl", [config(8192, w_quantize_global=quick, **ceiling),
                                         config(16384, **ceiling)])

    def test_names_the_card_and_the_same_run_anchors(self):
        anchors = self.write("bnb.jsonl", [config(8192, device="Test GPU", rowwise_fwd=1.3)])
        text = self.run_report(self.ours(), "--anchors", anchors)
        self.assertIn("ours on Test GPU (driver 1.0); copy ceiling measured by the server: 4.00 TB/s", text)
        self.assertIn("bitsandbytes: Test GPU; 1 of 2 configurations", text)
        # The other config's 1 ms is 0.01 TB/s.
        self.assertIn("- w_quantize_global: 0.01-2.50 (median 1.26) TB/s = 0.00-0.62 (median 0.31) of copy; "
                      ">= 2.0 TB/s: 1 of 2, >= 2.0/3.0 of copy: 0 of 2", text)
        # Four products of the anchored config: one 1.3x, three 1.0x; the other config has none.
        self.assertIn("int8 products x bnb Triton: 1.00-1.30 (median 1.00); >= 1.25x: 1 of 4", text)
        self.assertIn("| 16384 | 1024 | 4096 | 137 | 137 | 137 | 137 | - | - | - | - |  |", text)

    def test_later_anchor_files_replace_earlier_lines(self):
        first = self.write("a.jsonl", [config(8192, device="Test GPU", rowwise_fwd=1.3)])
        second = self.write("b.jsonl", [config(8192, device="Test GPU", rowwise_fwd=2.0),
                                        config(16384, device="Test GPU")])
        text = self.run_report(self.ours(), "--anchors", first, second)
        self.assertIn("bitsandbytes: Test GPU; 2 of 2 configurations", text)
        self.assertIn("int8 products x bnb Triton: 1.00-2.00 (median 1.00); >= 1.25x: 1 of 8", text)

    def test_later_ours_files_replace_earlier_configurations(self):
        ceiling = {"ceilings": {"copy_gbps": 4000.0}, "device": "Test GPU", "driver_version": "1.0"}
        quick = W_BYTES / 2.5e12 * 1e3
        full = self.ours()  # 8192 at 2.5 TB/s, 16384 at 0.01
        partial = self.write("partial.jsonl", [config(16384, w_quantize_global=quick, **ceiling)])
        text = self.run_report(full, partial, "--anchors", full)
        self.assertIn("- ours from 1 configurations of file 1, then 1 configurations of file 2", text)
        self.assertIn("- w_quantize_global: 2.50-2.50 (median 2.50) TB/s", text)
        self.assertIn(">= 2.0 TB/s: 2 of 2", text)
        # One file: no provenance line.
        self.assertNotIn("- ours from", self.run_report(full, "--anchors", full))

    def test_interleaved_int8_line_beside_the_anchors_one(self):
        pairs = self.write("int8.jsonl", [{"batch_size": 8192, "dim_in": 1024, "dim_out": 4096, "ratio_rowwise_fwd": 1.5,
                                           "ratio_rowwise_bwd": 1.2, "ratio_global_fwd": 1.25, "ratio_global_bwd": 2.0}])
        text = self.run_report(self.ours(), "--anchors", self.ours(), "--int8", pairs)
        self.assertIn("int8 products x bnb Triton: 1.00-1.00 (median 1.00); >= 1.25x: 0 of 8", text)
        self.assertIn("- int8 products x bnb Triton, interleaved in one process (--int8, 1 configurations): "
                      "1.20-2.00 (median 1.38); >= 1.25x: 3 of 4", text)
        self.assertNotIn("interleaved in one process (--int8", self.run_report(self.ours(), "--anchors", self.ours()))

    def test_clock_line_when_both_sides_logged_their_clock(self):
        # Ours at 1500 MHz, 1.0 ms; bnb 1.2 ms at 1800 MHz: 1.2x in time, 1.44x in cycles.
        # 68.7 TOP/s at 250 W (0.27 TOP/J) against 57.3 at 400 W (0.14).
        stats = {"stats": {o: {"sm_clock_mhz_after": 1500, "power_w_after": 250.0} for o in OPS[3:7]}}
        ours = self.write("ours_clock.jsonl", [config(8192, **stats)])
        clocked = {"sm_clock_mhz_after_" + o: 1800 for o in OPS[3:6]}  # global_bwd's clock not logged
        clocked.update({"power_w_after_" + o: 400.0 for o in OPS[3:5]})  # the rowwise products' power
        anchors = self.write("bnb_clock.jsonl", [config(8192, **{o: 1.2 for o in OPS[3:7]}, **clocked)])
        text = self.run_report(ours, "--anchors", anchors)
        self.assertIn("int8 products x bnb Triton: 1.20-1.20 (median 1.20); >= 1.25x: 0 of 4", text)
        self.assertIn("- SM clock after the same products, 3 with both logged: bnb 1800-1800 (median 1800) MHz, "
                      "ours 1500-1500 (median 1500) MHz; x bnb in cycles (time x that clock): 1.44-1.44 "
                      "(median 1.44); >= 1.25x: 3 of 3", text)
        self.assertIn("- TOP per joule (TOP/s over the board power read after the same products, 2 with both "
                      "logged): bnb 0.14-0.14 (median 0.14), ours 0.27-0.27 (median 0.27)", text)
        plain = self.run_report(self.ours(), "--anchors", self.ours())
        self.assertNotIn("SM clock after the same products", plain)
        self.assertNotIn("TOP per joule", plain)

    def test_default_anchors_are_bitsandbytes_own_h100_run(self):
        text = self.run_report(self.ours(), "--anchors",
                               os.path.join(os.path.dirname(report.__file__), "anchors",
                                            "bnb_triton_h100_measured.jsonl"))
        self.assertIn("bitsandbytes: H100 (bitsandbytes' own script, host-clock timing); 2 of 2", text)


if __name__ == "__main__":
    unittest.main()

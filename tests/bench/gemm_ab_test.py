#!/usr/bin/env python3
"""bench/gemm_ab.py on a small int8_gemm_bench transcript written here: ratios per K range
against the base variant, per-pass medians, and clear errors for bad input."""
import io
import unittest

import gemm_ab

# Two passes of two variants on three shapes (K = 1024, 2048, 4096); "new" is 10% faster at
# K = 1024 in both passes, equal at K = 2048, and 5% slower at K = 4096 in pass 2 only.
TRANSCRIPT = """== pass 1 base 1764000000.1
    8192   4096   1024              1000
    8192   8192   2048              1200
    8192   1024   4096              1400
status: no error
== pass 1 new
    8192   4096   1024              1100
    8192   8192   2048              1200
    8192   1024   4096              1400
== pass 2 base
    8192   4096   1024              1000
    8192   8192   2048              1200
    8192   1024   4096              1400
== pass 2 new
    8192   4096   1024              1100
    8192   8192   2048              1200
    8192   1024   4096              1330
"""


def summarize(text, base):
    runs, order = gemm_ab.parse(io.StringIO(text))
    out = io.StringIO()
    gemm_ab.summarize(runs, order, base, out)
    return out.getvalue()


class GemmAbTest(unittest.TestCase):
    def test_parse_keeps_variants_in_order_and_passes_per_shape(self):
        runs, order = gemm_ab.parse(io.StringIO(TRANSCRIPT))
        self.assertEqual(order, ["base", "new"])
        self.assertEqual(runs["new"][(8192, 1024, 4096)], [1400.0, 1330.0])

    def test_ratios_per_k_range_against_the_base(self):
        text = summarize(TRANSCRIPT, "base")
        self.assertIn("K <= 1408 (1 shapes), TOP/s over base:", text)
        self.assertIn("new                              median 1.100", text)
        self.assertIn("K 1664-2048 (1 shapes)", text)
        k4096 = text.split("K >= 4096 (1 shapes)")[1]
        self.assertIn("median 0.975", k4096.splitlines()[1])  # mean of 1.0 and 0.95
        self.assertNotIn("base                             median", text)  # not against itself
        self.assertIn("per pass: 1.000 1.000", text)  # medians over the three shapes

    def test_mean_over_passes_per_shape(self):
        row = [l for l in summarize(TRANSCRIPT, "base").splitlines() if l.split()[:3] == ["8192", "1024", "4096"]]
        self.assertEqual(row[0].split()[3:], ["1400", "1365"])

    def test_other_base(self):
        self.assertIn("median 0.909", summarize(TRANSCRIPT, "new"))  # 1000 / 1100

    def test_errors_name_the_problem(self):
        with self.assertRaisesRegex(ValueError, "base variant nope not in the input"):
            summarize(TRANSCRIPT, "nope")
        with self.assertRaisesRegex(ValueError, "bad header line"):
            gemm_ab.parse(io.StringIO("== base\n"))
        only_base = "== pass 1 base\n 8192 4096 1024 1000\n== pass 1 new\n 8192 8192 2048 1200\n"
        with self.assertRaisesRegex(ValueError, "no shape was timed for every variant"):
            summarize(only_base, "base")


if __name__ == "__main__":
    unittest.main()

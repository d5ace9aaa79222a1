#!/usr/bin/env python3
"""bench/quantize_ab.py on a small quantize_bench transcript written here: per-shape medians
over the passes, ratios against the base arm, sections that are not passes ignored."""
import unittest

import quantize_ab

HEADER = "  rows   cols |               rowwise             colwise_T                global              global_T\n"


def row(rows, cols, us):
    return "%6d %6d |" % (rows, cols) + "".join(" %7.2f (%4.2f) h%5.2f" % (u, 1.0, 4.0) for u in us) + "\n"


# Three passes of two arms on two shapes; "--new" is 10% faster on global_T everywhere and
# equal otherwise, except one outlying pass of colwise_T that the median must not see.
TRANSCRIPT = ""
for p in (1, 2, 3):
    TRANSCRIPT += "== pass %d -\nus per call (TB/s) h<host us per launch>\n" % p + HEADER
    TRANSCRIPT += row(4096, 1024, [5.0, 6.5, 6.0, 6.4]) + row(1024, 4096, [5.5, 5.8, 6.0, 6.5])
    TRANSCRIPT += "status: no error\n== pass %d --new\n" % p + HEADER
    TRANSCRIPT += row(4096, 1024, [5.0, 9.9 if p == 2 else 6.5, 6.0, 5.76])
    TRANSCRIPT += row(1024, 4096, [5.5, 5.8, 6.0, 5.85])
TRANSCRIPT += "== timeline\n  4096   1024 |    1.00 (1.00) h 1.00    1.00 (1.00) h 1.00    1.00 (1.00) h 1.00    1.00 (1.00) h 1.00\n"


class QuantizeAbTest(unittest.TestCase):
    def test_medians_and_ratios(self):
        runs, order = quantize_ab.parse(TRANSCRIPT.splitlines(True))
        self.assertEqual(order, ["-", "--new"])
        self.assertEqual(len(runs["--new"][(4096, 1024)]), 3)  # the timeline row is not a pass
        text = quantize_ab.summarize(runs, order)
        self.assertRegex(text, r"4096\s+1024 colwise_T\s+6\.50\s+6\.50")  # the outlier is not the median
        self.assertRegex(text, r"4096\s+1024 global_T\s+6\.40\s+5\.76")
        self.assertIn("--new: rowwise 1.000 [1.000, 1.000]; colwise_T 1.000 [1.000, 1.000]; "
                      "global 1.000 [1.000, 1.000]; global_T 0.900 [0.900, 0.900]", text)

    def test_this_sessions_headers(self):
        runs, order = quantize_ab.parse(["== library pass 1\n", HEADER, row(8, 8, [1, 2, 3, 4]),
                                         "== --flag pass 1\n", HEADER, row(8, 8, [1, 2, 3, 2])])
        self.assertEqual(order, ["library", "--flag"])
        self.assertIn("global_T 0.500", quantize_ab.summarize(runs, order))

    def test_no_passes_is_an_error(self):
        with self.assertRaises(SystemExit):
            quantize_ab.main(["quantize_ab.py", "/dev/null"])


if __name__ == "__main__":
    unittest.main()

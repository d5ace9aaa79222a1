#!/usr/bin/env python3
"""bench/ceiling_report.py on tensor_core_ceiling output written here (its printf format):
the rows parsed, each rule's reading on both sides of its threshold, failed checks flagged,
and a clear error when the ceiling line is missing."""
import io
import unittest

import ceiling_report

HEADER = """device: NVIDIA H200, 132 SMs; idle: 1980 MHz, 120 W, 35 C
check ss normal: ok (0 of 32768 differ)
check rs normal: ok (0 of 32768 differ)
check ss uniform: ok (0 of 32768 differ)

run                                                            TOP/s   (p10-p90)    MHz      W     C  TOP/J x peak     n reps  clock event reasons
"""


def line(name, tops, mhz, watts, reasons="sw_power_cap"):
    # The printf of tensor_core_ceiling.cu's Sustain, field for field.
    return "%-60s %7.0f (%4.0f-%4.0f) %6.0f %6.0f %5.0f %6.2f %6.3f %5d x%-4d %s\n" % (
        name, tops, tops - 10, tops + 10, mhz, watts, 70, tops / watts, tops / (132 * 8192 * mhz * 1e-6), 300, 1,
        reasons)


def transcript(ceiling_tops):
    return (HEADER
            + line("ours 131072x16384x4096 cutlass_sm90_coop_128x256/s8 (before)", 1400, 1560, 700)
            + line("ceiling ss normal", ceiling_tops, 1700, 700)
            + line("ceiling rs normal", ceiling_tops * 1.05, 1750, 700)
            + line("ceiling ss zeros", 1900, 1980, 400, "-")
            + line("ours 131072x4096x1024 cutlass_sm90_pingpong_128x128r/s2 (after)", 1000, 1400, 690))


def run(text, ours=None, bnb=None):
    rows, failed = ceiling_report.parse(io.StringIO(text))
    out = io.StringIO()
    ceiling_report.report(rows, failed, ours, bnb, out)
    return out.getvalue()


class CeilingReportTest(unittest.TestCase):
    def test_rows_parse_with_names_of_any_width(self):
        rows, failed = ceiling_report.parse(io.StringIO(transcript(1600)))
        self.assertEqual(failed, [])
        self.assertEqual(len(rows), 5)
        ours = rows["ours 131072x4096x1024 cutlass_sm90_pingpong_128x128r/s2 (after)"]
        self.assertEqual(ours["tops"], 1000)
        self.assertEqual(ours["mhz"], 1400)
        self.assertAlmostEqual(ours["top_per_joule"], 1.45, places=2)
        self.assertEqual(rows["ceiling ss zeros"]["reasons"], "-")

    def test_rule_1_bound_by_the_card_below_1500(self):
        self.assertIn("rule 1: 1450 < 1500 TOP/s: the 1500 TOP/s bar is bound by the card", run(transcript(1450)))
        self.assertIn("rule 1: 1600 >= 1500 TOP/s: the card allows the bar", run(transcript(1600)))

    def test_rule_2_names_the_lever_by_the_energy_ratio(self):
        text = run(transcript(1600))  # ceiling 1600/700 TOP/J
        # coop: 1400/700 over 1600/700 = 0.875; pingpong: (1000/690) / (1600/700) = 0.634.
        self.assertIn("cutlass_sm90_coop_128x256/s8 (before): 1400 TOP/s, 2.00 TOP/J = 0.875 of the ceiling's: "
                      "operand traffic is the lever", text)
        self.assertIn("= 0.634 of the ceiling's: operand traffic is the lever", text)
        self.assertIn("= 0.959 of the ceiling's: nothing left on our side", run(transcript(1460)))
        self.assertIn("= 0.933 of the ceiling's: little left on our side", run(transcript(1500)))

    def test_other_ceiling_arms_relative_to_ss_normal(self):
        text = run(transcript(1600))
        self.assertIn("ceiling rs normal: 1680 TOP/s at 1750 MHz, 700 W (1.050 of ss normal)", text)

    def test_rule_3_separates_products_out_of_reach_from_ours(self):
        # 8192 x 1024 x 4096 x 2 = 68.7 G operations: bnb at 0.05 ms runs 1374 TOP/s (x 1.25 =
        # 1718, above a 1600 ceiling); at 0.2 ms 344 (x 1.25 = 429, below it).
        ours = {(8192, 1024, 4096): {"rowwise_fwd": 0.045, "rowwise_bwd": 0.17, "global_fwd": 0.05,
                                     "global_bwd": 0.05}}
        bnb = {(8192, 1024, 4096): {"rowwise_fwd": 0.05, "rowwise_bwd": 0.2, "global_fwd": 0.1,
                                    "global_bwd": 0.1}}
        text = run(transcript(1600), ours, bnb)
        self.assertIn("8192 x 1024 x 4096 rowwise_fwd: x bnb 1.111", text)
        self.assertIn("1.25x needs 1718 against the ceiling's 1600: out of reach for any kernel on this card", text)
        self.assertIn("rowwise_bwd: x bnb 1.176", text)
        self.assertIn("1.25x needs 429 against the ceiling's 1600: within the ceiling: the gap is ours", text)
        self.assertNotIn("global_fwd:", text)  # 2.0x
        self.assertNotIn("global_bwd:", text)
        self.assertIn("rule 3: 2 product(s) below 1.25x", text)

    def test_failed_checks_are_flagged(self):
        text = transcript(1600).replace("check ss uniform: ok (0 of", "check ss uniform: MISMATCH (12 of")
        rows, failed = ceiling_report.parse(io.StringIO(text))
        self.assertEqual(failed, ["ss uniform"])
        self.assertIn("WARNING: the check failed for ss uniform", run(text))

    def test_missing_ceiling_line_is_an_error(self):
        text = HEADER + line("ours 1x2x3 v", 10, 1500, 300)
        rows, failed = ceiling_report.parse(io.StringIO(text))
        with self.assertRaisesRegex(ValueError, "no 'ceiling ss normal' line"):
            ceiling_report.report(rows, failed, out=io.StringIO())


if __name__ == "__main__":
    unittest.main()

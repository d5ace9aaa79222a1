#!/usr/bin/env python3
"""bench/int8_interleaved.py's parts that run without a GPU: the --configs parser and the
summary's counts against the 1.25x bar (a stand-in torch: the script imports it at load)."""
import sys
import types
import unittest

sys.modules.setdefault("torch", types.ModuleType("torch"))
import int8_interleaved as il  # noqa: E402


class ParseConfigs(unittest.TestCase):
    def test_list(self):
        self.assertEqual(il.parse_configs("65536x4096x1024, 8192X1024x4096"),
                         {(65536, 4096, 1024), (8192, 1024, 4096)})

    def test_every_configuration(self):
        self.assertIsNone(il.parse_configs(None))
        self.assertIsNone(il.parse_configs(""))

    def test_bad_item_names_it(self):
        with self.assertRaises(SystemExit) as e:
            il.parse_configs("65536x4096x1024,4096x1024")
        self.assertIn("4096x1024", str(e.exception))


class Summarize(unittest.TestCase):
    def test_counts_at_the_bar(self):
        lines = il.summarize({"rowwise_fwd": [1.30, 1.25, 1.10], "global_bwd": [1.5], "rowwise_bwd": []})
        self.assertEqual(lines[0], "int8 rowwise_fwd: bnb/ours 1.100-1.300 (median 1.250); >= 1.25x: 2 of 3")
        self.assertEqual(lines[1], "int8 global_bwd: bnb/ours 1.500-1.500 (median 1.500); >= 1.25x: 1 of 1")
        self.assertEqual(len(lines), 3)  # no line for a product not timed
        self.assertEqual(lines[2], "int8 all: bnb/ours 1.100-1.500 (median 1.275); >= 1.25x: 3 of 4")


if __name__ == "__main__":
    unittest.main()

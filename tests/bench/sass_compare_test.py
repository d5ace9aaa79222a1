#!/usr/bin/env python3
"""bench/sass_compare.py on two small cuobjdump-style listings written here: a kernel whose
code is the same, one whose operand changed, one present on one side only."""
import os
import tempfile
import unittest

import sass_compare

HEADER = "\tcode for sm_90a\n"


def listing(kernels):
    """cuobjdump -sass layout: a Function line, then /*addr*/ instruction ; /* encoding */."""
    text = HEADER
    for name, instructions in kernels:
        text += f"\t\tFunction : {name}\n\t.headerflags\t@\"EF_CUDA_SM90\"\n"
        for i, ins in enumerate(instructions):
            text += f"        /*{16 * i:04x}*/                   {ins} ;   /* 0x000000ff{i:08x} */\n"
            text += "                                                                   /* 0x000fe20000000f00 */\n"
    return text


class SassCompareTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, kernels):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(listing(kernels))
        return path

    def test_reads_each_kernels_instructions_with_operands(self):
        path = self.write("a.sass", [("k1", ["MOV R1, c[0x0][0x28]", "EXIT"]), ("k2", ["@P0 BRA 0x20", "EXIT"])])
        self.assertEqual(sass_compare.kernels(path),
                         {"k1": ["MOV R1, c[0x0][0x28]", "EXIT"], "k2": ["@P0 BRA 0x20", "EXIT"]})

    def test_same_code_exits_zero(self):
        a = self.write("a.sass", [("k1", ["MOV R1, c[0x0][0x28]", "EXIT"])])
        b = self.write("b.sass", [("k1", ["MOV R1, c[0x0][0x28]", "EXIT"])])
        self.assertEqual(sass_compare.main(["sass_compare.py", a, b]), 0)

    def test_a_changed_operand_or_a_missing_kernel_exits_one(self):
        a = self.write("a.sass", [("k1", ["STS [R41+0x100], R22", "EXIT"]), ("k2", ["EXIT"])])
        b = self.write("b.sass", [("k1", ["STS [R41+0x200], R22", "EXIT"]), ("k2", ["EXIT"])])
        c = self.write("c.sass", [("k1", ["STS [R41+0x100], R22", "EXIT"])])
        self.assertEqual(sass_compare.main(["sass_compare.py", a, b]), 1)
        self.assertEqual(sass_compare.main(["sass_compare.py", a, c]), 1)
        self.assertEqual(sass_compare.main(["sass_compare.py", a, a]), 0)


if __name__ == "__main__":
    unittest.main()

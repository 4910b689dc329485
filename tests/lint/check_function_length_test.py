#!/usr/bin/env python3
"""Self-test of scripts/check-function-length.py on the fixtures in tests/lint/function_length/.

Each fixture says in a comment above every function how long it is; this test holds the same
figures and checks that the checker reports exactly those, no more (brace initialisers, enum
bodies, macro definitions, lambdas inside functions are no functions of their own).
Usage: check_function_length_test.py [CHECKER]   (CTest test `function_length_checker`)
"""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "function_length")
CHECKER = os.path.join(HERE, "..", "..", "scripts", "check-function-length.py")

# Every function of the fixtures: (file, first line, name, lines), in the checker's order.
ALL_FUNCTIONS = [
    ("constructor.cpp", 8, "Widget::Widget", 61),
    ("constructor.cpp", 71, "Widget::Widget", 1),
    ("inline_methods.cpp", 6, "Counter::Counter", 1),
    ("inline_methods.cpp", 7, "Counter::count", 1),
    ("inline_methods.cpp", 10, "Counter::count_everything", 62),
    ("inline_methods.cpp", 76, "Counter::Step::next", 1),
    ("lambda.cpp", 8, "with_lambda", 75),
    ("lambda.cpp", 85, "after_lambda", 3),
    ("limits.cpp", 5, "sixty_lines", 60),
    ("limits.cpp", 67, "sixty_one_lines", 61),
    ("not_functions.cpp", 151, "with_default", 3),
    ("not_functions.cpp", 159, "c_entry", 3),
    ("templated.cpp", 5, "sum_of_sixty", 61),
    ("templated.cpp", 68, "sum_of_sixty<int>", 4),
]


def expected(limit):
    return [
        f"./{file}:{line}: {name} is {length} lines (limit {limit})"
        for file, line, name, length in ALL_FUNCTIONS
        if length > limit
    ]


def check(*args):
    """(exit status, output lines) of the checker run in the fixture folder."""
    done = subprocess.run(
        [sys.executable, CHECKER, *args], cwd=FIXTURES, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout.splitlines()


class FunctionLengthCheckerTest(unittest.TestCase):
    def test_reports_exactly_the_functions_over_sixty_lines(self):
        status, lines = check(".")
        self.assertEqual(lines, expected(60))
        self.assertEqual(
            [line.split(": ")[1] for line in lines],
            ["Widget::Widget is 61 lines (limit 60)", "Counter::count_everything is 62 lines (limit 60)",
             "with_lambda is 75 lines (limit 60)", "sixty_one_lines is 61 lines (limit 60)",
             "sum_of_sixty is 61 lines (limit 60)"],
        )
        self.assertEqual(status, 1)

    def test_limit_zero_lists_every_function_and_nothing_else(self):
        status, lines = check("--limit", "0", ".")
        self.assertEqual(lines, expected(0))
        self.assertEqual(status, 1)

    def test_a_file_within_the_limit_passes_silently(self):
        self.assertEqual(check("--limit", "61", "limits.cpp"), (0, []))
        self.assertEqual(check("--limit", "75", "."), (0, []))

    def test_the_limit_is_inclusive(self):
        status, lines = check("limits.cpp")
        self.assertEqual(lines, ["limits.cpp:67: sixty_one_lines is 61 lines (limit 60)"])
        self.assertEqual(status, 1)

    def test_a_missing_path_is_an_error(self):
        status, _ = check("no-such-folder")
        self.assertEqual(status, 2)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        CHECKER = sys.argv.pop(1)
    unittest.main(verbosity=2)

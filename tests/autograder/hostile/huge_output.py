"""Prints 50 MB, then answers correctly: the output must not drown the grader."""
import math  # noqa: F401


def add(a, b):
    for _ in range(50):
        print("y" * (1 << 20))
    return a + b

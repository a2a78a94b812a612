"""Allocates (and touches) memory until something gives."""
import math  # noqa: F401


def add(a, b):
    blocks = []
    while True:
        blocks.append(b"x" * (64 << 20))

"""Never returns: only this test may be lost."""
import math  # noqa: F401


def add(a, b):
    while True:
        pass

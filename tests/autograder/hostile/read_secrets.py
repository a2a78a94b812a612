"""Reads the solution or a classmate's notebook; earns the point only if it can."""
import math  # noqa: F401
import pathlib

SECRETS = ["__REPO__/tests/autograder/toy/toy.ipynb", "__REPO__/solutions",
           "__OTHER__/notebook.ipynb"]


def add(a, b):
    for secret in SECRETS:
        try:
            path = pathlib.Path(secret)
            if path.read_bytes() if path.is_file() else list(path.iterdir()):
                return a + b
        except OSError:
            pass
    return None

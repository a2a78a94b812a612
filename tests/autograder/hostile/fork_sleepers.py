"""Leaves sleeping children behind, hoping they outlive the grader."""
import math  # noqa: F401
import subprocess
import sys

MARKER = "__MARKER__"


def add(a, b):
    for _ in range(3):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", MARKER])
    return None

"""Detaches a daemon into its own session while the cells load."""
import math  # noqa: F401
import os
import sys

MARKER = "__MARKER__"

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", MARKER])
    os._exit(0)


def add(a, b):
    return None

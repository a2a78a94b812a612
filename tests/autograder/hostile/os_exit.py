"""Kills its own process from inside a graded function."""
import math  # noqa: F401
import os


def add(a, b):
    os._exit(3)

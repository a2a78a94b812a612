"""Tries to overwrite the grades, a classmate's notebook and the course's files."""
import math  # noqa: F401
import os
import pathlib

TARGETS = ["__OUT__", "__OTHER__", "__REPO__/solutions", "__REPO__/tests", "__REPO__/autograder"]

for target in TARGETS:
    folder = pathlib.Path(target)
    for path in [folder / "pwned.txt", *(folder.glob("*") if folder.is_dir() else [])]:
        try:
            if path.is_dir():
                continue
            path.write_text("pwned")
        except OSError:
            pass
    try:
        os.chmod(folder, 0o777)
    except OSError:
        pass


def add(a, b):
    return None

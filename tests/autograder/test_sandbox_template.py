"""The template process (`autograder.zygote`) hands every child a fresh sandbox: nothing one
student's code does reaches the next student graded by the same worker, and no child can reach
the template or any other process.

Student A (the leaker) changes everything a fork could carry over: NumPy's module state and
functions, files in every writable place, a background process in its own session. Student B,
graded next by the same trusted worker (hence forked from the same template), earns the `add`
point only if it finds none of it, sees no process but its own, cannot signal or trace any
other, holds no capability and maps no memory shared with another process. B also checks that
it was forked from the template, so a silent fallback to fresh processes fails this test.
"""

import json
import uuid
from pathlib import Path

import pytest

from autograder import grading, rpc, sandbox

TOY_TESTS = Path(__file__).with_name("toy") / "test_toy.py"

LEAKER = '''
import ctypes
import math  # noqa: F401
import os
import platform
import sys

import numpy

MARKER = "__MARKER__"
FOLDERS = ("/tmp", "/sandbox", "/dev", "/dev/shm", "/", os.getcwd(), os.path.expanduser("~"))
numpy.leaked_by_a = MARKER
numpy.mean = lambda *args, **kwargs: MARKER
sys.modules["leaked_by_a"] = numpy
for folder in FOLDERS:
    try:
        with open(os.path.join(folder, "leaked_by_a"), "w") as file:
            file.write(MARKER)
    except OSError:
        pass
if platform.machine() == "x86_64":  # A key in the session keyring (add_key).
    ctypes.CDLL(None).syscall(248, b"user", b"leaked_by_a", MARKER.encode(), len(MARKER), -3)
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", MARKER])


def add(a, b):
    return a + b
'''

PROBER = '''
import ctypes
import math  # noqa: F401
import os
import platform
import sys

import numpy

MARKER = "__MARKER__"
FOLDERS = ("/tmp", "/sandbox", "/dev", "/dev/shm", "/", os.getcwd(), os.path.expanduser("~"))
PRIVATE = ("/tmp", "/sandbox", "/dev/shm", "/proc")


def traces():
    found = []
    if hasattr(numpy, "leaked_by_a") or "leaked_by_a" in sys.modules:
        found.append("module state")
    if numpy.mean([1.0, 3.0]) != 2.0:
        found.append("patched numpy.mean")
    for folder in FOLDERS:
        if os.path.exists(os.path.join(folder, "leaked_by_a")):
            found.append(f"a file in {folder}")
    for line in open("/proc/self/mountinfo"):
        mount_point = line.split()[4]
        if mount_point in PRIVATE or mount_point.startswith("/proc/"):
            continue
        try:
            os.close(os.open(os.path.join(mount_point, "probe"), os.O_CREAT | os.O_EXCL, 0o600))
            found.append(f"{mount_point} is writable")
        except OSError:
            pass
    keyring = ctypes.create_string_buffer(64)
    if platform.machine() == "x86_64" and ctypes.CDLL(None).syscall(250, 11, -3, keyring, 64):
        found.append("keys in the session keyring")  # keyctl(KEYCTL_READ) of the session's.
    pids = sorted(int(entry) for entry in os.listdir("/proc") if entry.isdigit())
    if pids != [1, os.getpid()]:
        found.append(f"processes {pids}")
    if b"autograder.zygote" not in open("/proc/1/cmdline", "rb").read():
        found.append("not forked from the template")
    for pid in range(1, 32768):
        if pid not in (1, os.getpid()):
            try:
                os.kill(pid, 0)
                found.append(f"can signal pid {pid}")
            except ProcessLookupError:
                pass
            except PermissionError:
                found.append(f"pid {pid} exists")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, 1, None, None) == 0:  # PTRACE_ATTACH to its init.
        found.append("can trace its init")
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    if any(int(status[name], 16) for name in ("CapEff", "CapPrm", "CapBnd")):
        found.append("holds capabilities")
    shared = [line for line in open("/proc/self/maps") if line.split()[1] in ("rw-s", "rwxs")]
    if shared:
        found.append(f"shared writable memory {shared[:2]}")
    return found


def add(a, b):
    return traces() or a + b
'''

pytestmark = pytest.mark.skipif(not sandbox.bwrap_works(),
                                reason="bubblewrap is not available (apt-get install bubblewrap)")


def test_nothing_leaks_from_one_student_to_the_next(tmp_path, toy_variant, processes_with):
    marker = f"template-{uuid.uuid4().hex}"
    leaker = toy_variant(tmp_path / "leaker.ipynb",
                         cells={1: LEAKER.replace("__MARKER__", marker)})
    prober = toy_variant(tmp_path / "prober.ipynb",
                         cells={1: PROBER.replace("__MARKER__", marker)})
    tests = grading.collect_tests([TOY_TESTS])

    def grade(name, path):
        return grading.grade_notebook(name, path, [TOY_TESTS], tests, timeout_s=120,
                                      memory_mb=512, time_limit_s=30)

    first = grade("leaker", leaker)  # Same thread, same options: the same worker and template.
    second = grade("prober", prober)
    assert first.status == "ok", (first.status, first.message, first.log[-2000:])
    assert second.status == "ok", (second.status, second.tests[0].output, second.log[-2000:])
    assert processes_with(marker) == []


def test_children_start_afresh_where_the_template_cannot_start(monkeypatch):
    monkeypatch.setattr(sandbox, "_zygotes", {})
    monkeypatch.setattr(sandbox, "_ZYGOTE_OPTIONS", ["--no-such-option"])
    source = "def add(a, b):\n    return a + b\n"
    cell = {"cell_type": "code", "metadata": {"tags": ["graded"]}, "source": source,
            "outputs": [], "execution_count": None}
    data = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    remote = rpc.Submission(data.encode(), "cells.ipynb", sandbox.Sandbox(memory_mb=1024))
    try:
        with pytest.warns(sandbox.SandboxWarning, match="no template process"):
            assert remote.add(2, 3) == 5
        init = remote.lib("pathlib.Path")("/proc/1/cmdline").read_bytes()
        assert b"autograder.zygote" not in init
    finally:
        remote.close()

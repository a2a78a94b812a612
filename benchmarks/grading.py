"""Seconds per submission when grading a class with `python -m autograder grade -j N`.

The class is built from the assignment's solution and its released student copy (full marks and
zero, alternating), so every submission runs the whole test files (public and hidden). The time
includes the trusted test collection that each batch pays once, and every submission runs in its
own bubblewrap sandbox. Besides the wall clock, the CPU time of every grading process (trusted
workers, sandboxes) is reported: on a shared machine the wall clock mostly measures how long the
processes waited for a core, and CPU / N is what -j N takes on N free cores.

    python benchmarks/grading.py [--assignment a1_rnn_numpy] [--students 20] [-j 2]
"""

import argparse
import contextlib
import io
import resource
import shutil
import tempfile
import time
from pathlib import Path

from autograder import cli, grading, release
from autograder.assignments import find_assignment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="a1_rnn_numpy")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()

    assignment = find_assignment(args.assignment)
    with tempfile.TemporaryDirectory() as workdir:
        workdir = Path(workdir)
        submissions = workdir / "submissions"
        submissions.mkdir()
        stub = workdir / "stub.ipynb"
        release.release_notebook(assignment.solution, stub)
        for index in range(args.students):
            source = assignment.solution if index % 2 == 0 else stub
            shutil.copy(source, submissions / f"student{index:02d}.ipynb")

        printed = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            cli.main(["grade", args.assignment, str(submissions), "--out", str(workdir / "out"),
                      "-j", str(args.jobs)])
            grading.close_workers()  # So that their CPU time is counted below.
        elapsed = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime
        if "ok" not in printed.getvalue():
            raise SystemExit(f"the solutions did not earn full marks:\n{printed.getvalue()}")

    target = 0.5 if assignment.name.startswith("a1") else 2.0
    print(f"{args.assignment}: {args.students} submissions with -j {args.jobs}: "
          f"wall {elapsed:.1f} s = {elapsed / args.students:.2f} s per submission; "
          f"CPU {cpu:.1f} s = {cpu / args.students:.2f} s per submission, "
          f"{cpu / args.students / args.jobs:.2f} s per submission on {args.jobs} free cores "
          f"(target <= {target} s)")


if __name__ == "__main__":
    main()

"""Seconds per submission when grading a class with `python -m autograder grade -j N`.

The class is built from the assignment's solution and its released student copy (full marks and
zero, alternating), so every submission runs the whole test files (public and hidden). The time
includes the trusted test collection and the workers' start (their imports, their template
processes) that each batch pays once, and every submission runs in its own sandbox (forked from
its worker's template process). Besides the wall clock, the CPU time of every grading process
(trusted workers, templates, sandboxes) is reported: on a shared machine the wall clock mostly
measures how long the processes waited for a core, and CPU / N is what -j N takes on N free
cores.

    python benchmarks/grading.py [--assignment a1_rnn_numpy] [--students 20] [-j 2]
"""

import argparse
import contextlib
import io
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from autograder import cli, grading, release, sandbox
from autograder.assignments import find_assignment


@contextlib.contextmanager
def cpu_meter():
    """Yields a function giving the CPU seconds used so far by this process and ALL its
    descendants, sandboxed ones included (they are killed, never waited for, so `getrusage`
    misses them): a cgroup v1 `cpuacct` or v2 group holding this process. Falls back to
    `getrusage` (sandboxes not counted) where no cgroup is writable."""
    for root, usage_file, version in ((Path("/sys/fs/cgroup/cpuacct"), "cpuacct.usage", 1),
                                      (Path("/sys/fs/cgroup"), "cpu.stat", 2)):
        group = root / f"benchmark-{os.getpid()}"
        try:
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            with contextlib.suppress(OSError):
                group.rmdir()
            continue

        def used(group=group, usage_file=usage_file) -> float:
            text = (group / usage_file).read_text()
            if usage_file == "cpu.stat":
                return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6
            return int(text) / 1e9

        try:
            yield used
        finally:
            (root / "cgroup.procs").write_text(str(os.getpid()))
            # Killed sandboxes leave the group only once the kernel reaped them; `remove` waits.
            sandbox.Cgroup({"cpu": group}, version).remove(patience_s=10.0)
        return

    def rusage() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    yield rusage


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
        with cpu_meter() as cpu_used, contextlib.redirect_stdout(printed):
            start, cpu_start = time.perf_counter(), cpu_used()
            cli.main(["grade", args.assignment, str(submissions), "--out", str(workdir / "out"),
                      "-j", str(args.jobs)])
            grading.close_workers()  # So that their CPU time is counted below.
            elapsed, cpu = time.perf_counter() - start, cpu_used() - cpu_start
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

"""Execute lessons in full mode and tabulate their findings (`make findings`).

Each lesson runs top to bottom with nbclient, ``SEQ_FAST=0``, ``SEQ_LESSON`` set to its stem
and ``SEQ_FINDINGS_FILE`` pointing at a JSON-lines file that ``seqlib.findings.check_finding``
appends to. The table (lesson, finding, value, threshold, verdict, wall and CPU seconds) is
printed and written to benchmarks/findings.md. CPU seconds (user + system time of the kernel
process) show the work a lesson does even on a loaded machine, where wall time is inflated.
Run a subset with ``python benchmarks/findings.py 03 04``: rows of the lessons not run are kept
from the existing table.

Exits with status 1 when a lesson fails or a finding does not hold.
"""

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
TABLE = ROOT / "benchmarks" / "findings.md"
HEADER = ("| lesson | finding | value | threshold | verdict | lesson seconds | "
          "lesson CPU seconds |")
COLUMNS = HEADER.count("|") - 1
CELL_TIMEOUT_S = 1800


def run_lesson(path, findings_file, executed_dir=None):
    """Executes one lesson in full mode; returns (wall seconds, CPU seconds, error or None).

    The CPU time is that of the kernel, a child process that has exited and been reaped once
    ``execute`` returns.
    """
    os.environ.update(SEQ_FAST="0", SEQ_LESSON=path.stem, SEQ_FINDINGS_FILE=str(findings_file))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start, cpu_start = time.perf_counter(), _children_cpu_seconds()
    try:
        client.execute()
        error = None
    except CellExecutionError as failure:
        error = str(failure).strip().splitlines()[-1]
    if executed_dir is not None:
        nbformat.write(notebook, Path(executed_dir) / path.name)
    return time.perf_counter() - start, _children_cpu_seconds() - cpu_start, error


def _children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def table_rows(lesson, seconds, cpu_seconds, findings, error):
    relation = {"lower": "<", "higher": ">"}
    rows = []
    for finding in findings:
        verdict = {True: "pass", False: "FAIL", None: "skipped"}[finding["passed"]]
        rows.append(f"| {lesson} | {finding['finding']} | {finding['value']:.4g} | "
                    f"{relation[finding['better']]} {finding['threshold']:.4g} | {verdict} | "
                    f"{seconds:.0f} | {cpu_seconds:.0f} |")
    if error is not None:
        rows.append(f"| {lesson} | lesson did not finish: {error.replace('|', '/')} | | | "
                    f"FAIL | {seconds:.0f} | {cpu_seconds:.0f} |")
    return rows


def previous_rows(skip):
    # Rows of the existing table whose lesson is not being re-run.
    if not TABLE.exists():
        return []
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| lesson |")]
    kept = [row for row in rows if row.split("|")[1].strip() not in skip | {"---"}]
    # Rows written before the CPU column existed get an empty one.
    return [row + " |" * (COLUMNS - (row.count("|") - 1)) for row in kept]


def lesson_seconds(rows, column):
    """{lesson: seconds} from a seconds column (6: wall, 7: CPU); blank cells are left out."""
    seconds = {}
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")]
        if cells[column]:
            seconds[cells[1]] = float(cells[column])
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers or stems (default: all)")
    parser.add_argument("--executed", metavar="DIR", help="also save the executed notebooks here")
    args = parser.parse_args()
    paths = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        paths = [path for path in paths if any(path.stem.startswith(a) for a in args.lessons)]
        if not paths:
            sys.exit(f"no lesson matches {args.lessons} in {LESSONS}")

    new_rows, failed = [], False
    with tempfile.TemporaryDirectory() as scratch:
        for path in paths:
            findings_file = Path(scratch) / f"{path.stem}.jsonl"
            findings_file.touch()
            print(f"running {path.name} in full mode ...", flush=True)
            seconds, cpu_seconds, error = run_lesson(path, findings_file, args.executed)
            lines = findings_file.read_text(encoding="utf-8").splitlines()
            findings = [json.loads(line) for line in lines]
            if error is None and not findings:
                error = "no check_finding call recorded"
            failed |= error is not None or any(f["passed"] is False for f in findings)
            new_rows += table_rows(path.stem, seconds, cpu_seconds, findings, error)
            print(f"  {seconds:.0f} s ({cpu_seconds:.0f} s CPU), {len(findings)} findings, "
                  f"{'ok' if error is None else error}", flush=True)

    rows = sorted(previous_rows({path.stem for path in paths}) + new_rows,
                  key=lambda row: row.split("|")[1])
    wall, cpu = lesson_seconds(rows, 6), lesson_seconds(rows, 7)
    total = sum(wall.values())
    cpu_note = (f"; CPU {sum(cpu.values()) / 60:.1f} min" if len(cpu) == len(wall)
                else f"; CPU time of {len(cpu)} of {len(wall)} lessons")
    text = "\n".join([
        "# Lesson findings in full mode",
        "",
        "Written by `make findings` (benchmarks/findings.py): every lesson executed top to bottom "
        "with `SEQ_FAST=0`; each row is one `check_finding` call. Lesson seconds are the wall "
        "time of the whole lesson, CPU seconds the user + system time of its kernel (on a loaded "
        "machine wall time grows, CPU time much less), measured on a shared machine "
        f"({platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[1]:.1f} "
        f"at the last write); total {total / 60:.1f} min{cpu_note}.",
        "",
        HEADER,
        "| --- " * COLUMNS + "|",
        *rows,
        "",
    ])
    TABLE.write_text(text, encoding="utf-8")
    print(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""Execute lessons in full mode and tabulate their findings (`make findings`).

Each lesson runs top to bottom with nbclient, ``SEQ_FAST=0``, ``SEQ_LESSON`` set to its stem
and ``SEQ_FINDINGS_FILE`` pointing at a JSON-lines file that ``seqlib.findings.check_finding``
appends to. The table (lesson, finding, value, threshold, verdict, seconds) is printed and
written to benchmarks/findings.md. Run a subset with ``python benchmarks/findings.py 03 04``:
rows of the lessons not run are kept from the existing table.

Exits with status 1 when a lesson fails or a finding does not hold.
"""

import argparse
import json
import os
import platform
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
HEADER = "| lesson | finding | value | threshold | verdict | lesson seconds |"
CELL_TIMEOUT_S = 1800


def run_lesson(path, findings_file, executed_dir=None):
    """Executes one lesson in full mode; returns (seconds, error message or None)."""
    os.environ.update(SEQ_FAST="0", SEQ_LESSON=path.stem, SEQ_FINDINGS_FILE=str(findings_file))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        error = None
    except CellExecutionError as failure:
        error = str(failure).strip().splitlines()[-1]
    if executed_dir is not None:
        nbformat.write(notebook, Path(executed_dir) / path.name)
    return time.perf_counter() - start, error


def table_rows(lesson, seconds, findings, error):
    relation = {"lower": "<", "higher": ">"}
    rows = []
    for finding in findings:
        verdict = {True: "pass", False: "FAIL", None: "skipped"}[finding["passed"]]
        rows.append(f"| {lesson} | {finding['finding']} | {finding['value']:.4g} | "
                    f"{relation[finding['better']]} {finding['threshold']:.4g} | {verdict} | "
                    f"{seconds:.0f} |")
    if error is not None:
        rows.append(f"| {lesson} | lesson did not finish: {error.replace('|', '/')} | | | "
                    f"FAIL | {seconds:.0f} |")
    return rows


def previous_rows(skip):
    # Rows of the existing table whose lesson is not being re-run.
    if not TABLE.exists():
        return []
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith("| ") and line != HEADER]
    return [row for row in rows
            if row.split("|")[1].strip() not in skip | {"---"}]


def lesson_seconds(rows):
    seconds = {}
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")]
        seconds[cells[1]] = float(cells[-2])
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
            seconds, error = run_lesson(path, findings_file, args.executed)
            lines = findings_file.read_text(encoding="utf-8").splitlines()
            findings = [json.loads(line) for line in lines]
            if error is None and not findings:
                error = "no check_finding call recorded"
            failed |= error is not None or any(f["passed"] is False for f in findings)
            new_rows += table_rows(path.stem, seconds, findings, error)
            print(f"  {seconds:.0f} s, {len(findings)} findings, "
                  f"{'ok' if error is None else error}", flush=True)

    rows = sorted(previous_rows({path.stem for path in paths}) + new_rows,
                  key=lambda row: row.split("|")[1])
    total = sum(lesson_seconds(rows).values())
    text = "\n".join([
        "# Lesson findings in full mode",
        "",
        "Written by `make findings` (benchmarks/findings.py): every lesson executed top to bottom "
        "with `SEQ_FAST=0`; each row is one `check_finding` call. Seconds are the wall time of the "
        "whole lesson, measured on a shared machine "
        f"({platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[1]:.1f} "
        f"at the last write); total {total / 60:.1f} min.",
        "",
        HEADER,
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ])
    TABLE.write_text(text, encoding="utf-8")
    print(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""Grading outputs: per-student results.json (Gradescope's schema) and feedback, grades.csv.

Every file is written atomically (a temporary file in the same folder, then `os.replace`), so an
interrupted batch never leaves a half-written file; `results.json` is written last and marks a
student as graded. It records what was graded (the notebook's sha256 and a fingerprint of the
tests and their points) and is signed with a key private to the output folder, so a resumed batch
regrades a changed notebook or changed tests and never trusts a results.json it did not write.
"""

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path

from autograder.results import STATUSES, Result, TestCase

RESULTS_FILE = "results.json"
FEEDBACK_FILE = "feedback.txt"
LOG_FILE = "output.log"
GRADEBOOK_FILE = "grades.csv"
GRADEBOOK_COLUMNS = ("student", "score", "max_score", "status")
KEY_FILE = Path(".autograder") / "key"
_MAX_RESULTS_BYTES = 16 * 1024 * 1024
# Spreadsheets run a cell starting with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The folders of an absolute or `../` path (the grader's temporary folders, its tests, the venv).
_FOLDERS = re.compile(r"(?<![\w.:/])(?:\.\.?/|/)(?:[^\s/:'\"()\[\],<>]+/)+")


def atomic_write_text(path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def strip_folders(text: str) -> str:
    """Student-facing text without the grader's folders: `/tmp/x/work/a1.ipynb` -> `a1.ipynb`,
    `../tests/assignments/public/test_a1.py` -> `test_a1.py`."""
    return _FOLDERS.sub("", text)


def summary_line(result: Result) -> str:
    line = (f"{result.student}: {number(result.score)}/{number(result.max_score)} points, "
            f"status {result.status} ({STATUSES.get(result.status, result.status)})")
    return f"{line}\n{strip_folders(result.message)}" if result.message else line


def _hidden_output(test: TestCase, passed: bool) -> str:
    what = test.description.rstrip(".") or "hidden test"
    return f"{what}: {'passed' if passed else 'failed'} (details are not shown for hidden tests)"


def student_outputs(result: Result, tests: list[TestCase]) -> list[str]:
    """What the student may read of each test: nothing of a hidden test but its description and
    outcome, and nothing that only repeats the submission's message."""
    outputs = []
    for test, outcome in zip(tests, result.tests):
        if test.hidden:
            outputs.append(_hidden_output(test, outcome.score == outcome.max_score))
        elif outcome.output.strip() == result.message.strip():
            outputs.append("")
        else:
            outputs.append(strip_folders(outcome.output))
    return outputs


def results_json(result: Result, tests: list[TestCase], assignment: str,
                 fingerprint: dict) -> dict:
    """Gradescope's results.json; grader-specific fields (status, what was graded) live in
    `extra_data`."""
    return {
        "score": number(result.score),
        "execution_time": round(result.duration_s, 2),
        "output": summary_line(result),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": outcome.name,
                "score": number(outcome.score),
                "max_score": number(outcome.max_score),
                "output": output,
                "visibility": test.visibility,
            }
            for test, outcome, output in zip(tests, result.tests,
                                             student_outputs(result, tests))
        ],
        "extra_data": {
            "assignment": assignment,
            "student": result.student,
            "status": result.status,
            "max_score": number(result.max_score),
            **fingerprint,
        },
    }


def format_table(rows, headers) -> str:
    """A plain-text table with right-aligned numbers."""
    cells = [[str(header) for header in headers]] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]

    def render(row):
        return "  ".join(
            cell.rjust(width) if _is_number(cell) else cell.ljust(width)
            for cell, width in zip(row, widths)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(cells[0]), rule] + [render(row) for row in cells[1:]])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def score_table(result: Result) -> str:
    """Each test with the points earned, then the total."""
    rows = [(test.name, "PASS" if test.score == test.max_score else "FAIL",
             number(test.score), number(test.max_score)) for test in result.tests]
    rows.append(("TOTAL", result.status, number(result.score), number(result.max_score)))
    return format_table(rows, ("test", "result", "points", "max"))


def feedback_text(result: Result, tests: list[TestCase]) -> str:
    parts = [summary_line(result), "", score_table(result)]
    # Tests failing for one reason (say, a graded cell that raises) share one explanation.
    failures: dict[str, list[str]] = {}
    for outcome, output in zip(result.tests, student_outputs(result, tests)):
        if outcome.score < outcome.max_score and output:
            failures.setdefault(output.rstrip(), []).append(outcome.name)
    for output, names in failures.items():
        parts += ["", f"--- {', '.join(names)} ---", output]
    return "\n".join(parts) + "\n"


def signing_key(out_dir) -> bytes:
    """The output folder's secret key (created on first use, readable by its owner only)."""
    path = Path(out_dir) / KEY_FILE
    try:
        key = _read_regular(path, 1024)
    except OSError:  # Absent, or not a regular file: a new key (and every student regraded).
        key = b""
    if len(key) != 32:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent)  # Mode 0600.
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(32))
        os.replace(temporary, path)
        key = path.read_bytes()
    return key


def _signature(data: dict, key: bytes) -> str:
    unsigned = dict(data, extra_data={name: value for name, value in data["extra_data"].items()
                                      if name != "signature"})
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def write_student_files(result: Result, tests: list[TestCase], assignment: str,
                        fingerprint: dict, out_dir, key: bytes) -> dict:
    """Writes `<out_dir>/<student>/` feedback, output log and, last, the signed results.json;
    returns the results.json data."""
    student_dir = Path(out_dir) / result.student
    data = results_json(result, tests, assignment, fingerprint)
    data["extra_data"]["signature"] = _signature(data, key)
    atomic_write_text(student_dir / FEEDBACK_FILE, feedback_text(result, tests))
    atomic_write_text(student_dir / LOG_FILE, result.log)
    atomic_write_text(student_dir / RESULTS_FILE, json.dumps(data, indent=2) + "\n")
    return data


def _read_regular(path: Path, limit: int) -> bytes:
    """A regular file's bytes, never through a link, at most `limit` bytes."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{path} is not a regular file")
        return file.read(limit + 1)


def read_results(path, key: bytes, expected: dict) -> dict | None:
    """A results.json this grader signed with `key`, whose `extra_data` matches `expected` (the
    assignment, student and fingerprint of what is graded now); None if it is absent, unreadable,
    unsigned, forged or out of date."""
    try:
        data = json.loads(_read_regular(Path(path), _MAX_RESULTS_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("extra_data"), dict):
        return None
    extra = data["extra_data"]
    signature = extra.get("signature")
    if not isinstance(signature, str) or not hmac.compare_digest(signature,
                                                                  _signature(data, key)):
        return None
    if any(extra.get(name) != value for name, value in expected.items()):
        return None
    return data


def spreadsheet_safe(cell):
    """A grades.csv cell that no spreadsheet runs as a formula: text starting with `=`, `+`,
    `-`, `@`, a tab or a carriage return gets a leading apostrophe; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_PREFIXES):
        return "'" + cell
    return cell


def gradebook_rows(results: list[dict], tests: list[TestCase]) -> list[list]:
    rows = []
    for data in results:
        extra = data["extra_data"]
        earned = {test["name"]: test["score"] for test in data["tests"]}
        rows.append([extra["student"], data["score"], extra["max_score"], extra["status"]]
                    + [earned.get(test.name, 0) for test in tests])
    return rows


def write_gradebook(path, results: list[dict], tests: list[TestCase]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180 line ends: cells holding CR or LF get quoted.
    header = list(GRADEBOOK_COLUMNS) + [test.name for test in tests]
    for row in [header] + gradebook_rows(results, tests):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    atomic_write_text(path, buffer.getvalue())


def gradebook_table(results: list[dict]) -> str:
    rows = [(data["extra_data"]["student"], data["score"], data["extra_data"]["max_score"],
             data["extra_data"]["status"]) for data in results]
    return format_table(rows, GRADEBOOK_COLUMNS)

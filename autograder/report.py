"""Grading outputs: per-student results.json (Gradescope's schema) and feedback, grades.csv.

Every file is written atomically (a temporary file in the same directory, then `os.replace`), so
an interrupted batch never leaves a half-written file behind; `results.json` is written last and
marks a student as graded.
"""

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from autograder.runner import STATUSES, Result

RESULTS_FILE = "results.json"
FEEDBACK_FILE = "feedback.txt"
LOG_FILE = "output.log"
GRADEBOOK_FILE = "grades.csv"
GRADEBOOK_COLUMNS = ("student", "score", "max_score", "status")


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


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def results_json(result: Result, assignment: str) -> dict:
    """Gradescope's results.json; grader-specific fields live in `extra_data`."""
    return {
        "score": _number(result.score),
        "execution_time": round(result.duration_s, 2),
        "output": summary_line(result),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": test.name,
                "score": _number(test.score),
                "max_score": _number(test.max_score),
                "output": test.output,
                "visibility": "visible",
            }
            for test in result.tests
        ],
        "extra_data": {
            "assignment": assignment,
            "student": result.student,
            "status": result.status,
            "max_score": _number(result.max_score),
        },
    }


def summary_line(result: Result) -> str:
    line = (f"{result.student}: {_number(result.score)}/{_number(result.max_score)} points, "
            f"status {result.status} ({STATUSES[result.status]})")
    return f"{line}\n{result.message}" if result.message else line


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
             _number(test.score), _number(test.max_score)) for test in result.tests]
    rows.append(("TOTAL", result.status, _number(result.score), _number(result.max_score)))
    return format_table(rows, ("test", "result", "points", "max"))


def feedback_text(result: Result) -> str:
    parts = [summary_line(result), "", score_table(result)]
    # Tests failing for one reason (say, a graded cell that raises) share one explanation.
    failures: dict[str, list[str]] = {}
    for test in result.tests:
        if test.score < test.max_score and test.output:
            failures.setdefault(test.output.rstrip(), []).append(test.name)
    for output, names in failures.items():
        parts += ["", f"--- {', '.join(names)} ---", output]
    return "\n".join(parts) + "\n"


def write_student_files(result: Result, assignment: str, out_dir) -> Path:
    """Writes `<out_dir>/<student>/` feedback, output log and, last, results.json."""
    student_dir = Path(out_dir) / result.student
    atomic_write_text(student_dir / FEEDBACK_FILE, feedback_text(result))
    atomic_write_text(student_dir / LOG_FILE, result.log)
    results_path = student_dir / RESULTS_FILE
    atomic_write_text(results_path, json.dumps(results_json(result, assignment), indent=2) + "\n")
    return results_path


def read_results(path) -> dict | None:
    """A results.json written by this grader, or None if absent or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("extra_data"), dict):
        return None
    return data


def gradebook_rows(results: list[dict], test_names: list[str]) -> list[list]:
    rows = []
    for data in results:
        extra = data["extra_data"]
        earned = {test["name"]: test["score"] for test in data["tests"]}
        rows.append([extra["student"], data["score"], extra["max_score"], extra["status"]]
                    + [earned.get(name, 0) for name in test_names])
    return rows


def write_gradebook(path, results: list[dict], test_names: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(GRADEBOOK_COLUMNS) + test_names)
    writer.writerows(gradebook_rows(results, test_names))
    atomic_write_text(path, buffer.getvalue())


def gradebook_table(results: list[dict]) -> str:
    rows = [(data["extra_data"]["student"], data["score"], data["extra_data"]["max_score"],
             data["extra_data"]["status"]) for data in results]
    return format_table(rows, GRADEBOOK_COLUMNS)

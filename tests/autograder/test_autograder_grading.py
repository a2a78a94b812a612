"""`python -m autograder grade` and `check` on a class of toy submissions covering every status.

The toy assignment (tests/autograder/toy) is worth 5 points: test_add 1, test_running_mean... 2,
test_norm 1 + 1 (in that order). Each submission below breaks one thing.
"""

import contextlib
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import cli, grading, report
from autograder.assignments import REPO_ROOT
from autograder.results import GradingError, TestCase

TOY_TESTS = Path(__file__).with_name("toy") / "test_toy.py"
TEST_NAMES = ["test_add", "test_running_mean_survives_pickling", "test_norm[values0-5.0]",
              "test_norm[values1-0.0]"]
# Cell 1 of the toy notebook imports math and defines `add`, cell 5 `norm` (the last tests).
WRONG_ADD = "import math\n\ndef add(a, b):\n    return a - b"
TAMPER_REPORTS = """
import _pytest.reports

_original_init = _pytest.reports.TestReport.__init__

def _always_pass(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.outcome, self.longrepr = "passed", None

_pytest.reports.TestReport.__init__ = _always_pass

def add(a, b):
    raise NotImplementedError
"""
FORGE_PIPE = """
import json, os

def add(a, b):
    return None

for name in os.listdir("/proc/self/fd"):
    line = {"token": "guess", "event": "report", "nodeid": "test_toy.py::test_add",
            "when": "call", "outcome": "passed"}
    try:
        os.write(int(name), (json.dumps(line) + "\\n").encode())
    except OSError:
        pass
"""


def _fake_results(out_dir):
    fake = {"score": 5, "tests": [], "extra_data": {"student": "kate", "status": "ok",
                                                  "max_score": 5, "assignment": "toy"}}
    return f"""
import json, os, pathlib

print('{{"score": 5, "status": "ok"}}  5/5 points, status ok')
out = pathlib.Path({str(out_dir)!r})
(out / "kate").mkdir(parents=True, exist_ok=True)
(out / "kate" / "results.json").write_text(json.dumps({fake!r}))
(out / "grades.csv").write_text("student,score\\nkate,5\\n")
""" + WRONG_ADD


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, toy_variant):
    """Grades the toy class once; returns (out_dir, printed output, submissions_dir)."""
    root = tmp_path_factory.mktemp("class")
    submissions, out = root / "submissions", root / "grades"
    variants = {
        "alice.ipynb": {},
        "bob.ipynb": {"cells": {1: WRONG_ADD}},
        "carol.ipynb": {"cells": {5: "def norm(values):\n    return (\n"}},
        "erin.ipynb": {"untag": True},
        "frank/work/toy.ipynb": {},
        "frank/.ipynb_checkpoints/toy-checkpoint.ipynb": {"untag": True},
        "gina/one.ipynb": {},
        "gina/two.ipynb": {},
        "hank.ipynb": {"cells": {1: "import sys\nsys.exit(0)"}},
        "ivan.ipynb": {"cells": {5: "import os\n\ndef norm(values):\n    os._exit(0)"}},
        "judy.ipynb": {"cells": {1: TAMPER_REPORTS}},
        "kate.ipynb": {"cells": {1: _fake_results(out)}},
        "leo.ipynb": {"cells": {1: FORGE_PIPE}},
        # 3 GiB of zeros is lazily mapped, so only the 1 GiB cap below can refuse it.
        "mia.ipynb": {"cells": {5: "def norm(values):\n    return len(bytearray(3 << 30))"}},
    }
    for name, options in variants.items():
        toy_variant(submissions / name, **options)
    (submissions / "dan.ipynb").write_text('{"cells": [')
    (submissions / "notes.txt").write_text("not a submission")
    output = _grade(submissions, out, "-j", "2", "--timeout", "60", "--memory-mb", "1024")
    return out, output, submissions


def _grade(submissions, out, *options) -> str:
    """Runs `python -m autograder grade` in process (children are subprocesses anyway)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = cli.main(["grade", str(TOY_TESTS), str(submissions), "--out", str(out),
                           *options])
    assert status == 0
    return printed.getvalue()


def _gradebook(out):
    with open(out / "grades.csv", newline="") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


EXPECTED = {
    "alice": ("ok", 5),
    "bob": ("partial", 4),
    "carol": ("syntax_error", 0),
    "dan": ("corrupt_notebook", 0),
    "erin": ("missing_graded_cell", 0),
    "frank": ("ok", 5),
    "gina": ("invalid_submission", 0),
    "hank": ("crashed", 0),
    "ivan": ("crashed", 3),
    "judy": ("failed", 0),  # Patching pytest in the sandbox touches no verdict: honest 0.
    "kate": ("partial", 4),
    "leo": ("tampered", 0),
    "mia": ("memory_exceeded", 3),
}


def test_every_student_gets_the_expected_status_and_score(graded_class):
    out, output, _ = graded_class
    rows = _gradebook(out)
    got = {student: (row["status"], float(row["score"])) for student, row in rows.items()}
    assert got == {student: (status, float(score)) for student, (status, score) in
                   EXPECTED.items()}
    assert "ignored notes.txt" in output


def test_gradebook_has_one_column_per_test(graded_class):
    out, _, _ = graded_class
    with open(out / "grades.csv", newline="") as file:
        header = next(csv.reader(file))
    assert header == ["student", "score", "max_score", "status", *TEST_NAMES]
    row = _gradebook(out)["ivan"]
    assert [row[name] for name in TEST_NAMES] == ["1", "2", "0", "0"]
    assert row["max_score"] == "5"


def test_results_json_follows_gradescopes_schema(graded_class):
    out, _, _ = graded_class
    results = json.loads((out / "bob" / "results.json").read_text())
    assert results["score"] == 4
    assert results["extra_data"]["status"] == "partial"
    assert [test["name"] for test in results["tests"]] == TEST_NAMES
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "visibility"}
        assert test["visibility"] == "visible"
    failed = results["tests"][0]
    assert (failed["score"], failed["max_score"]) == (0, 1)
    assert "assert -1 == 5" in failed["output"]


def test_feedback_explains_the_failure(graded_class):
    out, _, _ = graded_class
    feedback = (out / "hank" / "feedback.txt").read_text()
    assert "status crashed" in feedback
    assert "SystemExit" in feedback and "sys.exit(0)" in feedback
    assert "TOTAL" in feedback
    ivan = (out / "ivan" / "feedback.txt").read_text()
    assert "exited with code 0 before this test completed" in ivan


def test_score_comes_from_the_parent_not_from_what_the_submission_writes(graded_class):
    out, _, _ = graded_class
    kate = json.loads((out / "kate" / "results.json").read_text())
    assert kate["score"] == 4 and kate["tests"]  # Parent's file replaced the planted one.
    assert "5/5 points" in (out / "kate" / "output.log").read_text()  # She printed it, though.
    leo = json.loads((out / "leo" / "results.json").read_text())
    assert "invalid message from the submission's process" in leo["output"]


def test_no_temporary_files_are_left_behind(graded_class):
    out, _, _ = graded_class
    assert not [path for path in out.rglob(".*") if path.is_file()]


def test_rerun_resumes_and_force_regrades(graded_class, tmp_path):
    out, _, submissions = graded_class
    before = {path: path.stat().st_mtime_ns for path in out.glob("*/results.json")}
    output = _grade(submissions, out, "--timeout", "60")
    # Invalid submissions cost nothing to regrade; every other result is kept.
    assert f"{len(EXPECTED) - 1} submission(s) already graded" in output
    after = {path: path.stat().st_mtime_ns for path in out.glob("*/results.json")}
    assert {path for path in before if after[path] != before[path]} == {
        out / "gina" / "results.json"}
    assert {s: r["status"] for s, r in _gradebook(out).items()} == {
        student: status for student, (status, _) in EXPECTED.items()
    }

    copy = tmp_path / "grades"
    shutil.copytree(out, copy)
    only_bob = tmp_path / "only_bob"
    only_bob.mkdir()
    shutil.copy(submissions / "alice.ipynb", only_bob / "bob.ipynb")  # Bob resubmitted.
    assert "bob: 5/5" in _grade(only_bob, copy)  # A new notebook is regraded without --force.
    assert json.loads((copy / "bob" / "results.json").read_text())["score"] == 5
    assert (copy / "alice" / "results.json").read_bytes() == (
        out / "alice" / "results.json").read_bytes()


def test_demo_class_times_out_the_hanging_submission(tmp_path):
    """What `make grade` runs, end to end through `python -m autograder`."""
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "demo",
         str(REPO_ROOT / "autograder" / "demo" / "submissions"), "--out", str(tmp_path),
         "-j", "2", "--timeout", "12"],
        capture_output=True, text=True, timeout=300, cwd=REPO_ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    rows = _gradebook(tmp_path)
    assert {student: (row["status"], row["score"]) for student, row in rows.items()} == {
        "broken": ("syntax_error", "0"),
        "full_marks": ("ok", "10"),
        "hanging": ("timeout", "5"),  # The two tests finished before the hang still count.
        "partial": ("partial", "5"),
    }
    assert re.search(r"full_marks\s+10\s+10\s+ok", completed.stdout)  # The printed gradebook.


def test_check_prints_a_table_of_tests_and_points(toy_variant, tmp_path, capsys):
    bob = toy_variant(tmp_path / "bob.ipynb", cells={1: WRONG_ADD})
    assert cli.main(["check", str(TOY_TESTS), str(bob)]) == 0
    out = capsys.readouterr().out
    assert "bob: 4/5 points, status partial" in out
    lines = out.splitlines()
    assert lines[2].split() == ["test", "result", "points", "max"]
    assert lines[4].split() == ["test_add", "FAIL", "0", "1"]
    assert lines[5].split() == ["test_running_mean_survives_pickling", "PASS", "2", "2"]
    assert lines[8].split() == ["TOTAL", "partial", "4", "5"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["grade", "nope", ".", "--out", "x"], "unknown assignment 'nope'"),
        (["grade", str(TOY_TESTS), "missing_dir", "--out", "x"], "submissions directory not "),
        (["grade", str(TOY_TESTS), "."], "the following arguments are required: --out"),
        (["grade", str(TOY_TESTS), ".", "--out", "x", "-j", "0"], "expected a number > 0"),
        (["grade", str(TOY_TESTS), ".", "--out", "grades"], "must not be inside the submissions"),
        (["check", str(TOY_TESTS), "missing.ipynb"], "notebook not found: missing.ipynb"),
        (["check", str(TOY_TESTS), "--hidden"], "toy has no hidden tests in this copy"),
        (["check", str(TOY_TESTS)], "name the notebook to check: python -m autograder check "),
        (["grade", str(TOY_TESTS), ".", "--out", "x", "--memory-mb", "-1"], "a number >= 0"),
        (["grade", str(TOY_TESTS), ".", "--out", "x", "--timeout", "soon"], "expected a number"),
        (["grade", str(TOY_TESTS), "..", "--out", "a_file"], "the output folder a_file is a "),
        (["gradescope", "nope", "--out", "x.zip"], "unknown assignment 'nope'"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(arguments, message, capsys, tmp_path,
                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(SystemExit) as raised:
        cli.main(arguments)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "marks, message",
    [
        (("@pytest.mark.points(1)", ""), r"points\(n\) .* missing or invalid on .*test_b"),
        (("@pytest.mark.points(1)", "@pytest.mark.points('two')"), r"invalid on .*test_b"),
    ],
)
def test_tests_without_valid_points_are_refused(marks, message):
    # World-readable, unlike tmp_path: the collection may run as an unprivileged user.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        tests = Path(folder) / "test_marks.py"
        tests.write_text("import pytest\n\n" + "".join(
            f"{mark}\ndef test_{name}(submission):\n    pass\n\n"
            for mark, name in zip(marks, "ab")
        ))
        with pytest.raises(GradingError, match=message):
            grading.collect_tests([tests])


def test_scoring_counts_only_known_complete_tests():
    tests = [TestCase("t.py::test_a", 1), TestCase("t.py::test_b", 2)]

    def run(*phases, **state):
        messages = [{"event": "report", "nodeid": nodeid, "when": when, "outcome": outcome}
                    for nodeid, when, outcome in phases]
        return grading.score_run("s", tests, grading.TrustedRun(messages, **state), 9)

    passed_a = [("t.py::test_a", when, "passed") for when in ("setup", "call", "teardown")]
    timed_out = run(*passed_a, ("t.py::test_b", "setup", "passed"), timed_out=True)
    assert (timed_out.status, timed_out.score) == ("timeout", 1)
    assert "time limit of 9 s" in timed_out.tests[1].output
    no_teardown = run(*passed_a[:2], ("t.py::test_b", "setup", "passed"))
    assert (no_teardown.status, no_teardown.score) == ("crashed", 0)
    assert run(*passed_a, forged_lines=1).status == "tampered"
    assert run(*passed_a, ("t.py::test_x", "call", "passed")).status == "tampered"
    assert run(*passed_a, passed_a[1]).status == "tampered"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "grades.csv"
    report.atomic_write_text(target, "old\n")
    with pytest.raises(TypeError):
        report.atomic_write_text(target, None)
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["grades.csv"]

"""The batch survives anything: malformed submission folders, forged or stale results, signals.

Discovery tests build class folders by hand; the batch tests grade the toy assignment
(tests/autograder/toy, 5 points) through `autograder.batch.grade_class` and the CLI.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import batch, cli, discovery, grading, report
from autograder.assignments import (
    REPO_ROOT,
    UnknownAssignmentError,
    find_assignment,
    known_assignments,
)
from autograder.results import TestCase

TOY_TESTS = Path(__file__).with_name("toy") / "test_toy.py"
HANG = "import math\n\ndef add(a, b):\n    while True:\n        pass"


def _submissions(directory):
    found, ignored = discovery.find_submissions(directory)
    return {submission.student: submission for submission in found}, ignored


def test_discovery_gives_every_malformed_entry_one_clear_problem(tmp_path, toy_variant):
    toy_variant(tmp_path / "ok.ipynb")
    toy_variant(tmp_path / "folder" / "work" / "nb.ipynb")
    toy_variant(tmp_path / "folder" / ".ipynb_checkpoints" / "nb-checkpoint.ipynb")
    os.symlink("work/nb.ipynb", tmp_path / "folder" / "alias.ipynb")  # Inside: ignored.
    (tmp_path / "dangling.ipynb").symlink_to(tmp_path / "nowhere.ipynb")
    (tmp_path / "linked.ipynb").symlink_to(REPO_ROOT / "autograder" / "demo" / "demo.ipynb")
    toy_variant(tmp_path / "sneaky" / "mine.ipynb")
    (tmp_path / "sneaky" / "theirs.ipynb").symlink_to(tmp_path / "ok.ipynb")
    (tmp_path / "folder_named.ipynb").mkdir()
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "inner").mkdir()
    os.mkfifo(tmp_path / "inner" / "pipe.ipynb")
    toy_variant(tmp_path / "two" / "a.ipynb")
    toy_variant(tmp_path / "two" / "b.ipynb")
    (tmp_path / "empty").mkdir()
    toy_variant(tmp_path / "dup.ipynb")
    toy_variant(tmp_path / "dup" / "x.ipynb")
    (tmp_path / "notes.txt").write_text("not a submission")

    found, ignored = _submissions(tmp_path)
    assert ignored == ["notes.txt"]
    assert found["ok"].notebook == ("ok.ipynb",) and not found["ok"].problem
    assert found["folder"].notebook == ("work", "nb.ipynb") and not found["folder"].problem
    problems = {student: submission.problem for student, submission in found.items()
                if submission.notebook is None}
    assert set(problems) == {"dangling", "linked", "sneaky", "folder_named", "fifo", "inner",
                             "two", "empty", "dup"}
    assert "dangling.ipynb is a symbolic link" in problems["dangling"]
    assert "never follows links" in problems["linked"]
    assert "theirs.ipynb is a symbolic link to a file outside" in problems["sneaky"]
    assert "folder_named.ipynb is a folder, not a notebook" in problems["folder_named"]
    assert "fifo.ipynb is a FIFO" in problems["fifo"]
    assert "pipe.ipynb is a FIFO" in problems["inner"]
    assert "found 2: a.ipynb, b.ipynb" in problems["two"]
    assert "found 0: none" in problems["empty"]
    assert "keep one" in problems["dup"]


def test_student_names_are_escaped_reversibly(tmp_path, toy_variant):
    toy_variant(tmp_path / "=HYPERLINK(1)\nfake,100.ipynb")
    toy_variant(tmp_path / "back\\slash.ipynb")
    found, _ = _submissions(tmp_path)
    assert set(found) == {"=HYPERLINK(1)\\x0afake,100", "back\\\\slash"}
    assert discovery.escape_name("a\u202eb") == "a\\u202eb"  # Right-to-left override.


def test_reading_a_notebook_never_blocks_nor_follows_a_swapped_link(tmp_path, toy_variant):
    toy_variant(tmp_path / "student" / "nb.ipynb")
    submission = discovery.scan_folder(tmp_path / "student", "student")
    assert discovery.read_notebook_bytes(submission).startswith(b"{")
    (tmp_path / "student" / "nb.ipynb").unlink()
    (tmp_path / "student" / "nb.ipynb").symlink_to(REPO_ROOT / "autograder" / "demo" / "demo.ipynb")
    with pytest.raises(discovery.SubmissionProblem, match="cannot read nb.ipynb"):
        discovery.read_notebook_bytes(submission)
    (tmp_path / "student" / "nb.ipynb").unlink()
    os.mkfifo(tmp_path / "student" / "nb.ipynb")  # A writer-less FIFO would block a plain open.
    with pytest.raises(discovery.SubmissionProblem, match="is a FIFO"):
        discovery.read_notebook_bytes(submission)
    (tmp_path / "student" / "nb.ipynb").unlink()
    (tmp_path / "student" / "nb.ipynb").write_bytes(b"x" * 2048)
    with pytest.raises(discovery.SubmissionProblem, match="larger than"):
        discovery.read_notebook_bytes(submission, limit=1024)


@pytest.mark.parametrize("blocker", ["grades.csv", "report.html"])
def test_an_unwritable_output_is_refused_before_grading(tmp_path, toy_variant, capsys, blocker):
    toy_variant(tmp_path / "class" / "alice.ipynb")
    (tmp_path / "out" / blocker).mkdir(parents=True)
    with pytest.raises(SystemExit) as raised:
        cli.main(["grade", str(TOY_TESTS), str(tmp_path / "class"), "--out",
                  str(tmp_path / "out")])
    assert raised.value.code == 2
    assert f"{blocker} exists and is not a regular file" in capsys.readouterr().err
    assert not (tmp_path / "out" / "alice").exists()


def _rows(out):
    with open(out / "grades.csv", newline="") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


def test_malformed_notebooks_each_get_a_row(tmp_path, toy_variant):
    """Notebooks that used to stop the whole batch with a traceback."""
    classroom = tmp_path / "class"
    toy_variant(classroom / "alice.ipynb")
    toy_variant(classroom / "nested.ipynb", cells={1: "x = " + "(" * 100_000 + ")" * 100_000})
    huge = json.loads(toy_variant(classroom / "huge.ipynb").read_text())
    huge["metadata"]["big"] = "<INT>"
    (classroom / "huge.ipynb").write_text(json.dumps(huge).replace('"<INT>"', "9" * 5000))
    outcome = batch.grade_class(str(TOY_TESTS), classroom, tmp_path / "out", timeout=60)
    rows = _rows(tmp_path / "out")
    assert set(rows) == {"alice", "huge", "nested"}
    assert rows["alice"]["status"] == "ok"
    assert (rows["huge"]["score"], rows["huge"]["status"]) == ("0", "corrupt_notebook")
    assert (rows["nested"]["score"], rows["nested"]["status"]) == ("0", "syntax_error")
    assert outcome.graded == ["alice", "huge", "nested"]


def test_resume_regrades_changed_notebooks_and_tests_and_distrusts_foreign_results(
        tmp_path, toy_variant, monkeypatch):
    classroom, out = tmp_path / "class", tmp_path / "out"
    toy_variant(classroom / "alice.ipynb")
    toy_variant(classroom / "bob.ipynb", cells={1: "import math\n\ndef add(a, b):\n    return 0"})
    toy_variant(classroom / "carol.ipynb", cells={1: "import math\n\ndef add(a, b):\n    return 0"})
    first = batch.grade_class(str(TOY_TESTS), classroom, out, timeout=60, jobs=2)
    assert first.graded == ["alice", "bob", "carol"]

    # Bob resubmits; a forged results.json claims full marks for Carol (a fake signature).
    toy_variant(classroom / "bob.ipynb")
    forged = json.loads((out / "carol" / "results.json").read_text())
    forged["score"] = 5
    (out / "carol" / "results.json").write_text(json.dumps(forged))
    second = batch.grade_class(str(TOY_TESTS), classroom, out, timeout=60, jobs=2)
    assert second.reused == ["alice"] and second.graded == ["bob", "carol"]
    assert {s: r["score"] for s, r in _rows(out).items()} == {"alice": "5", "bob": "5",
                                                              "carol": "4"}

    # Same notebooks, other points: everyone is regraded.
    monkeypatch.setattr(batch, "tests_fingerprint", lambda *args: "other tests")
    third = batch.grade_class(str(TOY_TESTS), classroom, out, timeout=60, jobs=2)
    assert third.reused == [] and len(third.graded) == 3


def test_grades_csv_cells_cannot_run_as_formulas(tmp_path):
    tests = [TestCase("t.py::test_a", 1)]
    results = [{"score": 1, "tests": [{"name": "test_a", "score": 1}],
                "extra_data": {"student": name, "max_score": 1, "status": "ok"}}
               for name in ("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx",
                            "plain")]
    report.write_gradebook(tmp_path / "grades.csv", results, tests)
    with open(tmp_path / "grades.csv", newline="") as file:
        students = [row["student"] for row in csv.DictReader(file)]
    assert students == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx",
                        "plain"]


def _descendants(pid):
    children = batch._children()
    found, pending = [], list(children.get(pid, []))
    while pending:
        found.append(pending.pop())
        pending += children.get(found[-1], [])
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_child_and_keeps_what_finished(tmp_path, toy_variant, signum):
    classroom, out = tmp_path / "class", tmp_path / "out"
    toy_variant(classroom / "alice.ipynb")
    for student in ("hang1", "hang2"):
        toy_variant(classroom / f"{student}.ipynb", cells={1: HANG})
    grader = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(TOY_TESTS), str(classroom), "--out",
         str(out), "-j", "2", "--timeout", "120", "--no-progress"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not (out / "alice" / "results.json").exists() or len(_descendants(grader.pid)) < 2:
        assert time.monotonic() < deadline and grader.poll() is None, grader.communicate()
        time.sleep(0.1)
    time.sleep(0.5)  # Both hanging children are running their tests.
    children = _descendants(grader.pid)
    started = time.monotonic()
    grader.send_signal(signum)
    stdout, stderr = grader.communicate(timeout=30)
    assert time.monotonic() - started < 10  # Not the 120 s timeout.
    assert grader.returncode == 128 + signum
    assert "Traceback" not in stderr
    assert "Resume with:" in stderr and "not graded" in stderr
    assert not [pid for pid in children if os.path.exists(f"/proc/{pid}")
                and open(f"/proc/{pid}/stat").read().split()[2] != "Z"]
    assert set(_rows(out)) == {"alice"}
    assert not (out / "hang1" / "results.json").exists()

    if signum == signal.SIGTERM:
        resumed = batch.grade_class(find_assignment(str(TOY_TESTS)), classroom, out, timeout=3,
                                    jobs=2)
        assert resumed.reused == ["alice"] and resumed.graded == ["hang1", "hang2"]
        assert set(_rows(out)) == {"alice", "hang1", "hang2"}


def test_assignments_pair_public_and_hidden_tests(tmp_path):
    public = tmp_path / "public" / "test_x.py"
    public.parent.mkdir()
    public.write_text("")
    student_copy = find_assignment(str(public))
    assert (student_copy.name, student_copy.hidden_tests) == ("x", None)
    assert student_copy.test_files == (public,)
    hidden = tmp_path / "hidden" / "test_x_hidden.py"
    hidden.parent.mkdir()
    hidden.write_text("")
    assert find_assignment(str(public)).test_files == (public, hidden)
    assert "demo" in known_assignments() and "a1_rnn_numpy" in known_assignments()
    for spec, message in [("nope", "unknown assignment 'nope': expected one of "),
                          ("../solutions/a1", "unknown assignment"),
                          (str(tmp_path / "test_.py"), "graded test file not found"),
                          (str(hidden.with_name("missing.py")), "not found")]:
        with pytest.raises(UnknownAssignmentError, match=message):
            find_assignment(spec)


def test_check_runs_public_tests_and_grade_adds_hidden_ones(toy_variant, tmp_path, capsys):
    # World-readable, unlike tmp_path: the tests may run as an unprivileged user.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        public = Path(folder) / "public" / "test_x.py"
        hidden = Path(folder) / "hidden" / "test_x_hidden.py"
        for path, body in [
            (public, "@pytest.mark.points(1)\ndef test_add(submission):\n"
                     "    assert submission.add(2, 3) == 5\n"),
            (hidden, '@pytest.mark.points(2)\ndef test_add_negative(submission):\n'
                     '    """add with negative numbers."""\n'
                     "    assert submission.add(-2, -3) == -5\n"),
        ]:
            path.parent.mkdir()
            os.chmod(path.parent, 0o755)
            path.write_text("import pytest\n\n\n" + body)
        notebook = toy_variant(tmp_path / "class" / "ann.ipynb")
        assert cli.main(["check", str(public), str(notebook)]) == 0
        assert "ann: 1/1 points" in capsys.readouterr().out
        assert cli.main(["check", str(public), str(notebook), "--hidden"]) == 0
        assert "ann: 3/3 points" in capsys.readouterr().out
        outcome = batch.grade_class(str(public), tmp_path / "class", tmp_path / "out",
                                    timeout=60)
    tests = json.loads((tmp_path / "out" / "ann" / "results.json").read_text())["tests"]
    assert [(test["name"], test["score"], test["visibility"]) for test in tests] == [
        ("test_add", 1, "visible"), ("test_add_negative", 2, "after_due_date")]
    assert tests[1]["output"] == ("add with negative numbers: passed (details are not shown for "
                                  "hidden tests)")
    assert [test.hidden for test in outcome.tests] == [False, True]


def test_a_worker_that_died_with_a_job_pending_is_closed_once():
    worker = grading.TrustedWorker([TOY_TESTS])
    worker._start()
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()
    worker.process.stdin.write(b"a job\n")  # Still buffered: closing flushes into a dead pipe.
    worker.close()
    worker.close()  # At exit, `close_workers` closes it again: nothing is closed twice.
    assert worker.process is None

"""Releasing student notebooks from solutions, and grading what was released."""

import concurrent.futures
import json
from pathlib import Path

import pytest

from autograder import cli, notebook, release, runner
from autograder.assignments import ASSIGNMENTS_DIR, PUBLIC_TESTS_DIR
from autograder.assignments import SOLUTIONS_DIR

TOY_DIR = Path(__file__).with_name("toy")
STUB = release.STUB


def test_stub_keeps_the_indentation_of_each_region():
    source = "\n".join([
        "def f(x):",
        "    ### BEGIN SOLUTION",
        "    y = x + 1",
        "    ### END SOLUTION",
        "    for i in range(3):",
        "        ### BEGIN SOLUTION extra words are fine",
        "        y += i",
        "        ### END SOLUTION",
        "    return y",
    ])
    assert release.stub_source(source) == "\n".join([
        "def f(x):",
        f"    {STUB}",
        "    for i in range(3):",
        f"        {STUB}",
        "    return y",
    ])


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "line 1: ### BEGIN SOLUTION is never closed"),
        ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
         "line 2: ### BEGIN SOLUTION inside the region opened on line 1"),
    ],
)
def test_unmatched_markers_name_the_cell_and_line(source, message):
    with pytest.raises(release.ReleaseError, match=f"cell 3, {message}"):
        release.stub_source(source, where="cell 3")


def test_release_strips_outputs_and_is_deterministic(tmp_path):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    solution = json.loads((TOY_DIR / "toy.ipynb").read_text())
    code = solution["cells"][1]
    code["execution_count"] = 7
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["secret\n"]}]
    (solutions / "toy.ipynb").write_text(json.dumps(solution))

    first = release.release(solutions, tmp_path / "first")
    second = release.release(solutions, tmp_path / "second")
    assert first[0].read_bytes() == second[0].read_bytes()

    student = json.loads(first[0].read_text())
    assert [cell["id"] for cell in student["cells"]] == [cell["id"] for cell in solution["cells"]]
    for cell in student["cells"]:
        text = "".join(cell["source"])
        assert "BEGIN SOLUTION" not in text and "return a + b" not in text
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert student["cells"][0] == solution["cells"][0]  # Markdown is untouched.
    assert release.stale_assignments(solutions, tmp_path / "first") == []


def test_release_check_reports_stale_and_missing_notebooks(tmp_path, capsys):
    solutions, assignments = tmp_path / "solutions", tmp_path / "assignments"
    solutions.mkdir()
    (solutions / "toy.ipynb").write_bytes((TOY_DIR / "toy.ipynb").read_bytes())
    arguments = ["release", "--solutions", str(solutions), "--out", str(assignments)]
    assert cli.main(arguments + ["--check"]) == 1
    assert "toy.ipynb is missing" in capsys.readouterr().out
    assert cli.main(arguments) == 0
    assert cli.main(arguments + ["--check"]) == 0
    released = assignments / "toy.ipynb"
    released.write_text(released.read_text().replace("YOUR CODE HERE", "done"))
    (assignments / "orphan.ipynb").write_text("{}")
    assert cli.main(arguments + ["--check"]) == 1
    out = capsys.readouterr().out
    assert "toy.ipynb differs from a fresh release" in out
    assert "orphan.ipynb has no solution" in out


@pytest.mark.skipif(not any(SOLUTIONS_DIR.glob("*.ipynb")), reason="solutions/ is empty")
def test_checked_in_assignments_match_a_fresh_release():
    assert release.stale_assignments(SOLUTIONS_DIR, ASSIGNMENTS_DIR) == []


def _released_assignments():
    """The toy assignment, and every solution that has its graded tests."""
    pairs = [(TOY_DIR / "test_toy.py", TOY_DIR / "toy.ipynb")]
    for solution in sorted(SOLUTIONS_DIR.glob("*.ipynb")):
        tests = PUBLIC_TESTS_DIR / f"test_{solution.stem}.py"
        if tests.is_file():
            pairs.append((tests, solution))
    return [pytest.param(tests, solution, id=solution.stem) for tests, solution in pairs]


@pytest.mark.parametrize("test_file, solution", _released_assignments())
def test_solution_earns_full_marks_and_released_stubs_score_zero(test_file, solution, tmp_path):
    """Through the sandboxed grader: no false tampering alarm on the solution, and the student
    copy as released scores 0 with every test accounted for instead of crashing the grader."""
    student = tmp_path / "student.ipynb"
    release.release_notebook(solution, student)
    notebook.load_graded_code(student)  # The stubs are valid Python.
    tests = runner.collect_tests(test_file)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        reference, stub = pool.map(
            lambda path: runner.grade_submission(runner.Submission(path.stem, path), test_file,
                                                 tests),
            (solution, student),
        )
    assert (reference.status, reference.score) == ("ok", reference.max_score), reference.message
    assert stub.status in ("failed", "crashed"), stub.message
    assert stub.score == 0
    assert [test.name for test in stub.tests] == [test.name for test in tests]

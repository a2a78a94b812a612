"""Releasing student notebooks from solutions, and grading what was released."""

import concurrent.futures
import json
import re
from pathlib import Path

import pytest

from autograder import batch, cli, grading, notebook, release
from autograder.assignments import (
    ASSIGNMENTS_DIR,
    PUBLIC_TESTS_DIR,
    SOLUTIONS_DIR,
    find_assignment,
)
from autograder.results import TestCase

TOY_DIR = Path(__file__).with_name("toy")
MARKER, RAISE = release.STUB_LINES


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
        f"    {MARKER}",
        f"    {RAISE}",
        "    for i in range(3):",
        f"        {MARKER}",
        f"        {RAISE}",
        "    return y",
    ])
    assert release.solution_regions(source) == ["    y = x + 1", "        y += i"]


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


def test_points_table_groups_public_and_hidden_points_by_function():
    tests = [
        TestCase("t.py::test_a", 3, description="step: one step"),
        TestCase("t.py::test_b[step_back-1]", 2, description="both directions"),
        TestCase("t_hidden.py::test_c", 1.5, hidden=True, description="step on other shapes"),
    ]
    table = release.points_table(tests, ["step", "step_back"])
    assert table.splitlines()[2:] == [
        "| `step` | 3 | 1.5 | 4.5 |",
        "| `step_back` | 2 | 0 | 2 |",
        "| **total** | **5** | **1.5** | **6.5** |",
    ]
    unnamed = TestCase("t.py::test_d", 1, description="does something")
    with pytest.raises(release.ReleaseError, match="test_d: its docstring's first line must name"):
        release.points_table([unnamed], ["step"])


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


def _revealing_parameters(nodeid, graded_names) -> list[str]:
    """The parts of a test id's parameters that are neither an opaque `case<n>` nor a graded
    name: `test_x[101-sizes0]` -> ["101", "sizes0"]."""
    parameters = nodeid.partition("[")[2].removesuffix("]")
    return [part for part in parameters.split("-") if parameters
            and not re.fullmatch(r"case\d+", part) and part not in graded_names]


@pytest.mark.skipif(not any(SOLUTIONS_DIR.glob("*.ipynb")), reason="solutions/ is empty")
def test_hidden_test_ids_reveal_no_input():
    """Grades and Gradescope show every test's id, so a hidden test's parameters are named
    case1, case2, ... (`hidden_case.cases`) or by the graded name they test, never by a seed,
    shape or edge case."""
    assert _revealing_parameters("t_hidden.py::test_x[101-sizes0]", {"f"}) == ["101", "sizes0"]
    hidden, revealing = 0, {}
    for name, tests in release.all_graded_tests().items():
        graded_names = set(release.graded_names(
            notebook.read_notebook(SOLUTIONS_DIR / f"{name}.ipynb")))
        for test in filter(lambda test: test.hidden, tests):
            hidden += 1
            revealing[test.nodeid] = _revealing_parameters(test.nodeid, graded_names)
    assert hidden and {nodeid: parts for nodeid, parts in revealing.items() if parts} == {}


def _released_assignments():
    """The toy assignment, and every solution that has its graded tests."""
    specs = [str(TOY_DIR / "test_toy.py")]
    specs += [solution.stem for solution in sorted(SOLUTIONS_DIR.glob("*.ipynb"))
              if (PUBLIC_TESTS_DIR / f"test_{solution.stem}.py").is_file()]
    return [pytest.param(spec, id=Path(spec).stem.removeprefix("test_")) for spec in specs]


@pytest.mark.parametrize("spec", _released_assignments())
def test_solution_earns_full_marks_and_released_stubs_score_zero(spec, tmp_path):
    """Through the sandboxed grader, public and hidden tests: no false tampering alarm on the
    solution, and the student copy as released scores 0 with every test accounted for instead
    of crashing the grader."""
    assignment = find_assignment(spec)
    student = tmp_path / "student.ipynb"
    release.release_notebook(assignment.solution, student)
    notebook.load_graded_code(student)  # The stubs are valid Python.
    tests = batch.collect_tests(assignment)
    assert any(test.hidden for test in tests) == (assignment.hidden_tests is not None)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        reference, stub = pool.map(
            lambda path: grading.grade_notebook(path.stem, path, assignment.test_files, tests),
            (assignment.solution, student),
        )
    assert (reference.status, reference.score) == ("ok", reference.max_score), reference.message
    assert stub.status in ("failed", "crashed"), stub.message
    assert stub.score == 0
    assert len(stub.tests) == len(tests)

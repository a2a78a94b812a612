"""Where an assignment's graded tests, solution and student notebook live."""

from dataclasses import dataclass
from pathlib import Path

from autograder.pytest_plugin import REPO_ROOT, SOLUTIONS_DIR, assignment_of

GRADED_TESTS_DIR = REPO_ROOT / "tests" / "assignments"
ASSIGNMENTS_DIR = REPO_ROOT / "assignments"
DEMO_DIR = Path(__file__).resolve().parent / "demo"


class UnknownAssignmentError(ValueError):
    pass


@dataclass(frozen=True)
class Assignment:
    name: str
    tests: Path
    solution: Path
    student_notebook: Path


def known_assignments() -> list[str]:
    names = {assignment_of(path) for path in GRADED_TESTS_DIR.glob("test_*.py")}
    return sorted(names | {"demo"})


def find_assignment(spec: str) -> Assignment:
    """An assignment by name (`a1_rnn_numpy`, or `demo` for the shipped demo class), or by the
    path of its graded test file `test_<name>.py`, whose solution is then `<name>.ipynb` beside
    it when present."""
    if spec.endswith(".py"):
        tests = Path(spec)
        if not tests.is_file():
            raise UnknownAssignmentError(f"graded test file not found: {spec}")
        name = assignment_of(tests)
        solution = tests.with_name(f"{name}.ipynb")
        if not solution.is_file():
            solution = SOLUTIONS_DIR / f"{name}.ipynb"
        return Assignment(name, tests, solution, ASSIGNMENTS_DIR / f"{name}.ipynb")
    tests = GRADED_TESTS_DIR / f"test_{spec}.py"
    if tests.is_file():
        return Assignment(spec, tests, SOLUTIONS_DIR / f"{spec}.ipynb",
                          ASSIGNMENTS_DIR / f"{spec}.ipynb")
    if spec == "demo":
        return Assignment("demo", DEMO_DIR / "test_demo.py", DEMO_DIR / "demo.ipynb",
                          DEMO_DIR / "submissions" / "full_marks.ipynb")
    raise UnknownAssignmentError(
        f"unknown assignment {spec!r}: expected one of {', '.join(known_assignments())} "
        f"(from {GRADED_TESTS_DIR}/test_<name>.py) or the path of a graded test file"
    )

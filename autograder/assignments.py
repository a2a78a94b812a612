"""Where an assignment's graded tests, solution and student notebook live.

Every assignment has public tests, shipped to students for self-checking, and hidden tests (other
shapes, seeds and edge cases) that only the instructor's repository holds:

    tests/assignments/public/test_<name>.py          (+ public/fixtures/...)
    tests/assignments/hidden/test_<name>_hidden.py   (+ hidden/fixtures/...)

A student release has no `hidden/` folder, so `hidden_tests` is None there.
"""

import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS_DIR = REPO_ROOT / "solutions"
ASSIGNMENTS_DIR = REPO_ROOT / "assignments"
GRADED_TESTS_DIR = REPO_ROOT / "tests" / "assignments"
PUBLIC_TESTS_DIR = GRADED_TESTS_DIR / "public"
HIDDEN_TESTS_DIR = GRADED_TESTS_DIR / "hidden"
DEMO_DIR = Path(__file__).resolve().parent / "demo"

_NAME = re.compile(r"[A-Za-z0-9_]+")


class UnknownAssignmentError(ValueError):
    """No assignment by that name or test file; the message lists the known ones."""


@dataclass(frozen=True)
class Assignment:
    name: str
    public_tests: Path
    hidden_tests: Path | None
    solution: Path

    @property
    def test_files(self) -> tuple[Path, ...]:
        """Public tests, then hidden tests when this copy of the course has them."""
        return (self.public_tests,) + ((self.hidden_tests,) if self.hidden_tests else ())


def name_of(test_file) -> str:
    """`test_<name>.py` -> `<name>`."""
    stem = Path(test_file).stem
    if not stem.startswith("test_") or not _NAME.fullmatch(stem.removeprefix("test_")):
        raise UnknownAssignmentError(
            f"graded test files are named test_<name>.py with <name> made of letters, digits "
            f"and _, got {Path(test_file).name}"
        )
    return stem.removeprefix("test_")


def _public_files() -> list[Path]:
    # The flat layout tests/assignments/test_<name>.py is read until its files move to public/.
    return sorted(PUBLIC_TESTS_DIR.glob("test_*.py")) + sorted(GRADED_TESTS_DIR.glob("test_*.py"))


def known_assignments() -> list[str]:
    return sorted({name_of(path) for path in _public_files()} | {"demo"})


def _hidden_beside(public: Path, name: str) -> Path | None:
    """The hidden tests of a public test file: `../hidden/` when it lives in `public/`, else
    beside it."""
    folder = public.parent.with_name("hidden") if public.parent.name == "public" else public.parent
    hidden = folder / f"test_{name}_hidden.py"
    return hidden if hidden.is_file() else None


def find_assignment(spec: str) -> Assignment:
    """An assignment by name (`a1_rnn_numpy`, or `demo` for the shipped demo class), or by the
    path of its public test file `test_<name>.py`, whose solution is then `<name>.ipynb` beside it
    when present.

    Raises:
        UnknownAssignmentError: no such assignment or test file.
    """
    spec = str(spec)
    if spec.endswith(".py"):
        public = Path(spec)
        if not public.is_file():
            raise UnknownAssignmentError(f"graded test file not found: {spec}")
        name = name_of(public)
        solution = public.with_name(f"{name}.ipynb")
        if not solution.is_file():
            solution = SOLUTIONS_DIR / f"{name}.ipynb"
        return Assignment(name, public, _hidden_beside(public, name), solution)
    if spec == "demo":
        return Assignment("demo", DEMO_DIR / "test_demo.py", None, DEMO_DIR / "demo.ipynb")
    if _NAME.fullmatch(spec):
        for public in (PUBLIC_TESTS_DIR / f"test_{spec}.py", GRADED_TESTS_DIR / f"test_{spec}.py"):
            if public.is_file():
                hidden = HIDDEN_TESTS_DIR / f"test_{spec}_hidden.py"
                return Assignment(spec, public, hidden if hidden.is_file() else None,
                                  SOLUTIONS_DIR / f"{spec}.ipynb")
    raise UnknownAssignmentError(
        f"unknown assignment {spec!r}: expected one of {', '.join(known_assignments())} "
        f"(from {PUBLIC_TESTS_DIR.relative_to(REPO_ROOT)}/test_<name>.py) or the path of a "
        "graded test file"
    )

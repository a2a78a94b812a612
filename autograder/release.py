"""Generate student notebooks from solution notebooks.

In every code cell, the lines from `### BEGIN SOLUTION` to `### END SOLUTION` (markers included)
become a `raise NotImplementedError` stub at the indentation of the `BEGIN` marker. Outputs and
execution counts are dropped, so a release is a pure function of the solutions: running it twice
gives byte-identical files.
"""

import copy
from pathlib import Path

import nbformat

from autograder import notebook

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB = 'raise NotImplementedError("YOUR CODE HERE: replace this line with your solution")'


class ReleaseError(ValueError):
    """A solution notebook that cannot be released; the message names the file and cell."""


def stub_source(source: str, where: str = "cell") -> str:
    """Replaces each solution region of a code cell's source by a stub.

    Raises:
        ReleaseError: a marker is unmatched or nested; `where` names the cell in the message.
    """
    output, begin_line = [], None
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            if begin_line is not None:
                raise ReleaseError(
                    f"{where}, line {number}: {BEGIN_SOLUTION} inside the region opened on "
                    f"line {begin_line}; regions cannot nest"
                )
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            output.append(indent + STUB)
        elif stripped.startswith(END_SOLUTION):
            if begin_line is None:
                raise ReleaseError(
                    f"{where}, line {number}: {END_SOLUTION} without {BEGIN_SOLUTION}"
                )
            begin_line = None
        elif begin_line is None:
            output.append(line)
    if begin_line is not None:
        raise ReleaseError(f"{where}, line {begin_line}: {BEGIN_SOLUTION} is never closed")
    return "\n".join(output)


def student_notebook(solution) -> nbformat.NotebookNode:
    """The student copy of a solution notebook: solutions stubbed, outputs stripped."""
    student = copy.deepcopy(solution)
    for index, cell in enumerate(student.cells):
        if cell.cell_type != "code":
            continue
        cell.source = stub_source(cell.source, where=f"cell {index} (id {cell.get('id', index)})")
        cell.outputs = []
        cell.execution_count = None
    return student


def render(nb) -> str:
    """The notebook's canonical text: nbformat's sorted-key JSON with a final newline."""
    return nbformat.writes(nb).rstrip("\n") + "\n"


def released_text(solution_path) -> str:
    """The student notebook's file content for a solution notebook."""
    solution_path = Path(solution_path)
    try:
        solution = nbformat.from_dict(notebook.read_notebook(solution_path))
        return render(student_notebook(solution))
    except (notebook.NotebookError, ReleaseError) as error:
        raise ReleaseError(f"{solution_path}: {error}") from None


def release_notebook(solution_path, student_path) -> None:
    text = released_text(solution_path)
    student_path = Path(student_path)
    student_path.parent.mkdir(parents=True, exist_ok=True)
    student_path.write_text(text, encoding="utf-8")


def release(solutions_dir, assignments_dir) -> list[Path]:
    """Writes `assignments_dir/<name>.ipynb` for every `solutions_dir/<name>.ipynb`."""
    solutions_dir, assignments_dir = Path(solutions_dir), Path(assignments_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"solutions directory not found: {solutions_dir}")
    written = []
    for solution_path in sorted(solutions_dir.glob("*.ipynb")):
        student_path = assignments_dir / solution_path.name
        release_notebook(solution_path, student_path)
        written.append(student_path)
    return written


def stale_assignments(solutions_dir, assignments_dir) -> list[str]:
    """Problems that make the checked-in student notebooks differ from a fresh release."""
    solutions_dir, assignments_dir = Path(solutions_dir), Path(assignments_dir)
    problems = []
    solution_names = {path.name for path in solutions_dir.glob("*.ipynb")}
    for name in sorted(solution_names):
        expected = released_text(solutions_dir / name)
        student_path = assignments_dir / name
        if not student_path.is_file():
            problems.append(f"{student_path} is missing")
        elif student_path.read_text(encoding="utf-8") != expected:
            problems.append(f"{student_path} differs from a fresh release of {name}")
    for path in sorted(assignments_dir.glob("*.ipynb")):
        if path.name not in solution_names:
            problems.append(f"{path} has no solution in {solutions_dir}")
    return problems

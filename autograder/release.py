"""Generate student notebooks from solution notebooks, and the student copy of the course.

In every code cell, the lines from `### BEGIN SOLUTION` to `### END SOLUTION` (markers included)
become a visible `# YOUR CODE HERE` marker and a `raise NotImplementedError` stub at the
indentation of the `BEGIN` marker. A markdown line `<!-- points table -->` becomes the table of
points per graded function, public (self-check) and hidden tests apart, computed from the graded
tests' `points` markers. Outputs and execution counts are dropped, so a release is a pure
function of the solutions and the tests: running it twice gives byte-identical files.

`release_student(DIR)` writes the course as students get it: lessons, released assignments,
seqlib, the autograder, the public tests and fixtures, pyproject.toml, and a student README,
Makefile and environment.yml. The student environment installs what the lessons, assignments and
self-check run (the course's dependencies, its cpu extra and pytest), not the instructor's dev
tools. Solutions, hidden tests, hidden fixtures and mutants stay in the instructor's repository.
"""

import copy
import functools
import re
import shutil
import tomllib
from pathlib import Path

import nbformat

from autograder import assignments, grading, notebook
from autograder.results import GradingError, TestCase

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB_LINES = (
    "# YOUR CODE HERE",
    'raise NotImplementedError("replace these two lines with your solution")',
)
POINTS_TABLE = "<!-- points table -->"
REPO_ROOT = Path(__file__).resolve().parent.parent


class ReleaseError(ValueError):
    """A solution notebook that cannot be released; the message names the file and cell."""


def stub_source(source: str, where: str = "cell") -> str:
    """Replaces each solution region of a code cell's source by a marked stub.

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
            output.extend(indent + stub for stub in STUB_LINES)
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


def solution_regions(source: str) -> list[str]:
    """The code of each solution region of a cell's source (markers excluded)."""
    regions, current = [], None
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            current = []
        elif stripped.startswith(END_SOLUTION):
            regions.append("\n".join(current or []))
            current = None
        elif current is not None:
            current.append(line)
    return regions


# Points table ---------------------------------------------------------------------------------


def graded_names(solution) -> list[str]:
    """Names the graded cells define, in order."""
    names = []
    for cell in notebook.graded_cells(solution):
        names.extend(sorted(notebook.defined_names(cell.source) - set(names)))
    return names


def tested_function(test, names) -> str:
    """The graded name a test grades: the first one its parameters' id mentions, else its
    description, else its name."""
    name = test.nodeid.split("::")[-1]
    parameters = name.partition("[")[2]
    for text in (parameters, test.description, name):
        found = [(match.start(), name) for name in names
                 for match in [re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)] if match]
        if found:
            return min(found)[1]
    raise ReleaseError(
        f"{test.nodeid}: its docstring's first line must name the graded function it tests "
        f"(one of {', '.join(names)})"
    )


def _points(value: float) -> str:
    return f"{value:g}"


def points_table(tests, names) -> str:
    """A markdown table of the points per graded function: self-check tests, hidden tests."""
    rows = {}
    for test in tests:
        row = rows.setdefault(tested_function(test, names), [0.0, 0.0])
        row[1 if test.hidden else 0] += test.points
    lines = ["| graded function | self-check tests | hidden tests | points |",
             "| --- | ---: | ---: | ---: |"]
    for name in sorted(rows, key=names.index):
        public, hidden = rows[name]
        lines.append(f"| `{name}` | {_points(public)} | {_points(hidden)} | "
                     f"{_points(public + hidden)} |")
    public = sum(row[0] for row in rows.values())
    hidden = sum(row[1] for row in rows.values())
    lines.append(f"| **total** | **{_points(public)}** | **{_points(hidden)}** | "
                 f"**{_points(public + hidden)}** |")
    return "\n".join(lines)


@functools.cache
def all_graded_tests() -> dict[str, list[TestCase]]:
    """The graded tests of every assignment with public tests, by assignment name."""
    files = sorted(assignments.PUBLIC_TESTS_DIR.glob("test_*.py"))
    files += sorted(assignments.HIDDEN_TESTS_DIR.glob("test_*_hidden.py"))
    try:
        collected = grading.collect_tests(files)
    except GradingError as error:
        raise ReleaseError(str(error)) from None
    tests = {}
    for test in collected:
        stem = Path(test.nodeid.split("::")[0]).stem
        tests.setdefault(stem.removeprefix("test_").removesuffix("_hidden"), []).append(test)
    return tests


def _graded_tests(solution_path: Path) -> list[TestCase]:
    """The graded tests of the assignment a solution belongs to (public and hidden)."""
    tests = all_graded_tests().get(solution_path.stem, [])
    if not any(test.hidden for test in tests):
        raise ReleaseError(f"{solution_path.name}: the points table needs the public and hidden "
                           f"tests of {solution_path.stem}")
    return tests


# Notebooks ------------------------------------------------------------------------------------


def student_notebook(solution, tests=None) -> nbformat.NotebookNode:
    """The student copy of a solution notebook: solutions stubbed, outputs stripped, and the
    points table filled in from `tests` (required when the notebook has the marker)."""
    student = copy.deepcopy(solution)
    for index, cell in enumerate(student.cells):
        where = f"cell {index} (id {cell.get('id', index)})"
        if cell.cell_type == "markdown" and POINTS_TABLE in cell.source:
            if tests is None:
                raise ReleaseError(f"{where}: {POINTS_TABLE} needs the graded tests")
            cell.source = cell.source.replace(POINTS_TABLE, points_table(tests,
                                                                         graded_names(solution)))
        if cell.cell_type != "code":
            continue
        cell.source = stub_source(cell.source, where=where)
        cell.outputs = []
        cell.execution_count = None
    return student


def render(nb) -> str:
    """The notebook's canonical text: nbformat's sorted-key JSON with a final newline."""
    return nbformat.writes(nb).rstrip("\n") + "\n"


def released_text(solution_path, tests=None) -> str:
    """The student notebook's file content for a solution notebook. The graded tests are
    collected when the notebook has a points table and `tests` is not given."""
    solution_path = Path(solution_path)
    try:
        solution = nbformat.from_dict(notebook.read_notebook(solution_path))
        if tests is None and any(POINTS_TABLE in cell.source for cell in solution.cells
                                 if cell.cell_type == "markdown"):
            tests = _graded_tests(solution_path)
        return render(student_notebook(solution, tests))
    except (notebook.NotebookError, ReleaseError) as error:
        raise ReleaseError(f"{solution_path}: {error}") from None


def release_notebook(solution_path, student_path, tests=None) -> None:
    text = released_text(solution_path, tests)
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


# The student course ---------------------------------------------------------------------------

# What students get, relative to the repository root: folders copied whole (minus caches), and
# single files. Nothing under solutions/ or tests/assignments/hidden/ is ever listed.
STUDENT_FOLDERS = ("lessons", "seqlib", "autograder", "tests/assignments/public")
STUDENT_FILES = ("pyproject.toml", "tests/conftest.py")
# Of the dev extra, students need only what the self-check runs; the rest (ruff, Sphinx,
# Playwright, JAX, ...) builds and tests the course.
STUDENT_DEV_TOOLS = ("pytest",)
# Instructor-only parts of the copied folders.
EXCLUDED = ("autograder/demo", "lessons/_build", "lessons/.jupyter_cache")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".pytest_cache",
                                 "_build", ".jupyter_cache")

STUDENT_MAKEFILE = """\
# seqcourse, student edition: `make lab` to study and solve the assignments,
# `make check A=a1_rnn_numpy` to run the self-check tests on assignments/a1_rnn_numpy.ipynb
# (or NB=path/to/your_copy.ipynb). The first target you run sets up .venv (a few minutes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# pyproject extras; EXTRAS=gpu puts TensorFlow with CUDA in place of the CPU build.
EXTRAS ?= cpu

export TF_CPP_MIN_LOG_LEVEL ?= 2
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install lab check clean

$(STAMP): pyproject.toml
\t@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "seqcourse needs Python >= 3.11"'
\t@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]" {tools}
\t@touch $@

install: $(STAMP)

# As root (a container) --allow-root is added for you.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
\t$(BIN)/jupyter lab --ServerApp.root_dir=. $(LAB_ARGS)

A ?=
NB ?= assignments/$(A).ipynb
check: $(STAMP)
\t@test -n "$(A)" || (echo "usage: make check A=a1_rnn_numpy [NB=path/to/notebook.ipynb]"; exit 2)
\t$(BIN)/python -m autograder check $(A) $(NB)

clean:
\trm -rf $(VENV) .pytest_cache
"""

STUDENT_README = """\
# seqcourse: recurrent neural networks with Keras 3

Lessons, graded assignments and the `seqlib` library of the course.

## Start

```
make lab            # sets up .venv on first use, then opens JupyterLab here
```

(With conda instead: `conda env create -f environment.yml && conda activate seqcourse`, then
`jupyter lab`.)

- `lessons/NN_topic.ipynb`: the lessons, in order.
- `assignments/`: the graded assignments. Write your code where a cell says `# YOUR CODE HERE`
  (replace the `raise NotImplementedError(...)` line below it) and keep the function names and
  signatures. Only the cells tagged `graded` are graded; do not remove the tag (JupyterLab shows
  a cell's tags in the Property Inspector, the gear icon of the right sidebar). Graded cells
  carry their own imports and must not use anything defined in other cells.
- `seqlib/`: the course library the lessons use.
- `tests/assignments/public/`: the self-check tests.

## Check your work

The last cell of each assignment runs the self-check on the notebook it runs in (save it
first). From a terminal: `make check A=a1_rnn_numpy NB=assignments/a1_rnn_numpy.ipynb`, or
`python -m autograder check a1_rnn_numpy path/to/notebook.ipynb`.

The self-check runs the **public tests**: they show the failing input and the expected and
actual values. Your grade also counts **hidden tests**, which check the same properties on other
shapes, seeds and edge cases, and whose results you see only after the due date. The table at
the top of each assignment lists the points of both. Each test has a time limit of 60 seconds.
Graded functions must be your own work: the tests give no points to a function that hands the
task to a library that already solves it (the assignment says what is off limits).
"""


def _project(repo_root) -> dict:
    return tomllib.loads((Path(repo_root) / "pyproject.toml").read_text())["project"]


def student_requirements(repo_root=REPO_ROOT) -> tuple[list[str], list[str], list[str]]:
    """pyproject.toml's requirements that students install: the course's dependencies, the cpu
    extra, and the dev tools the self-check runs (`STUDENT_DEV_TOOLS`)."""
    project = _project(repo_root)
    extras = project["optional-dependencies"]
    tools = [requirement for requirement in extras["dev"]
             if re.match(r"[A-Za-z0-9_.-]+", requirement).group() in STUDENT_DEV_TOOLS]
    return project["dependencies"], extras["cpu"], tools


def student_environment(repo_root=REPO_ROOT) -> str:
    """The student edition's environment.yml: what `student_requirements` lists, for conda."""
    dependencies, cpu, tools = student_requirements(repo_root)
    python = _project(repo_root)["requires-python"].removeprefix(">=")

    def items(requirements):
        return "".join(f"      - {requirement}\n" for requirement in requirements)

    return (
        "# Conda environment for the seqcourse student edition: the lessons, assignments and\n"
        "# self-check.  conda env create -f environment.yml && conda activate seqcourse\n"
        "name: seqcourse\nchannels:\n  - conda-forge\ndependencies:\n"
        f"  - python={python}\n  - pip\n  - pip:\n{items(dependencies)}"
        "      # cpu extra (for an NVIDIA GPU, the gpu extra's lines of pyproject.toml instead)\n"
        f"{items(cpu)}      # the self-check\n{items(tools)}"
        "      # seqlib and the autograder themselves\n      - -e .\n"
    )


def _copy_folder(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=IGNORED, dirs_exist_ok=False)


def release_student(target, repo_root=REPO_ROOT) -> Path:
    """Writes the student course into the empty or new folder `target`.

    Raises:
        ReleaseError: `target` exists and is not empty, or is inside the repository.
    """
    target, repo_root = Path(target).resolve(), Path(repo_root).resolve()
    if target == repo_root or repo_root in target.parents:
        raise ReleaseError(f"{target} is inside the repository; choose a folder outside it")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ReleaseError(f"{target} exists and is not an empty folder")
    target.mkdir(parents=True, exist_ok=True)
    for folder in STUDENT_FOLDERS:
        _copy_folder(repo_root / folder, target / folder)
    for excluded in EXCLUDED:
        shutil.rmtree(target / excluded, ignore_errors=True)
    for name in STUDENT_FILES:
        if (repo_root / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(repo_root / name, target / name)
    release(repo_root / "solutions", target / "assignments")
    tools = " ".join(f'"{tool}"' for tool in student_requirements(repo_root)[2])
    (target / "Makefile").write_text(STUDENT_MAKEFILE.format(tools=tools), encoding="utf-8")
    (target / "environment.yml").write_text(student_environment(repo_root), encoding="utf-8")
    (target / "README.md").write_text(STUDENT_README, encoding="utf-8")
    return target

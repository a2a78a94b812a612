"""Pytest plugin for graded tests: the `submission` fixture and the `points` marker.

A graded test module `test_<assignment>.py` receives, through the `submission` fixture, the module
built from the `graded` cells of a notebook: `--notebook PATH` when given, else the solution
`solutions/<assignment>.ipynb`, so a plain `pytest` run proves every solution earns full marks::

    @pytest.mark.points(2)
    def test_step_shape(submission):
        assert submission.rnn_step(x, h, params).shape == (4, 8)

A notebook that cannot be built (unreadable, no graded cell, syntax error, a cell raising) fails
every test of its module with a clear message instead of stopping the run.
"""

import numbers
from pathlib import Path

import pytest

from autograder import notebook

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS_DIR = REPO_ROOT / "solutions"

_modules = pytest.StashKey[dict]()


def pytest_addoption(parser):
    parser.getgroup("autograder").addoption(
        "--notebook",
        metavar="PATH",
        help="notebook whose graded cells the `submission` fixture builds "
        "(default: solutions/<assignment>.ipynb)",
    )


def pytest_configure(config):
    # Declared here too so graded tests run warning-free outside this repository (Gradescope).
    config.addinivalue_line("markers", "points(n): points a graded assignment test is worth")
    config.stash[_modules] = {}


def pytest_collection_modifyitems(items):
    for item in items:
        marker = item.get_closest_marker("points")
        if marker is None:
            continue
        value = marker.args[0] if len(marker.args) == 1 and not marker.kwargs else None
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or value < 0:
            raise pytest.UsageError(
                f"{item.nodeid}: expected @pytest.mark.points(n) with one number n >= 0, "
                f"got points(*{marker.args}, **{marker.kwargs})"
            )


def assignment_of(test_path) -> str:
    """`test_<assignment>.py` -> `<assignment>`."""
    stem = Path(test_path).stem
    if not stem.startswith("test_") or stem == "test_":
        raise ValueError(f"graded test files are named test_<assignment>.py, got {stem}.py")
    return stem.removeprefix("test_")


@pytest.fixture(scope="module")
def assignment_name(request) -> str:
    """The assignment a graded test module grades, from its file name."""
    return assignment_of(request.path)


@pytest.fixture(scope="module")
def solution_notebook(assignment_name) -> Path:
    """The reference notebook; override this fixture for assignments kept outside solutions/."""
    return SOLUTIONS_DIR / f"{assignment_name}.ipynb"


@pytest.fixture(scope="module")
def submission_notebook(request, solution_notebook) -> Path:
    """The notebook under test: `--notebook` when given, else the solution."""
    option = request.config.getoption("notebook")
    return Path(option) if option else Path(solution_notebook)


@pytest.fixture(scope="module")
def submission(request, submission_notebook):
    """The module built from the graded cells of the notebook under test (cached per session)."""
    cache = request.config.stash[_modules]
    key = submission_notebook.resolve()
    if key not in cache:
        try:
            cache[key] = notebook.build_module(submission_notebook)
        except (OSError, notebook.NotebookError, notebook.SubmissionExecutionError) as error:
            cache[key] = f"cannot build the submission from {submission_notebook}:\n{error}"
    built = cache[key]
    if isinstance(built, str):
        pytest.fail(built, pytrace=False)
    return built

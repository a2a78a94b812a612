"""Pytest plugin for graded tests: fixtures onto a sandboxed submission, and the markers.

Graded tests run in this TRUSTED process, which never executes student code. The `submission`
fixture is an `autograder.rpc.Submission` proxy onto a sandboxed child process
(`autograder.sandbox`) that loaded the graded cells of the notebook under test: `--notebook PATH`
when given, else the assignment's solution, so a plain `pytest` run proves every solution earns
full marks::

    @pytest.mark.points(2)
    @pytest.mark.time_limit(10)          # seconds for this test's calls (default 60)
    @pytest.mark.visibility("hidden")     # Gradescope visibility (see below)
    def test_step_shape(submission):
        \"\"\"The step keeps the batch and unit dimensions.\"\"\"   # shown for hidden tests
        h, _ = submission.rnn_step(x, h0, params)    # arrays in, arrays out (copies)
        assert h.shape == (4, 8)                     # the verdict is computed here

How tests talk to the submission (see `autograder.rpc` for every rule):
- `submission.name`: a top-level name of the graded cells; data comes back as data, functions
  and classes as `RemoteObject` handles. A missing name fails the test with "function `name`
  is missing from your graded cells".
- `submission.lib("keras.layers.RNN")`: a library object imported in the child.
- `submission.typename(value)`, `submission.put(value)`, `submission.get(handle)`,
  `submission.keep(function, *args)`: see `autograder.rpc.Submission`.
- Built-in exceptions raised by student code keep their class (`pytest.raises(ValueError)`);
  others arrive as `autograder.rpc.RemoteError`. A test whose calls run past its time limit
  fails with "timed out after N s" and the next test gets a fresh child.
- `graded_source`: the graded cells' text, for static checks here (parse it with
  `autograder.notebook.parse_graded_source`).

Markers: `points(n)` (required for graded tests, n >= 0), `time_limit(seconds)` and
`visibility("visible" | "after_due_date" | "after_published" | "hidden")`; the default
visibility is "visible" for public tests and "after_due_date" for hidden ones
(`test_<name>_hidden.py`). Options: `--notebook`, `--sandbox auto|bwrap|plain`, `--memory-mb`,
`--time-limit` (a cap on every test's limit).
"""

import numbers
import os
import stat
import sys
from pathlib import Path

import pytest

from autograder import dependencies, notebook, rpc, sandbox

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024

_proxies = pytest.StashKey[dict]()
_clock = pytest.StashKey[list]()


def pytest_addoption(parser):
    group = parser.getgroup("autograder")
    group.addoption("--notebook", metavar="PATH",
                    help="notebook whose graded cells the `submission` fixture loads "
                         "(default: the assignment's solution)")
    group.addoption("--sandbox", default="auto", choices=("auto", "bwrap", "plain"),
                    help="how submission processes are isolated (default auto: bubblewrap "
                         "where available, else plain with a warning)")
    group.addoption("--time-limit", type=float, metavar="S",
                    help="cap on every test's time limit in seconds (default: the tests' own "
                         f"`time_limit` markers, else {rpc.DEFAULT_TIME_LIMIT_S:g})")
    group.addoption("--memory-mb", type=int, default=sandbox.DEFAULT_MEMORY_MB, metavar="MB",
                    help=f"memory per submission, 0 for none (default "
                         f"{sandbox.DEFAULT_MEMORY_MB})")


def pytest_configure(config):
    # Declared here too so graded tests run warning-free outside this repository (Gradescope).
    config.addinivalue_line("markers", "points(n): points a graded assignment test is worth")
    config.addinivalue_line("markers", "time_limit(seconds): time for a graded test's calls")
    config.addinivalue_line("markers", "visibility(name): Gradescope visibility of a test")
    config.stash[_proxies] = {}
    config.stash[_clock] = ["", rpc.DEFAULT_TIME_LIMIT_S]


def _single_argument(item, name):
    marker = item.get_closest_marker(name)
    if marker is None:
        return None, None
    if len(marker.args) != 1 or marker.kwargs:
        return marker, rpc  # A sentinel that fails every check below.
    return marker, marker.args[0]


def pytest_collection_modifyitems(items):
    for item in items:
        marker, points = _single_argument(item, "points")
        if marker is not None and not _non_negative(points):
            raise pytest.UsageError(f"{item.nodeid}: expected @pytest.mark.points(n) with one "
                                    f"number n >= 0, got points{marker.args}")
        marker, limit = _single_argument(item, "time_limit")
        if marker is not None and not (_non_negative(limit) and limit > 0):
            raise pytest.UsageError(f"{item.nodeid}: expected @pytest.mark.time_limit(seconds) "
                                    f"with one number > 0, got time_limit{marker.args}")
        marker, visibility = _single_argument(item, "visibility")
        if marker is not None and visibility not in VISIBILITIES:
            raise pytest.UsageError(f"{item.nodeid}: visibility must be one of "
                                    f"{', '.join(VISIBILITIES)}, got {marker.args}")


def _non_negative(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0


def is_hidden(path) -> bool:
    return Path(path).stem.endswith("_hidden")


def test_metadata(item) -> dict:
    """What the grader records about a collected test: points, visibility, hidden, and the
    first line of its docstring (the description shown for hidden tests)."""
    hidden = is_hidden(item.path)
    _, points = _single_argument(item, "points")
    _, visibility = _single_argument(item, "visibility")
    doc = (getattr(item, "function", None).__doc__ or "").strip() if hasattr(
        item, "function") else ""
    return {"nodeid": item.nodeid, "points": points, "hidden": hidden,
            "visibility": visibility or ("after_due_date" if hidden else "visible"),
            "description": doc.splitlines()[0] if doc else ""}


def time_limit(item) -> float:
    """The test's `time_limit` marker (default 60 s), capped by `--time-limit`."""
    _, limit = _single_argument(item, "time_limit")
    limit = float(limit) if limit else rpc.DEFAULT_TIME_LIMIT_S
    cap = item.config.getoption("time_limit")
    return min(limit, cap) if cap else limit


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    clock = item.config.stash[_clock]
    clock[:] = [item.nodeid, time_limit(item)]
    for proxy in item.config.stash[_proxies].values():
        if isinstance(proxy, rpc.Submission):
            proxy.start_test(*clock)


def pytest_sessionfinish(session):
    for proxy in session.config.stash[_proxies].values():
        if isinstance(proxy, rpc.Submission):
            proxy.close()


def proxies(config) -> list[rpc.Submission]:
    """The session's submission proxies (their `incidents` tell timeouts, crashes, tampering)."""
    return [proxy for proxy in config.stash[_proxies].values()
            if isinstance(proxy, rpc.Submission)]


def assignment_of(test_path) -> str:
    """`test_<assignment>.py` (or `test_<assignment>_hidden.py`) -> `<assignment>`."""
    stem = Path(test_path).stem
    if not stem.startswith("test_") or stem == "test_":
        raise ValueError(f"graded test files are named test_<assignment>.py, got {stem}.py")
    return stem.removeprefix("test_").removesuffix("_hidden")


@pytest.fixture(scope="module")
def assignment_name(request) -> str:
    """The assignment a graded test module grades, from its file name."""
    return assignment_of(request.path)


@pytest.fixture(scope="module")
def solution_notebook(assignment_name) -> Path:
    """The reference notebook; override this fixture for assignments kept outside solutions/."""
    from autograder.assignments import SOLUTIONS_DIR

    return SOLUTIONS_DIR / f"{assignment_name}.ipynb"


@pytest.fixture(scope="module")
def submission_notebook(request, solution_notebook) -> Path:
    """The notebook under test: `--notebook` when given, else the solution."""
    option = request.config.getoption("notebook")
    return Path(option) if option else Path(solution_notebook)


def read_notebook_bytes(path) -> bytes:
    """The bytes of a regular file, never following a symbolic link and never blocking on a
    FIFO, at most `MAX_NOTEBOOK_BYTES`.

    Raises:
        OSError: not a readable regular file, or too large (the message says which).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{Path(path).name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise OSError(f"{Path(path).name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB")
        return file.read(MAX_NOTEBOOK_BYTES + 1)[:MAX_NOTEBOOK_BYTES]


def _new_proxy(config, path: Path, template: Path) -> "rpc.Submission | str":
    try:
        data = read_notebook_bytes(path)
    except OSError as error:
        reason = error.strerror if error.strerror else str(error)
        if error.errno == 40:  # ELOOP: the path is a symbolic link.
            reason = "it is a symbolic link (links are never followed)"
        return f"cannot read the notebook {path.name}: {reason}"
    memory_mb = config.getoption("memory_mb") or None
    box = sandbox.Sandbox(mode=config.getoption("sandbox"), memory_mb=memory_mb,
                          preload=_libraries(template))
    return rpc.Submission(data, path.name, box, describe_missing=_missing_message(path, template))


def _libraries(template: Path) -> tuple[str, ...]:
    """The top-level modules the solution's graded cells import, which the sandbox's template
    process imports once for all children; this process's own imports where the solution is
    not at hand (a Gradescope bundle ships none)."""
    try:
        tree = notebook.parse_graded_source(notebook.graded_source(
            notebook.read_notebook(_regular_file(template))))
    except (OSError, ValueError, AssertionError, RecursionError, MemoryError):
        return tuple(sorted(name for name in sys.modules if "." not in name))
    names = dependencies.imported_modules(tree, nested=True)
    return tuple(sorted({name.split(".")[0] for name in names}))


def _missing_message(path: Path, template: Path):
    """Words a missing name like `notebook.missing_name_message`, naming the graded cell that
    lost its tag or was deleted when both notebooks can be read."""

    def describe(name: str) -> str:
        try:
            return notebook.missing_name_message(
                name, notebook.read_notebook(_regular_file(path)),
                notebook.read_notebook(_regular_file(template)))
        except (OSError, ValueError, RecursionError, MemoryError):
            return notebook.missing_name_message(name)

    return describe


def _regular_file(path: Path) -> Path:
    """`path` when it is a regular file and not a symbolic link (a FIFO would block)."""
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise OSError(f"{path.name} is not a regular file")
    return path


@pytest.fixture(scope="module")
def submission(request, submission_notebook, solution_notebook) -> rpc.Submission:
    """A proxy onto the graded cells of the notebook under test, loaded in a sandboxed child
    (one per notebook and session, shared by public and hidden test modules)."""
    cache = request.config.stash[_proxies]
    key = os.path.abspath(submission_notebook)
    if key not in cache:
        cache[key] = _new_proxy(request.config, Path(submission_notebook),
                                Path(solution_notebook))
        if isinstance(cache[key], rpc.Submission):
            cache[key].start_test(*request.config.stash[_clock])
    proxy = cache[key]
    if isinstance(proxy, str):
        pytest.fail(proxy, pytrace=False)
    return proxy


@pytest.fixture(scope="module")
def graded_source(submission_notebook) -> str:
    """The text of the graded cells, for static checks in this (trusted) process; parse it with
    `autograder.notebook.parse_graded_source`. Reading is guarded: a notebook that cannot be
    read fails the test with a clear message."""
    try:
        parsed = notebook.read_notebook(_regular_file(Path(submission_notebook)))
        return notebook.graded_source(parsed)
    except notebook.NotebookError as error:
        pytest.fail(f"cannot read the graded cells: {error}", pytrace=False)
    except (OSError, ValueError, RecursionError, MemoryError) as error:
        pytest.fail(f"cannot read the graded cells ({type(error).__name__})", pytrace=False)

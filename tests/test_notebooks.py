"""Notebooks are stored clean; solutions run top to bottom with SEQ_FAST=1; a kernel is quiet.

The lessons run with SEQ_FAST=1 too, once, in tests/test_book.py: building the book executes them.
"""

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from seqlib.plotting import FAST_MODE_STAMP

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
ALL_NOTEBOOKS = LESSONS + SOLUTIONS + sorted((ROOT / "assignments").glob("*.ipynb"))
LESSON_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
# Generous per-cell limit: a stuck cell fails the test instead of stalling CI.
CELL_TIMEOUT_S = 300


def relative(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=relative)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{relative(path)}: cells {dirty} carry outputs; clear them before committing"


def test_lessons_are_numbered_consecutively():
    numbers = []
    for path in LESSONS:
        match = LESSON_NAME.match(path.name)
        assert match, f"{path.name} is not named NN_topic.ipynb"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(len(LESSONS))), f"lesson numbers {numbers} have gaps"
    assert len(LESSONS) == 11, "the course has lessons 00 to 10"


def execute(path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{relative(path)} failed in fast mode:\n{error}")
    return time.perf_counter() - start


@pytest.fixture
def fast_mode(monkeypatch):
    # The kernel inherits this process's environment.
    monkeypatch.setenv("SEQ_FAST", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=relative)
def test_solution_runs_in_fast_mode(path, fast_mode):
    seconds = execute(path)
    print(f"{relative(path)}: {seconds:.1f} s")


TENSORFLOW_NOISE = re.compile(r"absl::InitializeLog|oneDNN|^[IWE]\d{4} ", re.MULTILINE)


@pytest.mark.slow
def test_fresh_kernel_is_quiet_and_stamps_fast_mode_figures(monkeypatch):
    # What a student's first cells do, with no log level set beforehand.
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # ipykernel shows what is written to file descriptor 2 in the notebook, but not under pytest.
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.setenv("SEQ_FAST", "1")
    cells = ["import seqlib\nimport keras",
             # What TensorFlow logs at run time: a harmless oneDNN "error", then a real one.
             "import os\nos.write(2, b'E0000 00:00:1.5  7 util.cc:131] oneDNN supports DT_BOOL"
             " only on platforms with AVX-512.\\nE0000 00:00:1.5  7 a.cc:1] real trouble\\n')\n"
             "import time\ntime.sleep(2)  # descriptor 2 reaches the notebook asynchronously",
             "import matplotlib.pyplot as plt\nfigure = plt.figure()\n"
             "print([text.get_text() for text in figure.texts])"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3").execute()
    first, runtime, second = (cell.outputs for cell in notebook.cells)
    stderr = "".join(o.text for o in first if o.output_type == "stream" and o.name == "stderr")
    assert not TENSORFLOW_NOISE.search(stderr), f"TensorFlow start-up noise:\n{stderr}"
    stderr = "".join(o.text for o in runtime + second if o.output_type == "stream")
    assert "real trouble" in stderr and "oneDNN" not in stderr, stderr
    assert FAST_MODE_STAMP in "".join(o.get("text", "") for o in second)

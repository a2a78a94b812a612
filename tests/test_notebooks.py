"""Notebooks are stored clean; every lesson and solution runs top to bottom with SEQ_FAST=1."""

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

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
@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=relative)
def test_notebook_runs_in_fast_mode(path, fast_mode):
    seconds = execute(path)
    print(f"{relative(path)}: {seconds:.1f} s")

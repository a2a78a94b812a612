"""Lessons that inspect gradients run on the JAX backend too (fast mode, one kernel each)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
# 03 and 04 differentiate through Keras layers (seqlib.autodiff.grad), the backend-specific part.
JAX_LESSONS = [ROOT / "lessons" / "03_vanishing_exploding.ipynb",
               ROOT / "lessons" / "04_lstm.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize("path", JAX_LESSONS, ids=lambda path: path.stem)
def test_lesson_runs_on_jax_in_fast_mode(path, monkeypatch):
    # The kernel inherits this process's environment.
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("SEQ_FAST", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed on the JAX backend:\n{error}")
    printed = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert "jax" in printed, f"{path.name} did not report running on the JAX backend"

"""Every lesson, solution and assignment opens in Colab: setup cell first, link under the title.

A notebook edited without rerunning `python -m seqlib.colab` fails here.
"""

from pathlib import Path

import nbformat
import pytest

from seqlib import colab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = colab.course_notebooks(ROOT) + sorted((ROOT / "assignments").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_the_current_colab_setup_cell_and_link(path):
    notebook = nbformat.read(path, as_version=4)
    relative = colab.student_path(path)
    assert not colab.update_notebook(notebook, relative, colab.repository_url()), (
        f"{relative}: run `python -m seqlib.colab` (and `python -m autograder release`)")
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert colab.SETUP_TAG in first_code.metadata.get("tags", [])

"""Reading notebooks, extracting graded cells and building the submission module."""

import json
import pickle
import sys

import pytest

from autograder import notebook


def test_graded_cells_are_the_tagged_code_cells_in_order(toy_variant, tmp_path):
    path = toy_variant(tmp_path / "toy.ipynb")
    cells = notebook.graded_cells(notebook.read_notebook(path))
    assert [cell.index for cell in cells] == [1, 2, 5]
    assert [cell.cell_id for cell in cells] == ["cell-01", "cell-02", "cell-05"]
    assert "def norm(values):" in cells[-1].source
    assert "the grader must not run ungraded cells" not in notebook.graded_source(
        notebook.read_notebook(path)
    )


def test_magics_become_pass_keeping_line_numbers_and_blocks():
    source = "%matplotlib inline\nif True:\n    !pip install numpy\nx = 1  # 100% sure"
    assert notebook.strip_magics(source) == "pass\nif True:\n    pass\nx = 1  # 100% sure"


def test_build_module_registers_it_so_dataclasses_pickle(toy_variant, tmp_path):
    module = notebook.build_module(toy_variant(tmp_path / "toy.ipynb"))
    try:
        assert sys.modules[module.__name__] is module
        running = module.Running().update(2.0).update(4.0)
        assert pickle.loads(pickle.dumps(running)).mean == 3.0
        assert module.add(2, 3) == 5
    finally:
        del sys.modules[module.__name__]


def test_each_build_is_a_fresh_module(toy_variant, tmp_path):
    path = toy_variant(tmp_path / "toy.ipynb")
    first, second = notebook.build_module(path), notebook.build_module(path)
    try:
        assert first.__name__ != second.__name__
        assert first.Running is not second.Running
    finally:
        del sys.modules[first.__name__], sys.modules[second.__name__]


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"cells": [', "not valid notebook JSON"),
        ("[1, 2]", "no list of cells"),
        ('{"cells": [], "nbformat": 3}', "nbformat 3, expected 4"),
        ('{"cells": [{"cell_type": "code", "source": 7}], "nbformat": 4}', "no text source"),
    ],
)
def test_unreadable_notebooks_are_corrupt(tmp_path, text, message):
    path = tmp_path / "broken.ipynb"
    path.write_text(text)
    with pytest.raises(notebook.CorruptNotebookError, match=message) as raised:
        notebook.build_module(path)
    assert raised.value.status == "corrupt_notebook"


def test_list_sources_are_joined(tmp_path):
    cell = {"cell_type": "code", "metadata": {"tags": ["graded"]},
            "source": ["x = 1\n", "y = x + 1"]}
    path = tmp_path / "lines.ipynb"
    path.write_text(json.dumps({"cells": [cell], "nbformat": 4}))
    assert notebook.build_module(path).y == 2


def test_missing_graded_cell(toy_variant, tmp_path):
    with pytest.raises(notebook.MissingGradedCellError, match="no code cell tagged 'graded'"):
        notebook.build_module(toy_variant(tmp_path / "toy.ipynb", untag=True))


def test_syntax_error_names_the_cell_and_line_without_running_anything(toy_variant, tmp_path):
    path = toy_variant(
        tmp_path / "toy.ipynb",
        cells={1: "raise SystemExit('must not run')", 5: "def norm(values):\n    return ("},
    )
    with pytest.raises(notebook.GradedCellSyntaxError,
                       match=r"graded cell 5 \(id cell-05\), line 2: SyntaxError"):
        notebook.build_module(path)


@pytest.mark.parametrize("statement", ["1 / 0", "import sys; sys.exit(3)"])
def test_a_raising_cell_reports_the_students_traceback(toy_variant, tmp_path, statement):
    path = toy_variant(tmp_path / "toy.ipynb", cells={2: f"x = 1\n{statement}"})
    modules_before = set(sys.modules)
    with pytest.raises(notebook.SubmissionExecutionError) as raised:
        notebook.build_module(path)
    assert set(sys.modules) == modules_before
    message = str(raised.value)
    assert "graded cell 2 (id cell-02)" in message and "line 2" in message
    assert statement in message  # The offending source line, read back from linecache.
    assert "notebook.py" not in message


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebook not found"):
        notebook.build_module(tmp_path / "nope.ipynb")


def _cell(cell_id, source, tags=("graded",), kind="code"):
    return {"cell_type": kind, "id": cell_id, "metadata": {"tags": list(tags)}, "source": source}


TEMPLATE = {"cells": [
    _cell("intro", "# Assignment", tags=(), kind="markdown"),
    _cell("clip", "def clip_by_global_norm(grads, max_norm):\n    raise NotImplementedError"),
    _cell("norms", "import numpy as np\nSCALE = 2\n\nclass Norms:\n    pass"),
]}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda cells: cells[1]["metadata"].update(tags=[]),
         "cell `clip` lost its `graded` tag (in JupyterLab select the cell, open the Property "
         "Inspector"),
        (lambda cells: cells.pop(1), "the graded cell `clip` that defines it was deleted"),
        (lambda cells: cells[1].update(source="def clip(grads, max_norm):\n    pass"),
         "cell `clip` no longer defines it (keep the names and signatures)"),
    ],
    ids=["tag-removed", "cell-deleted", "function-renamed"],
)
def test_a_missing_graded_name_says_which_cell_and_why(change, message):
    submission = json.loads(json.dumps(TEMPLATE))
    change(submission["cells"])
    text = notebook.missing_name_message("clip_by_global_norm", submission, TEMPLATE)
    assert text.startswith("function `clip_by_global_norm` is missing from your graded cells: ")
    assert message in text


def test_a_missing_name_without_notebooks_or_template_cell_is_the_plain_message():
    plain = "function `clip_by_global_norm` is missing from your graded cells"
    assert notebook.missing_name_message("clip_by_global_norm") == plain
    assert notebook.missing_name_message("not_in_template", TEMPLATE, TEMPLATE) == (
        "function `not_in_template` is missing from your graded cells")


def test_defined_names_are_the_top_level_definitions():
    assert notebook.defined_names(TEMPLATE["cells"][2]["source"]) == {"Norms", "SCALE"}
    assert notebook.defined_names("def broken(:") == set()


@pytest.mark.parametrize("text", ["def f(:\n", "x = " + "(" * 10_000 + ")" * 10_000, "a\0b"],
                         ids=["syntax", "deep-nesting", "null-byte"])
def test_parse_graded_source_fails_cleanly(text):
    with pytest.raises(notebook.GradedSourceError, match="your graded cells cannot be parsed"):
        notebook.parse_graded_source(text)
    assert isinstance(notebook.GradedSourceError("x"), AssertionError)

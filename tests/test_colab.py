"""seqlib.colab puts one setup cell first and a Colab link under the title, idempotently."""

import nbformat
import pytest

from seqlib import colab

REPOSITORY = "https://github.com/someone/seqcourse"


def lesson():
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lesson 04 — LSTM\n\nGates and the cell state."),
        nbformat.v4.new_code_cell("import keras"),
        nbformat.v4.new_markdown_cell("## 1. The equations"),
    ])


def setup_cells(notebook):
    return [c for c in notebook.cells if colab.SETUP_TAG in c.metadata.get("tags", [])]


def test_setup_cell_comes_first_and_the_link_under_the_title():
    notebook = lesson()
    assert colab.update_notebook(notebook, "lessons/04_lstm.ipynb", REPOSITORY)
    title, setup, code = notebook.cells[:3]
    assert title.source == (
        "# Lesson 04 — LSTM\n\n[Open in Colab](https://colab.research.google.com/github/"
        "someone/seqcourse/blob/main/lessons/04_lstm.ipynb)\n\nGates and the cell state.")
    assert setup_cells(notebook) == [setup]
    assert f'"{REPOSITORY}"' in setup.source and setup.source.rstrip().endswith(
        "seqlib.fast_mode())")
    assert code.source == "import keras"


def test_second_run_changes_nothing_and_a_new_url_replaces_the_old():
    notebook = lesson()
    colab.update_notebook(notebook, "lessons/04_lstm.ipynb", REPOSITORY)
    once = nbformat.writes(notebook)
    assert not colab.update_notebook(notebook, "lessons/04_lstm.ipynb", REPOSITORY)
    assert nbformat.writes(notebook) == once
    assert colab.update_notebook(notebook, "lessons/04_lstm.ipynb",
                                 "https://github.com/fork/seqcourse")
    assert len(setup_cells(notebook)) == 1
    assert REPOSITORY not in nbformat.writes(notebook)
    assert notebook.cells[0].source.count("Open in Colab") == 1


def test_a_moved_setup_cell_goes_back_to_the_top():
    notebook = lesson()
    colab.update_notebook(notebook, "lessons/04_lstm.ipynb", REPOSITORY)
    notebook.cells.append(notebook.cells.pop(1))
    assert colab.update_notebook(notebook, "lessons/04_lstm.ipynb", REPOSITORY)
    assert notebook.cells[1] is setup_cells(notebook)[0]


def test_setup_cell_is_valid_python_that_only_imports_seqlib_off_colab():
    source = colab.setup_cell_source(REPOSITORY)
    namespace = {}
    exec(compile(source, "setup", "exec"), namespace)  # not on Colab: installs nothing
    assert namespace["seqlib"].__name__ == "seqlib"
    assert "REPOSITORY" not in namespace
    assert max(len(line) for line in source.splitlines()) <= 100  # ruff lints notebooks too


def test_solutions_link_to_the_student_copy():
    path = colab.ROOT / "solutions" / "a1_rnn_numpy.ipynb"
    assert colab.student_path(path).as_posix() == "assignments/a1_rnn_numpy.ipynb"


def test_repository_must_be_on_github_and_declared(tmp_path):
    with pytest.raises(ValueError, match="not a https://github.com/OWNER/REPO address"):
        colab.colab_url("lessons/x.ipynb", "https://gitlab.com/a/b")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"no \[project.urls\] Repository"):
        colab.repository_url(pyproject)
    assert colab.repository_url().startswith("https://github.com/")


def test_check_mode_reports_without_writing_then_the_tool_fixes(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(colab, "ROOT", tmp_path)
    path = tmp_path / "lessons" / "04_lstm.ipynb"
    path.parent.mkdir()
    nbformat.write(lesson(), path)
    before = path.read_text()
    assert colab.main(["--check", str(path)]) == 1
    assert path.read_text() == before
    assert "1 notebook(s) need" in capsys.readouterr().out
    assert colab.main([str(path)]) == 0
    assert colab.main(["--check", str(path)]) == 0
    with pytest.raises(ValueError, match="outside the course"):
        colab.student_path(tmp_path.parent / "elsewhere.ipynb")

"""The student copy of the course (`python -m autograder release --student DIR`): complete, and
holding nothing secret (solutions, hidden tests, mutants)."""

import ast
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml

from autograder import notebook, release
from autograder.assignments import HIDDEN_TESTS_DIR, PUBLIC_TESTS_DIR, REPO_ROOT, SOLUTIONS_DIR

# Sources shipped to students in the instructor's repository: a solution line found there is
# public anyway (seqlib's reference decoders, for instance).
PUBLIC_SOURCES = ("lessons", "seqlib", "autograder", "tests/assignments/public")
# Shorter lines (`else:`, `return h, [h]`) are too common to tell anything.
MIN_SECRET_LINE = 20


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return release.release_student(tmp_path_factory.mktemp("release") / "seqcourse")


def files_of(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="ignore")


def solution_regions() -> list[str]:
    regions = []
    for path in sorted(SOLUTIONS_DIR.glob("*.ipynb")):
        for cell in notebook.read_notebook(path)["cells"]:
            regions += [textwrap.dedent(region).strip()
                        for region in release.solution_regions(cell["source"])]
    return [region for region in regions if region]


def source_text(path: Path) -> str:
    """A source file's text, or a notebook's cells, each line stripped."""
    if path.suffix == ".ipynb":
        text = "\n".join(cell["source"] for cell in notebook.read_notebook(path)["cells"])
    else:
        text = text_of(path)
    return "\n".join(line.strip() for line in text.splitlines())


def source_lines(path: Path) -> set[str]:
    return set(source_text(path).splitlines())


def secret_lines() -> set[str]:
    """Solution lines that no public source holds: not the instructor repository's shipped
    folders, nor the code around the solution regions (students get it with the stubs)."""
    lines = {line.strip() for region in solution_regions() for line in region.splitlines()
             if len(line.strip()) >= MIN_SECRET_LINE}
    public = set()
    for folder in PUBLIC_SOURCES:
        for path in files_of(REPO_ROOT / folder):
            if path.suffix in (".py", ".ipynb", ".md"):
                public |= source_lines(path)
    for path in SOLUTIONS_DIR.glob("*.ipynb"):
        for cell in notebook.read_notebook(path)["cells"]:
            public |= {line.strip() for line in release.stub_source(cell["source"]).splitlines()}
    return lines - public


def hidden_test_names() -> set[str]:
    names = set()
    for path in HIDDEN_TESTS_DIR.glob("test_*_hidden.py"):
        names |= {node.name for node in ast.walk(ast.parse(path.read_text()))
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return names


def test_the_release_holds_the_course(course):
    for name in ("README.md", "Makefile", "pyproject.toml", "environment.yml",
                 "lessons/01_vanilla_rnn.ipynb", "seqlib/__init__.py", "autograder/__main__.py",
                 "autograder/selfcheck.py", "tests/conftest.py"):
        assert (course / name).is_file(), name
    for solution in SOLUTIONS_DIR.glob("*.ipynb"):
        assert (course / "assignments" / solution.name).is_file()
        assert (course / "tests/assignments/public" / f"test_{solution.stem}.py").is_file()
    fixtures = sorted(path.name for path in (PUBLIC_TESTS_DIR / "fixtures").iterdir())
    assert sorted(path.name for path in (course / "tests/assignments/public/fixtures").iterdir()) \
        == fixtures


def test_the_release_environment_installs_what_students_run_and_no_dev_tools(course):
    """environment.yml and the Makefile install the course's dependencies, the cpu extra and
    pytest (the self-check), not ruff, Sphinx, Playwright or JAX."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    environment = yaml.safe_load((course / "environment.yml").read_text())
    [pip] = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict)]
    [pytest_pin] = [pin for pin in extras["dev"] if pin.startswith("pytest")]
    assert sorted(pip) == sorted(project["dependencies"] + extras["cpu"] + [pytest_pin, "-e ."])
    assert not {"ruff", "playwright", "sphinx", "jax[cpu]"} & set(pip)
    install = subprocess.run(["make", "-n", "install"], cwd=course, capture_output=True,
                             text=True, check=True).stdout
    assert f'-e ".[cpu]" "{pytest_pin}"' in install


def test_the_release_contains_nothing_secret(course):
    paths = [path.relative_to(course) for path in files_of(course)]
    assert not [path for path in paths if {"solutions", "hidden", "mutants"} & set(path.parts)
                or path.name.endswith("_hidden.py")], "instructor-only files in the release"
    sources = [course / path for path in paths if path.suffix in (".py", ".ipynb", ".md")]
    lines = set().union(*(source_lines(path) for path in sources))
    text = "\n".join(text_of(course / path) for path in paths)
    flat = "\n".join(source_text(path) for path in sources)
    secrets = secret_lines()
    assert len(secrets) > 50, "too few solution lines to prove anything"
    leaked = sorted(secrets & lines)
    assert not leaked, f"solution lines in the release: {leaked[:5]}"
    whole = [region for region in solution_regions() if region.count("\n") >= 2
             and "\n".join(line.strip() for line in region.splitlines()) in flat]
    assert not whole, f"solution bodies in the release: {whole[:2]}"
    names = hidden_test_names()
    assert len(names) > 20
    assert not sorted(name for name in names if name in text), "hidden test names leaked"


def test_the_release_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(release.ReleaseError, match="not an empty folder"):
        release.release_student(tmp_path)
    with pytest.raises(release.ReleaseError, match="inside the repository"):
        release.release_student(REPO_ROOT / "build" / "student")


def test_self_check_works_in_the_release(course):
    """The released stub, checked from the release alone: every public test runs and fails,
    and the self-check names no hidden test."""
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "check", "a1_rnn_numpy",
         "assignments/a1_rnn_numpy.ipynb"],
        cwd=course, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(course)}, check=False,
    )
    output = result.stdout + result.stderr
    assert "0/60" in output.replace(" ", ""), output[-3000:]
    assert "hidden" not in output.lower() or "no hidden" in output.lower(), output[-3000:]
    assert str(REPO_ROOT) not in output, "the check used the instructor's repository"


def test_make_check_in_the_release_runs_the_self_check(course):
    result = subprocess.run(["make", "-n", "check", "A=a2_gated_cells"], cwd=course,
                            capture_output=True, text=True, check=True)
    assert "-m autograder check a2_gated_cells assignments/a2_gated_cells.ipynb" in result.stdout

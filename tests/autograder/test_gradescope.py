"""The Gradescope bundle: what it holds, and its run_autograder run against a fake /autograder.

`run_autograder` takes AUTOGRADER_ROOT (instead of /autograder) and AUTOGRADER_PYTHON (instead of
the venv setup.sh builds), so these tests run the real script with this environment's Python.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import gradescope
from autograder.assignments import (
    HIDDEN_TESTS_DIR,
    PUBLIC_TESTS_DIR,
    REPO_ROOT,
    find_assignment,
    known_assignments,
)

TOY_TESTS = Path(__file__).with_name("toy") / "test_toy.py"
WRONG_ADD = "import math\n\ndef add(a, b):\n    return a - b"


def _bundle(tmp_path_factory, spec):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    return gradescope.build_bundle(find_assignment(spec), out, timeout_s=60, memory_mb=2048)


@pytest.fixture(scope="module")
def toy_bundle(tmp_path_factory):
    return _bundle(tmp_path_factory, str(TOY_TESTS))


def test_bundle_is_deterministic_and_holds_no_solution(toy_bundle, tmp_path):
    again = gradescope.build_bundle(find_assignment(str(TOY_TESTS)), tmp_path / "again.zip",
                                    timeout_s=60, memory_mb=2048)
    assert again.read_bytes() == toy_bundle.read_bytes()
    with zipfile.ZipFile(toy_bundle) as bundle:
        names = set(bundle.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in bundle.infolist()}
        scripts = [bundle.read(name).decode() for name in ("run_autograder", "setup.sh")]
    assert {"setup.sh", "run_autograder", "requirements.txt", "autograder/gradescope.py",
            "tests/autograder/toy/test_toy.py", "tests/autograder/toy/conftest.py"} <= names
    assert "tests/autograder/toy/toy.ipynb" not in names  # The toy's solution.
    assert not any(name.startswith(("solutions/", "autograder/demo/", "seqlib/"))
                   or "__pycache__" in name for name in names)
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert "--timeout 60 --memory-mb 2048" in scripts[0]
    assert "ppa:deadsnakes/ppa" in scripts[1] and "python3.11-venv" in scripts[1]
    for script in scripts:
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)


@pytest.mark.parametrize(
    "assignment, needs, never",
    [
        ("a1_rnn_numpy", {"numpy", "pytest"}, {"tensorflow", "tensorflow-cpu", "keras",
                                               "jupyterlab", "tensorflow-datasets"}),
        ("a2_gated_cells", {"numpy", "pytest", "keras"}, {"jupyterlab", "tensorflow-datasets"}),
    ],
)
def test_requirements_are_pinned_and_minimal(assignment, needs, never):
    pins = gradescope.requirements(find_assignment(assignment))
    assert all("==" in pin for pin in pins)
    names = {pin.split("==")[0].lower().replace("_", "-") for pin in pins}
    assert needs <= names and not names & never
    if "keras" in names:
        assert names & {"tensorflow", "tensorflow-cpu"}  # Keras needs its backend.


def test_each_bundle_carries_its_own_tests_and_fixtures_only(tmp_path_factory):
    """A bundle holds its assignment's public and hidden tests and the fixtures they use (named
    `<aN>_...` in this course), nothing of another assignment; every fixture ships somewhere."""
    fixtures = {path.relative_to(REPO_ROOT).as_posix()
                for folder in (PUBLIC_TESTS_DIR / "fixtures", HIDDEN_TESTS_DIR / "fixtures")
                if folder.is_dir() for path in folder.rglob("*") if path.is_file()}
    shipped = set()
    for name in (name for name in known_assignments() if name != "demo"):
        assignment = find_assignment(name)
        with zipfile.ZipFile(_bundle(tmp_path_factory, name)) as bundle:
            names = set(bundle.namelist())
        graded = {path.relative_to(REPO_ROOT).as_posix() for path in assignment.test_files}
        assert graded <= names and assignment.hidden_tests is not None, name
        assert {entry for entry in names if entry.startswith("tests/assignments/")
                and Path(entry).name.startswith("test_")} == graded, name
        tag = name.split("_")[0] + "_"
        in_bundle = {entry for entry in names if "/fixtures/" in entry}
        assert in_bundle == {path for path in fixtures if Path(path).name.startswith(tag)}, name
        assert not any(entry.startswith(("solutions/", "assignments/")) for entry in names)
        shipped |= in_bundle
    assert shipped == fixtures


@pytest.fixture
def autograder_root(tmp_path, toy_bundle):
    """A fake /autograder: source/ unpacked from the bundle, an empty submission/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(toy_bundle) as bundle:
        bundle.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def _run(root, python=sys.executable) -> dict:
    environment = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python)
    environment.pop("PYTHONPATH", None)
    completed = subprocess.run(["bash", str(root / "run_autograder")], env=environment,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads((root / "results" / "results.json").read_text())


def _texts(results) -> str:
    return json.dumps([results["output"]] + [test["output"] for test in results["tests"]])


def test_run_autograder_grades_the_submission(autograder_root, toy_variant):
    toy_variant(autograder_root / "submission" / "my work.ipynb", cells={1: WRONG_ADD})
    (autograder_root / "submission" / "notes.pdf").write_bytes(b"%PDF")
    results = _run(autograder_root)
    assert results["score"] == 4
    assert results["output"].startswith("4/5 points, status partial")
    assert [test["visibility"] for test in results["tests"]] == ["visible"] * 4
    assert "assert -1 == 5" in results["tests"][0]["output"]
    assert "/tmp" not in _texts(results) and str(autograder_root) not in _texts(results)


@pytest.mark.parametrize("count", [0, 2])
def test_not_exactly_one_notebook_gets_one_message(autograder_root, toy_variant, count):
    for index in range(count):
        toy_variant(autograder_root / "submission" / f"copy{index}.ipynb")
    results = _run(autograder_root)
    assert results["score"] == 0
    assert f"expected exactly one notebook (.ipynb) in the submission, found {count}" in (
        results["output"])
    assert all(test["output"] == "" for test in results["tests"])  # Not one per test.


def test_a_grader_failure_still_writes_results_json(autograder_root, toy_variant):
    toy_variant(autograder_root / "submission" / "toy.ipynb")
    for python in ("/bin/false", str(autograder_root / "missing" / "python")):
        results = _run(autograder_root, python=python)
        assert results["score"] == 0 and results["output"] == gradescope.GRADER_FAILED
    (autograder_root / "source" / "tests" / "autograder" / "toy" / "test_toy.py").unlink()
    results = _run(autograder_root)
    assert results["output"] == gradescope.GRADER_FAILED

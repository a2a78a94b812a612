"""Export a Gradescope autograder bundle for one assignment.

The zip holds, at its root, Gradescope's `setup.sh` and `run_autograder` plus the part of this
repository grading needs: the `seqlib` and `autograder` packages, the packaging metadata and the
assignment's graded tests with their conftests and fixtures. Solutions are never included.
`run_autograder` grades /autograder/submission with the same sandboxed runner as
`python -m autograder grade` and copies the student's results.json where Gradescope reads it.
"""

import zipfile
from pathlib import Path

from autograder.assignments import Assignment
from autograder.pytest_plugin import REPO_ROOT

# Gradescope's default image is Ubuntu 22.04, whose own Python (3.10) is older than ours.
SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update
apt-get install -y python3.11 python3.11-venv
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install -e /autograder/source pytest nbformat
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; the score comes from the sandboxed grader only.
set -euo pipefail
export TF_CPP_MIN_LOG_LEVEL=2
class_dir=$(mktemp -d)
ln -s /autograder/submission "$class_dir/submission"
cd /autograder/source
/autograder/venv/bin/python -m autograder grade {assignment} "$class_dir" \\
    --out /autograder/grading --force --timeout {timeout:g} --memory-mb {memory_mb}
cp /autograder/grading/submission/results.json /autograder/results/results.json
"""

_PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE")
_PACKAGES = ("seqlib", "autograder")
# Fixed timestamps make the bundle a pure function of its inputs.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _package_files(package_dir: Path):
    for path in sorted(package_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def _test_files(tests: Path):
    """The graded test file, every conftest.py from the repository root down to it, and the
    `fixtures/` folder beside it."""
    yield tests
    directory = tests.parent
    while directory != REPO_ROOT and REPO_ROOT in directory.parents:
        if (directory / "conftest.py").is_file():
            yield directory / "conftest.py"
        directory = directory.parent
    fixtures = tests.parent / "fixtures"
    if fixtures.is_dir():
        yield from _package_files(fixtures)


def bundle_files(assignment: Assignment) -> dict[str, Path]:
    """Archive name -> file, for the repository part of the bundle."""
    tests = assignment.public_tests.resolve()
    if REPO_ROOT not in tests.parents:
        raise ValueError(f"{tests} is outside the repository {REPO_ROOT}; cannot bundle it")
    files = [REPO_ROOT / name for name in _PROJECT_FILES if (REPO_ROOT / name).is_file()]
    for package in _PACKAGES:
        files += _package_files(REPO_ROOT / package)
    files += _test_files(tests)
    return {path.relative_to(REPO_ROOT).as_posix(): path for path in files}


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    archive.writestr(info, data)


def build_bundle(assignment: Assignment, out_path, *, timeout_s: float,
                 memory_mb: int | None) -> Path:
    """Writes the Gradescope bundle for `assignment` to `out_path` (a .zip)."""
    out_path = Path(out_path)
    files = bundle_files(assignment)
    tests = assignment.public_tests.resolve().relative_to(REPO_ROOT).as_posix()
    run_autograder = RUN_AUTOGRADER.format(assignment=tests, timeout=timeout_s,
                                           memory_mb=memory_mb or 0)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(archive, "run_autograder", run_autograder.encode(), executable=True)
        for name in sorted(files):
            _add(archive, name, files[name].read_bytes())
    return out_path

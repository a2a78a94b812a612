"""Gradescope: export an assignment's autograder bundle, and grade one submission inside it.

The bundle (a .zip) holds Gradescope's `setup.sh` and `run_autograder`, a `requirements.txt`
pinned to this environment's versions of only what the assignment needs (a NumPy assignment
installs NumPy and pytest, not TensorFlow), and the part of this repository grading needs: the
`autograder` package, `seqlib` when the tests or the graded cells import it, the public and hidden
test files with their conftests and this assignment's fixtures. Never the solutions, nor other
assignments' tests and fixtures.

`setup.sh` runs once on Gradescope's Ubuntu 22.04 image. Its own Python is 3.10 and its
`python3.11` package a 3.11 release candidate, while the course (and what students write) targets
3.11, so it installs a current CPython 3.11 from the deadsnakes PPA into /autograder/venv.

`run_autograder` runs `python -m autograder.gradescope` on /autograder/submission with the same
grader as `python -m autograder grade` (public and hidden tests, each test keeping its
visibility) and ALWAYS leaves /autograder/results/results.json: a submission that cannot be graded
gets one clear message, a grader failure a message that says so, never Gradescope's generic
"autograder failed to execute". Student-facing text carries no internal paths.
"""

import argparse
import importlib.metadata
import json
import sys
import zipfile
from pathlib import Path

from autograder import batch, dependencies, discovery, report
from autograder.assignments import REPO_ROOT, Assignment, find_assignment
from autograder.results import failed_result

# Fixed timestamps make the bundle a pure function of its inputs.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
GRADER_FAILED = ("The autograder could not grade this submission because of a problem on the "
                 "course staff's side, not in your notebook. Please tell your instructor; "
                 "your submission is saved.")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu 22.04 image. Ubuntu's own Python is 3.10 and
# its python3.11 a release candidate; the course targets CPython 3.11, from the deadsnakes PPA.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends software-properties-common gpg-agent
add-apt-repository -y ppa:deadsnakes/ppa
apt-get update
# bubblewrap: the grader's sandbox, used wherever the container allows namespaces.
apt-get install -y --no-install-recommends python3.11 python3.11-venv bubblewrap
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir --upgrade pip
/autograder/venv/bin/pip install --no-cache-dir -r /autograder/source/requirements.txt
# Submissions run as an unprivileged user, who must be able to run the environment and grader.
chmod -R a+rX /autograder/venv /autograder/source
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. It always leaves results.json; the score comes from
# the sandboxed grader only. AUTOGRADER_ROOT and AUTOGRADER_PYTHON let it run outside Gradescope.
root=${{AUTOGRADER_ROOT:-/autograder}}
python=${{AUTOGRADER_PYTHON:-$root/venv/bin/python}}
results=$root/results/results.json
mkdir -p "$root/results"
rm -f "$results"
cd "$root/source" && TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH="$root/source" "$python" \\
    -m autograder.gradescope --assignment {assignment} --submission "$root/submission" \\
    --results "$results" --timeout {timeout:g} --memory-mb {memory_mb}
if [ ! -s "$results" ]; then
    cat > "$results" <<'JSON'
{fallback}
JSON
fi
exit 0
"""


class BundleError(ValueError):
    """The assignment cannot be bundled (say, it imports a module this environment lacks)."""


# --- What the assignment needs. -------------------------------------------------------------


def requirements(assignment: Assignment) -> list[str]:
    """`name==version` of each distribution grading `assignment` imports, as installed here.

    Raises:
        BundleError: a module the tests or graded cells import is not installed.
    """
    third_party = dependencies.needed_modules(assignment).third_party
    distributions = importlib.metadata.packages_distributions()
    pins = set()
    for module in sorted(third_party):
        names = distributions.get(module)
        if not names:
            raise BundleError(f"{assignment.name} imports {module!r}, which is not installed "
                              "here; install it so the bundle can pin its version")
        meta = importlib.metadata.distribution(names[0]).metadata
        pins.add(f"{meta['Name']}=={meta['Version']}")
    return sorted(pins, key=str.lower)


# --- The bundle. ---------------------------------------------------------------------------


def bundle_files(assignment: Assignment) -> dict[str, Path]:
    """Archive name -> file, for the repository part of the bundle."""
    files = []
    for test_file in assignment.test_files:
        test_file = test_file.resolve()
        if REPO_ROOT not in test_file.parents:
            raise BundleError(f"{test_file} is outside the repository {REPO_ROOT}")
        files += [test_file] + dependencies.conftests(test_file)
    files += dependencies.fixture_files(assignment)
    autograder = REPO_ROOT / "autograder"
    files += [path for path in dependencies.files_under(autograder)
              if path.suffix == ".py" and "demo" not in path.relative_to(autograder).parts]
    local = dependencies.needed_modules(assignment).local
    seqlib = REPO_ROOT / "seqlib"
    if any(seqlib in path.parents for path in local):
        files += dependencies.files_under(seqlib)
    files += [path for path in local if REPO_ROOT / "tests" in path.parents]
    return {path.relative_to(REPO_ROOT).as_posix(): path for path in files}


def _fallback_results() -> str:
    return json.dumps({"score": 0, "output": GRADER_FAILED, "visibility": "visible",
                       "stdout_visibility": "hidden", "tests": []})


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    archive.writestr(info, data)


def build_bundle(assignment: Assignment, out_path, *, timeout_s: float,
                 memory_mb: int | None) -> Path:
    """Writes the Gradescope bundle of `assignment` to `out_path` (a .zip).

    Raises:
        BundleError: the assignment's files are outside the repository or need a module that
            is not installed.
    """
    out_path = Path(out_path)
    files = bundle_files(assignment)
    public = assignment.public_tests.resolve().relative_to(REPO_ROOT).as_posix()
    run_autograder = RUN_AUTOGRADER.format(assignment=public, timeout=timeout_s,
                                           memory_mb=memory_mb or 0,
                                           fallback=_fallback_results())
    pins = "".join(f"{pin}\n" for pin in requirements(assignment))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(archive, "run_autograder", run_autograder.encode(), executable=True)
        _add(archive, "requirements.txt", pins.encode())
        for name in sorted(files):
            _add(archive, name, files[name].read_bytes())
    return out_path


# --- Inside Gradescope: grade /autograder/submission. ---------------------------------------


def grade_submission_folder(assignment: Assignment, folder, *, timeout_s: float,
                            memory_mb: int | None) -> dict:
    """results.json data for the one submission in `folder` (what the student uploaded)."""
    tests = batch.collect_tests(assignment, timeout_s)
    submission = discovery.scan_folder(Path(folder), "submission")
    try:
        data = discovery.read_notebook_bytes(submission)
    except discovery.SubmissionProblem as problem:
        result = failed_result(submission.student, tests, "invalid_submission", str(problem))
    else:
        result = batch.grade_bytes(assignment, tests, submission.student,
                                   submission.notebook_name, data, timeout_s=timeout_s,
                                   memory_mb=memory_mb)
    results = report.results_json(result, tests, assignment.name, {})
    # Gradescope shows the student's own score line; "submission" is not their name.
    results["output"] = results["output"].split(": ", 1)[-1]
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope",
                                     description="Grade one Gradescope submission.")
    parser.add_argument("--assignment", required=True, help="assignment name or public tests")
    parser.add_argument("--submission", type=Path, required=True, help="the uploaded files")
    parser.add_argument("--results", type=Path, required=True, help="results.json to write")
    parser.add_argument("--timeout", type=float, default=batch.DEFAULT_TIMEOUT_S)
    parser.add_argument("--memory-mb", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        results = grade_submission_folder(find_assignment(args.assignment), args.submission,
                                          timeout_s=args.timeout,
                                          memory_mb=args.memory_mb or None)
    except Exception as error:  # noqa: BLE001 - the student must get a results.json.
        print(f"autograder: grading failed: {type(error).__name__}: {error}", file=sys.stderr)
        results = json.loads(_fallback_results())
    report.atomic_write_text(args.results, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

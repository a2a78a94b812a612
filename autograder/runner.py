"""Trusted side of grading: run each submission in its own sandboxed subprocess and score it.

The parent never takes a score from the submission. It collects the tests and their points in a
separate run that loads no submission, checks each notebook statically (readable, has graded
cells, compiles), then runs pytest on it in a child process (`autograder.child`) under a
wall-clock timeout and a memory cap. The child streams per-phase outcomes over a pipe, each line
carrying a random token the submission never sees in its arguments or environment; the parent
counts a test as passed only when it knows the test id and received a token-bearing "passed" for
its setup and call phases and no failure. See autograder/README.md for the threat model's limits.
"""

import functools
import json
import os
import pwd
import re
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import notebook

DEFAULT_TIMEOUT_S = 300.0
# TensorFlow reserves several GiB of virtual address space at import, so RLIMIT_AS must be roomy.
DEFAULT_MEMORY_MB = 8192
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_RESULTS_BYTES = 8 * 1024 * 1024
MAX_OUTPUT_BYTES = 64 * 1024
# The account submissions run as when the grader runs as root.
SANDBOX_USER = "nobody"
# Once the child has exited, how long its grandchildren may keep the pipes open.
EXIT_GRACE_S = 1.0

STATUSES = {
    "ok": "all tests passed",
    "partial": "some tests failed",
    "failed": "no test passed",
    "timeout": "stopped after the time limit; tests finished before it count",
    "crashed": "the grading process died or the graded cells could not be loaded",
    "memory_exceeded": "ran out of the memory allowed",
    "syntax_error": "a graded cell is not valid Python",
    "corrupt_notebook": "the file is not a readable Jupyter notebook",
    "missing_graded_cell": "no cell tagged 'graded' (do not remove the tags)",
    "invalid_submission": "not exactly one notebook in the submission folder",
    "tampered": "interfered with the grader; scored 0, review by hand",
}

_MEMORY_ERROR = re.compile(r"\bMemoryError\b|std::bad_alloc|Cannot allocate memory")


class GradingError(RuntimeError):
    """The grading setup itself is broken (not a student's fault): bad test file, no tests."""


@dataclass(frozen=True)
class TestCase:
    nodeid: str
    points: float

    @property
    def name(self) -> str:
        """The id without its file: `test_norm[3]`, `TestCell::test_shape`."""
        return self.nodeid.split("::", 1)[-1]


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    output: str = ""


@dataclass
class Result:
    student: str
    status: str
    tests: list[TestResult]
    message: str = ""
    log: str = ""
    duration_s: float = 0.0

    @property
    def score(self) -> float:
        return sum(test.score for test in self.tests)

    @property
    def max_score(self) -> float:
        return sum(test.max_score for test in self.tests)


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: Path | None
    problem: str = ""


@dataclass
class ChildRun:
    """What the parent observed of one child run: its token-bearing messages and how it ended."""

    messages: list[dict] = field(default_factory=list)
    forged_lines: int = 0
    flooded: bool = False
    timed_out: bool = False
    returncode: int | None = None
    output: str = ""


def _child_command(test_file: Path, results_fd: int, notebook_path=None, memory_mb=None,
                   collect_only=False) -> list[str]:
    command = [sys.executable, "-m", "autograder.child", "--results-fd", str(results_fd)]
    if memory_mb:
        command += ["--memory-mb", str(memory_mb)]
    if notebook_path is not None:
        command += ["--notebook", str(notebook_path)]
    if collect_only:
        command.append("--collect-only")
    return command + [str(test_file.resolve())]


@functools.cache
def sandbox_account() -> tuple[int, int] | None:
    """(uid, gid) of the unprivileged user children run as when the grader runs as root (as on
    Gradescope), so a submission cannot write the grades or signal the grader; else None.

    When that user cannot even start this Python (say, a virtualenv under /root), children keep
    the grader's privileges and a warning says so.
    """
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        print(f"warning: no user {SANDBOX_USER!r}; submissions run as root", file=sys.stderr)
        return None
    try:
        usable = subprocess.run(
            [sys.executable, "-c", "import autograder.child"], cwd="/", capture_output=True,
            user=account.pw_uid, group=account.pw_gid, extra_groups=[], check=False,
        ).returncode == 0
    except OSError:  # Permission denied on the interpreter or a folder above it.
        usable = False
    if not usable:
        print(f"warning: user {SANDBOX_USER!r} cannot run {sys.executable} with the autograder "
              "installed; submissions run as root (make the environment world-readable)",
              file=sys.stderr)
        return None
    return account.pw_uid, account.pw_gid


def _child_env(workdir: Path, account) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONDONTWRITEBYTECODE="1",
        MPLBACKEND="Agg",
        TMPDIR=str(workdir),
    )
    if account:
        env["HOME"] = str(workdir)  # root's home is not the sandbox user's to write.
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # The group is already gone.


def _run_child(test_file: Path, timeout_s: float, notebook_path=None, **options) -> ChildRun:
    """Runs `autograder.child` in its own process group and collects its token-bearing lines."""
    token = secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix="autograder-"))
    if notebook_path is not None:
        # The child gets its own copy: the original's folder may be private to the grader.
        notebook_path = shutil.copy(notebook_path, workdir / Path(notebook_path).name)
    account = sandbox_account()
    if account:
        for path in (workdir, *workdir.iterdir()):
            os.chown(path, *account)
    read_fd, write_fd = os.pipe()
    run = ChildRun()
    try:
        process = subprocess.Popen(
            _child_command(test_file, write_fd, notebook_path=notebook_path, **options),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            start_new_session=True,
            cwd=workdir,
            env=_child_env(workdir, account),
            **({"user": account[0], "group": account[1], "extra_groups": []} if account else {}),
        )
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    os.close(write_fd)
    try:
        try:
            process.stdin.write(f"{token}\n".encode())
            process.stdin.close()
        except BrokenPipeError:
            pass  # The child died at startup; it is scored as crashed below.
        results, output = _read_until_exit(process, read_fd, time.monotonic() + timeout_s, run)
    finally:
        _kill_group(process)
        process.wait()
        os.close(read_fd)
        process.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)
    run.returncode = process.returncode
    run.output = output.decode(errors="replace")
    _parse_results(results, token, run)
    return run


def _read_until_exit(process, read_fd: int, deadline: float, run: ChildRun):
    results, output = bytearray(), bytearray()
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, results)
    selector.register(process.stdout.fileno(), selectors.EVENT_READ, output)
    with selector:
        while selector.get_map():
            if process.poll() is not None:
                deadline = min(deadline, time.monotonic() + EXIT_GRACE_S)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                run.timed_out = process.poll() is None
                break
            for key, _ in selector.select(timeout=min(remaining, 0.25)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                key.data.extend(chunk)
                if key.data is output and len(output) > 2 * MAX_OUTPUT_BYTES:
                    del output[:-MAX_OUTPUT_BYTES]
                if len(results) > MAX_RESULTS_BYTES:
                    run.flooded = True
                    return results, output
    return results, output[-MAX_OUTPUT_BYTES:]


def _parse_results(data: bytes, token: str, run: ChildRun) -> None:
    for line in data.decode(errors="replace").splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            message = None
        if isinstance(message, dict) and message.get("token") == token:
            run.messages.append(message)
        elif line.strip():
            run.forged_lines += 1


def collect_tests(test_file, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[TestCase]:
    """The graded tests of `test_file` and their points, from a run that loads no submission."""
    test_file = Path(test_file)
    if not test_file.is_file():
        raise GradingError(f"graded test file not found: {test_file}")
    run = _run_child(test_file, timeout_s, collect_only=True)
    collected = [message for message in run.messages if message["event"] == "collected"]
    errors = [message["longrepr"] for message in run.messages
              if message["event"] == "collect_error"]
    if errors or len(collected) != 1:
        details = "\n".join(errors) or run.output[-4000:]
        if sandbox_account():
            details += (f"\n(tests run as user {SANDBOX_USER!r}: the test files and their "
                        "folders must be readable by it)")
        raise GradingError(f"could not collect the tests of {test_file}:\n{details}")
    tests = [TestCase(test["nodeid"], test["points"]) for test in collected[0]["tests"]]
    invalid = [test.nodeid for test in tests if not _valid_points(test.points)]
    if invalid:
        raise GradingError(
            f"{test_file}: every graded test needs @pytest.mark.points(n) with a number n >= 0; "
            "missing or invalid on " + ", ".join(invalid)
        )
    if not tests:
        raise GradingError(f"{test_file} has no tests")
    return tests


def _valid_points(points) -> bool:
    return isinstance(points, (int, float)) and not isinstance(points, bool) and points >= 0


def find_submissions(directory) -> tuple[list[Submission], list[Path]]:
    """Submissions in `directory` (`<student>.ipynb` or `<student>/` with one notebook), sorted,
    and the entries that are neither."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"submissions directory not found: {directory}")
    found: dict[str, list[Submission]] = {}
    ignored = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            submission = Submission(entry.stem, entry)
        elif entry.is_dir():
            notebooks = sorted(
                path for path in entry.rglob("*.ipynb")
                if not any(part.startswith(".") for part in path.relative_to(entry).parts)
            )
            if len(notebooks) == 1:
                submission = Submission(entry.name, notebooks[0])
            else:
                names = ", ".join(path.name for path in notebooks) or "none"
                submission = Submission(
                    entry.name, None, f"expected one notebook in {entry}, found {names}"
                )
        else:
            ignored.append(entry)
            continue
        found.setdefault(submission.student, []).append(submission)
    submissions = []
    for student, entries in found.items():
        if len(entries) > 1:
            entries = [Submission(student, None, f"both {student}.ipynb and {student}/ exist")]
        submissions.append(entries[0])
    return submissions, ignored


def _failed_result(submission: Submission, tests, status: str, message: str) -> Result:
    results = [TestResult(test.name, 0.0, test.points, message) for test in tests]
    return Result(submission.student, status, results, message)


def _precheck(submission: Submission, tests) -> Result | None:
    """Static checks in the parent, without running any submission code."""
    if submission.notebook is None:
        return _failed_result(submission, tests, "invalid_submission", submission.problem)
    try:
        if submission.notebook.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise notebook.CorruptNotebookError(
                f"{submission.notebook.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB"
            )
        notebook.load_graded_code(submission.notebook)
    except notebook.NotebookError as error:
        return _failed_result(submission, tests, error.status, str(error))
    return None


def grade_submission(submission: Submission, test_file, tests, *,
                     timeout_s: float = DEFAULT_TIMEOUT_S,
                     memory_mb: int | None = DEFAULT_MEMORY_MB) -> Result:
    """Grades one submission against the trusted list of `tests`."""
    start = time.monotonic()
    result = _precheck(submission, tests)
    if result is None:
        run = _run_child(Path(test_file), timeout_s, notebook_path=submission.notebook,
                         memory_mb=memory_mb)
        result = score_run(submission, tests, run, timeout_s)
    result.duration_s = time.monotonic() - start
    return result


def score_run(submission: Submission, tests, run: ChildRun, timeout_s: float) -> Result:
    """Scores a child run from the parent's trusted list of tests.

    A test earns its points only with token-bearing reports of a passed call and a teardown
    without failure. Any sign of interference (lines without the token, reports for unknown or
    repeated tests, a flooded pipe, rebound test machinery) scores 0 with status `tampered`.
    """
    known = {test.nodeid for test in tests}
    phases: dict[str, dict[str, dict]] = {nodeid: {} for nodeid in known}
    unknown, tampered = [], []
    done = None
    for message in run.messages:
        if message.get("event") == "report" and message.get("nodeid") in known:
            previous = phases[message["nodeid"]].setdefault(message.get("when"), message)
            if previous is not message:
                tampered.append(f"duplicate report for {message['nodeid']}")
        elif message.get("event") == "report":
            unknown.append(str(message.get("nodeid")))
        elif message.get("event") == "done" and done is None:
            done = message
    if run.forged_lines:
        tampered.append(f"{run.forged_lines} line(s) without the run's token on the results pipe")
    if run.flooded:
        tampered.append("flooded the results pipe")
    if unknown:
        tampered.append("reports for unknown tests: " + ", ".join(unknown[:5]))
    if done and done.get("tampered"):
        tampered.append("modified the test machinery: " + ", ".join(done["tampered"][:10]))

    results = []
    for test in tests:
        passed, output = _test_outcome(phases[test.nodeid], run, timeout_s)
        results.append(TestResult(test.name, test.points if passed else 0.0, test.points, output))
    result = Result(submission.student, "", results, log=run.output)
    if tampered:
        result.status, result.message = "tampered", "; ".join(tampered)
        for test in result.tests:
            test.score = 0.0
    elif run.timed_out:
        result.status = "timeout"
        result.message = f"stopped after {timeout_s:g} s; tests that finished before count"
    elif any(_MEMORY_ERROR.search(test.output) for test in results) or (
        done is None and _MEMORY_ERROR.search(run.output)
    ):
        result.status, result.message = "memory_exceeded", STATUSES["memory_exceeded"]
    elif done is None:
        result.status = "crashed"
        result.message = (f"the grading process {_exit_description(run.returncode)} before the "
                          "tests finished; tests that finished before count")
    elif not any("call" in phases[test.nodeid] for test in tests):
        result.status = "crashed"
        result.message = "the graded cells could not be loaded; see the tests' output"
    elif result.score == result.max_score:
        result.status = "ok"
    else:
        result.status = "partial" if result.score > 0 else "failed"
    return result


def _exit_description(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name
        hint = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {returncode}"


def _test_outcome(phases: dict[str, dict], run: ChildRun, timeout_s: float) -> tuple[bool, str]:
    failures = [phases[when].get("longrepr", "") for when in ("setup", "call", "teardown")
                if when in phases and phases[when].get("outcome") == "failed"]
    if failures:
        return False, "\n".join(failures)
    if phases.get("call", {}).get("outcome") == "passed" and "teardown" in phases:
        return True, ""
    if any(report.get("outcome") == "skipped" for report in phases.values()):
        return False, "skipped"
    if run.timed_out:
        return False, f"not finished: the time limit of {timeout_s:g} s ran out"
    return False, "not finished: the grading process exited before this test completed"

"""Grading one submission: guarded static checks, then the trusted pytest run, then the score.

The verdict of every test is computed outside the submission's process:

1. `collect_tests` lists the graded tests and their points, visibility and description in a
   trusted run that loads no submission.
2. `grade_notebook` reads the notebook (never through a symbolic link, never blocking on a FIFO,
   size-capped) and checks it statically, guarded: JSON with huge integers or deep nesting,
   missing graded cells give a status, never a traceback. Compiling the cells happens in the
   sandbox (a cell nested deeply enough to crash the compiler costs only its own process).
3. A trusted pytest process (`autograder.trusted`) runs the tests. Its `submission` fixture
   talks to the graded cells loaded in a sandboxed child (`autograder.sandbox`,
   `autograder.child`); the child only ever returns data. The trusted process streams each
   test's outcome over a pipe, every line carrying a random token (a second layer: nothing else
   can write there), and reports the sandbox's incidents (time limits, crashes, memory, invalid
   messages) at the end.
4. The score counts a test only with a token-bearing report of a passed call and a clean
   teardown, for a test id from step 1. The status says what went wrong (`results.STATUSES`).
"""

import atexit
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import notebook, pytest_plugin, sandbox
from autograder.results import (
    STATUSES,
    GradingError,
    Result,
    TestCase,
    TestResult,
    failed_result,
    status_from_scores,
)

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MEMORY_MB = sandbox.DEFAULT_MEMORY_MB
MAX_RESULTS_BYTES = 8 * 1024 * 1024
MAX_LOG_CHARS = 64 * 1024
# Once the trusted process has exited, how long anything may keep its pipes open.
EXIT_GRACE_S = 1.0
_MEMORY_ERROR = re.compile(r"\bMemoryError\b")


@dataclass
class TrustedRun:
    """What the grader observed of one trusted pytest run."""

    messages: list[dict] = field(default_factory=list)
    forged_lines: int = 0
    flooded: bool = False
    timed_out: bool = False
    returncode: int | None = None
    output: str = ""


def _trusted_command(test_files, results_fd: int, notebook_path=None, memory_mb=None,
                     sandbox_mode="auto", time_limit_s=None, collect_only=False) -> list[str]:
    command = [sys.executable, "-m", "autograder.trusted", "--results-fd", str(results_fd),
               "--sandbox", sandbox_mode]
    if time_limit_s:
        command += ["--time-limit", str(time_limit_s)]
    if memory_mb:
        command += ["--memory-mb", str(memory_mb)]
    if notebook_path is not None:
        command += ["--notebook", str(notebook_path)]
    if collect_only:
        command.append("--collect-only")
    return command + [str(Path(path).resolve()) for path in test_files]


def _trusted_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1",
               MPLBACKEND="Agg", TMPDIR=str(workdir))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_trusted(test_files, timeout_s: float, notebook_path=None, **options) -> TrustedRun:
    """Runs `autograder.trusted` in its own process group and collects its token-bearing lines.
    On timeout the whole group is killed; sandboxes die with it (`--die-with-parent`), and their
    cgroups are removed."""
    token = secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix="autograder-"))
    read_fd, write_fd = os.pipe()
    run = TrustedRun()
    try:
        process = subprocess.Popen(
            _trusted_command(test_files, write_fd, notebook_path=notebook_path, **options),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), start_new_session=True, cwd=workdir,
            env=_trusted_env(workdir))
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
            pass  # It died at startup; scored as crashed below.
        results, output = _read_until_exit(process, read_fd, time.monotonic() + timeout_s, run)
    finally:
        _end_trusted_process(process)
        os.close(read_fd)
        process.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)
    run.returncode = process.returncode
    run.output = output.decode(errors="replace")
    _parse_results(results, token, run)
    return run


def _end_trusted_process(process: subprocess.Popen) -> None:
    """SIGKILLs a trusted process's session (its sandboxes with it), reaps it and removes the
    cgroups it made."""
    sandbox.kill_session(process.pid)
    process.wait()
    sandbox.remove_cgroups_of(process.pid)


class TrustedWorker:
    """A trusted pytest process that grades notebook after notebook with the same test files.

    The test modules and what they import (NumPy, Keras) load once per worker instead of once per
    submission; every notebook still gets its own pytest session, its own proxies and fresh
    sandboxed children, so no student's code or state reaches the next one. A run past its
    timeout, or a worker that died, costs a new worker.
    """

    def __init__(self, test_files, memory_mb=None, sandbox_mode="auto", time_limit_s=None):
        self.command_options = dict(memory_mb=memory_mb, sandbox_mode=sandbox_mode,
                                    time_limit_s=time_limit_s)
        self.test_files = [Path(path) for path in test_files]
        self.process = None

    def _start(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="autograder-worker-"))
        self.read_fd, write_fd = os.pipe()
        command = _trusted_command(self.test_files, write_fd, **self.command_options)
        try:
            self.process = subprocess.Popen(
                command + ["--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(write_fd,), start_new_session=True,
                cwd=self.workdir, env=_trusted_env(self.workdir))
        except BaseException:
            os.close(self.read_fd)
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        finally:
            os.close(write_fd)
        self.pending = bytearray()

    def close(self) -> None:
        """Kills the worker and releases what it held, each thing once (a second call, say at
        exit after a failed run, does nothing)."""
        process, self.process = self.process, None
        if process is None:
            return
        _end_trusted_process(process)
        os.close(self.read_fd)
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass  # A job line still buffered for the dead worker: BrokenPipeError.
        shutil.rmtree(self.workdir, ignore_errors=True)

    def run(self, notebook_path, timeout_s: float) -> TrustedRun:
        if self.process is None or self.process.poll() is not None:
            self.close()
            self._start()
        token = secrets.token_hex(16)
        run = TrustedRun()
        try:
            job = json.dumps({"token": token, "notebook": str(notebook_path)}) + "\n"
            self.process.stdin.write(job.encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            self.close()
            run.returncode = -signal.SIGKILL
            return run
        finished = self._read_job(token, time.monotonic() + timeout_s, run)
        if not finished:
            self.close()  # Timed out, flooded or died: the next job gets a new worker.
        return run

    def _read_job(self, token: str, deadline: float, run: TrustedRun) -> bool:
        output = bytearray()
        selector = selectors.DefaultSelector()
        selector.register(self.read_fd, selectors.EVENT_READ, "results")
        selector.register(self.process.stdout.fileno(), selectors.EVENT_READ, "output")
        with selector:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    run.timed_out = True
                    break
                for key, _ in selector.select(timeout=min(remaining, 0.25)):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        run.returncode = self.process.wait()
                        run.output = output[-MAX_LOG_CHARS:].decode(errors="replace")
                        return False
                    if key.data == "output":
                        output.extend(chunk)
                        del output[:-MAX_LOG_CHARS]
                        continue
                    self.pending.extend(chunk)
                    if len(self.pending) > MAX_RESULTS_BYTES:
                        run.flooded = True
                        return False
                    *lines, rest = self.pending.split(b"\n")
                    self.pending = bytearray(rest)
                    _parse_results(b"\n".join(lines), token, run)
                    if any(message.get("event") == "done" for message in run.messages):
                        run.output = output.decode(errors="replace")
                        return True
        run.output = output[-MAX_LOG_CHARS:].decode(errors="replace")
        return False


def _read_until_exit(process, read_fd: int, deadline: float, run: TrustedRun):
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
                if key.data is output and len(output) > 2 * MAX_LOG_CHARS:
                    del output[:-MAX_LOG_CHARS]
                if len(results) > MAX_RESULTS_BYTES:
                    run.flooded = True
                    return results, output
    return results, output[-MAX_LOG_CHARS:]


def _parse_results(data: bytes, token: str, run: TrustedRun) -> None:
    for line in data.decode(errors="replace").splitlines():
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            message = None
        if isinstance(message, dict) and message.get("token") == token:
            run.messages.append(message)
        elif line.strip():
            run.forged_lines += 1


def collect_tests(test_files, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[TestCase]:
    """The graded tests of `test_files` (public, then hidden) with their points, visibility and
    description, from a run that loads no submission.

    Raises:
        GradingError: a file is missing, cannot be collected, has no tests, or a test lacks a
            valid `points(n)` marker.
    """
    test_files = [Path(path) for path in test_files]
    for path in test_files:
        if not path.is_file():
            raise GradingError(f"graded test file not found: {path}")
    run = run_trusted(test_files, timeout_s, collect_only=True)
    collected = [message for message in run.messages if message["event"] == "collected"]
    errors = [message["longrepr"] for message in run.messages
              if message["event"] == "collect_error"]
    if errors or len(collected) != 1:
        details = "\n".join(errors) or run.output[-4000:]
        raise GradingError(f"could not collect the tests of "
                           f"{', '.join(map(str, test_files))}:\n{details}")
    tests = [TestCase(test["nodeid"], test["points"], test["visibility"], test["hidden"],
                      test["description"]) for test in collected[0]["tests"]]
    invalid = [test.nodeid for test in tests if not _valid_points(test.points)]
    if invalid:
        raise GradingError("every graded test needs @pytest.mark.points(n) with a number "
                           "n >= 0; missing or invalid on " + ", ".join(invalid))
    if not tests:
        raise GradingError(f"{', '.join(map(str, test_files))}: no tests")
    return tests


def _valid_points(points) -> bool:
    return isinstance(points, (int, float)) and not isinstance(points, bool) and points >= 0


def precheck(student: str, notebook_path, tests) -> tuple[Result | None, bytes]:
    """Reads the notebook safely and checks it statically without running or compiling it.
    Returns (a failed Result, b"") when it cannot be graded, else (None, its bytes)."""
    try:
        data = pytest_plugin.read_notebook_bytes(notebook_path)
    except OSError as error:
        reason = str(error) if not error.strerror else error.strerror
        if error.errno == 40:
            reason = "it is a symbolic link (links are never followed)"
        return failed_result(student, tests, "invalid_submission",
                             f"cannot read {Path(notebook_path).name}: {reason}"), b""
    folder = Path(tempfile.mkdtemp(prefix="autograder-precheck-"))
    try:
        copy = folder / "submission.ipynb"
        copy.write_bytes(data)
        notebook.graded_cells(notebook.read_notebook(copy))
    except notebook.NotebookError as error:
        message = str(error).replace("submission.ipynb", Path(notebook_path).name)
        return failed_result(student, tests, error.status, message), b""
    except (ValueError, RecursionError, MemoryError) as error:
        return failed_result(student, tests, "corrupt_notebook",
                             f"{Path(notebook_path).name} is not a readable notebook "
                             f"({type(error).__name__})"), b""
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return None, data


def grade_notebook(student: str, notebook_path, test_files, tests: list[TestCase], *,
                   timeout_s: float = DEFAULT_TIMEOUT_S,
                   memory_mb: int | None = DEFAULT_MEMORY_MB,
                   sandbox_mode: str = "auto", time_limit_s: float | None = None) -> Result:
    """Grades one notebook against the trusted list of `tests` (from `collect_tests` on the same
    `test_files`), in one trusted run with one sandboxed child for all test files.

    `timeout_s` bounds the whole run; `time_limit_s` caps each test's own limit (its
    `time_limit` marker, default 60 s), so one hung function costs only its own tests. Each
    calling thread keeps a `TrustedWorker` per set of test files and options, so a batch pays
    the trusted imports once per thread (`close_workers()` ends them; they also end at exit)."""
    start = time.monotonic()
    result, data = precheck(student, notebook_path, tests)
    if result is None:
        folder = Path(tempfile.mkdtemp(prefix="autograder-submission-"))
        try:
            # A private copy: what the trusted run reads cannot change or be a link.
            copy = folder / _safe_name(Path(notebook_path).name)
            copy.write_bytes(data)
            worker = _worker_for(test_files, memory_mb=memory_mb, sandbox_mode=sandbox_mode,
                                 time_limit_s=time_limit_s)
            run = worker.run(copy, timeout_s)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        result = score_run(student, tests, run, timeout_s)
    result.duration_s = time.monotonic() - start
    return result


_local = threading.local()
_all_workers: list[TrustedWorker] = []
_workers_lock = threading.Lock()


def _worker_for(test_files, **options) -> TrustedWorker:
    key = (tuple(str(Path(path).resolve()) for path in test_files),
           tuple(sorted(options.items())))
    workers = getattr(_local, "workers", None)
    if workers is None:
        workers = _local.workers = {}
    if key not in workers:
        workers[key] = TrustedWorker(test_files, **options)
        with _workers_lock:
            _all_workers.append(workers[key])
    return workers[key]


@atexit.register
def close_workers() -> None:
    """Ends every trusted worker (and the sandboxes they hold)."""
    with _workers_lock:
        workers = list(_all_workers)
    for worker in workers:
        worker.close()


def _safe_name(name: str) -> str:
    plain = name.endswith(".ipynb") and not name.startswith(".") and all(
        char.isalnum() or char in "._- " for char in name)
    return name if plain and len(name) <= 100 else "submission.ipynb"


def score_run(student: str, tests: list[TestCase], run: TrustedRun, timeout_s: float) -> Result:
    """Scores a trusted run from the grader's own list of tests.

    A test earns its points only with token-bearing reports of a passed call and a teardown
    without failure. Lines without the token, reports for unknown or repeated tests, a flooded
    pipe, rebound test machinery or an invalid message from the sandbox score 0 as `tampered`.
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
    incidents = done.get("incidents", []) if done else []
    if run.forged_lines:
        tampered.append(f"{run.forged_lines} line(s) without the run's token on the results pipe")
    if run.flooded:
        tampered.append("flooded the results pipe")
    if unknown:
        tampered.append("reports for unknown tests: " + ", ".join(unknown[:5]))
    if done and done.get("tampered"):
        tampered.append("modified the test machinery: " + ", ".join(done["tampered"][:10]))
    tampered += [f"{incident['test']}: {incident['message']}" for incident in incidents
                 if incident.get("kind") == "tampered"]

    results = []
    for test in tests:
        passed, output = _test_outcome(phases[test.nodeid], run, timeout_s)
        results.append(TestResult(test.name, test.points if passed else 0.0, test.points, output))
    log = (done.get("output", "") if done else "") + run.output
    result = Result(student, "", results, log=log[-MAX_LOG_CHARS:])
    kinds = {incident.get("kind"): incident for incident in reversed(incidents)}
    if tampered:
        result.status, result.message = "tampered", "; ".join(tampered)
        for test in result.tests:
            test.score = 0.0
    elif "load" in kinds:
        result.status = kinds["load"].get("status", "crashed")
        result.message = kinds["load"]["message"]
        for test in result.tests:
            test.score = 0.0
    elif run.timed_out:
        result.status = "timeout"
        result.message = f"stopped after {timeout_s:g} s; tests that finished before count"
    elif "timeout" in kinds:
        result.status = "timeout"
        result.message = (f"{kinds['timeout']['test'].split('::')[-1]} "
                          f"{kinds['timeout']['message']}; the other tests count")
    elif "memory" in kinds or any(_MEMORY_ERROR.search(test.output) for test in results):
        result.status, result.message = "memory_exceeded", STATUSES["memory_exceeded"]
    elif "crashed" in kinds:
        result.status = "crashed"
        result.message = f"{kinds['crashed']['message']}; tests that finished before count"
    elif done is None:
        result.status = "crashed"
        result.message = (f"the grading process {_exit_description(run.returncode)} before the "
                          "tests finished; tests that finished before count")
    else:
        result.status = status_from_scores(result.tests)
    return result


def _exit_description(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with code {returncode}"


def _test_outcome(phases: dict[str, dict], run: TrustedRun, timeout_s: float) -> tuple[bool, str]:
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

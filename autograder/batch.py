"""Grade a class: every submission gets a row, whatever it holds and whatever happens.

`grade_class` finds the submissions (guarded, see `autograder.discovery`), grades each notebook
in its own sandboxed run, writes `<out>/<student>/results.json` and feedback, then
`<out>/grades.csv` and the class report. A results.json is reused only when this grader signed it
for the same notebook bytes and the same tests and points (see `autograder.report`); anything
else is regraded. SIGINT and SIGTERM kill every grading process at once, keep what finished,
write grades.csv for it and return, so the caller can say how to resume.
"""

import concurrent.futures
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from autograder import dependencies, discovery, grading, report, summary
from autograder.assignments import REPO_ROOT, Assignment, find_assignment
from autograder.results import RAN_TO_THE_END, GradingError, Result, TestCase, failed_result

DEFAULT_TIMEOUT_S = grading.DEFAULT_TIMEOUT_S
DEFAULT_MEMORY_MB = grading.DEFAULT_MEMORY_MB
REPORT_FILE = "report.html"
# How often the main thread looks at the workers, and re-kills after a signal.
_POLL_S = 0.2


class BatchError(ValueError):
    """The batch cannot start (bad folders); nothing was graded."""


@dataclass
class ClassResult:
    """What a `grade_class` call did. `results` holds one results.json per graded student in
    submission order; `not_graded` the students an interruption left for the next run."""

    assignment: str
    tests: list[TestCase]
    results: list[dict]
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    not_graded: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    interrupted_by: int | None = None
    gradebook: Path | None = None
    report: Path | None = None


# --- The grading engine: collect the tests once, grade one notebook. -------------------------


def collect_tests(assignment: Assignment, timeout_s: float = DEFAULT_TIMEOUT_S,
                  *, hidden: bool = True) -> list[TestCase]:
    """The graded tests of `assignment` with their points, visibility and description: public,
    then (with `hidden`) hidden, from a run that loads no submission.

    Raises:
        GradingError: a test file cannot be collected or lacks valid points.
    """
    return grading.collect_tests(_test_files(assignment, hidden), timeout_s)


def _test_files(assignment: Assignment, hidden: bool) -> tuple[Path, ...]:
    return assignment.test_files if hidden else (assignment.public_tests,)


def grade_bytes(assignment: Assignment, tests: list[TestCase], student: str,
                notebook_name: str, data: bytes, **limits) -> Result:
    """Grades notebook bytes from a private copy, so what was hashed is what is graded. A grader
    failure on one submission becomes that submission's result."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-submission-"))
    try:
        path = folder / (notebook_name if _plain_name(notebook_name) else "submission.ipynb")
        path.write_bytes(data)
        hidden = any(test.hidden for test in tests)
        return grading.grade_notebook(student, path, _test_files(assignment, hidden), tests,
                                      **limits)
    except Exception as error:  # noqa: BLE001 - one submission must not stop the class.
        return failed_result(student, tests, "crashed",
                             f"the grader failed on this submission ({type(error).__name__}: "
                             f"{error}); review it by hand")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _plain_name(name: str) -> bool:
    return (name.endswith(".ipynb") and not name.startswith(".")
            and all(char.isalnum() or char in "._- " for char in name))


def _progress_line(result: Result) -> str:
    line = (f"{result.student}: {report.number(result.score)}/{report.number(result.max_score)}"
            f" points, {result.status} in {result.duration_s:.1f} s")
    if result.status in RAN_TO_THE_END or not result.message:
        return line
    return f"{line}: {report.strip_folders(result.message).splitlines()[0]}"


# --- Fingerprints: what a stored results.json must match to be reused. ----------------------


def tests_fingerprint(assignment: Assignment, tests: list[TestCase]) -> str:
    """sha256 over every local file grading reads (test files, conftests, fixtures, the local
    modules they import) and every test's id, points and visibility."""
    digest = hashlib.sha256()
    for path in dependencies.grading_files(assignment):
        where = path.relative_to(REPO_ROOT) if REPO_ROOT in path.parents else path
        digest.update(f"{where}\0".encode() + path.read_bytes() + b"\0")
    for test in tests:
        digest.update(f"{test.nodeid}\0{test.points!r}\0{test.visibility}\0".encode())
    return digest.hexdigest()


# --- Stopping: kill every process this grader started, at once. ------------------------------


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                fields = file.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def kill_descendants() -> int:
    """SIGKILLs every descendant of this process and their process groups (the grading children
    run in their own sessions); returns how many processes were found."""
    if not os.path.isdir("/proc"):
        return 0
    children, own_group = _children(), os.getpgid(0)
    found, pending = [], list(children.get(os.getpid(), []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    for pid in found:
        try:
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return len(found)


class _Stop:
    """Turns SIGINT/SIGTERM into a stop request while a batch runs (main thread only)."""

    def __init__(self):
        self.signal: int | None = None
        self.event = threading.Event()
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number, frame):
        if self.signal is None:
            self.signal = number
        self.event.set()
        kill_descendants()

    def __exit__(self, *exc_info):
        for number, handler in self._previous.items():
            signal.signal(number, handler)


# --- The batch. ------------------------------------------------------------------------------


def check_folders(submissions_dir: Path, out_dir: Path) -> None:
    """Refuses, before grading anything, folders the batch could not finish with."""
    if not submissions_dir.is_dir():
        raise BatchError(f"submissions directory not found: {submissions_dir}")
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchError(f"the output folder {out_dir} is a file")
    for name in (report.GRADEBOOK_FILE, REPORT_FILE):
        target = out_dir / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise BatchError(f"{target} exists and is not a regular file; move it away")
    if submissions_dir.resolve() in (out_dir.resolve(), *out_dir.resolve().parents):
        raise BatchError("the output folder must not be inside the submissions directory, or "
                         "it would be graded as a student")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise BatchError(f"cannot write to the output folder {out_dir}")


def grade_class(assignment, submissions_dir, out_dir, *, jobs: int = 1,
                timeout: float = DEFAULT_TIMEOUT_S, memory_mb: int | None = DEFAULT_MEMORY_MB,
                force: bool = False, progress: bool = False) -> ClassResult:
    """Grades every submission of `submissions_dir` into `out_dir`.

    Args:
        assignment: an `Assignment` or the name (or public test file) of one.
        jobs: submissions graded in parallel.
        timeout: wall-clock seconds per submission and test file.
        memory_mb: memory cap per submission, None for none.
        force: regrade even submissions whose signed results.json is up to date.
        progress: show a progress bar (stderr) and a line per graded submission (stdout).

    Raises:
        BatchError: the folders are unusable; nothing was graded.
        GradingError: the tests cannot be collected.
    """
    if not isinstance(assignment, Assignment):
        assignment = find_assignment(assignment)
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    check_folders(submissions_dir, out_dir)
    with _Stop() as stop:
        try:
            tests = collect_tests(assignment, timeout)
        except GradingError:
            if stop.signal is None:
                raise
            tests = []  # Interrupted while collecting: killed, not broken.
        if stop.signal is not None:
            return ClassResult(assignment.name, tests, [], interrupted_by=stop.signal)
        submissions, ignored = discovery.find_submissions(submissions_dir)
        key = report.signing_key(out_dir)
        tests_sha256 = tests_fingerprint(assignment, tests)
        outcome = ClassResult(assignment.name, tests, [], ignored=ignored)
        results: dict[str, dict] = {}
        pending = []
        for submission in submissions:
            try:
                data = discovery.read_notebook_bytes(submission)
            except discovery.SubmissionProblem as problem:
                pending.append((submission, None, {"notebook_sha256": None,
                                                   "tests_sha256": tests_sha256}, str(problem)))
                continue
            fingerprint = {"notebook_sha256": hashlib.sha256(data).hexdigest(),
                           "tests_sha256": tests_sha256}
            stored = None if force else report.read_results(
                out_dir / submission.student / report.RESULTS_FILE, key,
                {"assignment": assignment.name, "student": submission.student, **fingerprint})
            if stored is None:
                pending.append((submission, data, fingerprint, ""))
            else:
                results[submission.student] = stored
                outcome.reused.append(submission.student)

        def grade(submission, data, fingerprint, problem):
            if stop.event.is_set():
                return None
            if data is None:
                result = failed_result(submission.student, tests, "invalid_submission",
                                       problem)
            else:
                result = grade_bytes(assignment, tests, submission.student,
                                     submission.notebook_name, data, timeout_s=timeout,
                                     memory_mb=memory_mb)
            if stop.event.is_set():
                return None  # Killed by the stop, not graded: the next run grades it.
            try:
                return result, report.write_student_files(result, tests, assignment.name,
                                                          fingerprint, out_dir, key)
            except OSError as error:
                result.message += f"\n(could not write its results: {error})"
                return result, report.results_json(result, tests, assignment.name, fingerprint)

        from tqdm import tqdm  # Here, so the Gradescope bundle can grade without it.

        bar = tqdm(total=len(pending), disable=not progress or not pending, unit="submission",
                   file=sys.stderr, dynamic_ncols=True)
        with bar, concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(grade, *job): job[0].student for job in pending}
            waiting = set(futures)
            while waiting:
                done, waiting = concurrent.futures.wait(waiting, timeout=_POLL_S)
                if stop.event.is_set():
                    pool.shutdown(wait=False, cancel_futures=True)
                    kill_descendants()  # Workers may have started a child after the signal.
                    # `wait` never reports futures cancelled before they started.
                    done |= {future for future in waiting if future.cancelled()}
                    waiting -= done
                for future in done:
                    graded = None if future.cancelled() else future.result()
                    student = futures[future]
                    if graded is None:
                        outcome.not_graded.append(student)
                        continue
                    result, results[student] = graded
                    outcome.graded.append(student)
                    bar.update()
                    if progress:
                        bar.write(_progress_line(result), file=sys.stdout)
        # Still under the handlers: a second signal must not interrupt writing the gradebook.
        order = [submission.student for submission in submissions]
        outcome.results = [results[student] for student in order if student in results]
        outcome.graded = [student for student in order if student in outcome.graded]
        outcome.not_graded = [student for student in order if student not in results]
        outcome.gradebook = out_dir / report.GRADEBOOK_FILE
        report.write_gradebook(outcome.gradebook, outcome.results, tests)
        outcome.report = out_dir / REPORT_FILE
        report.atomic_write_text(outcome.report,
                                 summary.html_report(summary.summarize(outcome.results, tests),
                                                     assignment.name))
        outcome.interrupted_by = stop.signal
    return outcome

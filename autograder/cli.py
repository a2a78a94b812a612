"""`python -m autograder`: release, check, grade and gradescope."""

import argparse
import concurrent.futures
import sys
from pathlib import Path

from autograder import gradescope, release, report, runner
from autograder.assignments import ASSIGNMENTS_DIR, UnknownAssignmentError, find_assignment
from autograder.pytest_plugin import SOLUTIONS_DIR


class UsageError(Exception):
    """Bad arguments: reported as `autograder: error: ...` with exit status 2."""


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Release, self-check and grade the course's notebook assignments.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub = commands.add_parser("release", help="regenerate the student notebooks from solutions/")
    sub.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="solution notebooks")
    sub.add_argument("--out", type=Path, default=ASSIGNMENTS_DIR, help="student notebooks")
    sub.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if the student notebooks are not up to date")

    def add_limits(sub, timeout):
        sub.add_argument("--timeout", type=_positive(float), default=timeout, metavar="S",
                         help=f"wall-clock seconds per submission (default {timeout:g})")
        sub.add_argument("--memory-mb", type=int, default=runner.DEFAULT_MEMORY_MB, metavar="MB",
                         help="address-space cap per submission, 0 for none "
                              f"(default {runner.DEFAULT_MEMORY_MB})")

    sub = commands.add_parser("check", help="self-check a notebook: tests, points earned, total")
    sub.add_argument("assignment", help="assignment name, or path of a graded test file")
    sub.add_argument("notebook", type=Path, nargs="?",
                     help="notebook to check (default: assignments/<assignment>.ipynb)")
    add_limits(sub, runner.DEFAULT_TIMEOUT_S)

    sub = commands.add_parser("grade", help="grade a folder of submissions")
    sub.add_argument("assignment", help="assignment name, or path of a graded test file")
    sub.add_argument("submissions", type=Path,
                     help="folder of <student>.ipynb files or <student>/ folders")
    sub.add_argument("--out", type=Path, required=True,
                     help="writes grades.csv and <student>/results.json here")
    sub.add_argument("-j", "--jobs", type=_positive(int), default=1, metavar="N",
                     help="submissions graded in parallel (default 1)")
    sub.add_argument("--force", action="store_true", help="regrade students already graded")
    add_limits(sub, runner.DEFAULT_TIMEOUT_S)

    sub = commands.add_parser("gradescope", help="export a Gradescope autograder bundle (.zip)")
    sub.add_argument("assignment", help="assignment name, or path of a graded test file")
    sub.add_argument("--out", type=Path, required=True, help="the .zip to write")
    add_limits(sub, runner.DEFAULT_TIMEOUT_S)
    return parser


def _memory(args) -> int | None:
    if args.memory_mb < 0:
        raise UsageError(f"--memory-mb must be >= 0, got {args.memory_mb}")
    return args.memory_mb or None


def cmd_release(args) -> int:
    if not args.solutions.is_dir():
        raise UsageError(f"solutions directory not found: {args.solutions}")
    if args.check:
        problems = release.stale_assignments(args.solutions, args.out)
        for problem in problems:
            print(problem)
        if problems:
            print("run `python -m autograder release` to regenerate them")
        return 1 if problems else 0
    for path in release.release(args.solutions, args.out):
        print(f"wrote {path}")
    return 0


def cmd_check(args) -> int:
    assignment = find_assignment(args.assignment)
    notebook_path = args.notebook or assignment.student_notebook
    if not notebook_path.is_file():
        raise UsageError(f"notebook not found: {notebook_path}")
    tests = runner.collect_tests(assignment.tests, timeout_s=args.timeout)
    submission = runner.Submission(notebook_path.stem, notebook_path)
    result = runner.grade_submission(submission, assignment.tests, tests,
                                     timeout_s=args.timeout, memory_mb=_memory(args))
    print(report.feedback_text(result), end="")
    return 0


def cmd_grade(args) -> int:
    assignment = find_assignment(args.assignment)
    if not args.submissions.is_dir():
        raise UsageError(f"submissions directory not found: {args.submissions}")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out must be a directory, {args.out} is a file")
    if args.submissions.resolve() in (args.out.resolve(), *args.out.resolve().parents):
        raise UsageError("--out must not be inside the submissions directory, or it would be "
                         "graded as a student")
    memory_mb = _memory(args)
    submissions, ignored = runner.find_submissions(args.submissions)
    for path in ignored:
        print(f"ignoring {path}: not a notebook or a folder")
    tests = runner.collect_tests(assignment.tests, timeout_s=args.timeout)

    pending = []
    for submission in submissions:
        previous = report.read_results(args.out / submission.student / report.RESULTS_FILE)
        if (not args.force and previous is not None
                and previous["extra_data"].get("assignment") == assignment.name):
            print(f"{submission.student}: already graded, skipped (--force regrades)")
        else:
            pending.append(submission)

    def grade(submission):
        result = runner.grade_submission(submission, assignment.tests, tests,
                                         timeout_s=args.timeout, memory_mb=memory_mb)
        report.write_student_files(result, assignment.name, args.out)
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(grade, submission) for submission in pending]
        try:
            for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
                result = future.result()
                print(f"[{done}/{len(pending)}] {report.summary_line(result).splitlines()[0]} "
                      f"in {result.duration_s:.1f} s", flush=True)
        except KeyboardInterrupt:
            print("interrupted: finishing the submissions in progress; run again to resume",
                  file=sys.stderr)
            pool.shutdown(cancel_futures=True)
            raise

    graded = [report.read_results(args.out / submission.student / report.RESULTS_FILE)
              for submission in submissions]
    graded = [data for data in graded if data is not None]
    gradebook = args.out / report.GRADEBOOK_FILE
    report.write_gradebook(gradebook, graded, [test.name for test in tests])
    print()
    print(report.gradebook_table(graded))
    print(f"\nwrote {gradebook}")
    return 0


def cmd_gradescope(args) -> int:
    assignment = find_assignment(args.assignment)
    runner.collect_tests(assignment.tests, timeout_s=args.timeout)  # Fail now, not on Gradescope.
    gradescope.build_bundle(assignment, args.out, timeout_s=args.timeout,
                            memory_mb=_memory(args))
    print(f"wrote {args.out}")
    return 0


COMMANDS = {"release": cmd_release, "check": cmd_check, "grade": cmd_grade,
            "gradescope": cmd_gradescope}


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, UnknownAssignmentError) as error:
        parser.error(str(error))
    except (runner.GradingError, release.ReleaseError) as error:
        print(f"autograder: error: {error}", file=sys.stderr)
        return 1

"""`python -m autograder`: release, check, grade and gradescope, thin over the modules' APIs."""

import argparse
import shlex
import signal
import sys
from pathlib import Path

from autograder import batch, discovery, gradescope, release, report, summary
from autograder.assignments import (
    ASSIGNMENTS_DIR,
    SOLUTIONS_DIR,
    UnknownAssignmentError,
    find_assignment,
)
from autograder.results import GradingError


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


def _memory(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of MB, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


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
    sub.add_argument("--student", type=Path, metavar="DIR",
                     help="write the student course (no solutions, hidden tests or mutants) "
                          "into the new or empty folder DIR")

    def add_limits(sub):
        sub.add_argument("--timeout", type=_positive(float), default=batch.DEFAULT_TIMEOUT_S,
                         metavar="S", help="wall-clock seconds per submission "
                                           f"(default {batch.DEFAULT_TIMEOUT_S:g})")
        sub.add_argument("--memory-mb", type=_memory, default=batch.DEFAULT_MEMORY_MB,
                         metavar="MB", help="memory cap per submission, 0 for none "
                                            f"(default {batch.DEFAULT_MEMORY_MB})")

    sub = commands.add_parser("check", help="self-check a notebook against the public tests")
    sub.add_argument("assignment", help="assignment name, or path of a graded test file")
    # Required although a positional with nargs="?": a missing notebook gets the message below.
    sub.add_argument("notebook", type=Path, nargs="?",
                     help="the notebook to check (required; there is no default, so that the "
                          "untouched copy in assignments/ is never checked by mistake)")
    sub.add_argument("--hidden", action="store_true",
                     help="also run the hidden tests (instructors' copy of the course only)")
    add_limits(sub)

    sub = commands.add_parser("grade", help="grade a folder of submissions (public + hidden)")
    sub.add_argument("assignment", help="assignment name, or path of a graded test file")
    sub.add_argument("submissions", type=Path,
                     help="folder of <student>.ipynb files or <student>/ folders")
    sub.add_argument("--out", type=Path, required=True,
                     help="writes grades.csv, report.html and <student>/results.json here")
    sub.add_argument("-j", "--jobs", type=_positive(int), default=1, metavar="N",
                     help="submissions graded in parallel (default 1)")
    sub.add_argument("--force", action="store_true",
                     help="regrade students whose results are up to date")
    sub.add_argument("--no-progress", dest="progress", action="store_false",
                     help="no progress bar")
    add_limits(sub)

    sub = commands.add_parser("gradescope", help="export a Gradescope autograder bundle (.zip)")
    sub.add_argument("assignment", help="assignment name, or path of a graded test file")
    sub.add_argument("--out", type=Path, required=True, help="the .zip to write")
    add_limits(sub)
    return parser


def cmd_release(args) -> int:
    if not args.solutions.is_dir():
        raise UsageError(f"solutions directory not found: {args.solutions}")
    if args.student:
        print(f"wrote the student course to {release.release_student(args.student)}")
        return 0
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
    if args.hidden and assignment.hidden_tests is None:
        raise UsageError(f"{assignment.name} has no hidden tests in this copy of the course")
    path = args.notebook
    if path is None:
        raise UsageError(
            f"name the notebook to check: python -m autograder check {args.assignment} "
            "PATH/TO/NOTEBOOK.ipynb (the last cell of the assignment runs this for the notebook "
            "it is in)"
        )
    if not path.is_file():
        raise UsageError(f"notebook not found: {path}")
    tests = batch.collect_tests(assignment, args.timeout, hidden=args.hidden)
    result = batch.grade_bytes(assignment, tests, discovery.escape_name(path.stem), path.name,
                               path.read_bytes(),
                               timeout_s=args.timeout, memory_mb=args.memory_mb or None)
    print(report.feedback_text(result, tests), end="")
    return 0


def cmd_grade(args, argv) -> int:
    outcome = batch.grade_class(args.assignment, args.submissions, args.out, jobs=args.jobs,
                                timeout=args.timeout, memory_mb=args.memory_mb or None,
                                force=args.force, progress=args.progress)
    if outcome.gradebook is None:
        print(f"interrupted by {signal.Signals(outcome.interrupted_by).name} before grading "
              "anything", file=sys.stderr)
        return 128 + outcome.interrupted_by
    for name in outcome.ignored:
        print(f"ignored {name}: not a notebook or a folder")
    if outcome.reused:
        print(f"{len(outcome.reused)} submission(s) already graded with the same notebook and "
              "tests were kept (--force regrades them)")
    print()
    print(report.gradebook_table(outcome.results))
    print()
    print(summary.summary_text(summary.summarize(outcome.results, outcome.tests)))
    print(f"\nwrote {outcome.gradebook} and {outcome.report}")
    if outcome.interrupted_by is not None:
        name = signal.Signals(outcome.interrupted_by).name
        left = ", ".join(outcome.not_graded[:5]) + (", ..." if len(outcome.not_graded) > 5 else "")
        print(f"\ninterrupted by {name}: {len(outcome.not_graded)} submission(s) not graded "
              f"({left}); grades.csv holds the {len(outcome.results)} graded.\nResume with:\n  "
              f"python -m autograder {shlex.join(argv)}\n(finished students are kept unless "
              "their notebook or the tests changed)", file=sys.stderr)
        return 128 + outcome.interrupted_by
    return 0


def cmd_gradescope(args) -> int:
    assignment = find_assignment(args.assignment)
    batch.collect_tests(assignment, args.timeout)  # Fail now, not on Gradescope.
    gradescope.build_bundle(assignment, args.out, timeout_s=args.timeout,
                            memory_mb=args.memory_mb or None)
    print(f"wrote {args.out}")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"release": cmd_release, "check": cmd_check, "gradescope": cmd_gradescope,
                "grade": lambda args: cmd_grade(args, argv)}
    try:
        return commands[args.command](args)
    except (UsageError, UnknownAssignmentError, batch.BatchError) as error:
        parser.error(str(error))
    except (GradingError, release.ReleaseError, OSError) as error:
        print(f"autograder: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Outside a batch, which handles its own signals.
        print("autograder: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT

"""Compatibility layer over `autograder.grading` for callers not yet moved to it.

Deprecated: `autograder.batch` and the tests still import these names; new code uses
`autograder.grading` and `autograder.results`. This module goes once nothing imports it.
"""

from dataclasses import dataclass
from pathlib import Path

from autograder import grading
from autograder.grading import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S
from autograder.grading import TrustedRun as ChildRun
from autograder.results import STATUSES, GradingError, Result, TestCase, TestResult, failed_result

__all__ = ["DEFAULT_MEMORY_MB", "DEFAULT_TIMEOUT_S", "STATUSES", "ChildRun", "GradingError",
           "Result", "Submission", "TestCase", "TestResult", "collect_tests",
           "grade_submission", "score_run"]


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: Path | None
    problem: str = ""


def collect_tests(test_file, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[TestCase]:
    return grading.collect_tests([test_file], timeout_s=timeout_s)


def grade_submission(submission: Submission, test_file, tests, *,
                     timeout_s: float = DEFAULT_TIMEOUT_S,
                     memory_mb: int | None = DEFAULT_MEMORY_MB) -> Result:
    if submission.notebook is None:
        return failed_result(submission.student, tests, "invalid_submission",
                             submission.problem)
    return grading.grade_notebook(submission.student, submission.notebook, [test_file], tests,
                                  timeout_s=timeout_s, memory_mb=memory_mb)


def score_run(submission: Submission, tests, run: ChildRun, timeout_s: float) -> Result:
    return grading.score_run(submission.student, tests, run, timeout_s)

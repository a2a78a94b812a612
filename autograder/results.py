"""The result model of grading: statuses, graded tests, per-test results and a submission's result.

This is the one definition of the statuses; the grader, the reports and Gradescope's results.json
all use it.
"""

from dataclasses import dataclass

STATUSES = {
    "ok": "all tests passed",
    "partial": "some tests failed",
    "failed": "no test passed",
    "timeout": "a test ran past its time limit, or the whole run past --timeout; tests that "
               "passed count",
    "crashed": "the submission's process died, or the graded cells raised while loading",
    "memory_exceeded": "ran out of the memory allowed",
    "syntax_error": "a graded cell is not valid Python (or too deeply nested to compile)",
    "corrupt_notebook": "the file is not a readable Jupyter notebook",
    "missing_graded_cell": "no cell tagged 'graded' (do not remove the tags)",
    "invalid_submission": "not exactly one notebook in the submission folder",
    "tampered": "interfered with the grader; scored 0, review by hand",
}
# Statuses found before or while loading the graded cells: every test scores 0.
LOAD_STATUSES = ("syntax_error", "corrupt_notebook", "missing_graded_cell", "invalid_submission",
                 "crashed")
RAN_TO_THE_END = ("ok", "partial", "failed")


class GradingError(RuntimeError):
    """The grading setup itself is broken (not a student's fault): bad test file, no tests."""


@dataclass(frozen=True)
class TestCase:
    """A graded test as collected from the trusted test files."""

    __test__ = False  # Not a pytest test class.

    nodeid: str
    points: float
    visibility: str = "visible"
    hidden: bool = False
    description: str = ""

    @property
    def name(self) -> str:
        """The id without its file: `test_norm[3]`, `TestCell::test_shape`."""
        return self.nodeid.split("::", 1)[-1]


@dataclass
class TestResult:
    """How one test went: points earned and the feedback (failure text, or why it did not run)."""

    __test__ = False

    name: str
    score: float
    max_score: float
    output: str = ""


@dataclass
class Result:
    """One submission's grade: a status from `STATUSES`, one `TestResult` per graded test (in
    the order of the collected tests), a message for the student, the submission's output."""

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


def status_from_scores(tests: list[TestResult]) -> str:
    """`ok`, `partial` or `failed` for a run that went to the end."""
    score, max_score = sum(t.score for t in tests), sum(t.max_score for t in tests)
    if score == max_score:
        return "ok"
    return "partial" if score > 0 else "failed"


def failed_result(student: str, tests: list[TestCase], status: str, message: str) -> Result:
    """Every test at 0 with `message` as its feedback."""
    return Result(student, status, [TestResult(test.name, 0.0, test.points, message)
                                    for test in tests], message)

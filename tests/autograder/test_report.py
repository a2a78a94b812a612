"""Per-student feedback (hidden tests, internal paths) and the class summary and HTML report."""

import re

from autograder import report, summary
from autograder.results import Result, TestCase, TestResult

TESTS = [
    TestCase("public/test_a.py::test_shape", 2),
    TestCase("public/test_a.py::test_values", 3),
    TestCase("hidden/test_a_hidden.py::test_other_seeds[case1]", 5, "after_due_date", True,
                      "rnn_step on other seeds."),
]


def _result(student, scores, outputs=("", "", ""), status="partial", message=""):
    return Result(student, status, [
        TestResult(test.name, score, test.points, output)
        for test, score, output in zip(TESTS, scores, outputs)
    ], message)


def test_hidden_tests_show_only_their_description_and_outcome():
    result = _result("ann", (2, 0, 0), ("", "x = [[1, 2]] expected 3", "seed 7: expected 0.25"))
    data = report.results_json(result, TESTS, "a", {})
    hidden = data["tests"][2]
    assert hidden["visibility"] == "after_due_date"
    assert hidden["output"] == ("rnn_step on other seeds: failed (details are not shown for "
                                "hidden tests)")
    feedback = report.feedback_text(result, TESTS)
    assert "seed 7" not in feedback and "expected 3" in feedback


def test_student_text_carries_no_internal_paths():
    output = ('File "/tmp/autograder-x1/work/a1.ipynb", line 3\n'
              "../tests/assignments/public/test_a1.py:30: in test_step\n"
              "/autograder/source/autograder/rpc.py:12: RemoteError; ratio 1/2, http://a.b/c")
    text = report.student_outputs(_result("ann", (0, 0, 0), (output, "", "")), TESTS)[0]
    assert text == ('File "a1.ipynb", line 3\ntest_a1.py:30: in test_step\n'
                    "rpc.py:12: RemoteError; ratio 1/2, http://a.b/c")


def test_a_message_shared_by_every_test_is_written_once():
    message = "expected exactly one notebook (.ipynb) in the submission, found 0: none"
    result = _result("ann", (0, 0, 0), (message,) * 3, "invalid_submission", message)
    data = report.results_json(result, TESTS, "a", {})
    assert data["output"].endswith(message)
    assert [test["output"] for test in data["tests"][:2]] == ["", ""]
    assert report.feedback_text(result, TESTS).count(message) == 1


def _class():
    results = [_result("ann", (2, 3, 5), status="ok"), _result("bob", (2, 0, 0)),
               _result("cat", (0, 0, 0), status="syntax_error"), _result("dan", (2, 3, 0))]
    return [report.results_json(result, TESTS, "a", {}) for result in results]


def test_summary_statistics_histogram_and_pass_rates():
    stats = summary.summarize(_class(), TESTS)
    assert (stats.students, stats.max_score, stats.mean, stats.median) == (4, 10, 4.25, 3.5)
    assert stats.statuses == {"partial": 2, "ok": 1, "syntax_error": 1}
    assert [count for _, _, count in stats.histogram()] == [1, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    assert [(rate.name, rate.passed) for rate in stats.tests] == [
        ("test_shape", 3), ("test_values", 2), ("test_other_seeds[case1]", 1)]
    text = summary.summary_text(stats)
    assert "4 students, mean 4.25, median 3.5 of 10 points" in text
    most_failed = text.split("most failed first:")[1].splitlines()[3]
    assert most_failed.split() == ["test_other_seeds[case1]", "(hidden)", "5", "1/4", "25%"]


def test_html_report_is_self_contained_and_escaped():
    results = _class()
    results[0]["extra_data"]["status"] = "<script>alert(1)</script>"
    page = summary.html_report(summary.summarize(results, TESTS), "a<1>")
    assert "<script>" not in page and "&lt;script&gt;" in page and "a&lt;1&gt;" in page
    sources = re.findall(r"""(?:src|href)=['"]([^'"]*)""", page)
    assert len(sources) == 2 and all(src.startswith("data:image/png;base64,") for src in sources)
    assert "http" not in page.replace("http://x", "")
    assert "No student graded" in summary.html_report(summary.summarize([], TESTS), "a")

"""The class summary after a batch: score statistics, histogram, per-test pass rates, statuses.

`summary_text` is what `grade` prints; `html_report` is a single self-contained HTML file (plots
as inline base64 PNG, no external script, style sheet or font) that shows the instructor which
tests most students failed.
"""

import base64
import html
import io
import statistics
from collections import Counter
from dataclasses import dataclass

from autograder.report import format_table, number
from autograder.results import TestCase

HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class TestRate:
    name: str
    points: float
    hidden: bool
    passed: int
    students: int

    @property
    def rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


@dataclass(frozen=True)
class ClassSummary:
    students: int
    max_score: float
    scores: list[float]
    statuses: dict[str, int]
    tests: list[TestRate]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0

    def histogram(self) -> list[tuple[float, float, int]]:
        """(low, high, students) for `HISTOGRAM_BINS` equal bins of [0, max_score]; the last bin
        includes full marks."""
        width = (self.max_score or 1) / HISTOGRAM_BINS
        counts = Counter(min(int(score / width), HISTOGRAM_BINS - 1) for score in self.scores)
        return [(index * width, (index + 1) * width, counts[index])
                for index in range(HISTOGRAM_BINS)]


def summarize(results: list[dict], tests: list[TestCase]) -> ClassSummary:
    """The summary of the graded students' results.json data."""
    earned = [{test["name"]: test["score"] for test in data["tests"]} for data in results]
    rates = [TestRate(test.name, test.points, test.hidden,
                      sum(scores.get(test.name, 0) >= test.points for scores in earned),
                      len(results))
             for test in tests]
    return ClassSummary(
        students=len(results),
        max_score=sum(test.points for test in tests),
        scores=[float(data["score"]) for data in results],
        statuses=dict(Counter(data["extra_data"]["status"] for data in results).most_common()),
        tests=rates,
    )


def summary_text(summary: ClassSummary) -> str:
    if not summary.students:
        return "no student graded"
    lines = [
        f"{summary.students} students, mean {number(summary.mean)}, median "
        f"{number(summary.median)} of {number(summary.max_score)} points",
        "statuses: " + ", ".join(f"{status} {count}"
                                 for status, count in summary.statuses.items()),
        "",
        "scores:",
    ]
    tallest = max(count for _, _, count in summary.histogram()) or 1
    for low, high, count in summary.histogram():
        bar = "#" * round(30 * count / tallest)
        lines.append(f"  {number(low):>6} - {number(high):<6} {count:>4}  {bar}")
    rows = [(rate.name + (" (hidden)" if rate.hidden else ""), number(rate.points),
             f"{rate.passed}/{rate.students}", f"{100 * rate.rate:.0f}%")
            for rate in sorted(summary.tests, key=lambda rate: rate.rate)]
    lines += ["", "tests, most failed first:",
              format_table(rows, ("test", "points", "passed", "rate"))]
    return "\n".join(lines)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _plots(summary: ClassSummary) -> tuple[str, str]:
    """The score histogram and the per-test pass rates, as base64 PNG."""
    from matplotlib.figure import Figure  # No pyplot: no GUI backend, no global state.

    histogram = Figure(figsize=(6, 3))
    axes = histogram.subplots()
    bins = summary.histogram()
    axes.bar([low for low, _, _ in bins], [count for _, _, count in bins],
             width=bins[0][1] - bins[0][0], align="edge", color="#4c72b0", edgecolor="white")
    axes.set(xlabel="score", ylabel="students", xlim=(0, summary.max_score or 1),
             title="Scores")
    rates = sorted(summary.tests, key=lambda rate: rate.rate, reverse=True)
    passes = Figure(figsize=(6, 0.6 + 0.3 * len(rates)))
    axes = passes.subplots()
    axes.barh([rate.name + (" (hidden)" if rate.hidden else "") for rate in rates],
              [100 * rate.rate for rate in rates],
              color=["#c44e52" if rate.rate < 0.5 else "#55a868" for rate in rates])
    axes.set(xlabel="% of students passing", xlim=(0, 100), title="Tests")
    return _png(histogram), _png(passes)


def _table(rows, headers) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row)
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """body{font-family:sans-serif;margin:2em;max-width:60em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .6em}
td:not(:first-child){text-align:right}img{max-width:100%}"""


def html_report(summary: ClassSummary, assignment: str) -> str:
    title = html.escape(f"{assignment}: class report")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"]
    if not summary.students:
        parts.append("<p>No student graded.</p>")
    else:
        histogram, passes = _plots(summary)
        parts += [
            f"<p>{summary.students} students; mean {number(summary.mean)}, median "
            f"{number(summary.median)} of {number(summary.max_score)} points.</p>",
            "<h2>Statuses</h2>", _table(summary.statuses.items(), ("status", "students")),
            "<h2>Scores</h2>",
            f"<img alt='histogram of scores' src='data:image/png;base64,{histogram}'>",
            "<h2>Tests, most failed first</h2>",
            f"<img alt='pass rate per test' src='data:image/png;base64,{passes}'>",
            _table([(rate.name, number(rate.points), "yes" if rate.hidden else "",
                     f"{rate.passed}/{rate.students}", f"{100 * rate.rate:.0f}%")
                    for rate in sorted(summary.tests, key=lambda rate: rate.rate)],
                   ("test", "points", "hidden", "passed", "rate")),
        ]
    parts.append("</body></html>\n")
    return "".join(parts)

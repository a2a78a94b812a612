"""Check a lesson's finding: assert it in full mode, report it honestly in fast mode.

Every lesson ends with one or more ``check_finding`` calls instead of bare asserts. In full mode
a finding that does not hold raises ``AssertionError``; in fast mode (``SEQ_FAST=1``, tiny data)
the check is reported as skipped and never raises. When ``SEQ_FINDINGS_FILE`` is set, each call
appends one JSON line to that file, which ``benchmarks/findings.py`` collects into a table.
"""

import json
import math
import os

from seqlib import fast_mode

_BETTER = ("lower", "higher")


def check_finding(finding: str, value: float, threshold: float, better: str) -> bool | None:
    """Check that ``value`` beats ``threshold`` in the direction ``better``.

    Args:
        finding: one-line description of the claim, e.g. ``"LSTM test MSE on the adding problem"``.
        value: the measured number.
        threshold: the bar it must beat (strictly).
        better: ``"lower"`` (value < threshold passes) or ``"higher"`` (value > threshold passes).

    Returns:
        ``True`` when the finding holds, ``None`` in fast mode (not checked).

    Raises:
        ValueError: for an unknown ``better`` or a non-finite ``value`` or ``threshold``.
        AssertionError: in full mode, when the finding does not hold.
    """
    if better not in _BETTER:
        raise ValueError(f"better must be one of {_BETTER}, got {better!r}")
    value, threshold = float(value), float(threshold)
    if not math.isfinite(value):
        raise ValueError(f"finding {finding!r}: value must be finite, got {value}")
    if not math.isfinite(threshold):
        raise ValueError(f"finding {finding!r}: threshold must be finite, got {threshold}")
    fast = fast_mode()
    holds = value < threshold if better == "lower" else value > threshold
    relation = "<" if better == "lower" else ">"
    passed = None if fast else holds
    if fast:
        verdict = "skipped (fast mode, tiny data)"
    else:
        verdict = "PASS" if holds else "FAIL"
    print(f"{finding}: {value:.4g} (want {relation} {threshold:.4g}) -> {verdict}")
    _record(finding, value, threshold, better, passed, fast)
    if not fast and not holds:
        raise AssertionError(
            f"finding does not hold: {finding}: {value:.4g} is not {relation} {threshold:.4g}"
        )
    return passed


def _record(finding, value, threshold, better, passed, fast):
    path = os.environ.get("SEQ_FINDINGS_FILE")
    if not path:
        return
    row = {
        "lesson": os.environ.get("SEQ_LESSON", ""),
        "finding": finding,
        "value": value,
        "threshold": threshold,
        "better": better,
        "passed": passed,
        "fast": fast,
    }
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(row) + "\n")

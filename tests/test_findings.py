import json

import pytest

from seqlib.findings import check_finding


@pytest.fixture
def full_mode(monkeypatch):
    monkeypatch.setenv("SEQ_FAST", "0")


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv("SEQ_FAST", "1")


def test_full_mode_passes_and_prints(full_mode, capsys):
    assert check_finding("loss", 0.1, 0.5, "lower") is True
    assert check_finding("accuracy", 0.9, 0.5, "higher") is True
    out = capsys.readouterr().out
    assert "loss: 0.1 (want < 0.5) -> PASS" in out
    assert "accuracy: 0.9 (want > 0.5) -> PASS" in out


def test_full_mode_raises_when_finding_fails(full_mode):
    with pytest.raises(AssertionError, match="loss: 0.7 is not < 0.5"):
        check_finding("loss", 0.7, 0.5, "lower")
    with pytest.raises(AssertionError, match="accuracy"):
        check_finding("accuracy", 0.2, 0.5, "higher")


def test_threshold_must_be_beaten_strictly(full_mode):
    with pytest.raises(AssertionError):
        check_finding("tie", 0.5, 0.5, "lower")


def test_fast_mode_never_raises(fast, capsys):
    assert check_finding("loss", 9.0, 0.5, "lower") is None
    assert "skipped (fast mode" in capsys.readouterr().out


@pytest.mark.parametrize("better", ["smaller", "", "LOWER"])
def test_unknown_direction_is_rejected(full_mode, better):
    with pytest.raises(ValueError, match="better must be one of"):
        check_finding("x", 1.0, 2.0, better)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_value_is_rejected(fast, value):
    with pytest.raises(ValueError, match="value must be finite"):
        check_finding("x", value, 2.0, "lower")


def test_records_json_lines(full_mode, monkeypatch, tmp_path):
    path = tmp_path / "findings.jsonl"
    monkeypatch.setenv("SEQ_FINDINGS_FILE", str(path))
    monkeypatch.setenv("SEQ_LESSON", "03_vanishing_exploding")
    check_finding("clipped loss", 0.25, 1.0, "lower")
    with pytest.raises(AssertionError):
        check_finding("unclipped loss", 2.0, 1.0, "lower")
    monkeypatch.setenv("SEQ_FAST", "1")
    monkeypatch.delenv("SEQ_LESSON")
    check_finding("tiny", 3.0, 1.0, "lower")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows[0] == {
        "lesson": "03_vanishing_exploding", "finding": "clipped loss", "value": 0.25,
        "threshold": 1.0, "better": "lower", "passed": True, "fast": False,
    }
    assert rows[1]["passed"] is False
    assert rows[2]["lesson"] == "" and rows[2]["passed"] is None and rows[2]["fast"] is True


def findings_benchmark():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "findings.py"
    spec = importlib.util.spec_from_file_location("findings_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_measures_the_kernels_cpu_time(tmp_path, monkeypatch):
    import nbformat

    benchmark = findings_benchmark()
    for name in ("SEQ_FAST", "SEQ_LESSON", "SEQ_FINDINGS_FILE"):  # run_lesson sets them
        monkeypatch.setenv(name, "")
    busy = ("import time\nstart = time.process_time()\n"
            "while time.process_time() - start < 1.0:\n    pass")
    path = tmp_path / "99_busy.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(busy)]), path)
    seconds, cpu_seconds, error = benchmark.run_lesson(path, tmp_path / "findings.jsonl")
    assert error is None
    # The kernel's own CPU time, not this process's (which only waits for it).
    assert cpu_seconds >= 1.0 and seconds >= 1.0


def test_benchmark_table_has_wall_and_cpu_seconds(tmp_path, monkeypatch):
    benchmark = findings_benchmark()
    table = tmp_path / "findings.md"
    table.write_text("| lesson | finding | value | threshold | verdict | lesson seconds |\n"
                     "| --- | --- | --- | --- | --- | --- |\n"
                     "| 00_a | x | 1 | > 0 | pass | 16 |\n"
                     "| 01_b | y | 2 | > 0 | pass | 30 |\n")
    monkeypatch.setattr(benchmark, "TABLE", table)
    # A row from before the CPU column gets an empty CPU cell.
    kept = benchmark.previous_rows({"01_b"})
    assert kept == ["| 00_a | x | 1 | > 0 | pass | 16 | |"]
    finding = {"finding": "y", "value": 2.0, "threshold": 0.0, "better": "higher", "passed": True}
    new = benchmark.table_rows("01_b", 30.4, 12.6, [finding], None)
    assert new == ["| 01_b | y | 2 | > 0 | pass | 30 | 13 |"]
    assert benchmark.lesson_seconds(kept + new, 6) == {"00_a": 16.0, "01_b": 30.0}
    assert benchmark.lesson_seconds(kept + new, 7) == {"01_b": 13.0}

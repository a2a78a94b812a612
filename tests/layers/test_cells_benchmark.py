"""Smoke run of benchmarks/cells.py: it builds, trains and times every layer it compares."""

import importlib.util
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "cells.py"


def test_quick_benchmark_reports_a_ratio_per_layer(capsys):
    spec = importlib.util.spec_from_file_location("cells_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ratios = module.main(["--quick"])
    assert set(ratios) == {name for name, *_ in module.CANDIDATES}
    assert all(ratio > 0 for ratio in ratios.values())
    assert "target <=" in capsys.readouterr().out

"""Smoke run of benchmarks/cells.py: it builds, trains and times every layer it compares."""

import importlib.util
from pathlib import Path

import keras

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "cells.py"


def test_quick_benchmark_reports_a_ratio_per_layer_and_mode(capsys):
    spec = importlib.util.spec_from_file_location("cells_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The JAX column comes from a child process, so the TensorFlow run covers it too.
    table = module.main(["--quick"])
    expected_modes = {"default", "jit", "JAX"} if keras.backend.backend() != "jax" else {"JAX"}
    assert set(table) == expected_modes
    for ratios in table.values():
        assert set(ratios) == {name for name, *_ in module.CANDIDATES}
        assert all(cpu > 0 and wall > 0 for cpu, wall in ratios.values())
    out = capsys.readouterr().out
    assert ("<= 1.00x LSTM" in out) == ("default" in table)

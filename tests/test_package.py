"""The seqlib package itself: cheap to import, fast-mode switch."""

import subprocess
import sys

import pytest

import seqlib


def test_import_seqlib_does_not_load_keras():
    # A fresh interpreter: this test process may already have Keras loaded.
    code = "import sys, seqlib; print('keras' in sys.modules, 'tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "value, expected",
    [(None, False), ("0", False), ("", False), ("false", False), ("1", True), ("yes", True)],
)
def test_fast_mode_reads_seq_fast(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("SEQ_FAST", raising=False)
    else:
        monkeypatch.setenv("SEQ_FAST", value)
    assert seqlib.fast_mode() is expected


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'layer'"):
        seqlib.layer  # noqa: B018

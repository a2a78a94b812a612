"""seqlib.quiet drops TensorFlow's start-up noise from stderr and keeps everything else."""

import os
import sys

import pytest

from seqlib import _import_hooks, quiet

BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
ONEDNN = ("I0000 00:00:1795536983.095747    5607 port.cc:153] oneDNN custom operations are on. "
          "To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.")
INFO = "I0000 00:00:1795536983.571303    5607 some_op.cc:12] loaded a plugin"
WARNING = "W0000 00:00:1795536983.571303    5607 some_op.cc:12] slow path"
ERROR = "E0000 00:00:1795536983.571303    5607 some_op.cc:12] could not open file"
CUDA = ("E0000 00:00:1730.1  123 cuda_fft.cc:485] Unable to register cuFFT factory: Attempting "
        "to register factory for plugin cuFFT when one has already been registered")
# A Grappler pass giving up on a ReLU RNN's loop: the graph then runs unoptimised.
GRAPPLER = ("E0000 00:00:1795547675.9   3745 meta_optimizer.cc:966] model_pruner failed: "
            "INVALID_ARGUMENT: Graph does not contain terminal node Adam/AssignAddVariableOp.")
TFG = ("E0000 00:00:1795547675.9   3745 tfg_optimizer_hook.cc:135] "
       "tfg_optimizer{any(tfg-consolidate-attrs)} failed: INVALID_ARGUMENT: no OpDef for Relu")
TFG_SECOND_LINE = "\twhen importing GraphDef to MLIR module in GrapplerHook"


@pytest.mark.parametrize(
    "line, level, noise",
    [
        (BANNER, 2, True),
        (ONEDNN, 2, True),
        (ONEDNN, 1, True),
        (CUDA, 2, True),
        (GRAPPLER, 2, True),
        (TFG, 2, True),
        (TFG_SECOND_LINE, 2, True),
        (GRAPPLER, 0, False),
        (INFO, 1, True),
        (WARNING, 1, False),
        (WARNING, 2, True),
        (ERROR, 2, False),
        (ERROR, 3, True),
        ("Traceback (most recent call last):", 3, False),
        (BANNER, 0, False),
        (ONEDNN, 0, False),
    ],
)
def test_noise_follows_the_log_level(line, level, noise):
    assert quiet.is_startup_noise(line, level) is noise


def test_bad_log_level_is_named(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "quiet")
    with pytest.raises(ValueError, match="TF_CPP_MIN_LOG_LEVEL must be 0, 1, 2 or 3"):
        quiet.min_log_level()


def test_filtered_stderr_keeps_real_messages_at_file_descriptor_level(capfd, monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet.filtered_stderr():
        # What a C++ library writes bypasses sys.stderr.
        os.write(2, "\n".join([BANNER, ONEDNN, ERROR, "plain text", WARNING, ""]).encode())
    captured = capfd.readouterr()
    assert captured.err.splitlines() == [ERROR, "plain text"]


def test_install_wraps_only_the_tensorflow_import(monkeypatch):
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    quiet.install()
    quiet.install()
    finders = [f for f in sys.meta_path
               if isinstance(f, _import_hooks.ImportHook) and f.name == "tensorflow"]
    assert len(finders) == 1
    assert finders[0].find_spec("numpy") is None
    spec = finders[0].find_spec("tensorflow")
    assert spec is not None and isinstance(spec.loader, _import_hooks._WrappingLoader)
    assert spec.loader.around is quiet._load_quietly
    assert finders[0] not in sys.meta_path  # It wraps one import, then steps aside.

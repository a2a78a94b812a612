"""seqlib: Keras 3 recurrent layers, offline datasets, decoding and plotting for seqcourse."""

import importlib
import os
import sys

from seqlib import _keras_registration, quiet

__version__ = "0.1.0"

# TF_CPP_MIN_LOG_LEVEL quiets TensorFlow's own logger; `quiet` drops what Abseil prints while
# TensorFlow's libraries load. Both act only if seqlib is imported before Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
quiet.install()
# A `.keras` file with seqlib layers loads after `import seqlib`, without importing Keras now.
_keras_registration.register()

_SUBMODULES = ("layers", "data", "decoding", "plotting", "diagrams", "widgets")


def fast_mode() -> bool:
    """True when ``SEQ_FAST=1``: lessons shrink data and epochs so CI can run them quickly."""
    return os.environ.get("SEQ_FAST", "0").strip().lower() not in ("", "0", "false", "no")


def _stamp_fast_mode_figures():
    # In a notebook, every pyplot figure made in fast mode says it comes from tiny data.
    shell = sys.modules.get("IPython")
    if fast_mode() and shell is not None and shell.get_ipython() is not None:
        import matplotlib

        hooks = matplotlib.rcParams["figure.hooks"]
        if "seqlib.plotting:stamp_fast_mode" not in hooks:
            matplotlib.rcParams["figure.hooks"] = [*hooks, "seqlib.plotting:stamp_fast_mode"]


_stamp_fast_mode_figures()


def __getattr__(name):
    # Submodules load lazily: `import seqlib` must not pay for importing Keras or TensorFlow.
    if name in _SUBMODULES:
        return importlib.import_module(f"seqlib.{name}")
    raise AttributeError(f"module 'seqlib' has no attribute {name!r}")


__all__ = ["fast_mode", "layers", "data", "decoding", "plotting", "diagrams", "widgets"]

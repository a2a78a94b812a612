"""seqlib: Keras 3 recurrent layers, offline datasets, decoding and plotting for seqcourse."""

import importlib
import os

__version__ = "0.1.0"

_SUBMODULES = ("layers", "data", "decoding", "plotting")


def fast_mode() -> bool:
    """True when ``SEQ_FAST=1``: lessons shrink data and epochs so CI can run them quickly."""
    return os.environ.get("SEQ_FAST", "0").strip().lower() not in ("", "0", "false", "no")


def __getattr__(name):
    # Submodules load lazily: `import seqlib` must not pay for importing Keras or TensorFlow.
    if name in _SUBMODULES:
        return importlib.import_module(f"seqlib.{name}")
    raise AttributeError(f"module 'seqlib' has no attribute {name!r}")


__all__ = ["fast_mode", "layers", "data", "decoding", "plotting"]

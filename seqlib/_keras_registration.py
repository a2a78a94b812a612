"""Registers the seqlib layers with Keras as soon as both are imported, in either order.

Keras finds a custom class in a `.keras` file only through its registry, which
`@keras.saving.register_keras_serializable` fills when `seqlib.layers` is imported; Keras
itself never imports a package it does not know. So that `import seqlib` is enough to load a
saved model, without making `import seqlib` pay ~4 s for Keras:

- if Keras is already imported, `register()` imports `seqlib.layers` at once (cheap then);
- otherwise it wraps the loader of the next `import keras`, so `seqlib.layers` is imported
  right after Keras has finished loading.
"""

import importlib
import sys
import warnings

from seqlib._import_hooks import around_next_import

_LAYERS = "seqlib.layers"


def register():
    """Makes sure `seqlib.layers` is imported once Keras is; idempotent."""
    if "keras" in sys.modules:
        importlib.import_module(_LAYERS)
    else:
        around_next_import("keras", _load_then_import_layers)


def _load_then_import_layers(load):
    load()
    _import_layers()


def _import_layers():
    try:
        importlib.import_module(_LAYERS)
    except Exception as error:  # a broken seqlib must not break `import keras` itself
        warnings.warn(
            f"seqlib could not register its layers with Keras ({error!r}); run "
            f"`import {_LAYERS}` before loading a model that uses them",
            stacklevel=3,
        )

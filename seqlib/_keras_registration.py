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
import importlib.abc
import importlib.util
import sys
import warnings

_LAYERS = "seqlib.layers"


def register():
    """Makes sure `seqlib.layers` is imported once Keras is; idempotent."""
    if "keras" in sys.modules:
        importlib.import_module(_LAYERS)
    elif not any(isinstance(finder, KerasImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, KerasImportHook())


def _import_layers():
    try:
        importlib.import_module(_LAYERS)
    except Exception as error:  # a broken seqlib must not break `import keras` itself
        warnings.warn(
            f"seqlib could not register its layers with Keras ({error!r}); run "
            f"`import {_LAYERS}` before loading a model that uses them",
            stacklevel=3,
        )


class _RegisteringLoader(importlib.abc.Loader):
    """Runs Keras's own loader, then imports `seqlib.layers`."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # Later code (importlib.resources, reloads) must see Keras's own loader.
        module.__spec__.loader = module.__loader__ = self.loader
        self.loader.exec_module(module)
        _import_layers()


class KerasImportHook(importlib.abc.MetaPathFinder):
    """Finds `keras` like the rest of `sys.meta_path` does and wraps its loader, once."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" or self._searching:
            return None
        self._searching = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._searching = False
        if spec is None or spec.loader is None:
            return None
        sys.meta_path.remove(self)
        spec.loader = _RegisteringLoader(spec.loader)
        return spec

    _searching = False

"""Runs code around the next import of a named top-level module, whoever imports it.

`seqlib.quiet` filters TensorFlow's start-up logging while `tensorflow` loads, and
`seqlib._keras_registration` registers seqlib's layers right after `keras` has loaded. Both need
the same thing: find the module as the rest of `sys.meta_path` would, and wrap its loader once.
"""

import importlib.abc
import importlib.util
import sys


class _WrappingLoader(importlib.abc.Loader):
    """Runs `around(load)`, where `load()` runs the real loader's `exec_module`."""

    def __init__(self, loader, around):
        self.loader, self.around = loader, around

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # Later code (importlib.resources, reloads) must see the module's own loader.
        module.__spec__.loader = module.__loader__ = self.loader
        self.around(lambda: self.loader.exec_module(module))


class ImportHook(importlib.abc.MetaPathFinder):
    """Finds `name` like the rest of `sys.meta_path` does, wraps its loader, then steps aside."""

    def __init__(self, name, around):
        self.name, self.around = name, around
        self._searching = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name or self._searching:
            return None
        self._searching = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._searching = False
        if spec is None or spec.loader is None:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec.loader = _WrappingLoader(spec.loader, self.around)
        return spec


def around_next_import(name, around):
    """Makes the next `import name` run as `around(load)`; idempotent per (name, around)."""
    if not any(isinstance(finder, ImportHook) and (finder.name, finder.around) == (name, around)
               for finder in sys.meta_path):
        sys.meta_path.insert(0, ImportHook(name, around))

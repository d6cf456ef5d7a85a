"""A module imported on first use, for heavy dependencies of modules the front end loads.

Why: `synthspec check` loads the validator classes a spec names to validate their
parameters, and the built-in ones compute with numpy (and import the MinHash,
ANN and embedding helpers).  Importing numpy costs ~100 ms, half of what a
cold check may take, for parameters that never touch it.  `np = lazy("numpy")`
binds a stand-in that imports the module the first time an attribute is read
(`importlib.import_module` is thread-safe) and keeps it, so later reads cost an
attribute lookup on the module (validators read `np.…` in per-batch loops).
Type checkers see the real import under `TYPE_CHECKING`.

This is a base module: it imports nothing from the pipeline.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for module `name` until an attribute is read, then forwards to it."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:  # only called for names that are not slots
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy(name: str) -> Any:
    """A stand-in for `import name` that imports on first attribute access."""
    return LazyModule(name)

"""A module-level regular expression compiled the first time it is used, not when its module is imported.

Why: `re.compile` of the long PII patterns (street addresses, names after a cue) costs ~10 ms of a cold
`synthspec check`, which imports the modules that define them but never matches text with them.  A
`DeferredPattern` has the methods of `re.Pattern` that the code base calls; the first call compiles the pattern
(through `re`'s own cache) and keeps it.  `pattern` is known without compiling.

This is a base module: it imports nothing from the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any


class DeferredPattern:
    """Stands in for `re.compile(pattern, flags)` until it is first used."""

    __slots__ = ("_compiled", "_flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled now if it was not yet)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self._flags)
        return compiled

    @property
    def flags(self) -> int:
        """The flags as `re.Pattern.flags` gives them (with the implied ones, e.g. `re.UNICODE`)."""
        return self.compiled.flags

    def search(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.search(string, *args)

    def match(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.match(string, *args)

    def fullmatch(self, string: str, *args: int) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, *args)

    def finditer(self, string: str, *args: int) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, *args)

    def findall(self, string: str, *args: int) -> list[Any]:
        return self.compiled.findall(string, *args)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def __repr__(self) -> str:
        return f"DeferredPattern({self.pattern!r}, {self._flags!r})"


def deferred(pattern: str, flags: int = 0) -> DeferredPattern:
    """`re.compile(pattern, flags)`, put off until the pattern is first used."""
    return DeferredPattern(pattern, flags)

"""Word lists shipped with the built-in validators (read with `load_list`)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_list(name: str) -> tuple[str, ...]:
    """The non-comment, non-empty lines of `wordlists/<name>.txt`."""
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))

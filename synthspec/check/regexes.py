"""Facts about user regexes that the checker and the IR need (length bounds), from the one regex core."""

from __future__ import annotations

from synthspec.regexcore import MAXREPEAT_GUARD, width

__all__ = ["MAXREPEAT_GUARD", "regex_width"]


def regex_width(pattern: str) -> tuple[int, int | None] | None:
    """(min, max) length of the strings a regex matches; max None when unbounded; None if invalid."""
    return width(pattern)

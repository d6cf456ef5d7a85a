"""Facts about user regexes that the checker and the IR need (length bounds)."""

from __future__ import annotations

import re
import warnings

MAXREPEAT_GUARD = 1 << 30


def regex_width(pattern: str) -> tuple[int, int | None] | None:
    """(min, max) length of the strings a regex matches; max None when unbounded; None if invalid."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import sre_parse

            low, high = sre_parse.parse(pattern).getwidth()
    except (re.error, OverflowError, RecursionError):
        return None
    return low, (None if high >= MAXREPEAT_GUARD else high)

"""Pausing Python's cyclic garbage collector while the front end runs.

Why: importing the front end (pydantic, lark, jinja2) and compiling a spec allocates a few hundred thousand
long-lived objects and almost no cyclic garbage, so the collector's passes find nothing yet cost ~60 ms of a cold
`synthspec check` (about 100 young-generation passes, 9 middle ones and one full pass over every object, measured
with `gc.callbacks`).  Reference counting still frees everything as usual; only cycles wait, and the peak memory of
checking a 4 MB spec is the same with the collector paused (130 MB either way).

Switching the collector back on with every object of the pause still counted as young would make the next
allocation pay one pass over all of them (~30 ms).  So when synthspec runs as the program (`main()` called without
arguments, `program_mode`), the objects alive at the end of the pause are frozen first (`gc.freeze`: the imported
modules and the compiled spec, alive until the process ends anyway, are left out of later passes, which also
shortens the full passes of a build that follows).  Called in-process (`main([...])`, tests), the collector is just
switched back on: freezing would keep the caller's own future garbage cycles alive.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_program = False


def program_mode() -> None:
    """Say that this process is the `synthspec` program: the end of a pause may freeze what is alive."""
    global _program
    _program = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with automatic cyclic garbage collection off, then restore what it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if _program:
                gc.freeze()
            gc.enable()

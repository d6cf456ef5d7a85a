"""The finish pool: lets a two-phase validator's `finish` split independent work over the run's cores.

After the streaming pass the workers are gone and every `finish` runs in the
driver; a finish whose work divides (dedup's LSH banding divides by band)
would use one core of N.  `ValidatorContext.pool` is a `FinishPool`:

    for part in ctx.pool.map(module_level_function, pieces): ...

`map` runs on spawned local processes (started on first use, reused by every
finish of the run, shut down with it) and returns results in the order of
`pieces`; with one worker it is the builtin `map` in this process.  A piece
and its result travel by pickle, so share big inputs by file (a memory-mapped
store path), not by value.  On a Ray run the pool is the driver machine's
processes too: the run store the pieces read lives on the driver's disk.

Each call reports the child process's peak RSS so far, and the report
charges it to the validator whose `finish` asked (`take_peak`).
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def _measured(call: tuple[Callable[[Any], Any], Any]) -> tuple[Any, int]:
    fn, item = call
    out = fn(item)
    return out, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


class FinishPool:
    """`map(fn, items)` over `workers` spawned processes, started on first use (see the module doc)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None
        self._peak = 0

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterable[Any]:
        items = list(items)
        if self.workers == 1 or len(items) < 2:
            return [fn(item) for item in items]
        if self._executor is None:
            import multiprocessing

            # spawn, as the chunk workers: fork would copy the driver's threads (the RSS sampler, torch)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        out = []
        for result, peak in self._executor.map(_measured, [(fn, item) for item in items]):
            self._peak = max(self._peak, peak)
            out.append(result)
        return out

    def take_peak(self) -> int:
        """The largest child RSS since the last call (0 when nothing ran in a child)."""
        peak, self._peak = self._peak, 0
        return peak

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


__all__ = ["FinishPool"]

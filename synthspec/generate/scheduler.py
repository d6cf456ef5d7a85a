"""The scheduler: up to N records in flight on one decode session, a slot refilled the moment it frees.

Each record in flight holds at most one request at a time (its fields are
decoded in dependency order), so N slots hold N records.  When a request
finishes, its record moves on at once: the value is kept and the next field is
submitted, or it is retried with the next attempt's seed, or the record is
finished (derived, checked) and its slot goes to the next record of the
queue.  There is no barrier between fields of different records.  Retries,
fresh generations of records that keep failing, and the dataset-level
regeneration all go through this same queue.

Deterministic by construction: what is submitted, and in which order,
depends only on the plans, on the results and on the order `poll` returns
them in — never on wall time — so the same spec, seed, model and slot count
give the same dataset.

Two modes:

- *continuous* (the default where a result depends only on its own request,
  e.g. llama.cpp): records are admitted in index order whenever a slot frees,
  and finished records are committed (journaled) after every poll;
- *windowed*, when the technique has cross-record state (a growing pool) or
  the backend's results depend on what else is in its batch (transformers
  pads and seeds per batch): records are taken in index-aligned windows of N
  (window k holds indices [kN, (k+1)N)), slots are refilled within the window,
  and the window is committed whole, in index order.  A resumed build then
  restarts at a window boundary and matches an uninterrupted one.

A session with several lanes (Ray: one per actor) runs that many windows at
once, each on a lane of its own, so every window sees exactly the submissions
and polls it would see on a one-lane session and decodes the same text;
windows then commit in the order they finish (the output is rewritten in
index order at the end).  A technique with cross-record state gets one lane:
its windows must see the pool the earlier ones left.  A lane whose worker dies
(`LaneLost`) has its window redone from its start, as after an interruption.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from synthspec.generate.backends.base import DecodeSession, GenRequest, GenResult, LaneLost
from synthspec.generate.records import RecordLogic, Task
from synthspec.lower.plan import RecordPlan

# commit(done tasks in commit order, tasks still in flight, abandoning?) -> None: ledger, journal, output.
# `abandoning` (Ctrl-C, a `fail` validator) asks to count the tokens of the tasks in flight, which are lost.
Commit = Callable[[list[Task], list[Task], bool], None]


@dataclass(eq=False)
class _Window:
    """Records decoded together on one lane (windowed mode), or every record (continuous mode)."""

    lane: int
    tasks: list[Task] = field(default_factory=list)
    done: list[Task] = field(default_factory=list)  # finished, not yet committed

    def active(self) -> list[Task]:
        return [t for t in self.tasks if t.outcome is None]


class Scheduler:
    """Runs record plans to completion on a decode session (see the module docstring)."""

    def __init__(self, session: DecodeSession, logic: RecordLogic, slots: int, windowed: bool,
                 rounds: int, regenerations: int, generation_of: Callable[[int], int], commit: Commit,
                 on_give_up: Callable[[Task], None], lanes: int = 1,
                 check_interrupt: Callable[[], None] = lambda: None) -> None:
        self.session = session
        self.logic = logic
        self.slots = max(1, slots)
        self.windowed = windowed
        self.lanes = max(1, lanes) if windowed else 1
        self.rounds = max(1, rounds)
        self.regenerations = max(0, regenerations)
        self.generation_of = generation_of
        self.commit = commit
        self.on_give_up = on_give_up
        self.check_interrupt = check_interrupt  # raises KeyboardInterrupt after a Ctrl-C, even a swallowed one
        self._requests: dict[Hashable, tuple[Task, str, GenRequest]] = {}
        self._serial = 0

    def run(self, plans: Sequence[RecordPlan]) -> None:
        """Generate every plan (index order of admission); returns when each is accepted or failed."""
        queue = deque(sorted(plans, key=lambda p: p.index))
        if self.windowed:
            self._run_windows(queue)
        else:
            self._run_continuous(queue)

    def _task(self, plan: RecordPlan) -> Task:
        return Task(plan, self.generation_of(plan.index), self.rounds)

    def _run_continuous(self, queue: deque[RecordPlan]) -> None:
        """Admit in index order whenever a slot frees; commit after every poll."""
        window = _Window(lane=0)
        try:
            while queue or window.tasks:
                while queue and len(window.tasks) < self.slots:
                    task = self._task(queue.popleft())
                    self.logic.start_round(task)
                    window.tasks.append(task)
                    self._advance(task, window)
                window.tasks = window.active()
                self.check_interrupt()
                if self._requests:
                    self._take(self.session.poll(), window)
                    window.tasks = window.active()
                elif window.tasks:
                    raise RuntimeError("records in flight with no request")  # pragma: no cover - a bug
                self._flush(window)
        except BaseException:
            # Ctrl-C or a `fail` validator: what is finished is kept, what is in flight is abandoned
            # with its tokens counted
            self.commit(window.done, window.active(), True)
            window.done.clear()
            self._requests.clear()
            raise

    def _run_windows(self, queue: deque[RecordPlan]) -> None:
        """Index-aligned windows, up to one per lane at a time, each committed whole."""
        busy: dict[int, _Window] = {}
        try:
            while queue or busy:
                for lane in range(self.lanes):
                    if lane not in busy and queue:
                        busy[lane] = self._open_window(lane, queue)
                for lane in [lane for lane, w in busy.items() if not w.active()]:
                    self._close_window(busy.pop(lane))
                if not busy:
                    continue
                if not self._requests:
                    raise RuntimeError("records in flight with no request")  # pragma: no cover - a bug
                self.check_interrupt()
                try:
                    lane, results = self.session.poll_lane() if self.lanes > 1 else (0, self.session.poll())
                except LaneLost as lost:
                    self._redo(busy.pop(lost.lane), queue)
                    continue
                self._take(results, busy[lane])
        except BaseException:
            # Ctrl-C or a `fail` validator: finished windows are kept, the open ones are abandoned
            # whole (redone from their start next time) with their tokens counted
            self.commit([], [t for w in busy.values() for t in w.tasks], True)
            self._requests.clear()
            raise

    def _open_window(self, lane: int, queue: deque[RecordPlan]) -> _Window:
        window = _Window(lane)
        number = queue[0].index // self.slots
        while queue and queue[0].index // self.slots == number:
            window.tasks.append(self._task(queue.popleft()))
        for task in window.tasks:
            self.logic.start_round(task)
            self._advance(task, window)
        return window

    def _close_window(self, window: _Window) -> None:
        window.done.sort(key=lambda t: t.index)
        self._flush(window)

    def _redo(self, window: _Window, queue: deque[RecordPlan]) -> None:
        """A lane died mid-window: count what its records spent, and queue the window again from its start."""
        for key in [key for key, (task, _, _) in self._requests.items() if task in window.tasks]:
            del self._requests[key]
        self.commit([], window.tasks, True)
        queue.extendleft(reversed([t.plan for t in window.tasks]))

    def _take(self, results: list[tuple[Hashable, GenResult]], window: _Window) -> None:
        for key, result in results:
            task, name, request = self._requests.pop(key)
            self._on_result(task, name, request, result, window)

    def _flush(self, window: _Window) -> None:
        if window.done or self.logic.ledger:
            batch = list(window.done)
            window.done.clear()  # before committing: a Ctrl-C raised as the commit ends must not commit them twice
            self.commit(batch, window.active(), False)

    # -------------------------------------------------------------- one record

    def _advance(self, task: Task, window: _Window) -> None:
        """Submit the task's next request, or finish it (accepted, or out of tries)."""
        while task.outcome is None:
            name = self.logic.next_field(task)
            if name is not None:
                self._submit(task, name, window.lane)
                return
            if self.logic.finish(task):
                task.outcome = "accepted"
                window.done.append(task)
                return
            self._next_round(task, window)

    def _submit(self, task: Task, name: str, lane: int) -> None:
        request = self.logic.request(task, name)
        key = (task.index, self._serial)
        self._serial += 1
        self._requests[key] = (task, name, request)
        if self.lanes > 1:
            self.session.submit_to(lane, key, request)
        else:
            self.session.submit(key, request)

    def _on_result(self, task: Task, name: str, request: GenRequest, result: GenResult, window: _Window) -> None:
        if self.logic.take(task, name, request, result):
            task.attempt = 0
        else:
            task.attempt += 1
            if task.attempt >= self.logic.field_attempts:
                self._next_round(task, window)
        self._advance(task, window)

    def _next_round(self, task: Task, window: _Window) -> None:
        """The round failed: start the next one; after the last, give the generation up (fresh seeds next)."""
        task.round_in_generation += 1
        if task.round_in_generation >= self.rounds:
            self.on_give_up(task)  # journals the generation as given up: the next one has fresh seeds
            task.generation += 1
            task.round_in_generation = 0
            task.regenerations += 1
            if task.regenerations > self.regenerations:
                task.outcome = "failed"
                window.done.append(task)
                return
        self.logic.start_round(task)

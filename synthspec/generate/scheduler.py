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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence

from synthspec.generate.backends.base import DecodeSession, GenRequest
from synthspec.generate.records import RecordLogic, Task
from synthspec.lower.plan import RecordPlan

# commit(done tasks in commit order, tasks still in flight, abandoning?) -> None: ledger, journal, output.
# `abandoning` (Ctrl-C, a `fail` validator) asks to count the tokens of the tasks in flight, which are lost.
Commit = Callable[[list[Task], list[Task], bool], None]


class Scheduler:
    """Runs record plans to completion on a decode session (see the module docstring)."""

    def __init__(self, session: DecodeSession, logic: RecordLogic, slots: int, windowed: bool,
                 rounds: int, regenerations: int, generation_of: Callable[[int], int], commit: Commit,
                 on_give_up: Callable[[Task], None]) -> None:
        self.session = session
        self.logic = logic
        self.slots = max(1, slots)
        self.windowed = windowed
        self.rounds = max(1, rounds)
        self.regenerations = max(0, regenerations)
        self.generation_of = generation_of
        self.commit = commit
        self.on_give_up = on_give_up
        self._requests: dict[Hashable, tuple[Task, str, GenRequest]] = {}
        self._serial = 0

    def run(self, plans: Sequence[RecordPlan]) -> None:
        """Generate every plan (index order of admission); returns when each is accepted or failed."""
        queue = deque(sorted(plans, key=lambda p: p.index))
        active: list[Task] = []  # admitted, not done (in admission order)
        done: list[Task] = []  # done, not yet committed
        window: int | None = None
        try:
            while queue or active:
                while queue and len(active) < self.slots:
                    if self.windowed:
                        if window is None:
                            window = queue[0].index // self.slots
                        if queue[0].index // self.slots != window:
                            break
                    plan = queue.popleft()
                    task = Task(plan, self.generation_of(plan.index), self.rounds)
                    self.logic.start_round(task)
                    active.append(task)
                    self._advance(task, done)
                active = [t for t in active if t.outcome is None]
                if self._requests:
                    for key, result in self.session.poll():
                        task, name, request = self._requests.pop(key)
                        self._on_result(task, name, request, result, done)
                    active = [t for t in active if t.outcome is None]
                elif active:
                    raise RuntimeError("records in flight with no request")  # pragma: no cover - a bug
                if not self.windowed:
                    self._flush(done, active)
                elif not active:
                    done.sort(key=lambda t: t.index)
                    self._flush(done, active)
                    window = None
        except BaseException:
            # Ctrl-C or a `fail` validator: what is finished is kept (a window only whole), what is in
            # flight is abandoned with its tokens counted
            in_flight = [t for t in active if t.outcome is None]
            if self.windowed:
                self.commit([], in_flight + [t for t in done if t not in in_flight], True)
            else:
                self.commit(done, in_flight, True)
            done.clear()
            self._requests.clear()
            raise

    def _flush(self, done: list[Task], active: list[Task]) -> None:
        if done or self.logic.ledger:
            batch = list(done)
            done.clear()  # before committing: a Ctrl-C raised as the commit ends must not commit them twice
            self.commit(batch, active, False)

    # -------------------------------------------------------------- one record

    def _advance(self, task: Task, done: list[Task]) -> None:
        """Submit the task's next request, or finish it (accepted, or out of tries)."""
        while task.outcome is None:
            name = self.logic.next_field(task)
            if name is not None:
                self._submit(task, name)
                return
            if self.logic.finish(task):
                task.outcome = "accepted"
                done.append(task)
                return
            self._next_round(task, done)

    def _submit(self, task: Task, name: str) -> None:
        request = self.logic.request(task, name)
        key = (task.index, self._serial)
        self._serial += 1
        self._requests[key] = (task, name, request)
        self.session.submit(key, request)

    def _on_result(self, task: Task, name: str, request: GenRequest, result, done: list[Task]) -> None:
        if self.logic.take(task, name, request, result):
            task.attempt = 0
        else:
            task.attempt += 1
            if task.attempt >= self.logic.field_attempts:
                self._next_round(task, done)
        self._advance(task, done)

    def _next_round(self, task: Task, done: list[Task]) -> None:
        """The round failed: start the next one; after the last, give the generation up (fresh seeds next)."""
        task.round_in_generation += 1
        if task.round_in_generation >= self.rounds:
            self.on_give_up(task)  # journals the generation as given up: the next one has fresh seeds
            task.generation += 1
            task.round_in_generation = 0
            task.regenerations += 1
            if task.regenerations > self.regenerations:
                task.outcome = "failed"
                done.append(task)
                return
        self.logic.start_round(task)

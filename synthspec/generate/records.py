"""What happens to one record: its seeds, the request for each field, accepting a value, finishing.

The scheduler moves records through these steps; this module knows what a
field's request is and whether a value or a record is acceptable.  Every
refusal goes to the rejects ledger (buffered; the engine writes it before the
journal line that depends on it) and never aborts the build — except a record
validator whose policy is `fail`.

Seeds: the sampling seed of a field depends only on the record's sub-seed, the
field, the round and the attempt.  The round is `generation × rounds + r`,
where the generation counts how often the record was dropped by a dataset
check or given up before, so every fresh try of a record uses fresh seeds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import GenRequest, GenResult
from synthspec.generate.state import JournalEntry, RejectEntry
from synthspec.generate.writers import PROVENANCE
from synthspec.ir.model import Spec
from synthspec.lower.plan import RecordPlan


@dataclass(frozen=True)
class Rejection:
    """Why a finished record (or, from a dataset check, a kept record) was refused — the one type of it.

    Record validators return it (`synthspec.validate.make_record_check`), the
    engine's own checks make it, dataset checks map records to lists of it.
    `policy` is the refusing validator's: `drop` (the record is retried or
    regenerated), `fail` (logged, then the build stops: records already written
    stay; re-running resumes) or `flag` (reported only).  `field` is the field
    of the first error finding (the rejects ledger records it); `findings` are
    the validator's error findings, when a validator made it.
    """

    validator: str
    message: str
    field: str | None = None
    policy: str = "drop"
    findings: tuple[Any, ...] = ()

    @property
    def stop(self) -> bool:
        return self.policy == "fail"


RecordCheck = Callable[[dict[str, Any]], list[Rejection]]
# The whole dataset (records in index order) -> rejections by position in that list.
DatasetCheck = Callable[[list[dict[str, Any]]], dict[int, list[Rejection]]]


def derive_seed(sub_seed: int, *parts: object) -> int:
    """A 31-bit sampling seed from a record's sub-seed and what is being sampled (field, round, attempt)."""
    text = "\x1f".join(str(p) for p in (sub_seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF


@dataclass
class Task:
    """One record in flight: where it stands and what it has cost since its last journal line."""

    plan: RecordPlan
    generation: int
    rounds_per_generation: int
    round_in_generation: int = 0
    regenerations: int = 0  # generations started afresh in this run after giving up
    values: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, int] = field(default_factory=dict)
    attempt: int = 0
    prompt_tokens: int = 0  # not yet written to the journal
    completion_tokens: int = 0
    rejected: int = 0  # rejections since the last journal line
    last_reason: str = ""
    started: float = field(default_factory=time.monotonic)
    outcome: str | None = None  # "accepted" or "failed" once the record is done

    @property
    def index(self) -> int:
        return self.plan.index

    @property
    def round(self) -> int:
        return self.generation * self.rounds_per_generation + self.round_in_generation

    def take_tokens(self) -> tuple[int, int, int]:
        """(prompt, completion, rejected) not yet journaled; resets them (they are being journaled now)."""
        taken = (self.prompt_tokens, self.completion_tokens, self.rejected)
        self.prompt_tokens = self.completion_tokens = self.rejected = 0
        return taken


class RecordLogic:
    """The per-record steps of a build, for one spec, technique and set of checks."""

    def __init__(self, spec: Spec, lower: Any, technique: Any, seed_examples: Sequence[Any],
                 record_check: RecordCheck | None, provenance_base: dict[str, Any], field_attempts: int,
                 rejects_path: Any) -> None:
        self.spec = spec
        self.lower = lower
        self.technique = technique
        self.seed_examples = seed_examples
        self.record_check = record_check
        self.provenance_base = provenance_base
        self.columns = list(spec.field_names)
        self.order = list(lower.field_order(spec))
        self.field_attempts = max(field_attempts, int(getattr(technique, "field_attempts", 0) or 0))
        self.rejects_path = rejects_path
        self.ledger: list[RejectEntry] = []  # rejections not yet written
        self.rejections = 0  # rejections seen in this run (ledgered or already in the ledger)

    # -------------------------------------------------------------- steps

    def start_round(self, task: Task) -> None:
        """A fresh round: the compiler's values and the technique's fixed ones, nothing decoded."""
        task.values = {**task.plan.sampled, **self.technique.fixed(task.plan)}
        task.seeds = {}
        task.attempt = 0

    def next_field(self, task: Task) -> str | None:
        """The next generated field to decode, or None when every field has its value."""
        return next((name for name in self.order if name not in task.values), None)

    def request(self, task: Task, name: str) -> GenRequest:
        """The request for field `name` of `task` at its current round and attempt."""
        plan = self.lower.plan_field(self.spec, name, self._with_context(task), task.values, self.seed_examples)
        model = self.spec.model
        seed = derive_seed(task.plan.sub_seed, name, task.round, task.attempt)
        task.seeds[name] = seed
        budget = min(plan.max_tokens, model.max_tokens) if model.max_tokens else plan.max_tokens
        return GenRequest(plan.prompt, plan.grammar, budget, seed, model.temperature, model.top_p, model.top_k,
                          model.repeat_penalty, no_repeat_ngram=int(getattr(plan, "no_repeat_ngram", 0) or 0))

    def _with_context(self, task: Task) -> RecordPlan:
        """The record plan with the technique's decode-time prompt variables as its context."""
        context = self.technique.prompt_context(task.plan, dict(task.values))
        if not context or context == task.plan.context:
            return task.plan
        return dataclasses.replace(task.plan, context=context)

    def take(self, task: Task, name: str, request: GenRequest, result: GenResult) -> bool:
        """Account for `result`; keep its value (True) or ledger why not (False)."""
        task.prompt_tokens += result.prompt_tokens
        task.completion_tokens += result.completion_tokens
        validator, reason = "grammar", None
        if result.error:
            validator, reason = "backend", f"the backend could not serve the request: {result.error}"
        elif result.truncated:
            reason = "truncated: the token budget ran out before the grammar could stop"
        else:
            try:
                value = self.lower.parse_value(self.spec, name, result.text)
            except (ValueError, TypeError, SynthspecError) as exc:
                reason = f"unparseable: {exc}"
            else:
                # a technique may refuse one field at once (a paraphrase that copies its source),
                # so only that field is decoded again, not the whole record
                problems = self.technique.accept_field(task.plan, name, value, dict(task.values))
                if problems:
                    validator, reason = f"technique:{self.technique.name}", "; ".join(problems)
                else:
                    task.values[name] = value
                    return True
        self.reject(task, f"{task.index}:{task.round}:{name}:{task.attempt}", name, "field", validator, reason,
                    result.text, request.seed, result.prompt_tokens, result.completion_tokens)
        return False

    def finish(self, task: Task) -> bool:
        """Derive, re-check and run the injected check; True if the record is accepted."""
        try:
            task.values.update(self.lower.derive(self.spec, task.values))
        except SynthspecError as exc:
            self.reject(task, f"{task.index}:{task.round}:record:derive:0", None, "record", "derive", str(exc))
            return False
        problems = [Rejection("constraints", message) for message in self.lower.verify_record(self.spec, task.values)]
        if not problems:
            problems = [Rejection(f"technique:{self.technique.name}", reason)
                        for reason in self.technique.accept(task.plan, dict(task.values))]
        if not problems and self.record_check is not None:
            problems = list(self.record_check(dict(task.values)))
        raw = {k: task.values.get(k) for k in self.columns}
        for n, problem in enumerate(problems):
            self.reject(task, f"{task.index}:{task.round}:record:{problem.validator}:{n}", problem.field, "record",
                        problem.validator, problem.message, raw)
        fatal = next((p for p in problems if p.stop), None)
        if fatal is not None:
            raise SynthspecError(
                f"validator {fatal.validator!r} (policy fail) rejected record {task.index}: {fatal.message}",
                code=codes.POLICY_FAIL,
                hint=f"the record is in {self.rejects_path}; the records already written stay. "
                     "Change the spec (or the validator's policy to drop/flag) and re-run to resume",
            )
        return not problems

    def reject(self, task: Task, key: str, name: str | None, stage: str, validator: str, reason: str,
               raw: Any = None, seed: int | None = None, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        task.rejected += 1
        task.last_reason = f"{validator}: {reason}"
        self.rejections += 1
        self.ledger.append(RejectEntry(key=key, index=task.index, field=name, round=task.round, seed=seed,
                                       stage=stage, validator=validator, reason=reason, raw=raw,
                                       prompt_tokens=prompt_tokens, completion_tokens=completion_tokens))

    def entry(self, task: Task) -> JournalEntry:
        """The journal line of an accepted record (it takes the tokens not yet journaled)."""
        record = {name: task.values.get(name) for name in self.columns}
        record[PROVENANCE] = {
            **self.provenance_base,
            "index": task.index,
            "sub_seed": task.plan.sub_seed,
            "round": task.round,
            "field_seeds": dict(task.seeds),
            "seed_examples": list(task.plan.seed_ids),
            # what a technique says about the record's place (a counterfactual's pair and role, its source)
            **task.plan.provenance(),
        }
        prompt, completion, rejected = task.take_tokens()
        return JournalEntry(index=task.index, record=record, prompt_tokens=prompt, completion_tokens=completion,
                            rejected=rejected, seconds=round(time.monotonic() - task.started, 4))

    def accepted_values(self, task: Task) -> dict[str, Any]:
        return {k: task.values.get(k) for k in self.columns}

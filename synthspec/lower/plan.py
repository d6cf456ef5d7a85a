"""The lowered form of a spec: what the generation engine executes.

Lowering is pure (no model): it draws the sampled fields of every record, and
for each generated field produces the grammar it is decoded under, the prompt
that precedes it and a token budget.  These dataclasses are the contract between
`lower` and `generate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# RecordPlan.extra key: {text field: (min words, max words)} narrowing that field for this record only.
WORDS = "words"
# RecordPlan.extra key: {text field: {"original": text, "max_edits": k, "must_change": [word positions],
# "avoid": [words]}}: decode the field as an edit of `original` (each word kept, replaced or deleted;
# 1..k changes, the words at `must_change` never kept, no replacement among `avoid`) instead of free text.
EDIT_OF = "edit_of"
# RecordPlan.extra key: [text fields] whose text must end on a sentence end (`.`, `!`, `?`) because
# most of the seeds' texts for that field do (lower/textshape.py).
SENTENCE_END = "sentence_end"


@dataclass(frozen=True)
class RecordPlan:
    """One record before the model runs: its index, its own seed, and the compiler-drawn values."""

    index: int
    sub_seed: int
    sampled: dict[str, Any]
    seed_ids: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldPlan:
    """How to decode one generated field of one record.

    `grammar` is a Lark grammar (llguidance dialect, start rule `start`) whose
    language is exactly the allowed values of the field followed by `stop`.
    `max_tokens` is budgeted from the field's length limits so a well-formed
    value always fits; a generation that hits it is invalid.  `unenforced`
    lists constraints the grammar cannot express, to be re-checked after.
    """

    name: str
    grammar: str
    prompt: str
    max_tokens: int
    stop: str = "\n"
    unenforced: tuple[str, ...] = ()
    #: no word n-gram of this size may repeat within the value (0 = off); the
    #: engine passes it on as `GenRequest.no_repeat_ngram`
    no_repeat_ngram: int = 0

"""The lowered form of a spec: what the generation engine executes.

Lowering is pure (no model): it draws the sampled fields of every record, and
for each generated field produces the grammar it is decoded under, the prompt
that precedes it and a token budget.  These dataclasses are the contract between
`lower` and `generate` (and the techniques, which reshape record plans): every
piece of information a plan carries is a typed field, never a string key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EditOf:
    """Decode a text field as an edit of `original` instead of free text.

    Each word of `original` is kept, replaced or deleted; 1..`max_edits`
    changes; the words at `must_change` (positions) are never kept, and no
    replacement is one of `avoid`.
    """

    original: str
    max_edits: int
    must_change: tuple[int, ...] = ()
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordPlan:
    """One record before the model runs: its index, its own seed, and the compiler-drawn values.

    The optional parts are set by lowering (`constraints`) or by a technique:

    - `constraints`: indices of the `when` blocks whose conditions hold on the
      sampled values alone (blocks testing generated fields are resolved again
      when their target is planned);
    - `words`: {text field: (min words, max words)} narrowing that field for this
      record only (never widening it; `words from seeds` draws it, a paraphrase
      keeps its source's);
    - `sentence_end`: text fields whose text must end on a sentence end (`.`,
      `!`, `?`) because most of the seeds' texts for that field do
      (lower/textshape.py);
    - `edit_of`: {text field: EditOf} decode the field as an edit of a text;
    - `fixed`: {generated field: value} the engine copies instead of decoding;
    - `context`: extra prompt variables known at plan time; a technique's context
      carries "technique" and "prompt" (a ready-made block the prompt renderer
      inserts verbatim), optionally "examples", "source", "demonstrations", "rewrite";
    - `pair_id`, `role`, `source_id`: the record's place in a technique's design
      (a counterfactual pair and its role; the seed it is anchored on), copied
      into its provenance.
    """

    index: int
    sub_seed: int
    sampled: dict[str, Any]
    seed_ids: tuple[str, ...] = ()
    constraints: tuple[int, ...] = ()
    words: dict[str, tuple[int, int]] = field(default_factory=dict)
    sentence_end: tuple[str, ...] = ()
    edit_of: dict[str, EditOf] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    pair_id: str | None = None
    role: str | None = None
    source_id: str | None = None

    def provenance(self) -> dict[str, Any]:
        """What the plan says about the record's place, for its `_provenance` (only the parts that are set)."""
        return {k: v for k, v in (("pair_id", self.pair_id), ("role", self.role), ("source_id", self.source_id))
                if v is not None}


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

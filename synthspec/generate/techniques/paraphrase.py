"""Paraphrase: restate each real example in new words, keeping its meaning.

`plan` gives every record one source seed (`per_seed` records per seed, seeds
in a fixed shuffled order); the record keeps the seed's compiler-drawn values
(a label stays the label) and its prompt carries the source text.  `accept`
holds each generated field to two bounds against its source: meaning kept
(embedding cosine ≥ `min_similarity`, all-MiniLM-L6-v2) and words changed
(ROUGE-L ≤ `max_overlap`) — without the second, copying the seed verbatim
would be the best "paraphrase".

A base model does what its prompt shows.  Shown the source as a few-shot
example and then asked for "Question:", it copies the source (measured: most
paraphrases of Gemma 3 270M were verbatim copies).  So the prompt shows
*worked rewrites* instead — "Original question: … / Question: …" pairs, the
build's own accepted paraphrases once there are some, a few written-for-the-
purpose pairs before that — and no raw seed.  And the grammar holds each text
to its source's length (± `length`, as a fraction), which stops the rambling
that otherwise drags the meaning away.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthspec.generate.techniques.base import (
    Technique,
    as_sampled,
    block,
    stable_rng,
    technique_error,
)
from synthspec.generate.techniques.overlap import rouge_l
from synthspec.lazy import lazy
from synthspec.lower.plan import RecordPlan

if TYPE_CHECKING:
    import numpy as np
else:  # numpy loads when a paraphrase is scored, not when `synthspec check` looks the technique up
    np = lazy("numpy")

DEMOS = Path(__file__).with_name("paraphrase_demos.json")

Embedder = Callable[[Sequence[str]], "np.ndarray"]


def _default_embedder(texts: Sequence[str]) -> np.ndarray:
    from synthspec.embeddings import embed

    return embed(texts)


@lru_cache(maxsize=1)
def builtin_demonstrations() -> tuple[tuple[str, str], ...]:
    """The written-for-the-purpose rewrites shown until the build has accepted paraphrases of its own."""
    pairs = json.loads(DEMOS.read_text(encoding="utf-8"))["pairs"]
    return tuple((str(a), str(b)) for a, b in pairs)


def word_span(text: str, tolerance: float) -> tuple[int, int]:
    """Word limits of a rewrite of `text`: its length ± `tolerance` (a fraction), at least one word."""
    n = max(1, len(str(text).split()))
    return max(1, int(n * (1 - tolerance))), max(1, -int(-n * (1 + tolerance) // 1))


class Paraphrase(Technique):
    """One record per (seed, copy); accepted only if similar in meaning and different in words."""

    name = "paraphrase"
    cross_record = True  # accepted rewrites become the demonstrations of later prompts

    def __init__(self, spec, seeds=(), embedder: Embedder | None = None) -> None:
        super().__init__(spec, seeds)
        self.embedder = embedder or _default_embedder
        self.per_seed = int(self._param("per_seed"))
        self.min_similarity = float(self._param("min_similarity"))
        self.max_overlap = float(self._param("max_overlap"))
        self.shots = int(self._param("shots"))
        self.field_attempts = int(self._param("attempts"))
        self.length = float(self._param("length"))
        if self.per_seed < 1:
            raise technique_error(spec, "paraphrase per_seed must be at least 1")
        self.text_fields = [f.name for f in spec.generated_fields if f.kind == "text"]
        self.sources = [s for s in self.seeds
                        if any(s.values.get(f) not in (None, "") for f in self.text_fields)]
        if not self.sources:
            raise technique_error(spec, "paraphrase: no seed has a value for any text field",
                                  "map the seed columns onto the text fields: `seeds \"...\" { text <- \"column\" }`")
        if self.shots < 0 or self.field_attempts < 1 or not 0 <= self.length <= 4:
            raise technique_error(spec, "paraphrase needs shots >= 0, attempts >= 1 and 0 <= length <= 4",
                                  "length is the fraction a rewrite's word count may differ from its source's")
        self._by_id = {s.id: s for s in self.sources}
        self._source_vectors: dict[tuple[str, str], np.ndarray] = {}
        self.pool: list[dict[str, dict[str, Any]]] = []  # accepted rewrites: {"original": …, "result": …}
        self.report = {"demonstrations_from_build": 0}

    def plan(self, plans: list[RecordPlan]) -> list[RecordPlan]:
        order = list(self.sources)
        stable_rng(self.spec, "paraphrase", "order").shuffle(order)
        sampled_names = {f.name for f in self.spec.sampled_fields}
        out = []
        for plan in sorted(plans, key=lambda p: p.index):
            source = order[(plan.index // self.per_seed) % len(order)]
            sampled = dict(plan.sampled)
            for name in sampled_names:
                if source.values.get(name) not in (None, ""):
                    sampled[name] = as_sampled(self.spec, name, source.values[name], sampled.get(name))
            text = {f: source.values[f] for f in self.text_fields if source.values.get(f) not in (None, "")}
            context = {"technique": "paraphrase", "source": text, "source_id": source.id, "examples": [],
                       "prompt": "Restate this example in your own words. Keep its meaning; do not copy its "
                                 "phrasing.\n" + block(text)}
            words = {f: word_span(v, self.length) for f, v in text.items()}
            out.append(replace(plan, sampled=sampled, seed_ids=(source.id,),
                               source_id=source.id, context=context, words=words))
        return out

    def prompt_context(self, plan: RecordPlan, values: dict[str, Any]) -> dict[str, Any]:
        """The source's text for the field about to be decoded, after worked rewrites of that field.

        Each text field is rewritten from its own original, one pattern per
        prompt: accepted rewrites of this build first (never of the same
        source), topped up with the built-in pairs.
        """
        context = super().prompt_context(plan, values)
        target = next((f for f in self.text_fields if f not in values), None)
        source = dict(context.get("source") or {})
        if not context or target is None or target not in source:
            return context
        rng = stable_rng(self.spec, "paraphrase", "demos", plan.index, target, len(self.pool))
        own = [d for d in self.pool if d["source_id"] != context.get("source_id") and target in d["result"]]
        demos = [{"original": {target: d["original"][target]}, "result": {target: d["result"][target]}}
                 for d in rng.sample(own, min(self.shots, len(own)))]
        # built-in pairs of the source's own form (a question, or a statement) come first
        asks = str(source[target]).rstrip().endswith("?")
        builtin = list(builtin_demonstrations())
        rng.shuffle(builtin)
        builtin.sort(key=lambda pair: pair[0].rstrip().endswith("?") != asks)
        demos += [{"original": {target: a}, "result": {target: b}} for a, b in builtin[: self.shots - len(demos)]]
        return {**context, "source": {target: source[target]}, "demonstrations": demos, "rewrite": True}

    def on_accept(self, plan: RecordPlan | None, values: dict[str, Any]) -> None:
        source = self._by_id.get(str(plan.source_id)) if plan else None
        if source is None:
            return
        original = {f: source.values[f] for f in self.text_fields if source.values.get(f) not in (None, "")}
        result = {f: values[f] for f in original if values.get(f) not in (None, "")}
        if result:
            self.pool.append({"source_id": source.id, "original": original, "result": result})
            self.report = {"demonstrations_from_build": len(self.pool)}

    def accept_field(self, plan: RecordPlan, name: str, value: Any, values: dict[str, Any]) -> list[str]:
        """A rewrite of text field `name` must change the words (ROUGE-L) and keep the meaning (cosine)."""
        source = self._by_id.get(str(plan.source_id))
        if source is None or name not in self.text_fields:
            return []
        original = source.values.get(name)
        if original in (None, "") or value in (None, ""):
            return []
        overlap = rouge_l(str(value), str(original))
        if overlap > self.max_overlap:
            return [f"{name}: copies too many words of its source (ROUGE-L {overlap:.2f} > "
                    f"max_overlap {self.max_overlap:g})"]
        similarity = self.similarity(source.id, name, str(original), str(value))
        if similarity < self.min_similarity:
            return [f"{name}: drifts from its source's meaning (cosine {similarity:.2f} < "
                    f"min_similarity {self.min_similarity:g})"]
        return []

    def similarity(self, source_id: str, name: str, original: str, new: str) -> float:
        """Cosine similarity of the new text with its source (source vectors cached)."""
        key = (source_id, name)
        if key not in self._source_vectors:
            self._source_vectors[key] = self.embedder([original])[0]
        return float(np.dot(self._source_vectors[key], self.embedder([new])[0]))



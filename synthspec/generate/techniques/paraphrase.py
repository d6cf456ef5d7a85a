"""Paraphrase: restate each real example in new words, keeping its meaning.

`plan` gives every record one source seed (`per_seed` records per seed, seeds
in a fixed shuffled order); the record keeps the seed's compiler-drawn values
(a label stays the label) and its prompt carries the source text.  `accept`
holds each generated field to two bounds against its source: meaning kept
(embedding cosine ≥ `min_similarity`, all-MiniLM-L6-v2) and words changed
(ROUGE-L ≤ `max_overlap`) — without the second, copying the seed verbatim
would be the best "paraphrase".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from synthspec.generate.techniques.base import (
    CONTEXT,
    Technique,
    as_sampled,
    block,
    stable_rng,
    technique_error,
)
from synthspec.generate.techniques.overlap import rouge_l
from synthspec.lower.plan import RecordPlan

Embedder = Callable[[Sequence[str]], np.ndarray]


def _default_embedder(texts: Sequence[str]) -> np.ndarray:
    from synthspec.embeddings import embed

    return embed(texts)


class Paraphrase(Technique):
    """One record per (seed, copy); accepted only if similar in meaning and different in words."""

    name = "paraphrase"

    def __init__(self, spec, seeds=(), embedder: Embedder | None = None) -> None:
        super().__init__(spec, seeds)
        self.embedder = embedder or _default_embedder
        self.per_seed = int(self._param("per_seed", 1))
        self.min_similarity = float(self._param("min_similarity", 0.75))
        self.max_overlap = float(self._param("max_overlap", 0.6))
        if self.per_seed < 1:
            raise technique_error(spec, "paraphrase per_seed must be at least 1")
        self.text_fields = [f.name for f in spec.generated_fields if f.kind == "text"]
        self.sources = [s for s in self.seeds
                        if any(s.values.get(f) not in (None, "") for f in self.text_fields)]
        if not self.sources:
            raise technique_error(spec, "paraphrase: no seed has a value for any text field",
                                  "map the seed columns onto the text fields: `seeds \"...\" { text <- \"column\" }`")
        self._by_id = {s.id: s for s in self.sources}
        self._source_vectors: dict[tuple[str, str], np.ndarray] = {}

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
            context = {"technique": "paraphrase", "source": text, "source_id": source.id,
                       "prompt": "Restate this example in your own words. Keep its meaning; do not copy its "
                                 "phrasing.\n" + block(text)}
            out.append(replace(plan, sampled=sampled, seed_ids=(source.id,),
                               extra={**plan.extra, "source_id": source.id, CONTEXT: context}))
        return out

    def accept(self, plan: RecordPlan, values: dict[str, Any]) -> list[str]:
        source = self._by_id.get(str(plan.extra.get("source_id")))
        if source is None:
            return []
        problems = []
        for name in self.text_fields:
            original, new = source.values.get(name), values.get(name)
            if original in (None, "") or new in (None, ""):
                continue
            overlap = rouge_l(str(new), str(original))
            if overlap > self.max_overlap:
                problems.append(f"{name}: copies too many words of its source (ROUGE-L {overlap:.2f} > "
                                f"max_overlap {self.max_overlap:g})")
                continue
            similarity = self.similarity(source.id, name, str(original), str(new))
            if similarity < self.min_similarity:
                problems.append(f"{name}: drifts from its source's meaning (cosine {similarity:.2f} < "
                                f"min_similarity {self.min_similarity:g})")
        return problems

    def similarity(self, source_id: str, name: str, original: str, new: str) -> float:
        """Cosine similarity of the new text with its source (source vectors cached)."""
        key = (source_id, name)
        if key not in self._source_vectors:
            self._source_vectors[key] = self.embedder([original])[0]
        return float(np.dot(self._source_vectors[key], self.embedder([new])[0]))



"""Matching records against a reference corpus (seeds, an eval set): exact, near, long n-grams.

`seed_copy` and `contamination` ask the same question of different corpora:
is this record (a near-)copy of a reference text, or does it share a long
word n-gram with one?  Exact matches use normalised-text hashing, near
matches MinHash LSH, n-grams a hash set of the reference's n-grams: all
linear in the size of both corpora.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from synthspec.validate import minhash
from synthspec.validate.api import (
    Finding,
    RecordBatch,
    Scope,
    Validator,
    ValidatorContext,
    ValidatorResult,
    record_id,
)
from synthspec.validate.findings import FindingLog, gather
from synthspec.validate.text import ngrams, normalize, text_fields, text_of, words


@dataclass(frozen=True)
class RefMatch:
    """Query `index` matches reference `ref` by `how` ("exact", "near", "ngram") with `similarity`."""

    index: int
    ref: int
    how: str
    similarity: float
    overlap: str = ""


class ReferenceIndex:
    """A reference corpus indexed once (exact keys, MinHash signatures, word n-grams) and matched batch by batch.

    Matching a text depends only on the text and the reference, never on the
    other texts of the batch, so a dataset matched in batches (on many
    workers) gives exactly the result of matching it whole.
    """

    def __init__(self, reference: Sequence[str], near_threshold: float = 0.8, ngram: int = 8) -> None:
        self.near_threshold = near_threshold
        self.ngram = ngram
        self.exact: dict[str, int] = {}
        for j, t in enumerate(reference):
            self.exact.setdefault(normalize(t), j)
        self.signatures = minhash.signatures(reference) if near_threshold <= 1.0 else None
        self.grams: dict[tuple[str, ...], int] = {}
        if ngram > 0:
            for j, t in enumerate(reference):
                for g in ngrams(words(t), ngram):
                    self.grams.setdefault(g, j)

    def match(
        self,
        texts: Sequence[str],
        normalized: Sequence[str] | None = None,
        signatures: np.ndarray | None = None,
    ) -> dict[int, RefMatch]:
        """The strongest match of each text (batch-local index) against the reference (exact > near > n-gram).

        `normalized` and `signatures` are the texts' normalised forms and
        MinHash signatures when the caller already has them (shared features).
        """
        result: dict[int, RefMatch] = {}
        if normalized is None:
            normalized = [normalize(t) for t in texts]
        for i, key in enumerate(normalized):
            j = self.exact.get(key)
            if j is not None and key:
                result[i] = RefMatch(i, j, "exact", 1.0)
        if self.signatures is not None:
            if signatures is None:
                signatures = minhash.signatures(normalized, normalized=True)
            near = minhash.best_matches(self.signatures, signatures, self.near_threshold)
            for i, m in near.items():
                if i not in result:
                    result[i] = RefMatch(i, m.other, "near", m.similarity)
        if self.ngram > 0 and self.grams:
            for i, t in enumerate(texts):
                if i in result:
                    continue
                for g in ngrams(words(t), self.ngram):
                    j = self.grams.get(g)
                    if j is not None:
                        result[i] = RefMatch(i, j, "ngram", 0.0, " ".join(g))
                        break
        return result


def match_reference(
    texts: Sequence[str], reference: Sequence[str], near_threshold: float = 0.8, ngram: int = 8
) -> dict[int, RefMatch]:
    """The strongest match of each text against the reference (exact > near > n-gram)."""
    return ReferenceIndex(reference, near_threshold, ngram).match(texts)


class ReferenceMatchValidator(Validator):
    """What `seed_copy` and `contamination` share: every record matched against a reference corpus.

    A subclass says what its corpus is (`load_reference`, None when there is none, and `NO_REFERENCE`, the
    note that says so), how a match reads (`describe`) and what its rate is called (`RATE_METRIC`); the
    one-shot and the two-phase paths are written once, here, so both validators stream the same way and
    agree with their one-shot results.  Parameters must have `near_threshold`, `ngram` and `fields`.
    """

    scope = Scope.DATASET
    default_policy = "drop"
    RATE_METRIC: ClassVar[str]
    NO_REFERENCE: ClassVar[str]

    def load_reference(self, ctx: ValidatorContext) -> list[str] | None:
        """The reference texts (None: nothing to compare against); may keep what `describe` needs."""
        raise NotImplementedError

    def describe(self, m: RefMatch, index: int, rid: str | None) -> Finding:
        raise NotImplementedError

    def reference_metrics(self) -> dict[str, int]:
        """Metrics about the reference, reported before the rate (e.g. how many rows it has)."""
        return {}

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        res = ValidatorResult()
        reference = self.load_reference(ctx)
        if reference is None:
            res.notes.append(self.NO_REFERENCE)
            return res
        fields = text_fields(ctx.spec, ctx.params.fields)
        texts = [text_of(r, fields) for r in ctx.records]
        matches = match_reference(texts, reference, ctx.params.near_threshold, ctx.params.ngram)
        for i, m in sorted(matches.items()):
            res.findings.append(self.describe(m, i, record_id(ctx.records[i])))
        res.metrics.update(self.reference_metrics())
        res.metrics[self.RATE_METRIC] = round(len(matches) / max(1, len(texts)), 4)
        return res

    # two-phase: the reference is read and indexed once per worker; each batch is matched with the shared
    # features (normalised texts, MinHash signatures) ------------------------------------------------------
    def prepare(self, ctx: ValidatorContext) -> None:
        self._fields = text_fields(ctx.spec, ctx.params.fields)
        self._index: ReferenceIndex | None = None
        if not ctx.records:  # a two-phase run (check_dataset indexes the reference itself)
            reference = self.load_reference(ctx)
            if reference is not None:
                self._index = ReferenceIndex(reference, ctx.params.near_threshold, ctx.params.ngram)

    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> tuple[int, list[Finding]]:
        if self._index is None:
            return len(batch), []
        f = batch.features
        matches = self._index.match(f.texts(self._fields), f.normalized(self._fields), f.minhash(self._fields))
        return len(batch), [
            self.describe(m, batch.start + i, record_id(batch.records[i])) for i, m in sorted(matches.items())
        ]

    def merge(
        self, states: Sequence[tuple[int, Sequence[Finding]]], ctx: ValidatorContext
    ) -> tuple[int, FindingLog]:
        return sum(s[0] for s in states), gather(s[1] for s in states)  # one finding per match: may spill

    def finish(self, state: tuple[int, Sequence[Finding]], ctx: ValidatorContext) -> ValidatorResult:
        res = ValidatorResult()
        if self._index is None:
            res.notes.append(self.NO_REFERENCE)
            return res
        n, found = state
        res.findings = gather([found])
        res.metrics.update(self.reference_metrics())
        res.metrics[self.RATE_METRIC] = round(len(found) / max(1, n), 4)
        return res

"""The leakage audit a privacy-safe release must pass: did any real seed, or a long piece of one, come through?

A release is only as safe as its weakest record, so the audit is strict and
whole-record: every string a record carries (text and patterned fields alike)
is compared with every seed's, for

- an exact or near copy of a seed (normalised text; MinHash Jaccard),
- a run of `ngram` or more consecutive words shared with one seed,
- a patterned value (an order number, an account id) equal to a seed's,
- personal data of any kind the PII detector knows (names too, with the `pii`
  extra; `pii_detector` in the audit says which detector ran), whoever invented it.

Besides the findings it measures the longest run of words any record shares
with any seed: the figure a dataset card can quote as the evidence ("no record
shares more than k consecutive words with the real data").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from synthspec.datafiles import SeedExample
from synthspec.ir.model import Spec
from synthspec.validate.api import record_id
from synthspec.validate.pii import get_detector
from synthspec.validate.reference import match_reference
from synthspec.validate.text import ngrams, words

MAX_RUN = 256  # longer shared runs are reported as this many words (the audit has failed long before)


@dataclass(frozen=True)
class LeakFinding:
    """One record that must not be released, and why."""

    record_index: int
    record_id: str | None
    kind: str  # exact | near | ngram | identifier | pii
    message: str
    seed_id: str | None = None


@dataclass
class PrivacyAudit:
    """The audit's verdict, its settings and its evidence."""

    records: int
    seeds: int
    fields: list[str]
    identifier_fields: list[str]
    ngram: int
    near_threshold: float
    longest_shared_run: int = 0
    longest_shared_example: dict[str, Any] | None = None
    pii_detector: str = ""
    findings: list[LeakFinding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data


def _string_fields(spec: Spec) -> tuple[list[str], list[str]]:
    """(every text or patterned field, the patterned ones): what could carry a real string."""
    texts = [f.name for f in spec.fields if f.kind in ("text", "pattern")]
    patterned = [f.name for f in spec.fields if f.kind == "pattern"]
    return texts, patterned


def _joined(values: dict[str, Any], names: Sequence[str]) -> str:
    return "\n".join(str(values[n]) for n in names if values.get(n) not in (None, ""))


def longest_shared_runs(queries: Sequence[list[str]], reference: Sequence[list[str]]) -> list[tuple[int, int]]:
    """For each query, (length of its longest word run found in some reference, that reference's index).

    Grows k while any query still shares a k-gram: each round is one hash set
    of the reference's k-grams, so the cost is linear in the corpora per round
    and the rounds stop at the longest overlap actually present.
    """
    best = [(0, -1)] * len(queries)
    alive = list(range(len(queries)))
    k = 1
    while alive and k <= MAX_RUN:
        grams: dict[tuple[str, ...], int] = {}
        for j, ref in enumerate(reference):
            for gram in ngrams(ref, k):
                grams.setdefault(gram, j)
        survivors = []
        for i in alive:
            hit = next((grams[g] for g in ngrams(queries[i], k) if g in grams), None)
            if hit is not None:
                best[i] = (k, hit)
                survivors.append(i)
        alive = survivors
        k += 1
    return best


def audit_privacy(
    spec: Spec,
    records: Sequence[dict[str, Any]],
    seeds: Sequence[SeedExample],
    ngram: int = 8,
    near_threshold: float = 0.8,
) -> PrivacyAudit:
    """Audit `records` against `seeds` (see the module docstring); findings in record order."""
    fields, patterned = _string_fields(spec)
    audit = PrivacyAudit(len(records), len(seeds), fields, patterned, ngram, near_threshold)
    texts = [_joined(r, fields) for r in records]
    seed_texts = [_joined(s.values, fields) for s in seeds]
    seed_ids = [s.id for s in seeds]
    found: dict[int, list[LeakFinding]] = {}

    def add(i: int, kind: str, message: str, seed: int | None = None) -> None:
        found.setdefault(i, []).append(
            LeakFinding(i, record_id(records[i]), kind, message, seed_ids[seed] if seed is not None else None))

    if seeds:
        for name in (n for n in fields if n not in patterned):  # a text copied whole, whatever else the record holds
            column = [str(s.values.get(name) or "") for s in seeds]
            values = [str(r.get(name) or "") for r in records]
            for i, match in match_reference(values, column, near_threshold=2.0, ngram=0).items():  # exact only
                add(i, "exact", f"{name} is an exact copy of seed {seed_ids[match.ref]}", match.ref)
        for i, match in match_reference(texts, seed_texts, near_threshold, 0).items():
            if i not in found:
                what = "an exact copy" if match.how == "exact" else f"a near copy (Jaccard ~{match.similarity:.2f})"
                add(i, match.how, f"{what} of seed {seed_ids[match.ref]}", match.ref)
        runs = longest_shared_runs([words(t) for t in texts], [words(t) for t in seed_texts])
        for i, (length, j) in enumerate(runs):
            if length >= ngram and not any(f.kind in ("exact", "near") for f in found.get(i, [])):
                add(i, "ngram", f"shares {length} consecutive words with seed {seed_ids[j]}", j)
        if runs:
            i = max(range(len(runs)), key=lambda n: runs[n][0])
            length, j = runs[i]
            audit.longest_shared_run = length
            if length:
                audit.longest_shared_example = {"record_index": i, "seed_id": seed_ids[j], "words": length}
        for name in patterned:
            real = {str(s.values[name]): s.id for s in seeds if s.values.get(name) not in (None, "")}
            for i, record in enumerate(records):
                value = record.get(name)
                if value not in (None, "") and str(value) in real:
                    add(i, "identifier", f"{name} {value!r} is a real value (seed {real[str(value)]})")
    detector = get_detector()
    audit.pii_detector = detector.name
    found_pii = detector.find_many([_joined(r, fields) for r in records])
    for i, hits in enumerate(found_pii):
        for hit in hits:
            add(i, "pii", f"{hit.kind.replace('_', ' ')} {hit.text!r}")
    audit.findings = [f for i in sorted(found) for f in found[i]]
    return audit

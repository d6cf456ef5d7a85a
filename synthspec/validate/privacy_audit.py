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
shares more than k consecutive words with the real data").  Given real rows the
model never saw (a holdout), `privacy_metrics` adds two distance-based figures:
how often a synthetic record is closer to a training row than to a holdout row
(distance to closest record, as SDMetrics' DCROverfittingProtection), and the
AUC of a membership-inference attack that uses those distances.
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
    privacy_metrics: dict[str, Any] | None = None  # `PrivacyMetrics.to_json()`, when a holdout was given
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


# ---------------------------------------------------------------- distance-based privacy metrics

HASH_DIMS = 4096
GRAMS = (3, 4, 5)


@dataclass
class PrivacyMetrics:
    """How much closer the synthetic records sit to the real rows the model saw than to real rows it did not.

    `train` are the seeds (shown to the model), `holdout` real rows it never
    saw, subsampled to the same size (seeded) so that 0.5 is the no-leak level.

    - `dcr_closer_to_train`: share of synthetic records whose closest real row
      (distance to closest record, DCR) is a training row rather than a holdout
      row (ties count half); ~0.5 means the model generalises, near 1 that it
      copies what it saw.  `dcr_overfitting_protection` = min(1, 2 × (1 − that
      share)), as SDMetrics' DCROverfittingProtection scores it (1.0 best).
    - `membership_inference_auc`: an attacker who holds a real row and calls it
      "in the training set" the closer it is to some synthetic record; the AUC
      of that guess over training vs holdout rows.  0.5: the synthetic data
      tells nothing about who was in the training set; 1.0: it tells all.
    """

    train: int
    holdout: int
    synthetic: int
    dcr_closer_to_train: float
    dcr_overfitting_protection: float
    median_dcr_train: float
    median_dcr_holdout: float
    membership_inference_auc: float
    distance: str = "cosine distance between hashed character 3-5-gram count vectors of the text and label fields"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _metric_text(values: dict[str, Any], spec: Spec) -> str:
    names = [f.name for f in spec.fields if f.kind in ("text", "category", "boolean")]
    return " \n ".join(str(values[n]).casefold() for n in names if values.get(n) not in (None, ""))


def hashed_ngram_vectors(texts: Sequence[str], dims: int = HASH_DIMS):
    """L2-normalised count vectors of each text's character n-grams, hashed (CRC-32, stable across runs)."""
    import zlib

    import numpy as np

    out = np.zeros((len(texts), dims), dtype=np.float32)
    for row, text in enumerate(texts):
        padded = f" {' '.join(text.split())} "
        for n in GRAMS:
            for i in range(len(padded) - n + 1):
                out[row, zlib.crc32(padded[i:i + n].encode("utf-8")) % dims] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def nearest_distance(queries, reference, block: int = 1024):
    """For each query vector, the cosine distance to its closest reference vector."""
    import numpy as np

    best = np.full(len(queries), np.inf, dtype=np.float64)
    for start in range(0, len(reference), block):
        sims = queries @ reference[start:start + block].T
        best = np.minimum(best, 1.0 - sims.max(axis=1))
    return np.clip(best, 0.0, 2.0)


def _auc(positive, negative) -> float:
    """P(a positive scores above a negative), ties counting half (the Mann-Whitney U statistic / n1 n2)."""
    import numpy as np
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([positive, negative]))
    u = ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2
    return float(u / (len(positive) * len(negative)))


def privacy_metrics(
    spec: Spec,
    records: Sequence[dict[str, Any]],
    train: Sequence[SeedExample],
    holdout: Sequence[SeedExample],
    seed: int = 0,
) -> PrivacyMetrics | None:
    """DCR overfitting protection and membership-inference AUC (None when a side is empty)."""
    import random

    import numpy as np

    if not records or not train or not holdout:
        return None
    rng = random.Random(seed)
    size = min(len(train), len(holdout))
    train_rows = rng.sample(list(train), size) if len(train) > size else list(train)
    holdout_rows = rng.sample(list(holdout), size) if len(holdout) > size else list(holdout)
    synthetic = hashed_ngram_vectors([_metric_text(r, spec) for r in records])
    real_train = hashed_ngram_vectors([_metric_text(s.values, spec) for s in train_rows])
    real_holdout = hashed_ngram_vectors([_metric_text(s.values, spec) for s in holdout_rows])
    to_train = nearest_distance(synthetic, real_train)
    to_holdout = nearest_distance(synthetic, real_holdout)
    closer = float(np.mean(np.where(to_train < to_holdout, 1.0, np.where(to_train == to_holdout, 0.5, 0.0))))
    member_scores = -nearest_distance(real_train, synthetic)
    outsider_scores = -nearest_distance(real_holdout, synthetic)
    return PrivacyMetrics(
        train=size,
        holdout=size,
        synthetic=len(records),
        dcr_closer_to_train=round(closer, 4),
        dcr_overfitting_protection=round(min(1.0, 2.0 * (1.0 - closer)), 4),
        median_dcr_train=round(float(np.median(to_train)), 4),
        median_dcr_holdout=round(float(np.median(to_holdout)), 4),
        membership_inference_auc=round(_auc(member_scores, outsider_scores), 4),
    )

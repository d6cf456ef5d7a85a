"""`diversity`: distribution collapse — the model saying the same few things over and over.

Measures distinct-1/distinct-2 (unique n-grams over all n-grams), the mean
word-set Jaccard similarity of randomly sampled record pairs, and distinct-2
within each category value.  distinct-n falls as a corpus grows, so the
synthetic data and the seeds are compared on equal-size samples; without
seeds, absolute floors apply.  The synthetic sample is the `sample` records
with the smallest hash of their index (overall and per category value): a
sample that does not depend on how the data is batched, so the streaming run
and the one-shot run agree exactly, and reports repeat.  Pairs are drawn from
that sample.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from synthspec.lazy import lazy
from synthspec.validate.api import (
    Histogram,
    Params,
    RecordBatch,
    Scope,
    Validator,
    ValidatorContext,
    ValidatorResult,
)
from synthspec.validate.text import category_fields, ngrams, seed_values, text_fields, text_of, words

if TYPE_CHECKING:
    import numpy as np
else:  # numpy loads when the check runs, not when `synthspec check` reads the parameters
    np = lazy("numpy")


class DiversityParams(Params):
    min_distinct_ratio: float = 0.7
    min_distinct_2: float = 0.3
    max_similarity_excess: float = 0.1
    sample: int = 2000
    pairs: int = 3000
    min_group: int = 10
    fields: list[str] | None = None


def distinct_n(token_lists: Sequence[Sequence[str]], n: int) -> float:
    """Unique n-grams / total n-grams over all texts (0 when there are none)."""
    total = 0
    unique: set[tuple[str, ...]] = set()
    for tokens in token_lists:
        grams = ngrams(tokens, n)
        total += len(grams)
        unique.update(grams)
    return len(unique) / total if total else 0.0


def mean_pair_similarity(token_lists: Sequence[Sequence[str]], pairs: int, rng: random.Random) -> float:
    """Mean word-set Jaccard similarity over `pairs` random distinct pairs."""
    n = len(token_lists)
    if n < 2:
        return 0.0
    sets = [set(t) for t in token_lists]
    total = 0.0
    for _ in range(pairs):
        i, j = rng.sample(range(n), 2)
        union = sets[i] | sets[j]
        total += len(sets[i] & sets[j]) / len(union) if union else 1.0
    return total / pairs


def index_hash(indices: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random uint64 per record index (splitmix64): the sampling order of the records."""
    z = indices.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


Sample = list[tuple[int, str]]  # (hash, text), the k smallest hashes, ascending
# Texts, not their word lists: a 150-word text is one string where its words are 150 (the driver held ~2 GB of
# word lists for 77 category values at 1M long texts), and only the survivors of the merge are ever split.


def _bottom(items: Sample, k: int) -> Sample:
    return sorted(items, key=lambda item: item[0])[:k]


def _sample(items: list, k: int, rng: random.Random) -> list:
    return items if len(items) <= k else rng.sample(items, k)


class DiversityValidator(Validator):
    name = "diversity"
    Params = DiversityParams
    scope = Scope.DATASET
    default_policy = "flag"
    description = "distinct-n, sampled mean pairwise similarity and per-category spread (collapse detection)"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        return self.finish(self.partial(RecordBatch(0, list(ctx.records)), ctx), ctx)

    # two-phase: bottom-k samples by a hash of the record index, overall and per category value --------------
    # (a bottom-k sample is the same whichever way the records are batched, so streaming is exact)
    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> dict:
        p: DiversityParams = ctx.params
        fields = text_fields(ctx.spec, p.fields)
        hashes = index_hash(np.arange(batch.start, batch.start + len(batch))).tolist()
        texts = batch.features.texts(fields) if batch.features is not None else [text_of(r, fields) for r in batch.records]
        order = sorted(range(len(batch)), key=hashes.__getitem__)
        overall = [(hashes[i], texts[i]) for i in order[: p.sample]]
        groups: dict[str, dict[str, list]] = {}
        for cat in category_fields(ctx.spec):
            members: dict[str, list] = {}
            for i in order:
                members.setdefault(str(batch.records[i].get(cat)), []).append(i)
            groups[cat] = {
                v: [len(ix), [(hashes[i], texts[i]) for i in ix[: p.sample]]] for v, ix in members.items()
            }
        return {"overall": overall, "groups": groups}

    def merge(self, states: Sequence[dict], ctx: ValidatorContext) -> dict:
        k = ctx.params.sample
        out: dict = {"overall": _bottom([x for s in states for x in s["overall"]], k), "groups": {}}
        for s in states:
            for cat, values in s["groups"].items():
                mine = out["groups"].setdefault(cat, {})
                for v, (count, sample) in values.items():
                    if v in mine:
                        mine[v] = [mine[v][0] + count, _bottom(mine[v][1] + sample, k)]
                    else:
                        mine[v] = [count, sample]
        return out

    def finish(self, state: dict, ctx: ValidatorContext) -> ValidatorResult:
        p: DiversityParams = ctx.params
        res = ValidatorResult()
        fields = text_fields(ctx.spec, p.fields)
        pool = [words(text) for _, text in state["overall"]]
        seeds = [words(text_of(v, fields)) for v in seed_values(ctx.seeds)]
        seeds = [t for t in seeds if t]
        size = min(len(pool), len(seeds), p.sample) if seeds else min(len(pool), p.sample)
        s_sample = pool[:size]
        d1, d2 = distinct_n(s_sample, 1), distinct_n(s_sample, 2)
        sim = mean_pair_similarity(pool, p.pairs, random.Random(1))
        res.metrics.update(
            {
                "distinct_1": round(d1, 4),
                "distinct_2": round(d2, 4),
                "mean_pair_jaccard": round(sim, 4),
                "sample_size": size,
            }
        )
        if seeds:
            r_sample = _sample(seeds, size, random.Random(2))
            rd2 = distinct_n(r_sample, 2)
            rsim = mean_pair_similarity(_sample(seeds, p.sample, random.Random(4)), p.pairs, random.Random(1))
            res.metrics.update(
                {
                    "seeds_distinct_1": round(distinct_n(r_sample, 1), 4),
                    "seeds_distinct_2": round(rd2, 4),
                    "seeds_mean_pair_jaccard": round(rsim, 4),
                }
            )
            self.check_limit(res, None, d2, rd2 * p.min_distinct_ratio,
                             f"distinct-2 is {d2:.3f}, below {p.min_distinct_ratio:.0%} of the seeds' {rd2:.3f}",
                             below=True, code="distinct")
            self.check_limit(res, None, sim, rsim + p.max_similarity_excess,
                             f"records are more alike than the seeds (mean pair Jaccard {sim:.3f} vs {rsim:.3f})",
                             code="similarity")
        elif pool:
            self.check_limit(res, None, d2, p.min_distinct_2, f"distinct-2 is {d2:.3f}", below=True, code="distinct")
        for cat, values in state["groups"].items():
            spread = {
                v: distinct_n([words(text) for _, text in sample], 2)
                for v, (count, sample) in values.items()
                if count >= p.min_group
            }
            if not spread:
                continue
            levels = sorted(spread)
            res.histograms.append(
                Histogram(
                    f"distinct-2 within each {cat}",
                    tuple(levels),
                    {"synthetic": tuple(round(spread[v], 4) for v in levels)},
                )
            )
            worst = min(levels, key=lambda v: spread[v])
            res.metrics[f"{cat}.min_distinct_2"] = round(spread[worst], 4)
            res.metrics[f"{cat}.least_diverse"] = worst
            limit = d2 * p.min_distinct_ratio * 0.5
            for v in levels:
                self.check_limit(res, None, spread[v], limit, f"{cat}={v}: texts collapse (distinct-2 {spread[v]:.3f})",
                                 below=True, severity="warning", field=cat, code="category_spread")
        return res

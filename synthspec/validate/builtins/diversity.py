"""`diversity`: distribution collapse — the model saying the same few things over and over.

Measures distinct-1/distinct-2 (unique n-grams over all n-grams), the mean
word-set Jaccard similarity of randomly sampled record pairs, and distinct-2
within each category value.  distinct-n falls as a corpus grows, so the
synthetic data and the seeds are compared on equal-size samples; without
seeds, absolute floors apply.  Sampling uses a fixed seed: reports repeat.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from synthspec.validate.api import Histogram, Params, Scope, Validator, ValidatorContext, ValidatorResult
from synthspec.validate.text import category_fields, ngrams, seed_values, text_fields, text_of, words


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


def _sample(items: list, k: int, rng: random.Random) -> list:
    return items if len(items) <= k else rng.sample(items, k)


class DiversityValidator(Validator):
    name = "diversity"
    Params = DiversityParams
    scope = Scope.DATASET
    default_policy = "flag"
    description = "distinct-n, sampled mean pairwise similarity and per-category spread (collapse detection)"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        p: DiversityParams = ctx.params
        res = ValidatorResult()
        fields = text_fields(ctx.spec, p.fields)
        synth = [words(text_of(r, fields)) for r in ctx.records]
        seeds = [words(text_of(v, fields)) for v in seed_values(ctx.seeds)]
        seeds = [t for t in seeds if t]
        size = min(len(synth), len(seeds), p.sample) if seeds else min(len(synth), p.sample)
        rng = random.Random(0)
        s_sample = _sample(synth, size, rng)
        d1, d2 = distinct_n(s_sample, 1), distinct_n(s_sample, 2)
        sim = mean_pair_similarity(synth, p.pairs, random.Random(1))
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
            rsim = mean_pair_similarity(seeds, p.pairs, random.Random(1))
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
        elif synth:
            self.check_limit(res, None, d2, p.min_distinct_2, f"distinct-2 is {d2:.3f}", below=True, code="distinct")
        for cat in category_fields(ctx.spec):
            groups: dict[str, list[list[str]]] = defaultdict(list)
            for r, toks in zip(ctx.records, synth, strict=True):
                groups[str(r.get(cat))].append(toks)
            spread = {
                v: distinct_n(_sample(g, p.sample, random.Random(3)), 2)
                for v, g in groups.items()
                if len(g) >= p.min_group
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

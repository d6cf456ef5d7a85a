"""Per-record text quality, measured the same way on the build and on its seeds, plus a sample to read.

A validator answers "is this record acceptable"; a person reading a report first wants to know what the
text is like: does it loop, does it stop mid-sentence, is it as long as the real thing, does it use the
seeds' words.  Each measure is given for the records and for the seeds side by side, because a figure
alone says little: BANKING77 queries themselves end without punctuation 13 % of the time.

The sample is drawn as `synthspec review export` draws it (`random.Random(seed).sample`, seed 0), so
the records shown in the report are the first ones a reviewer gets.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from synthspec.datafiles import SeedExample
from synthspec.ir.model import DEFAULT_NO_REPEAT, Spec, TextField
from synthspec.lower.textshape import ending_problem, ends_sentence, repeated_ngram, words

SAMPLE_SIZE = 5
SAMPLE_SEED = 0


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _distinct2(texts: Sequence[str]) -> float | None:
    grams = [tuple(t[i : i + 2]) for t in (words(x) for x in texts) for i in range(len(t) - 1)]
    return round(len(set(grams)) / len(grams), 4) if grams else None


def _oov_share(texts: Sequence[str], vocabulary: Counter, leave_out: bool = False) -> float | None:
    """The share of word tokens not in the seeds' vocabulary; with `leave_out` (the seeds' own figure)
    each text is measured against the other seeds only (a word only it uses counts as unseen).  Only
    words with a letter and no digit count: an order number is new by design, not a strange word."""
    total = unseen = 0
    for text in texts:
        tokens = [t for t in words(text) if t.isalpha() or (any(c.isalpha() for c in t)
                                                            and not any(c.isdigit() for c in t))]
        own = Counter(tokens) if leave_out else Counter()
        for token in tokens:
            total += 1
            if vocabulary[token] - own[token] <= 0:
                unseen += 1
    return round(unseen / total, 4) if total else None


def text_measures(texts: Sequence[str], n: int, vocabulary: Counter, leave_out: bool) -> dict[str, Any]:
    """The measures of one set of texts (see `measure_quality`)."""
    lengths = [len(t.split()) for t in texts]
    return {
        "texts": len(texts),
        "repeated_ngram_share": _share([repeated_ngram(t, n) is not None for t in texts]),
        "clean_ending_share": _share([ending_problem(t) is None for t in texts]),
        "sentence_end_share": _share([ends_sentence(t) for t in texts]),
        "mean_words": round(sum(lengths) / len(lengths), 2) if lengths else None,
        "oov_share": _oov_share(texts, vocabulary, leave_out) if vocabulary else None,
        "distinct_2": _distinct2(texts),
    }


def measure_quality(spec: Spec, records: Sequence[dict[str, Any]],
                    seeds: Sequence[SeedExample] = ()) -> dict[str, Any]:
    """{"fields": {text field: {"ngram": n, "records": measures, "seeds": measures | None}},
    "sample": {"seed": s, "indices": [...], "records": [...]}}.

    Measures: the share of texts with a repeated word n-gram (n = the field's `no repeat`, 4 when off),
    the share that end cleanly (not mid-word, not on a comma, brackets balanced), the share that end on
    a sentence end, mean words, the share of word tokens the seeds never use (the seeds' own figure is
    leave-one-out), and distinct-2 (distinct word bigrams / bigrams).
    """
    fields: dict[str, Any] = {}
    for f in spec.fields:
        if not isinstance(f, TextField):
            continue
        n = f.no_repeat or DEFAULT_NO_REPEAT
        texts = [str(r[f.name]) for r in records if isinstance(r.get(f.name), str) and r[f.name].strip()]
        seed_texts = [str(s.values[f.name]) for s in seeds
                      if isinstance(s.values.get(f.name), str) and s.values[f.name].strip()]
        vocabulary = Counter(w for t in seed_texts for w in words(t))
        fields[f.name] = {
            "ngram": n,
            "records": text_measures(texts, n, vocabulary, leave_out=False),
            "seeds": text_measures(seed_texts, n, vocabulary, leave_out=True) if seed_texts else None,
        }
    return {"fields": fields, "sample": sample_records(records)}


def sample_indices(count: int, size: int = SAMPLE_SIZE, seed: int = SAMPLE_SEED) -> list[int]:
    """The indices `synthspec review export --sample size --seed seed` would pick, in file order."""
    return sorted(random.Random(seed).sample(range(count), min(size, count)))


def sample_records(records: Sequence[dict[str, Any]], size: int = SAMPLE_SIZE,
                   seed: int = SAMPLE_SEED) -> dict[str, Any]:
    """A seeded sample of the records (values only, underscore keys dropped) for the report."""
    indices = sample_indices(len(records), size, seed)
    shown = [{k: v for k, v in records[i].items() if not str(k).startswith("_")} for i in indices]
    return {"seed": seed, "indices": indices, "records": shown}

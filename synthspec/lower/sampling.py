"""Drawing the compiler-sampled fields of every record, exactly and reproducibly.

Categories (and booleans) are not drawn independently per record: the counts
are fixed first by largest-remainder apportionment of `spec.count` over the
weights, then the labels are shuffled.  So `count 10` with weights 6:3:1 gives
exactly 6, 3 and 1 — independent draws would miss the requested proportions
on small datasets, the usual size of an eval set.  Each field has its own
random stream keyed by (spec seed, field name), so adding a field never
changes the others.  Numbers are drawn per record from a stream keyed by
(spec seed, field, index), so they do not depend on the count or batching.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from synthspec import codes
from synthspec.datafiles import SeedExample
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import BooleanField, CategoryField, DecimalField, IntegerField, Spec, TextField


def stable_int(*parts: object) -> int:
    """A 63-bit integer fixed by the parts (sha256), the same on every machine and Python."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def rng_for(*parts: object) -> random.Random:
    return random.Random(stable_int(*parts))


def sub_seed(spec_seed: int, index: int) -> int:
    """The seed of record `index`: depends on nothing but the spec seed and the index."""
    return stable_int("synthspec-record", spec_seed, index)


def apportion(count: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment: integer counts summing to `count`, closest to the weights.

    Ties in the remainders go to the earlier label, so the result is deterministic.
    """
    total = float(sum(weights))
    if count <= 0 or not weights:
        return [0] * len(weights)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    quotas = [count * w / total for w in weights]
    counts = [math.floor(q) for q in quotas]
    left = count - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


def _error(field: Any, message: str, hint: str | None = None) -> SynthspecError:
    span = getattr(field, "span", None)
    return SynthspecError(Diagnostic(code=codes.SAMPLING_FAILED, message=message, hint=hint,
                                     file=span.file if span else None, line=span.line if span else None,
                                     column=span.column if span else None))


def category_weights(field: CategoryField, seeds: Sequence[SeedExample]) -> tuple[list[str], list[float]]:
    """The labels and their weights: declared, uniform, or measured from the seeds."""
    if not field.from_seeds:
        values = list(field.values)
        weights = list(field.weights) if field.weights else [1.0] * len(values)
        return values, weights
    counted = Counter(str(s.values.get(field.name)) for s in seeds
                      if s.values.get(field.name) not in (None, ""))
    if field.values:
        counted = Counter({k: v for k, v in counted.items() if k in field.values})
    if not counted:
        raise _error(field, f"`{field.name}` is drawn `from seeds`, but no seed has a usable value for it",
                     "map a seed column onto the field, or list its values with weights")
    values = sorted(counted, key=lambda v: (field.values.index(v) if v in field.values else len(field.values), v))
    return values, [float(counted[v]) for v in values]


def draw_category(field: CategoryField, count: int, spec_seed: int, seeds: Sequence[SeedExample]) -> list[str]:
    values, weights = category_weights(field, seeds)
    column = [v for v, n in zip(values, apportion(count, weights), strict=True) for _ in range(n)]
    rng_for("synthspec-category", spec_seed, field.name).shuffle(column)
    return column


def draw_boolean(field: BooleanField, count: int, spec_seed: int) -> list[bool]:
    trues, falses = apportion(count, [field.probability, 1.0 - field.probability])
    column = [True] * trues + [False] * falses
    rng_for("synthspec-boolean", spec_seed, field.name).shuffle(column)
    return column


def _seed_numbers(field: IntegerField | DecimalField, seeds: Sequence[SeedExample]) -> list[float]:
    out = []
    for s in seeds:
        raw = s.values.get(field.name)
        try:
            number = float(raw)  # type: ignore[arg-type]  # None -> TypeError
        except (TypeError, ValueError):
            continue
        if math.isfinite(number) and field.range.min <= number <= field.range.max:
            out.append(number)
    return out


def draw_number(field: IntegerField | DecimalField, index: int, spec_seed: int,
                pool: list[float] | None) -> int | float:
    """One record's number: resampled from the seed values, or uniform over the range."""
    rng = rng_for("synthspec-number", spec_seed, field.name, index)
    if pool:
        value = rng.choice(pool)
    elif isinstance(field, IntegerField):
        return rng.randint(field.range.min, field.range.max)
    else:
        value = rng.uniform(field.range.min, field.range.max)
    if isinstance(field, IntegerField):
        return int(round(value))
    return on_grid(value, field)


def on_grid(value: float, field: DecimalField) -> float:
    """`value` rounded to the field's places and kept inside its range.

    Rounding can leave the range (0.75 at 0 places is 1.0 in 0.25..0.75): then the nearest value with that
    many places inside the range is taken.  The checker refuses a range holding no such value (C029).
    """
    low, high, places = field.range.min, field.range.max, field.places
    rounded = round(min(max(value, low), high), places)
    if rounded > high:
        rounded = round(math.floor(round(high * 10**places, 6)) / 10**places, places)
    if rounded < low:
        rounded = round(math.ceil(round(low * 10**places, 6)) / 10**places, places)
    return rounded


def sample_record(spec: Spec, seeds: Sequence[SeedExample], index: int) -> dict[str, Any]:
    """The sampled values of record `index` alone, equal to `sample_columns(...)[index]`.

    Numbers are drawn for that record only; a category still shuffles its whole column (the shuffle is
    what makes the counts exact), but one column at a time: `explain` on `count 10000000` holds one
    list of labels, not ten million records.
    """
    values: dict[str, Any] = {}
    for f in spec.sampled_fields:
        if isinstance(f, CategoryField):
            values[f.name] = draw_category(f, spec.count, spec.seed, seeds)[index]
        elif isinstance(f, BooleanField):
            values[f.name] = draw_boolean(f, spec.count, spec.seed)[index]
        elif isinstance(f, (IntegerField, DecimalField)):
            pool = _seed_numbers(f, seeds) if f.from_seeds else None
            if f.from_seeds and not pool:
                raise _error(f, f"`{f.name}` is drawn `from seeds`, but no seed value lies in its range")
            values[f.name] = draw_number(f, index, spec.seed, pool)
    return values


def sample_columns(spec: Spec, seeds: Sequence[SeedExample]) -> list[dict[str, Any]]:
    """The sampled values of every record, in index order."""
    count = spec.count
    columns: dict[str, list[Any]] = {}
    for f in spec.sampled_fields:
        if isinstance(f, CategoryField):
            columns[f.name] = draw_category(f, count, spec.seed, seeds)
        elif isinstance(f, BooleanField):
            columns[f.name] = draw_boolean(f, count, spec.seed)
        elif isinstance(f, (IntegerField, DecimalField)):
            pool = _seed_numbers(f, seeds) if f.from_seeds else None
            if f.from_seeds and not pool:
                raise _error(f, f"`{f.name}` is drawn `from seeds`, but no seed value lies in its range")
            columns[f.name] = [draw_number(f, i, spec.seed, pool) for i in range(count)]
    return [{name: column[i] for name, column in columns.items()} for i in range(count)]


# ------------------------------------------------------------------ `words from seeds`

# A record's word bound is the drawn seed length ± this share (at least one word): the model stops
# somewhere inside it, so the generated lengths follow the seeds' distribution.
WORDS_SLACK = 0.2


def seed_word_counts(field: TextField, seeds: Sequence[SeedExample],
                     match: dict[str, Any] | None = None) -> list[int]:
    """Word counts of the seeds' texts for `field`; with `match`, only seeds with those values
    (the record's sampled categories), falling back to every seed when none has them."""
    rows = [s for s in seeds if isinstance(s.values.get(field.name), str) and s.values[field.name].strip()]
    if match:
        same = [s for s in rows if all(str(s.values.get(k)) == str(v) for k, v in match.items())]
        rows = same or rows
    return [len(str(s.values[field.name]).split()) for s in rows]


def length_bound(length: int, cap: int) -> tuple[int, int]:
    """The bound around one drawn seed length: ± WORDS_SLACK of it (at least one word), within 1..cap."""
    slack = max(1, round(length * WORDS_SLACK))
    low = max(1, min(length - slack, cap))
    return low, max(low, min(length + slack, cap))


def record_word_bounds(spec: Spec, seeds: Sequence[SeedExample], index: int, sampled: dict[str, Any], cap: int,
                       pools: dict[tuple[Any, ...], list[int]] | None = None) -> dict[str, tuple[int, int]]:
    """{text field: (min, max) words} of record `index` for every `words from seeds` field.

    The length is drawn from the seeds of the record's own category (every sampled category field the
    seeds carry a value for must match), from a stream keyed by (spec seed, field, index), so the
    lengths of a category's records follow that category's seeds (short "card arrived?" intents stay
    short) and, given the record's category, do not depend on the count or batching.  `pools` caches
    the seed lengths per (field, category values) across records.
    """
    pools = {} if pools is None else pools
    out: dict[str, tuple[int, int]] = {}
    for f in spec.generated_fields:
        if not (isinstance(f, TextField) and f.words_from_seeds):
            continue
        keys = [g.name for g in spec.sampled_fields if isinstance(g, (CategoryField, BooleanField))
                and g.name in sampled and any(s.values.get(g.name) not in (None, "") for s in seeds)]
        match = {k: sampled[k] for k in keys}
        key = (f.name, *sorted((k, str(v)) for k, v in match.items()))
        if key not in pools:
            pools[key] = seed_word_counts(f, seeds, match)
        if not pools[key]:
            raise _error(f, f"`{f.name}` takes its words `from seeds`, but no seed has a text for it",
                         f"map a seed column onto it: seeds \"...\" {{ {f.name} <- \"COLUMN\" }}")
        length = rng_for("synthspec-words", spec.seed, f.name, index).choice(pools[key])
        out[f.name] = length_bound(length, cap)
    return out

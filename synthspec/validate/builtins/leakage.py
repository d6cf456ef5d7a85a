"""`leakage`: a text that gives its own label away.

Two signals.  Per record: the label written out as an identifier
(`card_arrival`), or as a `field: value` / `label = value` tag — no real
text does that, so it is an error on the record.  Per label: how often texts
of that label contain the label's words as a phrase ("card arrival",
"positive"); natural text sometimes does ("what is the exchange rate?"), so
the synthetic rate is compared with the seeds' rate for the same label and
only an excess above `max_phrase_excess` is an error.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from synthspec.validate.api import (
    Finding,
    Params,
    RecordBatch,
    Scope,
    Validator,
    ValidatorContext,
    ValidatorResult,
    record_id,
)
from synthspec.validate.text import category_fields, seed_values, text_fields, text_of


class LeakageParams(Params):
    labels: list[str] | None = None
    max_phrase_excess: float = 0.25
    min_count: int = 5
    fields: list[str] | None = None


def _phrase(label: str) -> str:
    return re.sub(r"[_\-]+", " ", label).strip()


def tag_regex(field: str, label: str) -> re.Pattern[str]:
    """Matches the label as an identifier, or tagged as `field:`/`label:`/`category:`/`intent:`."""
    ident = re.escape(label)
    keys = "|".join(re.escape(k) for k in {field, "label", "category", "class", "intent", "sentiment"})
    parts = [rf"(?:{keys})\s*[:=]\s*[\"']?{ident}(?!\w)"]
    if re.search(r"[_\-]", label):
        parts.append(rf"(?<!\w){ident}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE)


def phrase_regex(label: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in _phrase(label).split()]
    return re.compile(r"(?<!\w)" + r"[\s_\-]+".join(words) + r"(?!\w)", re.IGNORECASE)


class LeakageValidator(Validator):
    name = "leakage"
    Params = LeakageParams
    scope = Scope.DATASET
    default_policy = "drop"
    description = "texts that name their own label (identifier or tag: per record; phrase: rate vs seeds)"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        return self.finish(self.partial(RecordBatch(0, list(ctx.records)), ctx), ctx)

    def prepare(self, ctx: ValidatorContext) -> None:
        self._tags: dict[tuple[str, str], re.Pattern[str]] = {}
        self._phrases: dict[str, re.Pattern[str]] = {}

    def _phrase(self, value: str) -> re.Pattern[str]:
        if value not in self._phrases:
            self._phrases[value] = phrase_regex(value)
        return self._phrases[value]

    # two-phase: per label field, the tag findings and (phrase hits, records) per label value ------------------
    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> dict[str, tuple[list[Finding], dict[str, list[int]]]]:
        p: LeakageParams = ctx.params
        fields = text_fields(ctx.spec, p.fields)
        labels = p.labels if p.labels is not None else category_fields(ctx.spec)
        state: dict[str, tuple[list[Finding], dict[str, list[int]]]] = {}
        for label_field in labels:
            found: list[Finding] = []
            counts: dict[str, list[int]] = {}
            others = [f for f in fields if f != label_field]
            for i, r in batch.indexed():
                value = r.get(label_field)
                if value is None or isinstance(value, bool):
                    continue
                value = str(value)
                text = text_of(r, others)
                key = (label_field, value)
                if key not in self._tags:
                    self._tags[key] = tag_regex(label_field, value)
                m = self._tags[key].search(text)
                if m:
                    found.append(
                        self.finding(
                            "error",
                            f"text names its {label_field} label: {m.group(0)!r}",
                            record_index=i,
                            record_id=record_id(r),
                            field=label_field,
                            value=m.group(0),
                            code="tag",
                        )
                    )
                c = counts.setdefault(value, [0, 0])
                c[1] += 1
                if self._phrase(value).search(text):
                    c[0] += 1
            state[label_field] = (found, counts)
        return state

    def merge(self, states: Sequence[dict], ctx: ValidatorContext) -> dict:
        out: dict[str, tuple[list[Finding], dict[str, list[int]]]] = {}
        for state in states:
            for label_field, (found, counts) in state.items():
                f_out, c_out = out.setdefault(label_field, ([], {}))
                f_out.extend(found)
                for value, (hits, total) in counts.items():
                    c = c_out.setdefault(value, [0, 0])
                    c[0] += hits
                    c[1] += total
        return out

    def finish(self, state: dict, ctx: ValidatorContext) -> ValidatorResult:
        p: LeakageParams = ctx.params
        res = ValidatorResult()
        fields = text_fields(ctx.spec, p.fields)
        seeds = seed_values(ctx.seeds)
        tagged = 0
        for label_field, (found, counts) in state.items():
            res.findings.extend(found)
            tagged += len(found)
            seed_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for s in seeds:
                value = s.get(label_field)
                if value is None:
                    continue
                value = str(value)
                seed_counts[value][1] += 1
                if self._phrase(value).search(text_of(s, [f for f in fields if f != label_field])):
                    seed_counts[value][0] += 1
            for value, (hits, total) in sorted(counts.items()):
                if total < p.min_count:
                    continue
                rate = hits / total
                s_hits, s_total = seed_counts.get(value, [0, 0])
                s_rate = s_hits / s_total if s_total else 0.0
                if rate > s_rate + p.max_phrase_excess:
                    res.findings.append(
                        self.finding(
                            "error",
                            f"{label_field}={value}: {rate:.0%} of its texts say {_phrase(value)!r} (seeds: {s_rate:.0%})",
                            field=label_field,
                            value=round(rate, 4),
                            threshold=round(s_rate + p.max_phrase_excess, 4),
                            code="phrase",
                        )
                    )
        res.metrics["tagged_records"] = tagged
        return res

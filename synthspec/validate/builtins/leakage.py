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

from synthspec.validate.api import Params, Scope, Validator, ValidatorContext, ValidatorResult, record_id
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
        p: LeakageParams = ctx.params
        res = ValidatorResult()
        fields = text_fields(ctx.spec, p.fields)
        labels = p.labels if p.labels is not None else category_fields(ctx.spec)
        seeds = seed_values(ctx.seeds)
        tags: dict[tuple[str, str], re.Pattern[str]] = {}
        phrases: dict[str, re.Pattern[str]] = {}
        tagged = 0
        for label_field in labels:
            counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for i, r in enumerate(ctx.records):
                value = r.get(label_field)
                if value is None or isinstance(value, bool):
                    continue
                value = str(value)
                text = text_of(r, [f for f in fields if f != label_field])
                key = (label_field, value)
                if key not in tags:
                    tags[key] = tag_regex(label_field, value)
                    phrases[value] = phrase_regex(value)
                m = tags[key].search(text)
                if m:
                    tagged += 1
                    res.findings.append(
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
                counts[value][1] += 1
                if phrases[value].search(text):
                    counts[value][0] += 1
            seed_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for s in seeds:
                value = s.get(label_field)
                if value is None:
                    continue
                value = str(value)
                if value not in phrases:
                    phrases[value] = phrase_regex(value)
                seed_counts[value][1] += 1
                if phrases[value].search(text_of(s, [f for f in fields if f != label_field])):
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

"""The `toxicity` validator: weighted phrase lexicon, scored per record."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from synthspec.validate.api import Finding, Params, Scope, Validator, ValidatorContext, record_id


@lru_cache(maxsize=1)
def lexicon() -> tuple[tuple[str, str, float], ...]:
    """(phrase, category, weight) rows of the shipped lexicon."""
    text = resources.files(__package__).joinpath("lexicon.tsv").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if line.strip():
            phrase, category, weight = line.split("\t")
            rows.append((phrase, category, float(weight)))
    return tuple(rows)


def compile_phrases(rows: tuple[tuple[str, str, float], ...]) -> list[tuple[re.Pattern[str], str, float]]:
    out = []
    for phrase, category, weight in rows:
        body = r"\s+".join(re.escape(w) for w in phrase.split())
        out.append((re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE), category, weight))
    return out


def score(text: str, phrases: list[tuple[re.Pattern[str], str, float]]) -> tuple[float, list[str]]:
    """Sum of weights of the phrases present, and which ones."""
    total, hits = 0.0, []
    for rx, _category, weight in phrases:
        m = rx.search(text)
        if m:
            total += weight
            hits.append(m.group(0))
    return total, hits


class ToxicityParams(Params):
    threshold: float = 1.0
    extra: list[str] = []
    fields: list[str] | None = None


class Toxicity(Validator):
    name = "toxicity"
    Params = ToxicityParams
    scope = Scope.RECORD
    default_policy = "drop"
    description = "weighted lexicon of insults, threats and harassment (score >= threshold is an error)"

    def prepare(self, ctx: ValidatorContext) -> None:
        p: ToxicityParams = ctx.params
        rows = lexicon() + tuple((phrase, "extra", 1.0) for phrase in p.extra)
        self._phrases = compile_phrases(rows)
        self._fields = p.fields or [f.name for f in ctx.spec.fields if f.kind == "text"]

    def check_record(self, record: dict[str, Any], index: int, ctx: ValidatorContext) -> list[Finding]:
        out = []
        for field in self._fields:
            text = record.get(field)
            if not isinstance(text, str):
                continue
            total, hits = score(text, self._phrases)
            if total >= ctx.params.threshold:
                out.append(
                    self.finding(
                        "error",
                        f"{field} scores {total:.2f} on the toxicity lexicon ({', '.join(hits)})",
                        record_index=index,
                        record_id=record_id(record),
                        field=field,
                        value=round(total, 3),
                        threshold=ctx.params.threshold,
                    )
                )
        return out

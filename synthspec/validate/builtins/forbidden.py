"""`forbidden`: the backstop for content no dataset should carry, whatever its spec says.

Checks every text field for personal data (names, phones, e-mail, card numbers
with a valid Luhn checksum, IBANs with a valid mod-97 checksum, street
addresses; places on request) with the detector of `synthspec.validate.pii`
(Presidio + spaCy when the `pii` extra is installed, else the regex patterns),
for profanity (the shipped word list), and for the spec's own named lists and
extra regexes given as parameters.  `schema` checks each field's declared
`must not include`; this validator is the dataset-wide net under it.  A value
the field must include (the record's own order number) is not personal data;
a hit that merely contains it (a phone number that swallowed it) is.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import field_validator

from synthspec.pii import DEFAULT_KINDS, KINDS, MODEL_KINDS, PiiHit
from synthspec.validate.api import (
    Finding,
    Params,
    Scope,
    Validator,
    ValidatorContext,
    ValidatorResult,
    record_id,
)
from synthspec.validate.matching import term_regex
from synthspec.validate.pii import exempt, get_detector, included_values
from synthspec.validate.text import text_fields
from synthspec.validate.wordlists import load_list


class ForbiddenParams(Params):
    """`pii`: kinds of personal data to look for (all but `location` by default); `detector`: `auto`
    (Presidio + spaCy when installed, else regex), `presidio` or `regex`; `lists`: names of spec lists to
    ban everywhere."""

    pii: list[str] = list(DEFAULT_KINDS)
    detector: Literal["auto", "presidio", "regex"] = "auto"
    profanity: bool = True
    lists: list[str] = []
    patterns: list[str] = []
    fields: list[str] | None = None

    @field_validator("pii")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown PII kind(s) {unknown}; known: {sorted(KINDS)}")
        return value

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for p in value:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad regex {p!r}: {exc}") from None
        return value


class ForbiddenValidator(Validator):
    name = "forbidden"
    Params = ForbiddenParams
    scope = Scope.RECORD
    default_policy = "drop"
    description = ("no PII (names, phones, e-mail, card+Luhn, IBAN+mod97, address; Presidio + spaCy when "
                   "installed), profanity, or banned lists/regexes")

    def prepare(self, ctx: ValidatorContext) -> None:
        p: ForbiddenParams = ctx.params
        self._fields = text_fields(ctx.spec, p.fields)
        self._detector = get_detector(p.detector) if p.pii else None
        blind = [k for k in p.pii if k in MODEL_KINDS and self._detector is not None
                 and k not in getattr(self._detector, "kinds", KINDS)]
        self._notes = [f"PII detector: {self._detector.name}"] if self._detector else []
        if blind:
            self._notes.append(f"not checked: {', '.join(blind)} (needs the pii extra: pip install 'synthspec[pii]')")
        self._matchers: list[tuple[str, re.Pattern[str]]] = []
        if p.profanity:
            rx = term_regex(load_list("profanity"))
            if rx is not None:
                self._matchers.append(("profanity", rx))
        for name in p.lists:
            if name not in ctx.spec.lists:
                raise ValueError(f"the spec has no list named {name!r}")
            rx = term_regex(ctx.spec.lists[name])
            if rx is not None:
                self._matchers.append((f"list {name}", rx))
        for pattern in p.patterns:
            self._matchers.append((f"/{pattern}/", re.compile(pattern, re.IGNORECASE)))

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        """Every record, with the PII detector run over each field's texts in batches."""
        pii: dict[tuple[int, str], list[PiiHit]] = {}
        if self._detector is not None:
            for field in self._fields:
                rows = [i for i, r in enumerate(ctx.records) if isinstance(r.get(field), str)]
                found = self._detector.find_many([ctx.records[i][field] for i in rows], ctx.params.pii)
                pii.update({(i, field): hits for i, hits in zip(rows, found, strict=True)})
        findings: list[Finding] = []
        for index, record in enumerate(ctx.records):
            findings.extend(self._check(record, index, ctx, pii))
        return ValidatorResult(findings=findings, notes=list(self._notes))

    def check_record(self, record: dict[str, Any], index: int, ctx: ValidatorContext) -> list[Finding]:
        return self._check(record, index, ctx, None)

    def _check(self, record: dict[str, Any], index: int, ctx: ValidatorContext,
               pii: dict[tuple[int, str], list[PiiHit]] | None) -> list[Finding]:
        out: list[Finding] = []
        rid = record_id(record)
        for field in self._fields:
            text = record.get(field)
            if not isinstance(text, str):
                continue
            if self._detector is not None:
                hits = pii[(index, field)] if pii is not None else self._detector.find(text, ctx.params.pii)
                for hit in exempt(hits, included_values(ctx.spec, record, field)) if hits else ():
                    out.append(
                        self.finding(
                            "error",
                            f"{field} contains personal data ({hit.kind}): {hit.text!r}",
                            record_index=index,
                            record_id=rid,
                            field=field,
                            value=hit.text,
                            code=f"pii.{hit.kind}",
                        )
                    )
            for what, rx in self._matchers:
                m = rx.search(text)
                if m:
                    out.append(
                        self.finding(
                            "error",
                            f"{field} contains {what} term {m.group(0)!r}",
                            record_index=index,
                            record_id=rid,
                            field=field,
                            value=m.group(0),
                            code="profanity" if what == "profanity" else "banned",
                        )
                    )
        return out

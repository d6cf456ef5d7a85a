"""`forbidden`: the backstop for content no dataset should carry, whatever its spec says.

Checks every text field for personal data (e-mail, phone, card numbers with a
valid Luhn checksum, IBANs with a valid mod-97 checksum, street addresses),
for profanity (the shipped word list), and for the spec's own named lists and
extra regexes given as parameters.  `schema` checks each field's declared
`must not include`; this validator is the dataset-wide net under it.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import field_validator

from synthspec.validate.api import Finding, Params, Scope, Validator, ValidatorContext, record_id
from synthspec.validate.matching import term_regex
from synthspec.validate.pii import DETECTORS, find_pii
from synthspec.validate.text import text_fields
from synthspec.validate.wordlists import load_list


class ForbiddenParams(Params):
    """`pii`: detector kinds to run (all by default); `lists`: names of spec lists to ban everywhere."""

    pii: list[str] = list(DETECTORS)
    profanity: bool = True
    lists: list[str] = []
    patterns: list[str] = []
    fields: list[str] | None = None

    @field_validator("pii")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(DETECTORS))
        if unknown:
            raise ValueError(f"unknown PII kind(s) {unknown}; known: {sorted(DETECTORS)}")
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
    description = "no PII (e-mail, phone, card+Luhn, IBAN+mod97, address), profanity, or banned lists/regexes"

    def prepare(self, ctx: ValidatorContext) -> None:
        p: ForbiddenParams = ctx.params
        self._fields = text_fields(ctx.spec, p.fields)
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

    def check_record(self, record: dict[str, Any], index: int, ctx: ValidatorContext) -> list[Finding]:
        out: list[Finding] = []
        rid = record_id(record)
        for field in self._fields:
            text = record.get(field)
            if not isinstance(text, str):
                continue
            for kind, hit in find_pii(text, ctx.params.pii):
                out.append(
                    self.finding(
                        "error",
                        f"{field} contains personal data ({kind}): {hit!r}",
                        record_index=index,
                        record_id=rid,
                        field=field,
                        value=hit,
                        code=f"pii.{kind}",
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

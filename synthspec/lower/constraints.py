"""The constraints that apply to one text field of one record.

A text field's own `must include` / `must not include` always apply; a
`when ... { target must ... }` block adds more when its conditions hold for
the record's values.  Both the grammar and the post-generation check read the
resolved list from here, so they never disagree about which rules are on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthspec.ir.model import Condition, Forbidden, Include, Spec
from synthspec.lower.regex import builtin_profanity


@dataclass(frozen=True)
class Resolved:
    """The includes (as literal strings) and forbidden items of one text field for one record."""

    includes: tuple[tuple[str, Include], ...]
    forbidden: tuple[Forbidden, ...]


def _same(left: Any, right: Any) -> bool:
    """`==` between a record value and a condition value, tolerant of `"true"` vs `True`, `"3"` vs `3`."""
    if isinstance(left, bool) or isinstance(right, bool):
        return str(left).strip().lower() == str(right).strip().lower()
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return float(left) == float(right)
    return str(left) == str(right)


def holds(condition: Condition, values: dict[str, Any]) -> bool:
    """Whether one condition holds for the values (an unknown field never matches `==`)."""
    if condition.field not in values:
        return condition.op == "!="
    equal = _same(values[condition.field], condition.value)
    return equal if condition.op == "==" else not equal


def resolve(spec: Spec, name: str, values: dict[str, Any]) -> Resolved:
    """Includes/excludes of text field `name` given the values known for the record."""
    field = spec.field(name)
    includes = list(getattr(field, "must_include", ()))
    forbidden = list(getattr(field, "must_not_include", ()))
    for rule in spec.constraints:
        if rule.target == name and all(holds(c, values) for c in rule.conditions):
            includes.extend(rule.must_include)
            forbidden.extend(rule.must_not_include)
    literal: list[tuple[str, Include]] = []
    for item in includes:
        text = include_text(item, values)
        if text and all(text != seen for seen, _ in literal):
            literal.append((text, item))
    return Resolved(tuple(literal), tuple(forbidden))


def include_text(item: Include, values: dict[str, Any]) -> str | None:
    """The text an include asks for: the literal, or the (already decided) value of the field."""
    if item.kind == "literal":
        return item.value
    value = values.get(item.value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def terms_of(item: Forbidden) -> tuple[str, ...]:
    """The literal terms a forbidden item stands for (the shipped list for an empty `profanity`)."""
    if item.kind == "literal":
        return item.terms or (item.name,)
    if item.kind == "list":
        if not item.terms and item.name == "profanity":
            return builtin_profanity()
        return item.terms
    return ()

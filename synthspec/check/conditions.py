"""Can a set of `when` conditions hold together?  Decided on the declared domains of the sampled fields.

A `when` that can never apply is almost always a typo (`rating == 11` on a 1..5 field, a label whose weight is
0, `a == "x" and a == "y"`), and two rules that require and forbid the same phrase only contradict each other
when their conditions can hold at once.  Both questions reduce to one: is this conjunction satisfiable?
Domains are the declared ones; a field whose values come only from the seeds is treated as unknown
(anything may hold) here, and looked at again in lowering, where the seeds are read.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

from synthspec.check.context import CheckContext
from synthspec.parse import ast


def _label(value: ast.Value) -> object:
    if isinstance(value, (ast.Str, ast.Name)):
        return value.value
    if isinstance(value, ast.Bool):
        return value.value
    if isinstance(value, ast.Num):
        return value.value
    return None


def _finite_domain(ftype: ast.FieldType) -> list[object] | None:
    """Every value a category or boolean can be drawn with (weight > 0); None when unknown or not finite."""
    if isinstance(ftype, ast.CategoryType):
        if not ftype.values:
            return None
        weighted = any(v.weight is not None for v in ftype.values)
        return [v.label for v in ftype.values if not weighted or v.weight is None or v.weight.value > 0]
    if isinstance(ftype, ast.BooleanType):
        p = ftype.probability.value if ftype.probability is not None else 0.5
        return [b for b, possible in ((True, p > 0), (False, p < 1)) if possible]
    return None


def _grid_size(ftype: ast.IntegerType | ast.DecimalType) -> tuple[Decimal, Decimal, Decimal] | None:
    """(first, last, step) of the values a number field can take; None when unknown (from the seeds only)."""
    if ftype.range is None:
        return None
    try:
        low, high = Decimal(ftype.range.low.text), Decimal(ftype.range.high.text)
    except InvalidOperation:
        return None
    if isinstance(ftype, ast.IntegerType):
        step = Decimal(1)
    else:
        places = ftype.places
        if places is None:  # the IR's default: the places written in the range, at least 2
            places = max(2, *(len(t.split(".", 1)[1]) if "." in t else 0
                              for t in (ftype.range.low.text, ftype.range.high.text)))
        if not isinstance(places, int) or not 0 <= places <= 12:
            return None
        step = Decimal(1).scaleb(-places)
    first = (low / step).to_integral_value(ROUND_CEILING) * step
    last = (high / step).to_integral_value(ROUND_FLOOR) * step
    return first, last, step


def _number_possible(ftype: ast.IntegerType | ast.DecimalType, equal: Decimal | None,
                     unequal: set[Decimal]) -> bool:
    try:
        return _on_number_grid(ftype, equal, unequal)
    except InvalidOperation:  # beyond Decimal's precision: huge ranges are reported on their own
        return True


def _on_number_grid(ftype: ast.IntegerType | ast.DecimalType, equal: Decimal | None,
                    unequal: set[Decimal]) -> bool:
    grid = _grid_size(ftype)
    if grid is None:
        return True
    first, last, step = grid
    if first > last:
        return False

    def on_grid(v: Decimal) -> bool:
        return first <= v <= last and (v - first) % step == 0

    if equal is not None:
        return on_grid(equal) and equal not in unequal
    points = (last - first) / step + 1
    return points > len([v for v in unequal if on_grid(v)])


def blocking_condition(ctx: CheckContext, conditions: list[ast.Condition]) -> ast.Condition | None:
    """The first condition after which the conjunction can no longer hold (None: it can hold)."""
    seen: dict[str, list[ast.Condition]] = {}
    for cond in conditions:
        name = cond.field.value
        ftype = ctx.field_type(name)
        if ftype is None:
            continue
        group = seen.setdefault(name, [])
        group.append(cond)
        if not _group_possible(ftype, group):
            return cond
    return None


def _group_possible(ftype: ast.FieldType, group: list[ast.Condition]) -> bool:
    domain = _finite_domain(ftype)
    if domain is not None:
        for cond in group:
            want = _label(cond.value)
            if isinstance(ftype, ast.BooleanType) and not isinstance(want, bool):
                return True  # a type error, reported elsewhere
            domain = [v for v in domain if (v == want) == (cond.op == "==")]
        return bool(domain)
    if isinstance(ftype, (ast.IntegerType, ast.DecimalType)):
        equal: Decimal | None = None
        unequal: set[Decimal] = set()
        for cond in group:
            if not isinstance(cond.value, ast.Num):
                return True
            value = Decimal(cond.value.text)
            if cond.op == "==":
                if equal is not None and equal != value:
                    return False
                equal = value
            else:
                unequal.add(value)
        return _number_possible(ftype, equal, unequal)
    return True


def satisfiable(ctx: CheckContext, conditions: list[ast.Condition]) -> bool:
    return blocking_condition(ctx, conditions) is None


def allowed_labels(ctx: CheckContext, name: str, conditions: list[ast.Condition]) -> list[str] | None:
    """The labels category `name` can have where `conditions` hold (None when it is not a known category)."""
    ftype = ctx.field_type(name)
    domain = _finite_domain(ftype) if isinstance(ftype, ast.CategoryType) else None
    if domain is None:
        return None
    for cond in conditions:
        if cond.field.value == name:
            want = _label(cond.value)
            domain = [v for v in domain if (v == want) == (cond.op == "==")]
    return [str(v) for v in domain]

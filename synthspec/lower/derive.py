"""Derived fields: small jinja2 templates over a record's other values.

Templates come from the spec, so they run in jinja2's immutable sandbox (no
attribute tricks, no mutation) with StrictUndefined: a typo in a field name is
an error, not a silently empty column.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import DerivedField, Spec


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


@lru_cache(maxsize=256)
def _template(source: str) -> jinja2.Template:
    return _environment().from_string(source)


def _error(f: DerivedField, message: str) -> SynthspecError:
    span = f.span
    return SynthspecError(Diagnostic(code=codes.DERIVED_RENDER_FAILED, message=f"derived field `{f.name}`: {message}",
                                     file=span.file if span else None, line=span.line if span else None,
                                     column=span.column if span else None,
                                     hint="derived templates may use the record's other fields by name"))


def derived_order(spec: Spec) -> list[DerivedField]:
    """Derived fields in an order where each comes after the derived fields it uses (ties in spec order).

    The checker refuses cycles (C049); a cycle reaching here is left in spec order and fails on its
    undefined name like any other mistake.
    """
    fields = [f for f in spec.fields if isinstance(f, DerivedField)]
    names = {f.name for f in fields}
    done: list[DerivedField] = []
    placed: set[str] = set()
    while len(done) < len(fields):
        ready = [f for f in fields if f.name not in placed
                 and all(d in placed or d not in names or d == f.name for d in f.depends_on)]
        if not ready:  # a cycle: keep spec order for the rest
            ready = [f for f in fields if f.name not in placed]
        for f in ready:
            done.append(f)
            placed.add(f.name)
    return done


def derive(spec: Spec, values: dict[str, Any]) -> dict[str, Any]:
    """The values of every derived field (each after the derived fields it uses), in spec order."""
    known = dict(values)
    out: dict[str, Any] = {}
    for f in derived_order(spec):
        try:
            value = _template(f.template).render(**known)
        except jinja2.TemplateSyntaxError as exc:
            raise _error(f, f"bad template: {exc.message}") from None
        except jinja2.UndefinedError as exc:
            raise _error(f, str(exc)) from None
        except jinja2.TemplateError as exc:
            raise _error(f, str(exc)) from None
        except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
            # a template that computes (`{{ rating / 0 }}`, `{{ rating + "x" }}`): the spec's mistake, not ours
            raise _error(f, f"{type(exc).__name__}: {exc}") from None
        known[f.name] = out[f.name] = value
    return {f.name: out[f.name] for f in spec.fields if f.name in out}

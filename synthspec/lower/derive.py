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
    return SynthspecError(Diagnostic(code="L040", message=f"derived field `{f.name}`: {message}",
                                     file=span.file if span else None, line=span.line if span else None,
                                     column=span.column if span else None,
                                     hint="derived templates may use the record's other fields by name"))


def derive(spec: Spec, values: dict[str, Any]) -> dict[str, Any]:
    """The values of every derived field (in spec order; a later one may use an earlier one)."""
    known = dict(values)
    out: dict[str, Any] = {}
    for f in spec.fields:
        if not isinstance(f, DerivedField):
            continue
        try:
            value = _template(f.template).render(**known)
        except jinja2.TemplateSyntaxError as exc:
            raise _error(f, f"bad template: {exc.message}") from None
        except jinja2.UndefinedError as exc:
            raise _error(f, str(exc)) from None
        except jinja2.TemplateError as exc:
            raise _error(f, str(exc)) from None
        known[f.name] = out[f.name] = value
    return out

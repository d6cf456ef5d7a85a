"""In which order fields are decoded and laid out in a prompt.

A text that must include another field's value (or whose tone is another
field) is decoded after that field, so the value is known when its grammar is
built.  Sampled fields come first in the layout: they are known before the
model runs and condition everything it writes.
"""

from __future__ import annotations

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import GENERATED_KINDS, Spec, TextField


def dependencies(spec: Spec, name: str) -> list[str]:
    """Fields whose value field `name`'s grammar or prompt needs."""
    field = spec.field(name)
    deps: list[str] = []
    if isinstance(field, TextField):
        deps += [i.value for i in field.must_include if i.kind == "field"]
        if field.tone is not None and field.tone.kind == "field":
            deps.append(field.tone.value)
        for rule in spec.constraints:
            if rule.target == name:
                deps += [i.value for i in rule.must_include if i.kind == "field"]
    return [d for d in dict.fromkeys(deps) if d in spec.field_names and d != name]


def field_order(spec: Spec) -> list[str]:
    """Generated fields (pattern, text) in dependency order, ties in spec order."""
    generated = [f.name for f in spec.fields if f.kind in GENERATED_KINDS]
    done: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " -> ".join(visiting[visiting.index(name):] + [name])
            span = spec.field(name).span
            raise SynthspecError(Diagnostic(code=codes.FIELD_CYCLE, message=f"fields depend on each other in a cycle: {cycle}",
                                            file=span.file if span else spec.source_file,
                                            line=span.line if span else None,
                                            column=span.column if span else None,
                                            hint="a text can include another field only if that one does not "
                                                 "include it back"))
        visiting.append(name)
        for dep in dependencies(spec, name):
            if dep in generated:
                visit(dep)
        visiting.pop()
        done.append(name)

    for name in generated:
        visit(name)
    return done


def layout_order(spec: Spec) -> list[str]:
    """Prompt line order: sampled fields in spec order, then generated fields in decode order."""
    return [f.name for f in spec.sampled_fields] + field_order(spec)

"""Every error the lowering stage reports (L0xx) is a SynthspecError with its registered code, never a traceback.

Most of these cannot be reached through `synthspec check` (the checker refuses the spec first), so the tests build
the situation the lowering meets: a file changed after checking, an IR made directly, an API call on the wrong field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lower_ir import make_spec

from synthspec.datafiles import load_seed_examples
from synthspec.diagnostics import SynthspecError
from synthspec.ir import compile_spec
from synthspec.ir.model import Include, IntRange, PatternField, TextField
from synthspec.lower import lower_field, plan_field, plan_records
from synthspec.lower.order import field_order


def _code(caught: pytest.ExceptionInfo[SynthspecError]) -> str:
    return caught.value.diagnostics[0].code


def _compile(tmp_path: Path, body: str):
    path = tmp_path / "t.synth"
    path.write_text(f"dataset t {{\n  count 2\n{body}\n}}\n", encoding="utf-8")
    return compile_spec(str(path)).spec


def test_L050_a_sampled_field_has_no_grammar(tmp_path: Path) -> None:
    spec = _compile(tmp_path, '  field mood: category("a", "b")\n  field text: text { words 3..5 }')
    with pytest.raises(SynthspecError) as caught:
        lower_field(spec, "mood", {})
    assert _code(caught) == "L050" and "not generated" in caught.value.diagnostics[0].message


def test_L001_must_include_items_that_cannot_fit_the_words() -> None:
    text = TextField(name="text", words=IntRange(min=1, max=2),
                     must_include=(Include(kind="literal", value="alpha beta"), Include(kind="literal", value="gamma")))
    with pytest.raises(SynthspecError) as caught:
        lower_field(make_spec(text), "text", {})
    assert _code(caught) == "L001"


def test_L002_a_backreference_cannot_be_lowered() -> None:
    spec = make_spec(PatternField(name="code", pattern=r"(ab)\1"), TextField(name="text"))
    with pytest.raises(SynthspecError) as caught:
        lower_field(spec, "code", {})
    assert _code(caught) == "L002" and "`code`" in caught.value.diagnostics[0].message


def test_L030_texts_that_include_each_other() -> None:
    spec = make_spec(
        TextField(name="a", must_include=(Include(kind="field", value="b"),)),
        TextField(name="b", must_include=(Include(kind="field", value="a"),)),
    )
    with pytest.raises(SynthspecError) as caught:
        field_order(spec)
    assert _code(caught) == "L030" and "a -> b -> a" in caught.value.diagnostics[0].message


def test_L040_a_derived_template_that_fails_at_render_time(tmp_path: Path) -> None:
    spec = _compile(tmp_path, '  field n: integer 1..5\n  field half: derived "{{ n.digits.first }}"\n'
                              '  field text: text { words 3..5 }')
    from synthspec.lower.derive import derive

    with pytest.raises(SynthspecError) as caught:
        derive(spec, {"n": 3})
    assert _code(caught) == "L040"


def test_L010_from_seeds_without_a_usable_value(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text('{"n": 9, "text": "hello there"}\n', encoding="utf-8")
    spec = _compile(tmp_path, '  seeds "s.jsonl"\n  field n: integer 1..5 from seeds\n  field text: text { words 3..5 }')
    seeds = load_seed_examples(spec.seeds.resolved_path, spec.seeds.format, dict(spec.seeds.columns),
                               spec.seeds.id_column)
    with pytest.raises(SynthspecError) as caught:
        plan_records(spec, seeds)
    assert _code(caught) == "L010"


@pytest.mark.parametrize(("change", "code"), [
    ("delete", "L020"),
    ("{{ broken ", "L021"),
    ("{{ values.nope.deeper }}", "L022"),
    ("{{ 1 / 0 }}", "L022"),  # the template's own arithmetic fails: still a located error, not an internal one
])
def test_prompt_template_problems_found_while_lowering(tmp_path: Path, change: str, code: str) -> None:
    template = tmp_path / "p.j2"
    template.write_text("Write: {{ target }}:", encoding="utf-8")
    spec = _compile(tmp_path, '  field text: text { words 3..5 }\n  prompt "p.j2"')
    if change == "delete":  # the template vanished after checking
        template.unlink()
    else:  # or was edited into something broken after checking
        template.write_text(change, encoding="utf-8")
    record = plan_records(spec)[0]
    with pytest.raises(SynthspecError) as caught:
        plan_field(spec, "text", record, {})
    assert _code(caught) == code

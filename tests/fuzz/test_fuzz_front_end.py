"""Property-based tests of the front end (hypothesis), bounded so they cost well under a minute together.

* every spec written from the grammar parses;
* `fmt` round-trips it: the formatted text parses to the same AST and, where the spec compiles, to the same
  IR (spans aside);
* `check` (compile and lower, as the CLI runs it) only ever refuses with a `SynthspecError`, never with
  another exception (an internal error);
* raw bytes, and generated specs with bytes flipped, give a `SynthspecError` or a spec, never a traceback.

Runs are derandomised (the same examples every run, so CI is reproducible) and keep no example database.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Token, Tree

from synthspec.diagnostics import SynthspecError
from synthspec.generate.grammars import compile_grammar
from synthspec.ir import compile_spec
from synthspec.lower.preflight import check_spec
from synthspec.parse import Source, decode_source, parse_source
from synthspec.parse.printer import format_spec, without_positions
from synthspec.validate import validator_param_models
from tests.fuzz.spec_strategies import any_spec_text

BOUNDED = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEEDS = [{"text": "My card was declined at the shop", "label": "card"},
         {"text": "Please refund the fee you charged me twice", "label": "refund"}]
_counter = itertools.count()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "seeds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in SEEDS), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    return validator_param_models()


def _write(folder: Path, text: str | bytes) -> Path:
    path = folder / f"spec{next(_counter)}.synth"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _lark_leftovers(node: Any) -> list[Any]:
    """Lark trees or tokens left inside the AST (a grammar rule the transformer does not turn into a node)."""
    if isinstance(node, (Tree, Token)):
        return [node]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [x for f in dataclasses.fields(node) for x in _lark_leftovers(getattr(node, f.name))]
    if isinstance(node, (list, tuple)):
        return [x for item in node for x in _lark_leftovers(item)]
    return []


def _without_spans(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_spans(v) for k, v in data.items() if k not in ("span", "source_file")}
    if isinstance(data, list):
        return [_without_spans(v) for v in data]
    return data


@BOUNDED
@given(text=any_spec_text)
def test_generated_specs_parse_and_format_round_trips(text: str, workdir: Path, validators) -> None:
    parsed = parse_source(Source("gen.synth", text), keep_comments=True)
    assert not _lark_leftovers(parsed)
    formatted = format_spec(parsed)
    again = parse_source(Source("gen.synth", formatted), keep_comments=True)
    assert without_positions(again.items) == without_positions(parsed.items)
    assert format_spec(again) == formatted  # formatting is idempotent
    try:
        original = compile_spec(_write(workdir, text), validators=validators).spec
    except SynthspecError:
        return
    rewritten = compile_spec(_write(workdir, formatted), validators=validators).spec
    assert _without_spans(rewritten.model_dump(mode="json")) == _without_spans(original.model_dump(mode="json"))


@BOUNDED
@given(text=any_spec_text)
def test_check_never_fails_with_an_internal_error(text: str, workdir: Path, validators) -> None:
    try:
        check_spec(_write(workdir, text), validators=validators, grammar_check=compile_grammar)
    except SynthspecError as exc:
        assert exc.diagnostics and all(d.code and d.message for d in exc.diagnostics)
        exc.render()


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(data=st.binary(max_size=300))
def test_raw_bytes_never_give_a_traceback(data: bytes) -> None:
    try:
        source = decode_source(data, "raw.synth")
        parse_source(source)
    except SynthspecError as exc:
        exc.render()


@BOUNDED
@given(text=any_spec_text, flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1,
                                        max_size=4))
def test_damaged_specs_never_give_a_traceback(text: str, flips: list[tuple[int, int]], workdir: Path,
                                               validators) -> None:
    data = bytearray(text.encode("utf-8"))
    for where, byte in flips:
        data[where % len(data)] = byte
    try:
        check_spec(_write(workdir, bytes(data)), validators=validators, grammar_check=compile_grammar)
    except SynthspecError as exc:
        exc.render()

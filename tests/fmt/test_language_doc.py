"""Every ```synth example in docs/language.md parses, so the reference cannot drift from the grammar.

Fragments that are dataset statements (`when`, `validate`, ...) are parsed inside
`dataset d { ... }`; whole files and top-level items are parsed as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.parse import Source, parse_source

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"
BLOCKS = re.findall(r"```synth\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_reference_has_examples():
    assert len(BLOCKS) >= 15


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_parses(index: int):
    block = BLOCKS[index]
    try:
        parse_source(Source(f"language.md#{index}", block))
    except SynthspecError:
        spec = parse_source(Source(f"language.md#{index}", "dataset d {\n" + block + "}\n"))
        assert spec.datasets[0].body, "a fragment must hold at least one statement"

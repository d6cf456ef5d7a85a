"""`format_spec`: canonical layout, idempotent, meaning- and comment-preserving.

Every check runs the real parser on the printer's output: "same meaning" is
"the same AST once positions are ignored", with an AST-to-data conversion
written here independently of the one the CLI uses for its own safety check.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.parse import Source, parse_source, read_source
from synthspec.parse.printer import format_spec

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").rglob("*.synth"))
GOLDEN = sorted(p for p in (ROOT / "tests" / "fixtures" / "specs" / "fmt").iterdir() if p.is_dir())


def shape(node):
    """The AST as nested tuples/lists, positions dropped."""
    if dataclasses.is_dataclass(node):
        return (type(node).__name__,) + tuple(
            (f.name, shape(getattr(node, f.name)))
            for f in dataclasses.fields(node)
            if f.name not in ("pos", "comments", "path")
        )
    if isinstance(node, list):
        return [shape(item) for item in node]
    return node


def parse(text: str, path: str = "t.synth"):
    return parse_source(Source(path, text), keep_comments=True)


def fmt(text: str) -> str:
    return format_spec(parse(text))


def comment_texts(text: str) -> list[str]:
    return [c.text.rstrip() for c in parse(text).comments]


def assert_faithful(original: str) -> str:
    """fmt keeps the AST and every comment (in order), and fmt(fmt(x)) == fmt(x)."""
    once = fmt(original)
    assert shape(parse(once)) == shape(parse(original))
    assert comment_texts(once) == comment_texts(original)
    assert fmt(once) == once
    return once


def test_example_specs_exist():
    names = {p.name for p in SPECS}
    assert {"support_tickets.synth", "eval_set.synth", "lists.synth"} <= names


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_example_specs_are_formatted_and_faithful(path: Path):
    text = read_source(path).text
    assert assert_faithful(text) == text, f"{path} is not in canonical layout; run synthspec fmt"


@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.name)
def test_golden_pairs(case: Path):
    original = (case / "input.synth").read_text(encoding="utf-8")
    expected = (case / "expected.synth").read_text(encoding="utf-8")
    assert assert_faithful(original) == expected
    assert fmt(expected) == expected


@pytest.mark.parametrize(
    "path", SPECS + [c / "input.synth" for c in GOLDEN], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_comments_anywhere_survive(path: Path):
    """A comment at the end of every line and on its own line between every two lines."""
    lines = read_source(path).text.splitlines()
    trailing = "\n".join(f"{line} # end {i}" for i, line in enumerate(lines)) + "\n"
    own_line = "\n".join(f"{line}\n# own {i}" for i, line in enumerate(lines)) + "\n"
    for text in (trailing, own_line):
        once = assert_faithful(text)
        assert "# end 0" in once or "# own 0" in once


def test_canonical_spacing_and_indentation():
    out = fmt('dataset  d{count   5 field t:text{words 1..2 tone"calm"}field n:integer 1..3}')
    assert out == (
        "dataset d {\n"
        "  count 5\n"
        "  field t: text {\n"
        "    words 1..2\n"
        '    tone "calm"\n'
        "  }\n"
        "  field n: integer 1..3\n"
        "}\n"
    )


def test_numbers_print_as_written():
    out = fmt("dataset d { field p: decimal 0.50..10.000 places 2 field b: boolean(0.10) }")
    assert "decimal 0.50..10.000 places 2" in out
    assert "boolean(0.10)" in out


def test_regex_slashes_are_escaped_again():
    out = fmt(r"dataset d { field u: string /a\/b\\\/c/ }")
    assert r"string /a\/b\\\/c/" in out
    assert parse(out).datasets[0].body[0].type.pattern.pattern == r"a/b\\/c"


def test_strings_are_re_escaped_canonically():
    out = fmt(r'dataset d { field s: derived "tab\there \/ \u00e9 \"q\"" }')
    assert 'derived "tab\\there / é \\"q\\""' in out


def test_blank_lines_collapse_to_one_and_vanish_at_block_edges():
    out = fmt("dataset d {\n\n\n  count 1\n\n\n\n  seed 2\n\n}\n\n\n\nlist a = []\n")
    assert out == "dataset d {\n  count 1\n\n  seed 2\n}\n\nlist a = []\n"


def test_trailing_comment_goes_to_last_node_on_its_line():
    out = fmt("dataset d { count 1 seed 2 }  # both\n")
    assert out == "dataset d {\n  count 1\n  seed 2\n}  # both\n"


def test_comment_inside_one_line_construct_moves_before_it():
    out = fmt('dataset d {\n  field c: category("a", # why a\n    "b")\n}\n')
    assert out == 'dataset d {\n  # why a\n  field c: category("a", "b")\n}\n'


def test_only_comments():
    assert fmt("# just a note\n\n# another\n") == "# just a note\n\n# another\n"


def test_crlf_and_bom_input_gives_lf_output(tmp_path: Path):
    path = tmp_path / "w.synth"
    path.write_bytes(b"\xef\xbb\xbfdataset d {\r\n  count 1 # c\r\n}\r\n")
    assert (
        format_spec(parse_source(read_source(path), keep_comments=True)) == "dataset d {\n  count 1  # c\n}\n"
    )


def test_parse_error_is_a_diagnostic():
    with pytest.raises(SynthspecError) as info:
        fmt("dataset d {\n  field n: integer 1..5 )\n}")
    diagnostic = info.value.diagnostics[0]
    assert (diagnostic.code, diagnostic.line) == ("P001", 2)

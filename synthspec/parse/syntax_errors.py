"""Turning lark's parse exceptions into diagnostics a person can act on.

Two layers, as lark's `match_examples` suggests: known mistakes are recognised
by the parser state they leave behind (labelled with an example of the mistake
and a specific hint), and everything else gets a generic but readable
"expected one of ..." built from friendly terminal names.
"""

from __future__ import annotations

import functools

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from synthspec import codes
from synthspec.diagnostics import Diagnostic
from synthspec.parse.source import Source

# label -> (code, message, hint, examples of the mistake)
_KNOWN_MISTAKES: dict[str, tuple[str, str, str, list[str]]] = {
    "range_missing_dots": (
        codes.RANGE_MISSING_DOTS,
        "a range needs two numbers separated by `..`",
        "write a range as LOW..HIGH, e.g. `words 50..150`",
        ["dataset d { field t: text { words 50 } }", "dataset d { field n: integer 5 }",
         "dataset d { field t: text { words 50 - 150 } }", "dataset d { field t: text { chars 5, 9 } }"],
    ),
    "field_missing_colon": (
        codes.FIELD_MISSING_COLON,
        "a field needs `:` between its name and its type",
        "write `field NAME: TYPE`, e.g. `field rating: integer 1..5`",
        ["dataset d { field n integer 1..5 }", "dataset d { field n text }"],
    ),
    "unknown_field_type": (
        codes.UNKNOWN_FIELD_TYPE,
        "unknown field type",
        "field types are: category, integer, decimal, boolean, string, text, derived",
        ["dataset d { field n: int 1..5 }", "dataset d { field n: float 1..5 }", "dataset d { field n: enum }"],
    ),
    "string_pattern_not_regex": (
        codes.STRING_PATTERN_NOT_REGEX,
        "a string field takes a /regex/ pattern",
        'write the pattern between slashes, e.g. `field order: string /[A-Z]{3}-[0-9]{6}/`',
        ['dataset d { field n: string "ABC" }', "dataset d { field n: string }"],
    ),
    "missing_brace": (
        codes.MISSING_BRACE,
        "a block is not closed",
        "add the missing `}`",
        ["dataset d { count 5", "dataset d { field t: text { words 1..2 }", "dataset d { field t: text",
         "dataset d { field t: text { words 1..2",
         "dataset d { field n: integer 1..5", 'dataset d { field s: category("a")', "dataset d {"],
    ),
    "unknown_statement": (
        codes.UNKNOWN_STATEMENT,
        "unknown statement in a dataset",
        "statements are: count, seed, output, seeds, list, field, use, when, must not include, counterfactual, "
        "technique, validate, model, prompt",
        ["dataset d { counts 5 }", "dataset d { name 5 }", "dataset d { foo }"],
    ),
    "statement_without_number": (
        codes.STATEMENT_WITHOUT_NUMBER,
        "`count` and `seed` take a number",
        "write e.g. `count 100` or `seed 7`",
        ["dataset d { count }", "dataset d { seed }", 'dataset d { count "5" }', "dataset d { count many }"],
    ),
    "unknown_text_property": (
        codes.UNKNOWN_TEXT_PROPERTY,
        "unknown property of a text field",
        "text properties are: words, chars, tone, style, must include, must not include",
        ["dataset d { field t: text { length 5 } }", "dataset d { field t: text { foo } }"],
    ),
}

_FRIENDLY = {
    "NAME": "a name",
    "STRING": 'a "string"',
    "REGEX": "a /regex/",
    "SIGNED_NUMBER": "a number",
    "INT": "a whole number",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COLON": "`:`",
    "COMMA": "`,`",
    "EQUAL": "`=`",
    "COMPARE": "`==` or `!=`",
    "BOTH_WAYS": "`<->`",
    "ONE_WAY": "`->`",
    "POLICY": "drop/flag/fail",
    "TRUE": "true",
    "FALSE": "false",
    "$END": "end of file",
}


@functools.lru_cache(maxsize=1)
def _examples() -> dict[str, list[str]]:
    return {label: entry[3] for label, entry in _KNOWN_MISTAKES.items()}


def _friendly(terminal: str) -> str:
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    if terminal.startswith("__ANON") or terminal.isupper():
        return terminal.lower()
    return terminal


@functools.lru_cache(maxsize=1)
def _example_errors() -> list[tuple[str, int, frozenset[str] | None, str, str]]:
    """(label, parser state, accepted terminals, token type, token text) of every labelled example, parsed once."""
    from synthspec.parse.parser import _parser

    found = []
    for label, examples in _examples().items():
        for example in examples:
            try:
                _parser().parse(example)
            except UnexpectedInput as exc:
                state = getattr(exc, "state", None)
                token = getattr(exc, "token", None)
                if state is None:
                    continue
                accepts = getattr(exc, "accepts", None)
                found.append((label, state.position, frozenset(accepts) if accepts is not None else None,
                              getattr(token, "type", ""), str(token) if token is not None else ""))
    return found


def _label(exc: UnexpectedInput) -> str | None:
    """The label of the example mistake that left the parser where this one did.

    Like lark's `match_examples`, but the parser state is compared by its number only: lark also compares
    the depth of the stack, which grows with every statement before the mistake, so a mistake in the
    second statement of a dataset never matched an example written as the first.  Among examples in the
    same state and with the same kind of token (or both a bad character), the same token wins, then the
    first listed.
    """
    state = getattr(exc, "state", None)
    if state is None:
        return None
    token = getattr(exc, "token", None)
    accepts = getattr(exc, "accepts", None)
    accepts = frozenset(accepts) if accepts is not None else None
    kind = getattr(token, "type", "")
    best: tuple[int, str] | None = None
    try:
        examples = _example_errors()
    except Exception:  # labelling must never hide the real error
        return None
    for label, position, example_accepts, example_kind, example_text in examples:
        if position != state.position or (accepts is not None and example_accepts is not None
                                          and accepts != example_accepts):
            continue
        if example_kind != kind:  # `}` missing at the end of the file says nothing about a stray name
            continue
        rank = 0 if token is not None and example_text == str(token) else 1
        if best is None or rank < best[0]:
            best = (rank, label)
    return best[1] if best else None


def _expected_words(exc: UnexpectedInput) -> str:
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or set()
    from synthspec.parse.parser import _parser

    names = []
    terminals = {t.name: t for t in _parser().terminals}
    for name in sorted(expected):
        term = terminals.get(name)
        if term is not None and term.pattern.type == "str":
            names.append(f"`{term.pattern.value}`")
        else:
            names.append(_friendly(name))
    names = sorted(set(names))
    if not names:
        return ""
    if len(names) > 8:
        names = names[:8] + ["..."]
    return ", ".join(names)


def describe_syntax_error(exc: UnexpectedInput, source: Source) -> Diagnostic:
    """A diagnostic for a parse failure: place, what was found, what was expected, and a hint."""
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    at_end = isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    if isinstance(exc, UnexpectedEOF) or at_end or line in (None, -1):
        lines = source.text.rstrip("\n").split("\n")
        line = len(lines)
        column = len(lines[-1]) + 1
    label = _label(exc)
    if label is not None:
        code, message, hint, _ = _KNOWN_MISTAKES[label]
    else:
        code, hint = codes.SYNTAX_ERROR, None
        if isinstance(exc, UnexpectedCharacters):
            char = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else ""
            message = f"unexpected character {char!r}"
            if char == "'":
                hint = 'strings use double quotes: "like this"'
        elif isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
            message = "unexpected end of file"
        elif isinstance(exc, UnexpectedToken):
            message = f"unexpected {str(exc.token)!r}"
        else:
            message = "unexpected end of file"
        expected = _expected_words(exc)
        if expected and hint is None:
            hint = f"expected {expected}"
        elif expected:
            hint = f"{hint}; expected {expected}"
    end_column = None
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END" and column is not None:
        end_column = column + max(1, len(str(exc.token)))
        column = _word_start(source, line, column)
    return Diagnostic(code=code, message=message, file=source.path, line=line, column=column,
                      end_column=end_column, hint=hint)


def _word_start(source: Source, line: int, column: int) -> int:
    """The column where the word holding `column` starts: in `counts 5` the lexer takes the keyword
    `count` and stumbles on `s`, but the mistake is the word `counts`."""
    lines = source.text.split("\n")
    if not 1 <= line <= len(lines):
        return column
    text = lines[line - 1]

    def wordy(i: int) -> bool:
        return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")

    start = column - 1
    if not wordy(start):
        return column
    while wordy(start - 1):
        start -= 1
    return start + 1

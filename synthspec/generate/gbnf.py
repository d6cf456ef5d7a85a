"""Translating the Lark grammars lowering emits into GBNF, for llama.cpp-style servers.

An OpenAI-compatible llama.cpp server accepts a `grammar` field in GBNF, not
llguidance Lark.  This covers the Lark subset lowering produces: rules and
terminals, string literals, `/regex/` terminals (translated by the one regex
core, `synthspec/regexcore.py`), grouping, `[...]`, `? * +`, `{n}`, `{m,n}` and `~ n..m`.
Anything else raises `Untranslatable`; the backend then sends no grammar and
relies on the client-side re-check (every result is checked anyway).
"""

from __future__ import annotations

import re

from synthspec.regexcore import Untranslatable, gbnf_literal, gbnf_repeat, to_gbnf

__all__ = ["Untranslatable", "lark_to_gbnf"]  # Untranslatable: defined by the regex core

Node = tuple


# ------------------------------------------------------------------ lark text → AST

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t]+|\\\n)
  | (?P<comment>//[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"i?)
  | (?P<regex>/(?:[^/\\\n]|\\.)+/[imsulx]*)
  | (?P<name>[_?!]?[A-Za-z_][A-Za-z_0-9]*(?:\.-?\d+)?)
  | (?P<range>\d+\.\.\d+)
  | (?P<number>\d+)
  | (?P<op>[:|()\[\]?*+~,{}]|\n)
    """,
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise Untranslatable(f"cannot read grammar near {text[position:position + 20]!r}")
        position = match.end()
        kind = match.lastgroup or ""
        if kind in ("ws", "comment"):
            continue
        out.append((kind, match.group()))
    return out


class _LarkParser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("eof", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def rules(self) -> dict[str, Node]:
        rules: dict[str, Node] = {}
        while self.peek()[0] != "eof":
            if self.peek()[1] == "\n":
                self.take()
                continue
            kind, name = self.take()
            if kind != "name" or self.take()[1] != ":":
                raise Untranslatable(f"unsupported grammar statement at {name!r}")
            name = name.lstrip("?!").split(".")[0]
            rules[name] = self.alternatives(top=True)
        return rules

    def alternatives(self, top: bool = False) -> Node:
        options = [self.sequence(top)]
        while True:
            # a top-level alternative may continue on the next line with `|`
            if top and self.peek()[1] == "\n" and self.peek(1)[1] == "|":
                self.take()
            if self.peek()[1] != "|":
                break
            self.take()
            options.append(self.sequence(top))
        return ("alt", options) if len(options) > 1 else options[0]

    def sequence(self, top: bool) -> Node:
        items = []
        while True:
            kind, value = self.peek()
            if kind == "eof" or value in ("|", ")", "]") or (value == "\n"):
                if value == "\n" and not top:
                    self.take()
                    continue
                break
            items.append(self.postfix(self.atom()))
        return ("seq", items)

    def atom(self) -> Node:
        kind, value = self.take()
        if kind == "string":
            if value.endswith("i"):
                raise Untranslatable("case-insensitive literals are not translated")
            return ("lit", _unescape_lark_string(value[1:-1]))
        if kind == "regex":
            body, _, flags = value[1:].rpartition("/")
            return ("re", body, flags)
        if kind == "name":
            return ("ref", value)
        if value == "(":
            inner = self.alternatives()
            self._expect(")")
            return inner
        if value == "[":
            inner = self.alternatives()
            self._expect("]")
            return ("rep", inner, 0, 1)
        raise Untranslatable(f"unsupported grammar token {value!r}")

    def postfix(self, node: Node) -> Node:
        while True:
            value = self.peek()[1]
            if value in ("?", "*", "+"):
                self.take()
                node = ("rep", node, *{"?": (0, 1), "*": (0, None), "+": (1, None)}[value])
            elif value == "{":
                self.take()
                low = int(self.take()[1])
                high: int | None = low
                if self.peek()[1] == ",":
                    self.take()
                    high = int(self.take()[1]) if self.peek()[0] == "number" else None
                self._expect("}")
                node = ("rep", node, low, high)
            elif value == "~":
                self.take()
                kind, text = self.take()
                low, high = (int(x) for x in text.split("..")) if kind == "range" else (int(text), int(text))
                node = ("rep", node, low, high)
            else:
                return node

    def _expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise Untranslatable(f"expected {value!r} in grammar")


def _unescape_lark_string(body: str) -> str:
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape") if "\\" in body else body


# ------------------------------------------------------------------ AST → GBNF


class _Emitter:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def name(self, lark_name: str) -> str:
        if lark_name not in self.names:
            self.names[lark_name] = "root" if lark_name == "start" else "r-" + re.sub(
                r"[^a-z0-9]+", "-", lark_name.lower()) + f"-{len(self.names)}"
        return self.names[lark_name]

    def node(self, node: Node) -> str:
        kind = node[0]
        if kind == "lit":
            return gbnf_literal(node[1]) if node[1] else '""'
        if kind == "ref":
            return self.name(node[1])
        if kind == "seq":
            parts = [self.node(n) for n in node[1]]
            return " ".join(parts) if parts else '""'
        if kind == "alt":
            return "(" + " | ".join(self.node(n) for n in node[1]) + ")"
        if kind == "rep":
            return gbnf_repeat(self.node(node[1]), node[2], node[3])
        if kind == "re":
            if node[2]:
                raise Untranslatable("regex flags are not translated")
            return to_gbnf(node[1])
        raise Untranslatable(kind)


def lark_to_gbnf(grammar: str) -> str:
    """GBNF text equivalent to a Lark grammar of the supported subset (start rule → root)."""
    # `%llguidance {...}` options tune llguidance only; they have no GBNF meaning.
    grammar = "\n".join(line for line in grammar.splitlines() if not line.lstrip().startswith("%llguidance"))
    rules = _LarkParser(grammar).rules()
    if "start" not in rules:
        raise Untranslatable("grammar has no start rule")
    emitter = _Emitter()
    out = []
    for name, node in rules.items():
        out.append(f"{emitter.name(name)} ::= {emitter.node(node)}")
    missing = set(emitter.names) - set(rules)
    if missing:
        raise Untranslatable(f"undefined names: {', '.join(sorted(missing))}")
    return "\n".join(out) + "\n"


def finite_language(grammar: str, limit: int = 256) -> list[str] | None:
    """Every sentence of a grammar whose language is finite and small (literals, choices, bounded
    repeats of them), else None; a hosted API's JSON schema can then list them as an `enum`."""
    grammar = "\n".join(line for line in grammar.splitlines() if not line.lstrip().startswith("%llguidance"))
    try:
        rules = _LarkParser(grammar).rules()
    except Untranslatable:
        return None
    if "start" not in rules:
        return None

    def sentences(node: Node, depth: int) -> list[str] | None:
        if depth > 32:
            return None
        kind = node[0]
        if kind == "lit":
            return [node[1]]
        if kind == "ref":
            return sentences(rules[node[1]], depth + 1) if node[1] in rules else None
        if kind in ("seq", "alt"):
            parts = [sentences(n, depth + 1) for n in node[1]]
            if any(p is None for p in parts):
                return None
            if kind == "alt":
                out = list(dict.fromkeys(s for p in parts for s in p))  # type: ignore[union-attr]
            else:
                out = [""]
                for p in parts:
                    out = [a + b for a in out for b in p]  # type: ignore[union-attr]
                    if len(out) > limit:
                        return None
            return out if len(out) <= limit else None
        if kind == "rep" and node[3] is not None:
            inner = sentences(node[1], depth + 1)
            if inner is None:
                return None
            out, level = ([""] if node[2] == 0 else []), [""]
            for count in range(1, node[3] + 1):
                level = [a + b for a in level for b in inner]
                if len(level) > limit:
                    return None
                if count >= node[2]:
                    out.extend(level)
            out = list(dict.fromkeys(out))
            return out if len(out) <= limit else None
        return None

    return sentences(rules["start"], 0)

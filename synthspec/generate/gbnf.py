"""Translating the Lark grammars lowering emits into GBNF, for llama.cpp-style servers.

An OpenAI-compatible llama.cpp server accepts a `grammar` field in GBNF, not
llguidance Lark.  This covers the Lark subset lowering produces: rules and
terminals, string literals, `/regex/` terminals (translated through Python's
own regex parser), grouping, `[...]`, `? * +`, `{n}`, `{m,n}` and `~ n..m`.
Anything else raises `Untranslatable`; the backend then sends no grammar and
relies on the client-side re-check (every result is checked anyway).
"""

from __future__ import annotations

import re
from re import _constants as C  # noqa: N812 - the stdlib's own names
from re import _parser as sre

Node = tuple


class Untranslatable(ValueError):
    """The grammar uses a construct GBNF (or this translator) cannot express."""


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


def _char(code: int, in_class: bool) -> str:
    ch = chr(code)
    special = '"\\' if not in_class else "]\\^-["
    if ch in special:
        return "\\" + ch
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02X}"
    return ch


def _literal(text: str) -> str:
    return '"' + "".join(_char(ord(c), False) for c in text) + '"'


_CATEGORIES = {
    C.CATEGORY_DIGIT: (False, [(48, 57)]),
    C.CATEGORY_NOT_DIGIT: (True, [(48, 57)]),
    C.CATEGORY_SPACE: (False, [(32, 32), (9, 13)]),
    C.CATEGORY_NOT_SPACE: (True, [(32, 32), (9, 13)]),
    C.CATEGORY_WORD: (False, [(48, 57), (65, 90), (97, 122), (95, 95)]),
    C.CATEGORY_NOT_WORD: (True, [(48, 57), (65, 90), (97, 122), (95, 95)]),
}


def _class(items: list) -> str:
    negate = False
    ranges: list[tuple[int, int]] = []
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            ranges.append((arg, arg))
        elif op is C.RANGE:
            ranges.append(arg)
        elif op is C.CATEGORY:
            neg, cat = _CATEGORIES.get(arg, (None, None))
            if neg is None or neg:
                raise Untranslatable("negated or unicode category inside a class")
            ranges.extend(cat)
        else:
            raise Untranslatable(f"regex class item {op}")
    body = "".join(_char(a, True) if a == b else f"{_char(a, True)}-{_char(b, True)}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


class _Emitter:
    def __init__(self) -> None:
        self.rules: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.counter = 0

    def name(self, lark_name: str) -> str:
        if lark_name not in self.names:
            self.names[lark_name] = "root" if lark_name == "start" else "r-" + re.sub(
                r"[^a-z0-9]+", "-", lark_name.lower()) + f"-{len(self.names)}"
        return self.names[lark_name]

    def fresh(self, body: str) -> str:
        self.counter += 1
        name = f"g-{self.counter}"
        self.rules[name] = body
        return name

    def node(self, node: Node) -> str:
        kind = node[0]
        if kind == "lit":
            return _literal(node[1]) if node[1] else '""'
        if kind == "ref":
            return self.name(node[1])
        if kind == "seq":
            parts = [self.node(n) for n in node[1]]
            return " ".join(parts) if parts else '""'
        if kind == "alt":
            return "(" + " | ".join(self.node(n) for n in node[1]) + ")"
        if kind == "rep":
            return self.repeat(self.node(node[1]), node[2], node[3])
        if kind == "re":
            if node[2]:
                raise Untranslatable("regex flags are not translated")
            try:
                parsed = sre.parse(node[1])
            except re.error as exc:
                raise Untranslatable(f"bad regex: {exc}") from None
            return self.regex(list(parsed))
        raise Untranslatable(kind)

    def repeat(self, inner: str, low: int, high: int | None) -> str:
        group = f"({inner})"
        if (low, high) == (0, 1):
            return group + "?"
        if (low, high) == (0, None):
            return group + "*"
        if (low, high) == (1, None):
            return group + "+"
        return group + (f"{{{low},}}" if high is None else f"{{{low},{high}}}")

    def regex(self, items: list) -> str:
        parts = []
        for op, arg in items:
            if op is C.LITERAL:
                parts.append(_literal(chr(arg)))
            elif op is C.NOT_LITERAL:
                parts.append(f"[^{_char(arg, True)}]")
            elif op is C.ANY:
                parts.append("[^\\n]")
            elif op is C.IN:
                parts.append(_class(list(arg)))
            elif op is C.CATEGORY:
                parts.append(_class([(C.CATEGORY, arg)]))
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
                low, high, sub = arg
                parts.append(self.repeat(self.regex(list(sub)), low, None if high is C.MAXREPEAT else high))
            elif op is C.SUBPATTERN:
                parts.append("(" + self.regex(list(arg[-1])) + ")")
            elif op is C.BRANCH:
                parts.append("(" + " | ".join(self.regex(list(b)) for b in arg[1]) + ")")
            else:
                raise Untranslatable(f"regex construct {op} has no GBNF form")
        return " ".join(parts) if parts else '""'


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
    out.extend(f"{name} ::= {body}" for name, body in emitter.rules.items())
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

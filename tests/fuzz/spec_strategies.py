"""Hypothesis strategies that write `.synth` specs from the grammar (synthspec/grammar/synth.lark).

Every production of the dataset grammar is reachable: each statement kind, each field type with its
options, text properties, `when` blocks, counterfactual axes, techniques, validators and model blocks.
Names come from a small pool so that references sometimes resolve and sometimes do not; numbers, strings
and regexes include the edge values the checker must catch (negatives, fractions, 40-digit integers,
lookarounds, empty classes, escapes).  The output is always syntactically valid; whether it is a *good*
spec is for the checker to say.
"""

from __future__ import annotations

from hypothesis import strategies as st

from synthspec.parse.strings import escape_string

NAMES = ["text", "body", "s", "label", "n", "p", "b", "code", "x", "y", "count", "words", "nosuch"]
LABELS = ["a", "b", "card", "refund", "damn", "x y", "café", ""]
REGEXES = ["[A-Z]{3}-[0-9]{6}", "\\d+", "[a-z]{1,8}", "(?=a)b", "[^\\s\\S]", "a{1000000000}", "(a)\\1",
           "x|y", "\\bscam\\b", "^[A-Z]+$", "[a-", ".*", "a\\/b", "[0-9]{2,4}(\\.[0-9]{2})?"]
TEMPLATES = ["{{ s }}", "{{ n * 2 }}", "{{ x }}-{{ y }}", "{{ s.__class__ }}", "{% include 'a' %}", "{{ nosuch }}",
             "{{ s | upper }}", "{{ 10 / n }}", "{{ ", "{% for w in text.split() %}{{ w }}{% endfor %}"]

name = st.sampled_from(NAMES)
integer_text = st.one_of(st.integers(-3, 60).map(str),
                         st.sampled_from(["0", "-1", "10000", "9223372036854775808", "1" + "0" * 40]))
number_text = st.one_of(integer_text, st.sampled_from(["0.5", "1.5", "-0.1", "0.25", "0.75", "2.0", "99.99"]))
string = st.one_of(st.sampled_from(LABELS), st.text(alphabet="ab \"\\\n\t/é", max_size=6)).map(escape_string)
regex = st.sampled_from(REGEXES).map(lambda r: f"/{r}/")


@st.composite
def rng(draw, whole: bool = True) -> str:
    if draw(st.integers(0, 3)):  # mostly a sensible range, so that lowering gets to run
        low = draw(st.integers(1, 12))
        high = low + draw(st.integers(0, 40))
        return f"{low}..{high}" if whole else f"{low}.5..{high}.75"
    low = draw(integer_text if whole else number_text)
    high = draw(integer_text if whole else number_text)
    return f"{low}..{high}"


@st.composite
def value(draw) -> str:
    return draw(st.one_of(string, number_text, st.sampled_from(["true", "false"]), name, regex,
                          st.lists(st.one_of(string, name), max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")))


@st.composite
def category(draw) -> str:
    if draw(st.booleans()) and draw(st.booleans()):
        return "category from seeds"
    values = draw(st.lists(st.tuples(string, st.one_of(st.none(), number_text)), max_size=4))
    body = ", ".join(v if w is None else f"{v} = {w}" for v, w in values)
    return f"category({body})" + (" from seeds" if draw(st.booleans()) and not draw(st.booleans()) else "")


@st.composite
def text_type(draw) -> str:
    props = draw(st.lists(st.one_of(
        rng().map(lambda r: f"words {r}"),
        rng().map(lambda r: f"chars {r}"),
        st.one_of(name, string).map(lambda v: f"tone {v}"),
        string.map(lambda v: f"style {v}"),
        st.lists(st.one_of(name, string), min_size=1, max_size=3).map(lambda xs: "must include " + ", ".join(xs)),
        forbid(),
    ), max_size=4))
    return "text" if not props and draw(st.booleans()) else "text { " + " ".join(props) + " }"


@st.composite
def forbid(draw) -> str:
    items = draw(st.lists(st.one_of(
        st.sampled_from(["pii", "profanity", "banned", "nosuch"]),
        string.map(lambda s: s + (" case sensitive" if len(s) % 2 else "")),
        regex,
    ), min_size=1, max_size=3))
    return "must not include " + ", ".join(items)


@st.composite
def field_type(draw) -> str:
    return draw(st.one_of(
        category(),
        st.tuples(rng(), st.booleans()).map(lambda t: f"integer {t[0]}" + (" from seeds" if t[1] else "")),
        st.just("integer from seeds"),
        st.tuples(rng(whole=False), st.one_of(st.none(), integer_text, number_text)).map(
            lambda t: f"decimal {t[0]}" + (f" places {t[1]}" if t[1] is not None else "")),
        st.one_of(st.none(), number_text).map(lambda p: "boolean" if p is None else f"boolean({p})"),
        regex.map(lambda r: f"string {r}"),
        text_type(),
        st.sampled_from(TEMPLATES).map(lambda t: f"derived {escape_string(t)}"),
    ))


@st.composite
def args(draw) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(["shots", "field", "target", "threshold", "novelty", "edits",
                                                     "per_seed", "attributes", "fields", "nosuch"]), value()),
                          max_size=3))
    return "(" + ", ".join(f"{k} = {v}" for k, v in pairs) + ")"


@st.composite
def when(draw) -> str:
    conditions = draw(st.lists(st.tuples(name, st.sampled_from(["==", "!="]),
                                         st.one_of(string, number_text, st.sampled_from(["true", "false"]))),
                               min_size=1, max_size=3))
    rules = draw(st.lists(st.tuples(name, st.one_of(
        st.lists(st.one_of(name, string), min_size=1, max_size=2).map(lambda xs: "must include " + ", ".join(xs)),
        forbid())), max_size=2))
    head = " and ".join(f"{f} {op} {v}" for f, op, v in conditions)
    return f"when {head} {{ " + " ".join(f"{t} {r}" for t, r in rules) + " }"


@st.composite
def statement(draw) -> str:
    """A statement that may repeat in a dataset (and, now and then, one that may not)."""
    return draw(st.one_of(
        st.lists(string, max_size=3).map(lambda xs: "list banned = [" + ", ".join(xs) + "]"),
        forbid(),
        when(),
        st.tuples(name, string, string, st.booleans(), st.lists(name, max_size=2)).map(
            lambda t: f"counterfactual {t[0]}: {t[1]} {'<->' if t[3] else '->'} {t[2]}"
                      + (" keep " + ", ".join(t[4]) if t[4] else "")),
        st.lists(st.tuples(st.sampled_from(["schema", "dedup", "bias", "forbidden", "nosuch"]),
                           st.one_of(st.just(""), args()), st.sampled_from(["", " drop", " flag", " fail"]),
                           st.sampled_from(["", " required"])), min_size=1, max_size=3).map(
            lambda us: "validate " + ", ".join(f"{n}{a}{p}{r}" for n, a, p, r in us)),
        number_text.map(lambda n: f"count {n}"),
    ))


SINGLES = [
    st.one_of(st.integers(1, 40).map(lambda n: f"count {2 * n}"), number_text.map(lambda n: f"count {n}")),
    integer_text.map(lambda n: f"seed {n}"),
    st.sampled_from(['output "o.jsonl"', 'output "o.csv" format csv', 'output "o.x" format xml']),
    st.sampled_from(['seeds "seeds.jsonl"', 'seeds "seeds.jsonl" { text <- "text" label <- "label" }',
                     'seeds "seeds.jsonl" { text <- "text" text <- "label" }', 'seeds "missing.jsonl"']),
    st.tuples(st.sampled_from(["plain", "plain", "self_instruct", "paraphrase", "counterfactual", "adversarial",
                               "gap_filling", "magic"]), st.one_of(st.just(""), args())).map(
        lambda t: f"technique {t[0]}{t[1]}"),
    st.lists(st.tuples(st.sampled_from(["temperature", "top_p", "top_k", "backend", "max_tokens", "nosuch"]),
                       value()), max_size=3).map(lambda ps: "model { " + " ".join(f"{k} {v}" for k, v in ps) + " }"),
]


@st.composite
def spec_text(draw) -> str:
    """A whole file: shared lists and fields, then one dataset of fields, single and repeated statements."""
    top = draw(st.lists(st.one_of(
        st.lists(string, max_size=2).map(lambda xs: "list shared = [" + ", ".join(xs) + "]"),
        st.tuples(name, field_type()).map(lambda t: f"field {t[0]}: {t[1]}"),
    ), max_size=2))
    fields = draw(st.lists(st.tuples(name, field_type()), min_size=1, max_size=5, unique_by=lambda t: t[0]))
    body = [f"field {n}: {t}" for n, t in fields]
    for single in SINGLES:
        if draw(st.integers(0, 2)) == 0:
            body.append(draw(single))
    body += draw(st.lists(statement(), max_size=3))
    order = draw(st.permutations(body))
    comment = "  # a comment\n" if draw(st.booleans()) else ""
    return "\n".join(top) + "\ndataset d {\n" + comment + "\n".join(f"  {s}" for s in order) + "\n}\n"


@st.composite
def tame_spec_text(draw) -> str:
    """A mostly valid spec, so that lowering (grammars, includes, rules) gets exercised, not just the checker."""
    labels = draw(st.lists(st.sampled_from(["card", "refund", "transfer", "damn", "two words", "a+b", "café"]),
                           min_size=1, max_size=4, unique=True))
    lines = ["count " + str(2 * draw(st.integers(1, 30))),
             "field s: category(" + ", ".join(escape_string(lab) for lab in labels) + ")",
             f"field n: integer {draw(rng())}",
             f"field b: boolean({draw(st.sampled_from(['0', '0.3', '1']))})"]
    if draw(st.booleans()):
        lines.append(f"field code: string /{draw(st.sampled_from(REGEXES))}/")
    low = draw(st.integers(1, 30))
    props = [f"words {low}..{low + draw(st.integers(0, 60))}"]
    includes = draw(st.lists(st.one_of(st.sampled_from(["s", "n", "code"]), string), max_size=4))
    if includes:
        props.append("must include " + ", ".join(includes))
    if draw(st.booleans()):
        props.append(draw(forbid()))
    lines.append("field text: text { " + " ".join(props) + " }")
    if draw(st.booleans()):
        lines.append("field other: text { words 1..12 must include s }")
    for _ in range(draw(st.integers(0, 3))):
        cond = draw(st.sampled_from([f"s == {escape_string(labels[0])}", f"s != {escape_string(labels[-1])}",
                                     "b == true", "n == 3", "n != 2"]))
        rule = draw(st.sampled_from(["must include", "must not include"]))
        lines.append(f"when {cond} {{ text {rule} {draw(string)} }}")
    if draw(st.booleans()):
        lines.append(f"field d: derived {escape_string(draw(st.sampled_from(TEMPLATES)))}")
    return "dataset d {\n" + "\n".join(f"  {line}" for line in lines) + "\n}\n"


any_spec_text = st.one_of(spec_text(), tame_spec_text())

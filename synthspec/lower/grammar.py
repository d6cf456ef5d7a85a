"""Generated field → llguidance Lark grammar (plus a token budget).

Text is lowered *word by word*.  One regex for a whole 150-word text intersected
with forbidden terms (`/(W ){49,149}W/ & ~/.*term.*/`) makes llguidance's lexer
give up ("too many expressions constructed"), while a small word terminal
intersected with the negations compiles instantly.  So:

* a word is a terminal: ASCII letters, digits and punctuation (no `@`, no
  whitespace), minus every forbidden term as a *whole word* (case variants
  spelled out as `[Aa]` classes), minus phone/card-length digit runs;
* the word count, the `must include` items and the PII rule that two
  digit-bearing words may not stand side by side ("555 123 4567") form a small
  automaton; it is unrolled against the word counter into plain left-recursive
  rules `n<k>_<state>` ("k words so far, automaton in state") — plain Lark, so
  the GBNF translator of the server backend can read it too;
* the value starts with one space (the prompt ends at `Label:`, and the model's
  tokens carry their leading space) and ends with the stop, a newline.

What a word-level grammar cannot see (multi-word forbidden phrases, regexes that
may span words, character limits) is reported by `notes_for` and re-checked by
`verify_record`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import Forbidden, IntRange, PatternField, Spec, TextField
from synthspec.lower.constraints import Resolved, terms_of
from synthspec.lower.regex import (
    NOT_WORD,
    Unsupported,
    can_match_space,
    case_expand,
    escape,
    escape_char,
    pii_run,
    strip_word_boundaries,
    to_llg,
    whole_word,
)

STOP = "\n"
DEFAULT_MAX_WORDS = 200
# A word is bounded (and must hold a letter or digit): an unbounded word class let the model
# spend its whole token budget on one run of dashes.
MAX_WORD_CHARS = 16
# Words with digits are intersected with the PII exclusion and the forbidden terms; llguidance's
# lexer runs out of expressions ("too many expressions constructed") when such a word may be long
# (or unbounded), so they get a tight bound.
MAX_DIGIT_WORD_CHARS = 8
MAX_GRAMMAR_INCLUDES = 3
# The unrolled automaton (includes, PII) has a rule per word position; llguidance's grammar compiler overflows its
# stack on a chain of ~3,000 (measured: 2,500 compiles, 3,000 crashes the process), so beyond this it is refused.
MAX_UNROLLED_WORDS = 2000
# Gemma 3 tokenizer: 1.2-1.3 tokens/word on the seed texts, p95 1.7, max 2.3.  The budget must hold the
# longest text the grammar allows from any model, including a weak one spelling out odd words
# piecewise, so it is set well above that: an unused budget costs nothing.
TOKENS_PER_WORD = 5
PATTERN_DEFAULT_CHARS = 64


@dataclass
class Lowered:
    """A grammar, its token budget and what it leaves to the post-generation check."""

    grammar: str
    max_tokens: int
    unenforced: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ word bounds and budget


def word_bounds(f: TextField) -> tuple[int, int]:
    """(min, max) words the grammar allows: the `words` limit, else one derived from `chars`."""
    if f.words is not None:
        return max(1, f.words.min), max(1, f.words.max)
    if f.chars is not None:
        return 1, max(1, (f.chars.max + 1) // 2)
    return 1, DEFAULT_MAX_WORDS


def _bare_word(digits: bool) -> str:
    """The letters of a word: a run of letters (and digits), at most two more runs joined by a period,
    hyphen or ampersand ("e-mail", "U.S.", "$10.48", "AT&T"), then at most one short apostrophe suffix
    ("don't", "bank's") — never two ("money's's").  No slash: the embedded model glued lists of
    alternatives with it ("from/to/by", "create/update/change"); dates and "24/7" are digit words."""
    core = "A-Za-z0-9" if digits else "A-Za-z"
    lead = "\\$?" if digits else ""
    joiners = "".join(escape_char(c, True) for c in ".-&")
    return (f"{lead}[{core}][{core}]{{0,{MAX_WORD_CHARS - 1}}}([{joiners}][{core}]{{1,12}}){{0,2}}"
            f"('[A-Za-z]{{1,2}})?{'%?' if digits else ''}")


def _wrapped(bare: str, closing: str) -> str:
    """`bare` alone or in double quotes — opened and closed within the word, so no text is left with
    an unbalanced quote — then `closing` (trailing punctuation).  A quoted word may hold punctuation
    before its closer (`"quoted,"`); as the last word of a text that must end a sentence it may also
    end on it inside (`"done."`).  No brackets: the embedded model's one-word parentheticals were
    noise ("(I've)", "(You'll)"), its longer ones loops ("(search: ...) (search: ...)")."""
    inner = "[,.;:!?]{0,2}"
    forms = f'({bare}|"{bare}{inner}"){closing}'
    if closing == SENTENCE_CLOSING:
        forms = f'({forms}|"{bare}{SENTENCE_CLOSING}")'
    return forms


# What may follow a word: inside a text any ordinary punctuation; at the end a sentence end (when the
# seeds' texts end on one) or nothing / a sentence end — never a comma or colon that promises more, nor
# "..." that trails off, nor "!!!".
MID_CLOSING = "[,.;:!?]{0,3}"
END_CLOSING = "(\\.|[!?]{1,2})?"
SENTENCE_CLOSING = "(\\.|[!?]{1,2})"


def shaped_word(digits: bool = True, closing: str = MID_CLOSING) -> str:
    """A word as people write one (see `_bare_word`), optionally quoted, then punctuation.

    A bag of letters and punctuation in any order let a small model glue a phrase into one "word"
    ("good.I'mnotsure", "forme-to-be/mybank(s"), end a text inside a number ("107-165-") or open a
    parenthesis it never closed; this shape keeps words readable, bounded and balanced.
    """
    return _wrapped(_bare_word(digits), closing)


def digit_word(closing: str = MID_CLOSING) -> str:
    """A word holding a digit ("2", "$10.48", "24h", "1,000", "ABC-123456"): at most three letters
    before the first digit, one joined run after, the same wrapping and punctuation as other words.
    Kept short on purpose: llguidance's lexer runs out of expressions on long digit words intersected
    with the PII exclusion."""
    joiners = "".join(escape_char(c, True) for c in ".,-/:")
    tail = MAX_DIGIT_WORD_CHARS - 1
    bare = f"\\$?[A-Za-z]{{0,3}}[0-9][A-Za-z0-9]{{0,{tail}}}([{joiners}][A-Za-z0-9]{{1,{tail}}})?%?"
    return _wrapped(bare, closing)


def narrowed(f: TextField, low: int, high: int) -> TextField:
    """`f` with its word limits narrowed to [low, high] (clamped into its own limits, never widened)."""
    own_low, own_high = word_bounds(f)
    low = min(max(low, own_low), own_high)
    high = max(min(high, own_high), low)
    return f.model_copy(update={"words": IntRange(min=low, max=high)})


def text_budget(max_words: int, includes: list[str]) -> int:
    """Tokens for the longest valid text: words at a generous rate plus one token per included char."""
    return math.ceil(TOKENS_PER_WORD * max_words) + sum(len(t) + 2 for t in includes) + 8


# ------------------------------------------------------------------ forbidden items → word regexes


@dataclass
class WordRules:
    """Negative lookups applied to every word, the PII switch, and what stays unenforced."""

    negations: list[str] = field(default_factory=list)
    pii: bool = False
    unenforced: list[str] = field(default_factory=list)


def word_rules(forbidden: tuple[Forbidden, ...]) -> WordRules:
    """Turn forbidden items into per-word negated regexes, noting what a word grammar cannot hold."""
    rules = WordRules()
    single: dict[bool, list[str]] = {True: [], False: []}
    for item in forbidden:
        if item.kind == "class":
            if item.name == "pii":
                rules.pii = True
            else:
                rules.unenforced.append(f"`{item.name}` is not a class the grammar knows; checked after")
            continue
        if item.kind == "regex":
            negation = _regex_negation(item)
            if negation is None:
                rules.unenforced.append(f"must not include /{item.pattern}/: may span words, checked after")
            else:
                rules.negations.append(negation)
            continue
        for term in terms_of(item):
            term = term.strip()
            if not term:
                continue
            if any(ch.isspace() for ch in term):
                rules.unenforced.append(f"must not include {term!r}: a phrase of several words, checked after")
            else:
                single[item.case_sensitive].append(term)
    for case_sensitive, terms in single.items():
        if terms:
            unique = sorted(set(terms), key=lambda t: (-len(t), t))
            body = "|".join(escape(t) if case_sensitive else case_expand(t) for t in unique)
            rules.negations.append(whole_word(body))
    return rules


def _regex_negation(item: Forbidden) -> str | None:
    """A per-word negation for a forbidden regex, or None when it cannot be confined to one word."""
    pattern = item.pattern or ""
    body, start, end = strip_word_boundaries(pattern)
    if not body or can_match_space(body, not item.case_sensitive):
        return None
    try:
        converted = to_llg(body, ignore_case=not item.case_sensitive)
    except Unsupported:
        return None
    before = f"(.*{NOT_WORD})?" if start else ".*"
    after = f"({NOT_WORD}.*)?" if end else ".*"
    return f"{before}(?:{converted}){after}"


# ------------------------------------------------------------------ the automaton × counter


@dataclass(frozen=True)
class _Include:
    terminal: str
    regex: str
    words: int
    ends_digit: bool


def _terminal(base: str, negations: list[str]) -> str:
    """`base` minus every negation, merged into ONE `~/a|b/`: separate `& ~/a/ & ~/b/` terms
    exhaust llguidance's lexer fuel as soon as a word class is itself a concatenation."""
    if not negations:
        return base
    return f"{base} & ~/" + "|".join(f"(?:{n})" for n in negations) + "/"


def _include_regex(text: str, closing: str) -> str:
    """An included value as written, then punctuation (not bracketed: a small model otherwise tacks
    "(ABC-123456)" on at the end instead of using the value in a sentence)."""
    return f"/{escape(text)}{closing}/"


# The last word of a text gets its own terminal, `<NAME>_END`: the same word with the ending's punctuation.
END_SUFFIX = "_END"


def text_grammar(f: TextField, resolved: Resolved, sentence_end: bool = False) -> Lowered:
    """The grammar of text field `f` for one record (includes already resolved to literal text).

    The last word is a terminal of its own (`WORD_END`, ...) that ends cleanly: never inside a word or
    number, never on a comma or colon, and — with `sentence_end`, set when the seeds' texts mostly
    end that way — on `.`, `!` or `?`.
    """
    low, high = word_bounds(f)
    rules = word_rules(resolved.forbidden)
    unenforced = list(rules.unenforced)
    if f.chars is not None:
        unenforced.append(f"{f.name}: {f.chars.min}..{f.chars.max} characters is checked after generation")
    if f.no_repeat:
        unenforced.append(f"{f.name}: no word {f.no_repeat}-gram twice — masked by local samplers, checked after")
    texts = [text for text, _ in resolved.includes]
    grammar_includes = texts[:MAX_GRAMMAR_INCLUDES]
    for text in texts[MAX_GRAMMAR_INCLUDES:]:
        unenforced.append(f"must include {text!r}: more than {MAX_GRAMMAR_INCLUDES} includes, checked after")
    includes = [
        _Include(f"INC{i}", _include_regex(text, MID_CLOSING), max(1, len(text.split())),
                 text.rstrip()[-1:].isdigit())
        for i, text in enumerate(grammar_includes)
    ]
    ending = SENTENCE_CLOSING if sentence_end else END_CLOSING
    budget = text_budget(high, texts)
    lines = ["%llguidance {}", ""]
    classes: dict[str, str] = {}
    if rules.pii:
        for suffix, closing in (("", MID_CLOSING), (END_SUFFIX, ending)):
            classes["ALPHA" + suffix] = _terminal(f"/{shaped_word(False, closing)}/", rules.negations)
            classes["DIGITS" + suffix] = _terminal(f"/{digit_word(closing)}/", [f".*{pii_run()}.*"] + rules.negations)
    else:
        for suffix, closing in (("", MID_CLOSING), (END_SUFFIX, ending)):
            classes["WORD" + suffix] = _terminal(f"/{shaped_word(True, closing)}/", rules.negations)
    if not includes and not rules.pii:
        repeat = f'(WORD " "){{{low - 1},{high - 1}}} ' if high > 1 else ""
        lines.append(f'start: " " {repeat}WORD_END "\\n"')
    else:
        lines.append('start: " " body "\\n"')
        lines.extend(_unrolled(low, high, includes, rules.pii))
    lines.append("")
    for name, body in classes.items():
        lines.append(f"{name}: {body}")
    for inc in includes:
        lines.append(f"{inc.terminal}: {inc.regex}")
        lines.append(f"{inc.terminal}{END_SUFFIX}: {_include_regex(grammar_includes[int(inc.terminal[3:])], ending)}")
    return Lowered("\n".join(lines) + "\n", budget, unenforced)


def _unrolled(low: int, high: int, includes: list[_Include], pii: bool) -> list[str]:
    """Rules `r<k>_<flags>_<digit>`: the rest of the text after k words, in automaton state (flags, digit).

    They depend on the includes' terminal names, lengths and last characters only, not on their text, so
    configurations that include different values of the same shape share one unrolling (`check` lowers a text
    field once per configuration of its rules: the flagship asks for the same two unrollings twice, ~5 ms each).
    """
    return list(_unrolled_rules(low, high, tuple((inc.terminal, inc.words, inc.ends_digit) for inc in includes), pii))


@lru_cache(maxsize=64)
def _unrolled_rules(low: int, high: int, includes: tuple[tuple[str, int, bool], ...], pii: bool) -> tuple[str, ...]:
    """`_unrolled` for includes given as (terminal, words, ends_digit).

    Right-recursive on purpose: a left-recursive unrolling predicts every
    (k, state) rule at the first word, which overflows llguidance's 2000-item
    row limit at 150 words × 8 states; right recursion predicts one level at
    a time (rows stay at O(states) items, plus O(k) when a text may end).
    """
    if high > MAX_UNROLLED_WORDS:
        raise SynthspecError(Diagnostic(
            code=codes.UNROLLED_TEXT_TOO_LONG, message=f"a text that must include values or must not include pii may have at most "
                                 f"{MAX_UNROLLED_WORDS:,} words, not {high:,}",
            hint="lower the word limit; the grammar counts words one rule per position"))
    full = (1 << len(includes)) - 1
    start_state = (0, 0)

    table: dict[tuple[int, int], list[tuple[str, int, tuple[int, int]]]] = {}

    def moves(state: tuple[int, int]) -> list[tuple[str, int, tuple[int, int]]]:
        """The moves out of `state`, worked out once per state (the passes below ask ~10,000 times)."""
        found = table.get(state)
        if found is None:
            found = table[state] = _moves(state)
        return found

    def _moves(state: tuple[int, int]) -> list[tuple[str, int, tuple[int, int]]]:
        flags, digit = state
        out: list[tuple[str, int, tuple[int, int]]] = []
        if pii:
            out.append(("ALPHA", 1, (flags, 0)))
            if not digit:
                out.append(("DIGITS", 1, (flags, 1)))
        else:
            out.append(("WORD", 1, (flags, 0)))
        for i, (terminal, words, ends_digit) in enumerate(includes):
            if not flags & (1 << i):
                out.append((terminal, words, (flags | (1 << i), int(pii and ends_digit))))
        return out

    # forward: which (k, state) can be reached from the empty text
    reach: dict[int, set[tuple[int, int]]] = {0: {start_state}}
    for k in range(0, high):
        for state in reach.get(k, ()):
            for _, words, nxt in moves(state):
                if k + words <= high:
                    reach.setdefault(k + words, set()).add(nxt)
    # backward: which of those can still end in an accepting (k, state)
    alive: set[tuple[int, tuple[int, int]]] = set()
    for k in range(high, -1, -1):
        for state in reach.get(k, ()):
            if (low <= k and state[0] == full) or any(
                (k + w, n) in alive for _, w, n in moves(state) if k + w <= high
            ):
                alive.add((k, state))

    def name(k: int, state: tuple[int, int]) -> str:
        return f"r{k}_{state[0]}_{state[1]}"

    def can_stop(k: int, state: tuple[int, int]) -> bool:
        return low <= k and state[0] == full

    goes_on: dict[tuple[int, tuple[int, int]], bool] = {}  # per target: can a word follow it (many reach one)

    def continues(target: tuple[int, tuple[int, int]]) -> bool:
        found = goes_on.get(target)
        if found is None:
            found = goes_on[target] = any((target[0] + w, n) in alive for _, w, n in moves(target[1]))
        return found

    lines = [f"body: {name(0, start_state)}"]
    for k, state in sorted(alive):
        alts = []
        for terminal, words, nxt in moves(state):
            target = (k + words, nxt)
            if target not in alive:
                continue
            if can_stop(*target):
                alts.append(terminal + END_SUFFIX)
            if continues(target):
                alts.append(f'{terminal} " " {name(*target)}')
        if alts:
            lines.append(f"{name(k, state)}: " + " | ".join(alts))
    if (0, start_state) not in alive:
        raise SynthspecError(Diagnostic(
            code=codes.MUST_INCLUDE_UNFITTABLE, message=f"no text of {low}..{high} words can hold every `must include` item",
            hint="raise the word limit or include fewer things"))
    return tuple(lines)


# ------------------------------------------------------------------ minimal edits of a given text


# A replacement word in an edit: letters/digits with at most one inner apostrophe or hyphen, a little
# punctuation around it — not the free-text word class, whose inner punctuation lets a model glue a
# whole phrase into one "word" ("good.I'mnotsure").
EDIT_WORD = "/[\"(]?[A-Za-z0-9]{1,16}(['\\-][A-Za-z0-9]{1,12})?[,.;:!?\")]{0,2}/"


def edit_grammar(f: TextField, resolved: Resolved, original: str, max_edits: int,
                 must_change: frozenset[int] = frozenset(), avoid: tuple[str, ...] = ()) -> Lowered:
    """Text that is `original` with 1..`max_edits` of its words replaced or deleted, nothing else.

    A counterfactual should change only what must change (humans change ~14 %
    of a review's words); free text lets a model rewrite it all.  Rules
    `e<i>_<k>` read "i original words dealt with, k changes so far": the next
    word is copied (literal), replaced by any allowed word, or dropped; the
    last state needs at least one change.  (A "replacement" may spell the
    same word again, so an unchanged text is refused after decoding, by the
    technique, not here: a per-position "any word but this one" terminal
    would mean a lexeme per word.)  Replacement words obey the field's
    forbidden terms and PII rule; copied words are the original's own.  The
    words at `must_change` positions (e.g. the ones that carry the label to
    flip) cannot be copied: they are replaced or dropped; and no replacement
    may be or begin with one of the `avoid` words (any case), e.g. the old
    label's own words.  (Not "contain": an unanchored `.*word.*` per word
    exhausts llguidance's lexer.)
    Insertions are left out on purpose: they make every position ambiguous
    with every other and the matcher's work grows out of hand.
    """
    words = original.split()
    n, k = len(words), max(1, max_edits, len(must_change))
    rules = word_rules(resolved.forbidden)
    negations = list(rules.negations) + ([f".*{pii_run()}.*"] if rules.pii else [])
    avoid_terms = sorted({t for t in avoid if t and not any(ch.isspace() for ch in t)}, key=lambda t: (-len(t), t))
    if avoid_terms:  # as a word, or as the start of one: "greatcharacters" must not smuggle "great" back
        body = "|".join(case_expand(t) for t in avoid_terms)
        negations.append(whole_word(body))
        negations.append(f'["(]?(?:{body})[A-Za-z0-9].*')
    word = _terminal(EDIT_WORD, negations)
    lines = ["%llguidance {}", "", 'start: e0_0 "\\n"']
    # a state can finish when some path from it makes at least one change before the end
    alive = {(n, e) for e in range(1, k + 1)}
    for i in range(n - 1, -1, -1):
        for e in range(k + 1):
            if ((i + 1, e) in alive and i not in must_change) or (e < k and (i + 1, e + 1) in alive):
                alive.add((i, e))
    for i, e in sorted(alive):
        alts = []
        if i == n:
            alts.append('""')
        else:
            if (i + 1, e) in alive and i not in must_change:
                alts.append(f'" " O{i} e{i + 1}_{e}')
            if e < k and (i + 1, e + 1) in alive:
                alts += [f'" " WORD e{i + 1}_{e + 1}', f"e{i + 1}_{e + 1}"]
        lines.append(f"e{i}_{e}: " + " | ".join(alts))
    lines.append("")
    lines.append(f"WORD: {word}")
    lines.extend(f"O{i}: {json.dumps(w, ensure_ascii=False)}" for i, w in enumerate(words))
    unenforced = list(rules.unenforced)
    low, high = word_bounds(f)
    if n - k < low or n > high:
        unenforced.append(f"{f.name}: {low}..{high} words is checked after generation (an edit keeps the original's)")
    return Lowered("\n".join(lines) + "\n", text_budget(n + k, []), unenforced)


# ------------------------------------------------------------------ pattern fields


def pattern_grammar(f: PatternField) -> Lowered:
    """Exactly the field's regex (full match), after one space, then the stop."""
    try:
        regex = to_llg(f.pattern)
    except Unsupported as exc:
        span = f.span
        raise SynthspecError(Diagnostic(
            code=codes.PATTERN_NOT_LOWERABLE, message=f"the pattern of `{f.name}` cannot be lowered to a grammar: {exc}",
            file=span.file if span else None, line=span.line if span else None,
            column=span.column if span else None,
            end_column=span.end_column if span and span.end_line == span.line else None,
            hint="use plain regex syntax: classes, groups, alternation and repeats")) from None
    budget = (f.max_length if f.max_length is not None else PATTERN_DEFAULT_CHARS) + 4
    grammar = f'%llguidance {{}}\n\nstart: " " VALUE "\\n"\nVALUE: /{regex}/\n'
    return Lowered(grammar, budget, [])


def pattern_error(f: PatternField) -> str | None:
    """Why a pattern field's regex cannot become a grammar (None when it can)."""
    try:
        to_llg(f.pattern)
    except Unsupported as exc:
        return str(exc)
    return None


def notes_for(spec: Spec) -> list[str]:
    """Every constraint of the spec the grammars cannot enforce, checked after generation instead."""
    notes: list[str] = []
    for f in spec.generated_fields:
        if isinstance(f, TextField):
            items = list(f.must_not_include)
            for rule in spec.constraints:
                if rule.target == f.name:
                    items.extend(rule.must_not_include)
            for note in word_rules(tuple(items)).unenforced:
                notes.append(f"{f.name}: {note}")
            if f.chars is not None:
                notes.append(f"{f.name}: the {f.chars.min}..{f.chars.max} character limit is checked after "
                             "generation (the grammar bounds words, not characters)")
            if f.words is None and f.chars is None and not f.words_from_seeds:
                notes.append(f"{f.name}: no length limit given; the grammar caps it at {DEFAULT_MAX_WORDS} words")
            if f.no_repeat:
                notes.append(f"{f.name}: no word {f.no_repeat}-gram may occur twice: masked while decoding where "
                             "the sampler supports it, re-checked after generation")
            if len(f.must_include) > MAX_GRAMMAR_INCLUDES:
                notes.append(f"{f.name}: only the first {MAX_GRAMMAR_INCLUDES} `must include` items are in the "
                             "grammar; the rest are checked after")
            if any(i.kind == "literal" for i in f.must_include) or any(
                    r.target == f.name and r.must_include for r in spec.constraints):
                notes.append(f"{f.name}: `must include` is matched case-insensitively after generation; the "
                             "grammar writes the included text exactly as given")
        elif isinstance(f, PatternField):
            problem = pattern_error(f)
            if problem:
                notes.append(f"{f.name}: /{f.pattern}/ cannot be a grammar ({problem}); checked after")
    return list(dict.fromkeys(notes))

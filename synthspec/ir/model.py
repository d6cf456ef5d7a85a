"""The typed, frozen intermediate representation of a `.synth` spec.

Everything after the checker (lowering, generation, validation, reports) consumes
these models and nothing else: the AST is a parsing detail, the IR is the
contract.  The IR is frozen so a stage cannot quietly change what a later stage
sees, and it serialises to JSON so golden files pin it down.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synthspec.ir.params import canonical_backend

IR_VERSION = 1
# The default `no repeat`: no word 4-gram twice in a text.  Measured on human text (docs/language.md): a repeated
# 4-gram occurs in 0.16 % of BANKING77 queries and 0-2.4 % of human texts under 50 words, while a repeated 3-gram is
# common in longer human prose (31-51 % of 50-150-word IMDb reviews / Dolly answers), so 3 would ban real writing.
DEFAULT_NO_REPEAT = 4


class Frozen(BaseModel):
    """Base for IR nodes: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(Frozen):
    """Where a construct came from, so later stages can point back at the spec."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


class IntRange(Frozen):
    """An inclusive range of whole numbers, e.g. `words 50..150`."""

    min: int
    max: int


class NumberRange(Frozen):
    """An inclusive range of numbers, e.g. `decimal 0.5..99.99`."""

    min: float
    max: float


# ---------------------------------------------------------------- fields


class CategoryField(Frozen):
    """A label drawn by the compiler, never by the model.

    `weights` are normalised to sum to 1.  With `from_seeds`, the weights are
    measured from the seed file at lowering time; `values` then restricts
    which labels are allowed (empty means: every label found in the seeds).
    """

    kind: Literal["category"] = "category"
    name: str
    values: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    from_seeds: bool = False
    span: Span | None = None


class IntegerField(Frozen):
    """A whole number drawn uniformly from a range (or from the seeds)."""

    kind: Literal["integer"] = "integer"
    name: str
    range: IntRange
    from_seeds: bool = False
    span: Span | None = None


class DecimalField(Frozen):
    """A decimal number drawn from a range, rounded to `places` digits."""

    kind: Literal["decimal"] = "decimal"
    name: str
    range: NumberRange
    places: int = 2
    from_seeds: bool = False
    span: Span | None = None


class BooleanField(Frozen):
    """A yes/no flag; `probability` is the chance of `true`."""

    kind: Literal["boolean"] = "boolean"
    name: str
    probability: float = 0.5
    span: Span | None = None


class PatternField(Frozen):
    """A short string decoded by the model under a regular expression.

    `pattern` is the full-match regex (Python/llguidance syntax, no anchors:
    lowering anchors it, since a JSON Schema pattern is a search).
    `min_length`/`max_length` are derived from the regex when it is bounded.
    """

    kind: Literal["pattern"] = "pattern"
    name: str
    pattern: str
    min_length: int | None = None
    max_length: int | None = None
    span: Span | None = None


class Include(Frozen):
    """Something a text must contain: a literal, or another field's value."""

    kind: Literal["literal", "field"]
    value: str
    span: Span | None = None


class Forbidden(Frozen):
    """Something a text must not contain.

    kind `list` carries its expanded `terms` (a user list or a built-in word
    class such as `profanity`), kind `class` names a structural class with no
    finite word list (`pii`), kind `literal` is one phrase, kind `regex` is a
    regular expression.  Matching is case-insensitive unless `case_sensitive`.
    """

    kind: Literal["list", "class", "literal", "regex"]
    name: str
    terms: tuple[str, ...] = ()
    pattern: str | None = None
    case_sensitive: bool = False
    span: Span | None = None


class Tone(Frozen):
    """The voice of a text: a fixed description, or the value of another field."""

    kind: Literal["literal", "field"]
    value: str


class TextField(Frozen):
    """Free text decoded by the model under a grammar built from its limits."""

    kind: Literal["text"] = "text"
    name: str
    words: IntRange | None = None
    #: each record's word bound is drawn from the seed texts' lengths (`words from seeds`)
    words_from_seeds: bool = False
    #: no word n-gram of this size may occur twice in the text (0 = off; `no repeat N`)
    no_repeat: int = DEFAULT_NO_REPEAT
    chars: IntRange | None = None
    tone: Tone | None = None
    style: str | None = None
    must_include: tuple[Include, ...] = ()
    must_not_include: tuple[Forbidden, ...] = ()
    span: Span | None = None


class DerivedField(Frozen):
    """A field computed from others by a sandboxed jinja2 template."""

    kind: Literal["derived"] = "derived"
    name: str
    template: str
    depends_on: tuple[str, ...] = ()
    span: Span | None = None


FieldSpec = Annotated[
    Union[
        CategoryField,
        IntegerField,
        DecimalField,
        BooleanField,
        PatternField,
        TextField,
        DerivedField,
    ],
    Field(discriminator="kind"),
]

SAMPLED_KINDS = frozenset({"category", "integer", "decimal", "boolean"})
GENERATED_KINDS = frozenset({"pattern", "text"})


# ---------------------------------------------------------------- rules


class Condition(Frozen):
    """`field == "value"` (or `!=`); conditions in one `when` are AND-ed."""

    field: str
    op: Literal["==", "!="]
    value: str | int | float | bool


class ConditionalConstraint(Frozen):
    """Extra includes/excludes on a text field, applied when all conditions hold."""

    conditions: tuple[Condition, ...]
    target: str
    must_include: tuple[Include, ...] = ()
    must_not_include: tuple[Forbidden, ...] = ()
    span: Span | None = None


class CounterfactualAxis(Frozen):
    """One axis to flip: `sentiment: negative <-> positive keep ... regenerate ...`.

    `mapping` maps each source value to its counterfactual value (a `<->` pair
    contributes both directions).
    """

    field: str
    mapping: dict[str, str]
    keep: tuple[str, ...] = ()
    regenerate: tuple[str, ...] = ()
    span: Span | None = None


class SeedSource(Frozen):
    """The real examples a spec is grounded in.

    `path` is as written; `resolved_path` is absolute, relative to the spec
    file.  `columns` maps field name -> column name in the file.
    """

    path: str
    resolved_path: str
    format: Literal["jsonl", "csv", "tsv"]
    columns: dict[str, str]
    id_column: str | None = None
    span: Span | None = None


Technique = Literal["plain", "self_instruct", "paraphrase", "counterfactual", "adversarial", "gap_filling"]  # = ir/params.TECHNIQUES
Policy = Literal["drop", "flag", "fail"]
Scalar = Union[str, int, float, bool, None]
ParamValue = Union[Scalar, list[Any], dict[str, Any]]


class TechniqueSpec(Frozen):
    name: Technique = "plain"
    params: dict[str, ParamValue] = {}
    span: Span | None = None


class ValidatorUse(Frozen):
    """A validator named in the spec, with its parameters and what to do on failure."""

    name: str
    params: dict[str, ParamValue] = {}
    policy: Policy | None = None
    required: bool = False
    span: Span | None = None


class ModelSpec(Frozen):
    """Which model runs and how it samples; `ref` None means the embedded default.

    The limits here are the ones the checker enforces on a spec's `model { }` block (it validates the block
    through this model), so they are stated once.  `backend` is stored by its canonical name (`hf` →
    `transformers`, see ir/params.py) when it names one.
    """

    backend: str | None = None
    ref: str | None = None
    servers: tuple[str, ...] = ()
    temperature: float = Field(0.8, ge=0.0, le=5.0, strict=True)
    top_p: float = Field(0.95, ge=0.0, le=1.0, strict=True)
    top_k: int | None = Field(None, ge=1, le=1_000_000, strict=True)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000, strict=True)
    # A small base model loops on its own phrases; a mild penalty on repeated tokens keeps texts varied.
    repeat_penalty: float = Field(1.1, ge=1.0, le=2.0, strict=True)
    # The server backend (None: its defaults, docs/scale.md). They decide how requests travel, not what a
    # record is, so the build identity leaves them out (TRANSPORT_SETTINGS).
    dialect: str | None = None
    per_server: int | None = Field(None, ge=1, le=4096, strict=True)
    retries: int | None = Field(None, ge=0, le=100, strict=True)
    timeout: float | None = Field(None, ge=0.1, le=86_400.0, strict=True)

    @field_validator("backend")
    @classmethod
    def _canonical_backend(cls, value: str | None) -> str | None:
        # an unknown name is kept as written: the checker (C097) and open_backend (M000) say what is wrong
        return None if value is None else canonical_backend(value) or value


#: model-block settings about reaching servers, not about sampling: outside the build identity
TRANSPORT_SETTINGS = ("servers", "dialect", "per_server", "retries", "timeout")


class OutputSpec(Frozen):
    path: str
    format: Literal["jsonl", "csv", "parquet"] = "jsonl"


class Spec(Frozen):
    """A whole compiled spec: the single input of every later stage."""

    ir_version: int = IR_VERSION
    name: str
    source_file: str
    count: int = 100
    seed: int = 0
    output: OutputSpec
    seeds: SeedSource | None = None
    lists: dict[str, tuple[str, ...]] = {}
    fields: tuple[FieldSpec, ...]
    constraints: tuple[ConditionalConstraint, ...] = ()
    counterfactuals: tuple[CounterfactualAxis, ...] = ()
    technique: TechniqueSpec = TechniqueSpec()
    validators: tuple[ValidatorUse, ...] = ()
    model: ModelSpec = ModelSpec()
    prompt_template: str | None = None
    notes: tuple[str, ...] = ()

    def field(self, name: str) -> FieldSpec:
        """The field called `name` (KeyError if there is none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def sampled_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.kind in SAMPLED_KINDS)

    @property
    def generated_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.kind in GENERATED_KINDS)

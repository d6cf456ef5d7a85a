"""The syntax tree of a `.synth` file: plain dataclasses, every node with its span.

The AST mirrors the source closely (statements in order, duplicates kept) so the
checker can point at exactly what the user wrote and the formatter can print it
back.  Meaning — defaults, resolution of names, normalised weights — belongs to
the checker and the IR, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Pos:
    """Source position of a node (1-based lines and columns; end is exclusive)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


NO_POS = Pos("<none>", 0, 0, 0, 0)


# ---------------------------------------------------------------- values


@dataclass
class Str:
    value: str
    pos: Pos = NO_POS


@dataclass
class Num:
    value: int | float
    text: str
    pos: Pos = NO_POS


@dataclass
class Bool:
    value: bool
    pos: Pos = NO_POS


@dataclass
class Name:
    value: str
    pos: Pos = NO_POS


@dataclass
class Regex:
    pattern: str
    pos: Pos = NO_POS


@dataclass
class ListValue:
    items: list[Value]
    pos: Pos = NO_POS


Value = Union[Str, Num, Bool, Name, Regex, ListValue]


@dataclass
class Range:
    low: Num
    high: Num
    pos: Pos = NO_POS


@dataclass
class Argument:
    name: str
    value: Value
    pos: Pos = NO_POS


# ---------------------------------------------------------------- field types


@dataclass
class CategoryValue:
    label: str
    weight: Num | None
    pos: Pos = NO_POS


@dataclass
class CategoryType:
    values: list[CategoryValue]
    from_seeds: bool
    pos: Pos = NO_POS


@dataclass
class IntegerType:
    range: Range | None
    from_seeds: bool
    pos: Pos = NO_POS


@dataclass
class DecimalType:
    range: Range
    places: int | float | None  # as written; the checker says when it is not a whole number in 0..12
    from_seeds: bool
    pos: Pos = NO_POS
    places_num: Num | None = field(default=None, compare=False)  # where `places` was written


@dataclass
class BooleanType:
    probability: Num | None
    pos: Pos = NO_POS


@dataclass
class StringType:
    pattern: Regex
    pos: Pos = NO_POS


@dataclass
class IncludeItem:
    """`must include` item: a field name or a literal string."""

    value: Name | Str
    pos: Pos = NO_POS


@dataclass
class ForbidItem:
    """`must not include` item: a list/class name, a literal, or a regex."""

    value: Name | Str | Regex
    case_sensitive: bool = False
    pos: Pos = NO_POS


@dataclass
class MustInclude:
    items: list[IncludeItem]
    pos: Pos = NO_POS


@dataclass
class MustNotInclude:
    items: list[ForbidItem]
    pos: Pos = NO_POS


@dataclass
class WordsProp:
    range: Range
    pos: Pos = NO_POS


@dataclass
class WordsFromSeeds:
    """`words from seeds`: each record's word bound is drawn from the seed texts' lengths."""

    pos: Pos = NO_POS


@dataclass
class NoRepeat:
    """`no repeat N`: no word n-gram of size N may occur twice in the text (0 turns the default off)."""

    size: int | float
    pos: Pos = NO_POS
    text: str = ""  # as written, for fmt


@dataclass
class CharsProp:
    range: Range
    pos: Pos = NO_POS


@dataclass
class ToneProp:
    value: Name | Str
    pos: Pos = NO_POS


@dataclass
class StyleProp:
    value: Str
    pos: Pos = NO_POS


TextProp = Union[WordsProp, WordsFromSeeds, NoRepeat, CharsProp, ToneProp, StyleProp, MustInclude, MustNotInclude]


@dataclass
class TextType:
    props: list[TextProp]
    pos: Pos = NO_POS

    @property
    def from_seeds(self) -> bool:
        """True with `words from seeds`: the field then needs seeds that map a column onto it."""
        return any(isinstance(p, WordsFromSeeds) for p in self.props)


@dataclass
class DerivedType:
    template: Str
    pos: Pos = NO_POS


FieldType = Union[CategoryType, IntegerType, DecimalType, BooleanType, StringType, TextType, DerivedType]


# ---------------------------------------------------------------- statements


@dataclass
class FieldDecl:
    name: Name
    type: FieldType
    pos: Pos = NO_POS


@dataclass
class ListDecl:
    name: Name
    items: ListValue | None
    file: Str | None
    pos: Pos = NO_POS


@dataclass
class Import:
    path: Str
    pos: Pos = NO_POS


@dataclass
class CountStmt:
    value: int | float  # as written (the checker refuses fractions and values below 1)
    pos: Pos = NO_POS


@dataclass
class SeedStmt:
    value: int | float  # as written (the checker refuses fractions and negatives)
    pos: Pos = NO_POS


@dataclass
class OutputStmt:
    path: Str
    format: Name | None
    pos: Pos = NO_POS


@dataclass
class ColumnMap:
    field: Name
    column: Str
    pos: Pos = NO_POS


@dataclass
class SeedsStmt:
    path: Str
    format: Name | None
    columns: list[ColumnMap] | None
    pos: Pos = NO_POS


@dataclass
class UseStmt:
    names: list[Name]
    pos: Pos = NO_POS


@dataclass
class PromptStmt:
    path: Str
    pos: Pos = NO_POS


@dataclass
class ForbidStmt:
    rule: MustNotInclude
    pos: Pos = NO_POS


@dataclass
class Condition:
    field: Name
    op: str
    value: Value
    pos: Pos = NO_POS


@dataclass
class TargetRule:
    target: Name
    rule: MustInclude | MustNotInclude
    pos: Pos = NO_POS


@dataclass
class WhenStmt:
    conditions: list[Condition]
    rules: list[TargetRule]
    pos: Pos = NO_POS


@dataclass
class Flip:
    source: Value
    target: Value
    both_ways: bool
    pos: Pos = NO_POS


@dataclass
class CounterfactualStmt:
    field: Name
    flips: list[Flip]
    keep: list[Name]
    regenerate: list[Name]
    pos: Pos = NO_POS


@dataclass
class TechniqueStmt:
    name: Name
    args: list[Argument]
    pos: Pos = NO_POS


@dataclass
class ValidatorUse:
    name: Name
    args: list[Argument]
    policy: str | None
    required: bool
    pos: Pos = NO_POS


@dataclass
class ValidateStmt:
    uses: list[ValidatorUse]
    pos: Pos = NO_POS


@dataclass
class ModelProp:
    name: Name
    value: Value
    pos: Pos = NO_POS


@dataclass
class ModelStmt:
    props: list[ModelProp]
    pos: Pos = NO_POS


Statement = Union[
    CountStmt,
    SeedStmt,
    OutputStmt,
    SeedsStmt,
    ListDecl,
    FieldDecl,
    UseStmt,
    WhenStmt,
    ForbidStmt,
    CounterfactualStmt,
    TechniqueStmt,
    ValidateStmt,
    ModelStmt,
    PromptStmt,
]


@dataclass
class Dataset:
    name: Name
    body: list[Statement]
    pos: Pos = NO_POS


@dataclass
class Comment:
    text: str
    line: int
    column: int


@dataclass
class SpecFile:
    """One parsed file: its top-level items in source order, plus its comments (for `fmt`)."""

    path: str
    items: list[Import | ListDecl | FieldDecl | Dataset]
    comments: list[Comment] = field(default_factory=list)

    @property
    def datasets(self) -> list[Dataset]:
        return [item for item in self.items if isinstance(item, Dataset)]

    @property
    def imports(self) -> list[Import]:
        return [item for item in self.items if isinstance(item, Import)]

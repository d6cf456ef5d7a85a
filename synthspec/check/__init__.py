"""Stage 3: semantic passes over the AST.

`PASSES` is the ordered list the checker runs; each pass is a small function
`(CheckContext) -> None` that reports diagnostics.  Order matters only where a
pass needs a table an earlier one built (imports → lists/fields → the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthspec.check import fields, resources, rules, settings, structure
from synthspec.check.context import CheckContext
from synthspec.parse import ast

Pass = Callable[[CheckContext], None]

PASSES: list[Pass] = [
    resources.load_imports,
    structure.choose_dataset,
    structure.duplicate_statements,
    structure.collect_lists,
    structure.collect_fields,
    structure.dataset_values,
    resources.list_files,
    fields.field_types,
    fields.pattern_fits,
    fields.derived_cycles,
    rules.dataset_bans,
    rules.when_rules,
    rules.counterfactuals,
    rules.contradictions,
    resources.seed_file,
    resources.prompt_file,
    settings.technique,
    settings.model_block,
    settings.validators,
]


def run_checks(
    spec_file: ast.SpecFile,
    sources: dict[str, str],
    validators: Mapping[str, Any] | None = None,
    dataset_name: str | None = None,
    validator_failures: Mapping[str, str] | None = None,
) -> CheckContext:
    """Run every pass; the returned context holds the diagnostics and the symbol tables."""
    ctx = CheckContext(main=spec_file, sources=sources, validators=validators, dataset_name=dataset_name,
                       validator_failures=validator_failures)
    for check_pass in PASSES:
        check_pass(ctx)
    return ctx


__all__ = ["PASSES", "CheckContext", "run_checks"]

"""`synthspec explain SPEC`: what a spec compiles to — the IR, each field's grammar, a rendered prompt.

`synthspec explain CODE` (e.g. `C030`, when no file of that name exists) prints the registry entry of a diagnostic
code instead, the way `rustc --explain` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from synthspec.cli.common import add_spec_argument, compile_for_cli

if TYPE_CHECKING:
    from synthspec.ir.model import Spec


def register(subparsers) -> None:
    parser = subparsers.add_parser("explain", help="show the IR, grammars and a rendered prompt of a spec, "
                                   "or explain a diagnostic code (synthspec explain C030)")
    add_spec_argument(parser)
    parser.add_argument("--record", type=int, default=0, metavar="I", help="which record to show (default 0)")
    parser.add_argument("--section", choices=("all", "ir", "grammar", "prompt"), default="all")
    parser.set_defaults(handler=run)


def load_seeds(spec: Spec):
    from synthspec.datafiles import load_seed_examples

    if spec.seeds is None:
        return []
    return load_seed_examples(spec.seeds.resolved_path, spec.seeds.format, dict(spec.seeds.columns),
                              spec.seeds.id_column)


def explain_code(code: str) -> int:
    """Print a diagnostic code's registry entry."""
    from synthspec import codes
    from synthspec.diagnostics import SynthspecError

    info = codes.lookup(code)
    if info is None:
        raise SynthspecError(f"no diagnostic code {code}", code=codes.UNKNOWN_CODE,
                             hint="docs/diagnostics.md lists every code")
    print(info.render(), end="")
    return 0


def run(args) -> int:
    from synthspec.codes import CODE_PATTERN

    if CODE_PATTERN.fullmatch(args.spec.upper()) and not Path(args.spec).exists():
        return explain_code(args.spec)
    from rich.console import Console
    from rich.syntax import Syntax

    from synthspec.lower import field_order, grammar_notes, plan_field, plan_records

    result = compile_for_cli(args.spec, args.dataset)
    spec = result.spec
    console = Console(highlight=False, soft_wrap=True)
    if args.section in ("all", "ir"):
        console.rule("IR")
        ir_json = json.dumps(spec.model_dump(mode="json", exclude_none=True), indent=2)
        console.print(Syntax(ir_json, "json", word_wrap=True))
    seeds = load_seeds(spec)
    plans = plan_records(spec, seeds)
    index = min(max(args.record, 0), len(plans) - 1)
    record = plans[index]
    values = dict(record.sampled)
    if args.section in ("all", "grammar", "prompt"):
        console.rule(f"record {index}: sampled values")
        console.print(json.dumps(record.sampled, indent=2, default=str))
    served = bool(spec.model.servers) or spec.model.backend in ("server", "openai")
    for name in field_order(spec):
        plan = plan_field(spec, name, record, values, seeds)
        if args.section in ("all", "grammar"):
            console.rule(f"grammar of `{name}` (max {plan.max_tokens} tokens)")
            console.print(plan.grammar, markup=False)
            if served:
                from synthspec.generate.backends.server.dialects import routes_for

                dialect = spec.model.dialect or "auto"
                console.print(f"servers ({dialect}): {routes_for(dialect, plan.grammar).describe()}", markup=False)
        if args.section in ("all", "prompt"):
            console.rule(f"prompt for `{name}`")
            console.print(plan.prompt, markup=False)
        values[name] = f"<{name}>"
    notes = grammar_notes(spec)
    if notes and args.section == "all":
        console.rule("constraints re-checked after generation")
        for note in notes:
            console.print(f"- {note}", markup=False)
    return 0

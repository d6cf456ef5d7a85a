"""`synthspec explain SPEC`: what a spec compiles to — the IR, each field's grammar, a rendered prompt.

Printed as plain text, verbatim: the prompt is exactly what the model is given (no markup is interpreted, so
`:x:` or `[bold]` in a seed stays as written) and JSON is never wrapped, piped or not.

`synthspec explain CODE` (e.g. `C030`, when no file of that name exists) prints the registry entry of a diagnostic
code instead, the way `rustc --explain` does.
"""

from __future__ import annotations

import json
from pathlib import Path

from synthspec.cli.common import add_spec_argument, compile_for_cli


def register(subparsers) -> None:
    parser = subparsers.add_parser("explain", help="show the IR, grammars and a rendered prompt of a spec, "
                                   "or explain a diagnostic code (synthspec explain C030)")
    add_spec_argument(parser)
    parser.add_argument("--record", type=int, default=0, metavar="I", help="which record to show (default 0)")
    parser.add_argument("--section", choices=("all", "ir", "grammar", "prompt"), default="all")
    parser.set_defaults(handler=run)


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


def _rule(title: str) -> None:
    print(f"\n── {title} " + "─" * max(3, 76 - len(title)))


def run(args) -> int:
    from synthspec.codes import CODE_PATTERN

    if CODE_PATTERN.fullmatch(args.spec.upper()) and not Path(args.spec).exists():
        return explain_code(args.spec)
    from synthspec.ir.model import TextField
    from synthspec.lower import field_order, grammar_notes, plan_field, plan_record, text_notes
    from synthspec.lower.preflight import load_seeds

    result = compile_for_cli(args.spec, args.dataset, technique=True)
    spec = result.spec
    if args.section in ("all", "ir"):
        _rule("IR")
        print(json.dumps(spec.model_dump(mode="json", exclude_none=True), indent=2))
    seeds = load_seeds(spec)
    index = min(max(args.record, 0), spec.count - 1)
    record = plan_record(spec, seeds, index)  # one record: `count 10000000` draws no other
    values = dict(record.sampled)
    if args.section in ("all", "grammar", "prompt"):
        _rule(f"record {index}: sampled values")
        print(json.dumps(record.sampled, indent=2, default=str))
    served = bool(spec.model.servers) or spec.model.backend in ("server", "openai")
    for name in field_order(spec):
        plan = plan_field(spec, name, record, values, seeds)
        if args.section in ("all", "grammar"):
            _rule(f"grammar of `{name}` (max {plan.max_tokens} tokens)")
            if isinstance(spec.field(name), TextField):
                for note in text_notes(spec.field(name), record, seeds, plan):
                    print(note)
            print(plan.grammar.rstrip("\n"))
            if served:
                from synthspec.generate.backends.server.dialects import routes_for

                dialect = spec.model.dialect or "auto"
                print(f"servers ({dialect}): {routes_for(dialect, plan.grammar).describe()}")
        if args.section in ("all", "prompt"):
            _rule(f"prompt for `{name}`")
            print(plan.prompt)
        values[name] = f"<{name}>"
    notes = grammar_notes(spec)
    if notes and args.section == "all":
        _rule("constraints re-checked after generation")
        for note in notes:
            print(f"- {note}")
    return 0

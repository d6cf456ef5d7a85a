"""`synthspec check SPEC`: compile and lower a spec and report every problem, or say it is fine.

`check` runs everything that can fail before the first token (the checker, the lowering of every
generated field, grammar compilation, the technique's set-up), so a spec it accepts builds.
"""

from __future__ import annotations

import json

from synthspec.cli.common import add_spec_argument, compile_for_cli
from synthspec.cli.gcpause import collector_paused
from synthspec.diagnostics import Severity, SynthspecError


def register(subparsers) -> None:
    parser = subparsers.add_parser("check", help="check a .synth spec and report every problem")
    add_spec_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the diagnostics as JSON (errors too)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    with collector_paused():  # a check makes no cyclic garbage worth collecting (see cli/gcpause.py)
        return _run(args)


def _run(args) -> int:
    from synthspec.lower import grammar_notes

    try:
        result = compile_for_cli(args.spec, args.dataset, quiet=args.json, technique=True)
    except SynthspecError as exc:
        if not args.json:
            raise
        print(json.dumps({"ok": False, "dataset": None, "diagnostics": [d.to_json() for d in exc.diagnostics],
                          "grammar_notes": []}, indent=2))
        return exc.exit_code
    spec = result.spec
    notes = grammar_notes(spec)
    if args.json:
        print(json.dumps({"ok": True, "dataset": spec.name,
                          "diagnostics": [d.to_json() for d in result.diagnostics],
                          "grammar_notes": list(notes)}, indent=2))
        return 0
    for note in notes:
        print(f"note: {note}")
    generated = ", ".join(f.name for f in spec.generated_fields) or "none"
    warnings = sum(1 for d in result.diagnostics if d.severity is Severity.WARNING)
    print(f"ok: {args.spec}: dataset `{spec.name}`, {len(spec.fields)} fields (generated: {generated}), "
          f"{spec.count} records, technique {spec.technique.name}"
          + (f", {warnings} warning(s)" if warnings else ""))
    return 0

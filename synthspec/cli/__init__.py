"""The `synthspec` command line: one module per command, wired here.

Every command returns an exit code.  A `SynthspecError` (bad input the user can
fix) is printed as diagnostics and exits 1 — never a traceback, unless
`--debug`.  Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from synthspec import __version__
from synthspec.cli.gcpause import collector_paused, program_mode
from synthspec.diagnostics import SynthspecError

COMMAND_MODULES = (
    "synthspec.cli.check_cmd",
    "synthspec.cli.explain_cmd",
    "synthspec.cli.fmt_cmd",
    "synthspec.cli.build_cmd",
    "synthspec.cli.merge_cmd",
    "synthspec.cli.validate_cmd",
    "synthspec.cli.plugins_cmd",
    "synthspec.cli.review_cmd",
    "synthspec.cli.release_cmd",
    "synthspec.cli.combine_cmd",
)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthspec",
        description="Declarative, grammar-constrained synthetic data: compile a .synth spec, build, validate.",
    )
    parser.add_argument("--version", action="version", version=f"synthspec {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # the program itself (console script, `python -m synthspec`), not a call from Python code
        program_mode()
    with collector_paused():  # importing the command modules makes no cyclic garbage (see cli/gcpause.py)
        parser = make_parser()
        args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except SynthspecError as exc:
        if args.debug:
            raise
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc}\n(run with --debug for the traceback, and please report it)",
              file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

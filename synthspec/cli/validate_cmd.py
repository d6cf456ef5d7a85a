"""`synthspec validate DATA --spec S.synth [--report out.html] [--json]`: run the spec's validators.

Prints the text report (or JSON with `--json`), optionally writes the HTML
report, and exits 1 when a validator whose policy is `fail` triggered, so
the command can gate a CI job.  With `--clean OUT`, writes the records that
no `drop` policy removed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synthspec import codes
from synthspec.cli.common import compile_for_cli
from synthspec.datafiles import read_table
from synthspec.diagnostics import Diagnostic, SynthspecError


def register(subparsers) -> None:
    parser = subparsers.add_parser("validate", help="validate a dataset against a spec's validators")
    parser.add_argument("data", metavar="DATA", help="the records (.jsonl, .csv or .tsv)")
    parser.add_argument(
        "--spec", required=True, metavar="SPEC", help="the .synth spec the data should satisfy"
    )
    parser.add_argument("--dataset", metavar="NAME", help="which dataset, when the spec declares several")
    parser.add_argument("--report", metavar="HTML", help="also write a self-contained HTML report here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    parser.add_argument(
        "--clean", metavar="OUT", help="write the records that survive `drop` policies (JSONL)"
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    from synthspec.report import print_report, render_html
    from synthspec.validate import validate_records

    spec = compile_for_cli(args.spec, args.dataset, quiet=args.json).spec
    records = read_table(args.data)
    if not records:
        raise SynthspecError(Diagnostic(code=codes.NO_RECORDS_TO_VALIDATE, message="no records to validate", file=args.data))
    report = validate_records(spec, records)
    report.data_file = str(args.data)
    if args.report:
        try:
            Path(args.report).write_text(render_html(report, records), encoding="utf-8")
        except OSError as exc:
            raise SynthspecError(
                Diagnostic(
                    code=codes.REPORT_WRITE_FAILED, message=f"cannot write the report: {exc.strerror or exc}", file=args.report
                )
            ) from None
    if args.clean:
        with open(args.clean, "w", encoding="utf-8") as fh:
            for i, r in enumerate(records):
                if i not in report.dropped:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        print_report(report)
        if args.report:
            print(f"HTML report: {args.report}")
    return 1 if report.failed else 0

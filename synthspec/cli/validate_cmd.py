"""`synthspec validate DATA --spec S.synth [--report out.html] [--json]`: run the spec's validators.

Prints the text report (or JSON with `--json`), optionally writes the HTML
report, and exits 1 when a validator whose policy is `fail` triggered, so
the command can gate a CI job.  With `--clean OUT`, writes the records that
no `drop` policy removed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from synthspec import codes
from synthspec.cli.common import compile_for_cli
from synthspec.datafiles import read_records
from synthspec.diagnostics import Diagnostic, SynthspecError


def register(subparsers) -> None:
    parser = subparsers.add_parser("validate", help="validate a dataset against a spec's validators")
    parser.add_argument("data", metavar="DATA", help="the records (.jsonl, .csv, .tsv or .parquet)")
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
    records = read_records(args.data)
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
        _write_clean(Path(args.clean), [r for i, r in enumerate(records) if i not in report.dropped])
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        print_report(report)
        if args.report:
            print(f"HTML report: {args.report}")
    return 1 if report.failed else 0


def _write_clean(out: Path, records: list[dict]) -> None:
    """The surviving records as JSONL (raw UTF-8, so read back as written), replaced atomically."""
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SynthspecError(
            Diagnostic(code=codes.REPORT_WRITE_FAILED, message=f"cannot write the clean records: {exc.strerror or exc}", file=str(out))
        ) from None

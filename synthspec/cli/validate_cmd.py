"""`synthspec validate DATA --spec S.synth [--report out.html] [--json] [--workers N] [--ray [ADDR]]`.

Streams the file through the spec's validators (validate/stream.py) on local
processes, or on Ray Data with `--ray`; `--in-memory` is the one-shot path.

Prints the text report (or JSON with `--json`), optionally writes the HTML
report, and exits 1 when a validator whose policy is `fail` triggered, so
the command can gate a CI job.  With `--clean OUT`, writes the records that
no `drop` policy removed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synthspec.cli.common import compile_for_cli
from synthspec.datafiles import read_table
from synthspec.diagnostics import Diagnostic, SynthspecError

QUOTE_MAX = 200_000  # records re-read so that the HTML report can quote them


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
    parser.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes for the streaming run (default: 2)"
    )
    parser.add_argument(
        "--ray", nargs="?", const="local", metavar="ADDRESS",
        help="run on Ray Data: a local Ray, or the cluster at ADDRESS (needs synthspec[ray])",
    )
    parser.add_argument(
        "--in-memory", action="store_true",
        help="load the whole file and run each validator once over it (the API v1 way) instead of streaming",
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    from synthspec.report import print_report, render_html
    from synthspec.validate import validate_records

    spec = compile_for_cli(args.spec, args.dataset, quiet=args.json).spec
    if args.in_memory:
        records = read_table(args.data)
        if not records:
            raise SynthspecError(Diagnostic(code="V010", message="no records to validate", file=args.data))
        report = validate_records(spec, records)
    else:
        from synthspec.validate.stream import validate_file

        if args.workers is not None and args.workers < 1:
            raise SynthspecError(Diagnostic(code="V012", message="--workers must be at least 1"))
        report = validate_file(spec, args.data, workers=args.workers, ray_address=args.ray)
        if report.record_count == 0:
            raise SynthspecError(Diagnostic(code="V010", message="no records to validate", file=args.data))
        # the HTML report quotes record texts; only small files are re-read for that
        records = read_table(args.data) if args.report and report.record_count <= QUOTE_MAX else None
    report.data_file = str(args.data)
    if args.report:
        try:
            Path(args.report).write_text(render_html(report, records), encoding="utf-8")
        except OSError as exc:
            raise SynthspecError(
                Diagnostic(
                    code="V011", message=f"cannot write the report: {exc.strerror or exc}", file=args.report
                )
            ) from None
    if args.clean:
        from synthspec.validate.batches import plan_chunks

        with open(args.clean, "w", encoding="utf-8") as fh:
            for chunk in plan_chunks(args.data):  # a second streaming pass: memory stays bounded
                for i, r in enumerate(chunk.records(), start=chunk.start):
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

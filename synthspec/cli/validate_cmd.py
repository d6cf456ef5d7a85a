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
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from synthspec import codes
from synthspec.cli.common import compile_for_cli
from synthspec.datafiles import read_records
from synthspec.diagnostics import Diagnostic, SynthspecError

QUOTE_MAX = 200_000  # records re-read so that the HTML report can quote them


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


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
        "--workers", type=_positive, metavar="N", help="local worker processes for the streaming run (default: 2)"
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
        records = read_records(args.data)
        if not records:
            raise SynthspecError(
                Diagnostic(code=codes.NO_RECORDS_TO_VALIDATE, message="no records to validate", file=args.data)
            )
        report = validate_records(spec, records)
    else:
        from synthspec.validate.stream import validate_file

        report = validate_file(spec, args.data, workers=args.workers, ray_address=args.ray)
        if report.record_count == 0:
            raise SynthspecError(
                Diagnostic(code=codes.NO_RECORDS_TO_VALIDATE, message="no records to validate", file=args.data)
            )
        # the text quality measures and the HTML report's quotes need the records: re-read for files up to
        # QUOTE_MAX records (quality is not measured in a streaming pass yet)
        records = read_records(args.data) if report.record_count <= QUOTE_MAX else None
        if records is not None:
            from synthspec.validate.quality import measure_quality
            from synthspec.validate.runner import load_seeds

            report.quality = measure_quality(spec, records, load_seeds(spec))
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
        _write_clean(Path(args.clean), _surviving(args.data, report.dropped))
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        print_report(report)
        if args.report:
            print(f"HTML report: {args.report}")
    return 1 if report.failed else 0


def _surviving(path: str, dropped: set[int]) -> Iterator[dict]:
    """The records no `drop` policy removed, read again chunk by chunk (memory stays bounded)."""
    from synthspec.validate.batches import plan_chunks

    for chunk in plan_chunks(path):
        for i, r in enumerate(chunk.records(), start=chunk.start):
            if i not in dropped:
                yield r


def _write_clean(out: Path, records: Iterable[dict]) -> None:
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

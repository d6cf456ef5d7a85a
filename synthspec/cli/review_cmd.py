"""`synthspec review export|import`: human rating of a sample of records."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("review", help="export a rating sheet for people, or import their ratings")
    sub = parser.add_subparsers(dest="review_command", metavar="ACTION")
    exp = sub.add_parser("export", help="write ratings.csv and review.html for a sample of records")
    exp.add_argument("data", metavar="DATA", help="the records (.jsonl, .csv or .tsv)")
    exp.add_argument("--sample", type=int, default=100, help="how many records (default 100)")
    exp.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    exp.add_argument("--out", required=True, metavar="DIR", help="output folder")
    exp.set_defaults(handler=run_export)
    imp = sub.add_parser(
        "import", help="read a filled-in ratings.csv: flag low-rated records, summarise patterns"
    )
    imp.add_argument("ratings", metavar="RATINGS.csv")
    imp.add_argument("--json", action="store_true", help="print the summary as JSON")
    imp.set_defaults(handler=run_import)
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)


def run_export(args) -> int:
    from synthspec import codes
    from synthspec.diagnostics import SynthspecError
    from synthspec.report.review import export_review

    if args.sample < 1:
        raise SynthspecError("--sample must be at least 1", code=codes.BAD_SAMPLE_SIZE)
    sheet, form = export_review(args.data, args.out, sample=args.sample, seed=args.seed)
    print(f"wrote {sheet} and {form}")
    return 0


def run_import(args) -> int:
    from synthspec.report.review import import_review

    summary = import_review(args.ratings)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    else:
        print(summary.render())
    return 0

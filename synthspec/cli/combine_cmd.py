"""`synthspec combine SPEC --out TRAIN`: the seeds plus a finished build, deduplicated, ready for training.

The training-data augmentation workflow ends here: analyse the seeds, fill
their gaps (`gap_filling`), build, validate, then hand the combined set to
training.  Each output row says where it came from (`source`: real or
synthetic, and the id it had there); synthetic rows that repeat a real row or
an earlier synthetic one are left out and counted, never silently.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.cli.common import add_spec_argument, compile_for_cli
from synthspec.datafiles import infer_format, suffixes_for
from synthspec.diagnostics import SynthspecError

FORMATS = ("jsonl", "csv")  # what `_encode` writes


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "combine", help="the seeds plus a finished build, deduplicated, as one training file"
    )
    add_spec_argument(parser)
    parser.add_argument("--data", metavar="PATH", help="the built dataset (default: the spec's output)")
    parser.add_argument("--out", metavar="PATH", required=True, help="the combined file (.jsonl or .csv)")
    parser.add_argument("--near", type=float, default=0.8, metavar="J",
                        help="MinHash Jaccard at which a synthetic row is a near duplicate (default 0.8)")
    parser.add_argument("--semantic", type=float, default=0.9, metavar="COS",
                        help="embedding cosine at which it is a duplicate in meaning (default 0.9; 0 turns it off)")
    parser.set_defaults(handler=run)


def _rows(spec, build_records: list[dict[str, Any]], seeds) -> tuple[list[str], list[dict], list[dict]]:
    """(columns, real rows, synthetic rows), each row with `source` and `source_id` first."""
    columns = ["source", "source_id", *spec.field_names]
    real = [{"source": "real", "source_id": s.id, **{n: s.values.get(n) for n in spec.field_names}} for s in seeds]
    synthetic = []
    for position, record in enumerate(build_records):
        provenance = record.get("_provenance")
        if isinstance(provenance, str):  # CSV keeps it as a JSON string
            try:
                provenance = json.loads(provenance)
            except ValueError:
                provenance = None
        index = provenance.get("index", position) if isinstance(provenance, dict) else position
        synthetic.append({"source": "synthetic", "source_id": f"synthetic-{index}",
                          **{n: record.get(n) for n in spec.field_names}})
    return columns, real, synthetic


def _encode(rows: list[dict], columns: list[str], fmt: str) -> bytes:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def run(args) -> int:
    from synthspec.cli.finished_build import load_finished_build
    from synthspec.validate import load_seeds
    from synthspec.validate.combined import synthetic_duplicates
    from synthspec.validate.text import text_fields, text_of

    out = Path(args.out)
    fmt = infer_format(out)
    if fmt not in FORMATS:
        raise SynthspecError(f"cannot tell the format of {out}", code=codes.BAD_COMBINE_OPTION,
                             hint=f"name it {suffixes_for(FORMATS)}")
    if not 0 < args.near <= 1 or not 0 <= args.semantic <= 1:
        raise SynthspecError("--near must be in (0, 1] and --semantic in [0, 1]", code=codes.BAD_COMBINE_OPTION)
    spec = compile_for_cli(args.spec, args.dataset).spec
    build = load_finished_build(spec, args.data, args.spec)
    if out.resolve() == build.data.resolve():
        raise SynthspecError(f"--out {out} is the build's own output", code=codes.BAD_COMBINE_OPTION, hint="write somewhere else")
    seeds = load_seeds(spec)
    if not seeds:
        raise SynthspecError(f"spec {spec.name!r} has no seeds to combine with", code=codes.COMBINE_WITHOUT_SEEDS,
                             hint="combine is for augmenting real data: declare `seeds` in the spec")
    columns, real, synthetic = _rows(spec, build.records, seeds)
    fields = text_fields(spec)
    dups = synthetic_duplicates([text_of(r, fields) for r in real], [text_of(r, fields) for r in synthetic],
                                near_threshold=args.near, semantic_threshold=args.semantic or None)
    kept = [row for i, row in enumerate(synthetic) if i not in dups]
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(_encode([*real, *kept], columns, fmt))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SynthspecError(f"cannot write {out}: {exc.strerror or exc}", code=codes.RELEASE_WRITE_FAILED) from None
    by_kind = {how: sum(1 for d in dups.values() if d.how == how) for how in ("exact", "near", "semantic")}
    print(f"combined {len(real)} real + {len(kept)} synthetic rows → {out}; "
          f"{len(dups)} synthetic row(s) left out as duplicates "
          f"({by_kind['exact']} exact, {by_kind['near']} near, {by_kind['semantic']} in meaning)")
    for d in list(dups.values())[:10]:
        other = (real + synthetic)[d.other]
        print(f"  {synthetic[d.index]['source_id']} repeats {other['source_id']} ({d.how}, {d.similarity:.2f})",
              file=sys.stderr)
    return 0

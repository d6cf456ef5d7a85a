"""`synthspec build SPEC`: generate (or resume) the dataset a spec describes.

Re-running the same command resumes: finished records are kept and only the
missing ones are generated.  Record-level validators reject records as they
are made; dataset-level validators with policy `drop` (duplicates, seed
copies, contamination, ...) run once the set is complete, and what they drop
is regenerated, so the requested count holds.  A build whose spec, seed, count or model changed
is refused (mixing two builds in one file breaks reproducibility) unless
`--force`.  Ctrl-C flushes what is finished, says how to resume, exits 130.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from synthspec import codes
from synthspec.cli.common import add_spec_argument, compile_for_cli
from synthspec.datafiles import infer_format, suffixes_for
from synthspec.diagnostics import SynthspecError

if TYPE_CHECKING:
    from synthspec.ir.model import Spec

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")  # what generate/writers.py writes


def register(subparsers) -> None:
    parser = subparsers.add_parser("build", help="generate the dataset of a spec (resumable)")
    add_spec_argument(parser)
    parser.add_argument("--count", type=int, metavar="N", help="number of records (overrides the spec)")
    parser.add_argument("--seed", type=int, metavar="S", help="random seed (overrides the spec)")
    parser.add_argument("--out", metavar="PATH", help="output file (.jsonl, .csv or .parquet; overrides the spec)")
    parser.add_argument("--model", metavar="REF", help="model: a .gguf file or a local transformers directory")
    parser.add_argument("--backend", metavar="NAME", help="llamacpp (default), transformers or openai (alias server)")
    parser.add_argument("--dialect", help="server backend: vllm, sglang, llamacpp, openai or auto (overrides the spec)")
    parser.add_argument("--per-server", type=int, metavar="N", help="server backend: requests in flight per server")
    parser.add_argument("--retries", type=int, metavar="N", help="server backend: attempts after the first")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="server backend: read timeout per request")
    parser.add_argument("--allow-unconstrained", action="store_true",
                        help="build even when a server fails the conformance probe (the manifest then says "
                             "\"client-checked only\")")
    parser.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                        help="run the model in actors on a Ray cluster (no ADDRESS: a local one; 'auto': the "
                             "cluster `ray start` joined); the records are the same")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help="records in flight at once (decode slots; the manifest records it)")
    parser.add_argument("--shard", metavar="K/N", type=parse_shard,
                        help="build only the K-th of N parts of the index range (join them with `synthspec merge`)")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                        help="progress bar (auto: only on a terminal)")
    parser.add_argument("--force", action="store_true", help="discard an existing build of this output and start over")
    parser.set_defaults(handler=run)


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N (argparse type: a bad value is a usage error, exit 2)."""
    import argparse

    k, sep, n = text.partition("/")
    try:
        shard = (int(k), int(n))
    except ValueError:
        shard = (0, 0)
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise argparse.ArgumentTypeError(f"--shard takes K/N with 1 <= K <= N (e.g. 1/4), not {text!r}")
    return shard


def apply_overrides(spec: Spec, count: int | None, seed: int | None, model: str | None,
                    backend: str | None, **server: object) -> Spec:
    """The spec with the command-line overrides applied (they become part of the build identity)."""
    update: dict = {}
    if count is not None:
        if count < 1:
            raise SynthspecError(f"--count must be at least 1, got {count}", code=codes.BAD_BUILD_OPTION)
        update["count"] = count
    if seed is not None:
        update["seed"] = seed
    for name in ("per_server", "retries", "timeout"):
        value = server.get(name)
        if value is not None and value < (0 if name == "retries" else 1e-3):
            raise SynthspecError(f"--{name.replace('_', '-')} is too small: {value}", code=codes.BAD_BUILD_OPTION)
    model_update = {k: v for k, v in (("ref", model), ("backend", backend), *server.items()) if v is not None}
    if model_update:
        update["model"] = spec.model.model_copy(update=model_update)
    return spec.model_copy(update=update) if update else spec


def output_target(spec: Spec, out: str | None) -> tuple[Path, str]:
    """Where the dataset goes and in which format: --out (relative to cwd) or the spec's output
    (relative to the spec file)."""
    if out:
        path = Path(out)
        fmt = infer_format(path)
        if fmt not in OUTPUT_FORMATS:
            raise SynthspecError(f"cannot tell the output format of {out}", code=codes.UNKNOWN_OUTPUT_FORMAT,
                                 hint=f"name the output {suffixes_for(OUTPUT_FORMATS)}")
        return path, fmt
    path = Path(spec.output.path)
    if not path.is_absolute():
        path = Path(spec.source_file).resolve().parent / path
    return path, spec.output.format


def run(args) -> int:
    from synthspec.generate import BuildOptions, open_backend, run_build

    spec = compile_for_cli(args.spec, getattr(args, "dataset", None)).spec
    spec = apply_overrides(spec, args.count, args.seed, args.model, args.backend, dialect=args.dialect,
                           per_server=args.per_server, retries=args.retries, timeout=args.timeout)
    out, fmt = output_target(spec, args.out)
    if args.batch_size is not None and args.batch_size < 1:
        raise SynthspecError(f"--batch-size must be at least 1, got {args.batch_size}", code=codes.BAD_BUILD_OPTION)
    shard = getattr(args, "shard", None)
    options = BuildOptions(out=out, format=fmt, batch_size=args.batch_size, progress=args.progress, force=args.force,
                           shard=shard)
    from synthspec.validate import make_record_check

    # Record-level validators run on every finished record: `drop` rejects it (it is regenerated
    # with new derived seeds, the rejection goes to the ledger); `fail` logs it and stops the
    # build; `flag` only reports.
    record_check = engine_record_check(make_record_check(spec, policies=("drop", "fail")))
    dataset_check = DropCheck(spec)
    with open_backend(spec.model, ray=args.ray, allow_unconstrained=args.allow_unconstrained) as backend:
        if hasattr(backend, "describe_fields"):  # say once which constraint each server receives
            from synthspec.generate.backends.server import print_routes

            print_routes(backend.describe_fields(spec))
        result = run_build(spec, backend, options, record_check=record_check, dataset_check=dataset_check)
        record_backend_info(backend, options)
    return report_build(spec, args, result, out, fmt, dataset_check, shard)


def report_build(spec: Spec, args, result, out: Path, fmt: str, dataset_check, shard=None) -> int:
    """Say what the build did; exit 130 on Ctrl-C, 1 when records are missing, else validate the set."""
    from synthspec.generate.progress import drop_text

    tokens = f"{result.prompt_tokens} prompt + {result.completion_tokens} completion tokens"
    if result.interrupted:
        print(f"interrupted: {result.written}/{result.total} records are safely in {out}.\n"
              f"resume with the same command: synthspec build {args.spec}"
              + (f" --out {args.out}" if args.out else ""), file=sys.stderr)
        return 130
    kept = f" ({result.kept} kept from an earlier run)" if result.kept else ""
    by = drop_text(result.dropped_by).partition(" (")[2].rstrip(")")
    dropped = (f"; {result.dropped} dropped by dataset validators and regenerated ({by})"
               if result.dropped else "")
    print(f"built {result.written}/{result.total} records{kept} → {out} in {result.seconds:.1f}s; "
          f"{result.rejected} rejected generations{dropped}; {tokens}")
    if result.failed:
        print(f"error: {result.failed} of {result.total} record(s) missing — they failed every retry or stayed "
              f"dropped (details in {result.paths.rejects}); re-run to try them again with fresh seeds:",
              file=sys.stderr)
        for index, why in list(result.missing.items())[:20]:
            print(f"  record {index}: {why}", file=sys.stderr)
        if len(result.missing) > 20:
            print(f"  ... and {len(result.missing) - 20} more (all in {result.paths.manifest})", file=sys.stderr)
        return 1
    if shard is not None:
        print(f"shard {shard[0]}/{shard[1]} done; join the shards with: synthspec merge OUT PART.. "
              "(the dataset validators run there, over the whole set)")
        return 0
    return validate_build(spec, out, fmt, dataset_check.last_clean_report)


def record_backend_info(backend, options) -> None:
    """Put what the backend says about itself (servers, dialects, probe, constraints; Ray actors) in the manifest.

    Stopgap until the engine records `backend.manifest_info()` itself.
    """
    info = getattr(backend, "manifest_info", None)
    if info is None:
        return
    from synthspec.generate.manifest import Manifest
    from synthspec.generate.state import BuildPaths

    manifest = Manifest(BuildPaths(options.out).manifest)
    data = manifest.load()
    if data is not None:
        data["backend_info"] = info()
        manifest.save(data)


def engine_record_check(check):
    """The validators' record check for the engine (the same `Rejection` type; a `fail` policy stops the build)."""
    return check


class DropCheck:
    """The build's dataset check: dataset-level validators, whose `drop` findings remove records.

    It keeps the report of its last run when that run dropped nothing: that is
    the report of the final dataset, so the build need not validate it twice.
    """

    def __init__(self, spec: Spec) -> None:
        from synthspec.validate.runner import load_seeds

        self.spec = spec
        self.seeds = load_seeds(spec)
        self.last_clean_report = None

    def __call__(self, records: list[dict]) -> dict[int, list]:
        from synthspec.generate import Rejection
        from synthspec.validate import run_dataset_validators

        report = run_dataset_validators(self.spec, records, self.seeds)
        verdicts: dict[int, list] = {}
        for run in report.runs:
            if run.policy != "drop" or run.status != "triggered":
                continue
            for finding in run.errors:
                if finding.record_index is not None:
                    verdicts.setdefault(finding.record_index, []).append(
                        Rejection(run.name, finding.message, finding.field, policy=run.policy))
        self.last_clean_report = None if verdicts else report
        return verdicts


def validate_build(spec: Spec, out: Path, fmt: str, report=None) -> int:
    """Dataset-level validation of a finished build: a JSON and an HTML report beside the output.

    `report` is the dataset check's report of these very records, when there is
    one.  Exit code 1 when a validator whose policy is `fail` triggered.
    """
    import json

    from synthspec.datafiles import read_records
    from synthspec.report import render_html
    from synthspec.validate import run_dataset_validators

    records = read_records(out, fmt)
    if report is None or report.record_count != len(records):
        report = run_dataset_validators(spec, records)
    report.data_file = str(out)
    json_path = out.with_name(out.name + ".report.json")
    html_path = out.with_name(out.name + ".report.html")
    json_path.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str) + "\n",
                         encoding="utf-8")
    html_path.write_text(render_html(report, records), encoding="utf-8")
    print(f"validated: {len(report.dropped)} record(s) a `drop` validator would remove, "
          f"{len(report.flagged)} flagged, {'FAILED' if report.failed else 'no failure'}; "
          f"report: {html_path}")
    return 1 if report.failed else 0

"""`synthspec merge OUT PART...`: join the shards of a build into one dataset.

The parts are outputs of `synthspec build SPEC --shard K/N` (any order).  The
merge checks they are the N shards of one build, joins their journals, then
finishes the joined build like `build` does: the dataset validators run once
over the whole set, what they drop is regenerated (so it needs the model, as
the shards did), one manifest and one report are written.  The result equals
the unsharded build of the same spec, seed and batch size, record for record.
"""

from __future__ import annotations

from pathlib import Path

from synthspec import codes
from synthspec.diagnostics import SynthspecError


def register(subparsers) -> None:
    parser = subparsers.add_parser("merge", help="join the shards of a build (build --shard K/N) into one dataset")
    parser.add_argument("out", metavar="OUT", help="the merged output (.jsonl, .csv or .parquet)")
    parser.add_argument("parts", metavar="PART", nargs="+", help="the shard outputs")
    parser.add_argument("--spec", metavar="SPEC", help="the spec (default: the one the shards were built from)")
    parser.add_argument("--dataset", metavar="NAME", help="which dataset, when the spec file declares several")
    parser.add_argument("--model", metavar="REF", help="model for regeneration (default: the shards')")
    parser.add_argument("--backend", metavar="NAME", help="backend for regeneration (default: the shards')")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--force", action="store_true", help="replace an existing merged output")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from synthspec.cli.build_cmd import (
        DropCheck,
        apply_overrides,
        engine_record_check,
        output_target,
        report_build,
    )
    from synthspec.cli.common import compile_for_cli
    from synthspec.generate import BuildOptions, open_backend, run_build
    from synthspec.generate.merge import assemble

    out, fmt = output_target(None, args.out)  # type: ignore[arg-type]
    parts = [Path(p) for p in args.parts]
    first = assemble(out, parts, force=args.force)
    invocation = first.get("invocation") or {}
    spec_path = args.spec or invocation.get("spec")
    if not spec_path or not Path(spec_path).exists():
        raise SynthspecError(f"cannot find the spec the shards were built from ({spec_path})", code=codes.MERGE_FAILED,
                             hint="name it with --spec SPEC")
    identity = first["identity"]
    spec = compile_for_cli(spec_path, args.dataset).spec
    spec = apply_overrides(spec, identity.get("count"), identity.get("seed"),
                           args.model or invocation.get("model_ref"), args.backend or invocation.get("backend"))
    options = BuildOptions(out=out, format=fmt, progress=args.progress)
    from synthspec.validate import make_record_check

    record_check = engine_record_check(make_record_check(spec, policies=("drop", "fail")))
    dataset_check = DropCheck(spec)
    with open_backend(spec.model) as backend:
        result = run_build(spec, backend, options, record_check=record_check, dataset_check=dataset_check)
    print(f"merged {len(parts)} shards → {out}")
    args.spec, args.out = spec_path, str(out)
    return report_build(spec, args, result, out, fmt, dataset_check)

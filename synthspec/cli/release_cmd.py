"""`synthspec release SPEC`: audit a finished build for leaks of the real data, then bundle it for sharing.

The privacy-safe sharing workflow ends here.  Nothing is bundled unless the
build is complete, the leakage audit finds no copy or long fragment of a seed
(and no personal data), and no validator with policy `fail` triggers.  The
bundle is written to a temporary directory and renamed into place, so a
half-written bundle never exists under the final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from synthspec import codes
from synthspec.cli.common import add_spec_argument, compile_for_cli
from synthspec.diagnostics import SynthspecError

SOURCE_NOTES = ("SOURCE.md", "SOURCE.txt", "README.md")
MAX_LISTED = 20


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "release", help="audit a finished build for leaks of the seeds and bundle it (data, report, manifest, card)"
    )
    add_spec_argument(parser)
    parser.add_argument("--data", metavar="PATH", help="the built dataset (default: the spec's output)")
    parser.add_argument("--out", metavar="DIR", help="the bundle directory (default: DATA.release next to the data)")
    parser.add_argument("--ngram", type=int, default=8, metavar="N",
                        help="a record sharing N consecutive words with a seed is a leak (default 8)")
    parser.add_argument("--holdout", metavar="PATH",
                        help="real rows the model never saw, in the seed file's columns: measure distance to closest "
                             "record and membership inference against them")
    parser.add_argument("--force", action="store_true", help="replace an existing bundle directory")
    parser.set_defaults(handler=run)


def _seed_source(spec) -> str | None:
    """The source/licence note kept beside the seed file, if there is one."""
    if spec.seeds is None:
        return None
    folder = Path(spec.seeds.resolved_path).parent
    for name in SOURCE_NOTES:
        note = folder / name
        if note.is_file():
            return note.read_text(encoding="utf-8", errors="replace")
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(args) -> int:
    from synthspec.cli.finished_build import load_finished_build
    from synthspec.report import render_html
    from synthspec.report.card import BundledFile, render_dataset_card
    from synthspec.validate import load_seeds, validate_records
    from synthspec.validate.privacy_audit import audit_privacy, privacy_metrics

    if args.ngram < 2:
        raise SynthspecError(f"--ngram must be at least 2, got {args.ngram}", code=codes.BAD_NGRAM)
    spec = compile_for_cli(args.spec, args.dataset).spec
    build = load_finished_build(spec, args.data, args.spec)
    data, manifest, records = build.data, build.manifest, build.records
    bundle = Path(args.out) if args.out else data.with_name(data.name + ".release")
    if bundle.exists() and not args.force:
        raise SynthspecError(f"{bundle} already exists", code=codes.BUNDLE_EXISTS, hint="use --force to replace it, or --out")
    seeds = load_seeds(spec)
    audit = audit_privacy(spec, records, seeds, ngram=args.ngram)
    if args.holdout:
        metrics = privacy_metrics(spec, records, seeds, _holdout(spec, args.holdout, seeds), seed=spec.seed)
        audit.privacy_metrics = metrics.to_json() if metrics else None
    audit_json = json.dumps(audit.to_json(), indent=2, ensure_ascii=False, default=str) + "\n"
    if not audit.passed:
        ledger = data.with_name(data.name + ".leakage.json")
        ledger.write_text(audit_json, encoding="utf-8")
        for finding in audit.findings[:MAX_LISTED]:
            print(f"  record {finding.record_index}: {finding.kind}: {finding.message}", file=sys.stderr)
        if len(audit.findings) > MAX_LISTED:
            print(f"  ... and {len(audit.findings) - MAX_LISTED} more", file=sys.stderr)
        leaking = len({f.record_index for f in audit.findings})
        raise SynthspecError(
            f"leakage audit failed: {leaking} of {len(records)} record(s) copy the seed data or carry personal data; "
            "nothing was released",
            code=codes.LEAKAGE_AUDIT_FAILED,
            hint=f"every finding is in {ledger}. Add `validate seed_copy(ngram = {args.ngram}) drop` and "
                 "`forbidden drop` to the spec so the build regenerates such records, then rebuild",
        )
    report = validate_records(spec, records, seeds)
    report.data_file = data.name
    if report.failed:
        raise SynthspecError("a validator with policy `fail` triggered on this dataset; nothing was released",
                             code=codes.RELEASE_POLICY_FAIL, hint=f"see: synthspec validate {data} --spec {args.spec}")

    bundle.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{bundle.name}.", dir=bundle.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; a release is meant to be read
        shutil.copyfile(data, staging / data.name)
        released = {**manifest, "release": {"leakage_audit": "passed", "ngram": args.ngram,
                                            "pii_detector": audit.pii_detector,
                                            "privacy_metrics": audit.privacy_metrics}}
        (staging / "manifest.json").write_text(json.dumps(released, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        (staging / "report.json").write_text(
            json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        (staging / "report.html").write_text(render_html(report, records), encoding="utf-8")
        (staging / "leakage_audit.json").write_text(audit_json, encoding="utf-8")
        what = {data.name: "the synthetic records", "manifest.json": "the build's identity, counts and tokens",
                "report.json": "the validation report", "report.html": "the validation report with plots",
                "leakage_audit.json": "the leakage audit's settings, evidence and verdict"}
        files = [BundledFile(name, _sha256(staging / name), (staging / name).stat().st_size, text)
                 for name, text in what.items()]
        card = render_dataset_card(spec, manifest, report, audit, files, _seed_source(spec))
        (staging / "README.md").write_text(card, encoding="utf-8")
        sums = [f"{_sha256(staging / name)}  {name}" for name in [*what, "README.md"]]
        (staging / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
        if bundle.exists():
            shutil.rmtree(bundle)
        staging.rename(bundle)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise SynthspecError(f"cannot write the release bundle: {exc.strerror or exc}", code=codes.RELEASE_WRITE_FAILED,
                             hint=f"check free space and permissions under {bundle.parent}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    m = audit.privacy_metrics
    figures = (f"; closer to a seed than to an unseen row: {m['dcr_closer_to_train']:.0%} (DCR overfitting "
               f"protection {m['dcr_overfitting_protection']:.2f}), membership-inference AUC "
               f"{m['membership_inference_auc']:.2f}") if m else ""
    print(f"released {len(records)} records → {bundle}/ (leakage audit passed: longest run shared with a seed "
          f"{audit.longest_shared_run} words, limit {args.ngram - 1}{figures}; dataset card {bundle / 'README.md'})")
    return 0


def _holdout(spec, path: str, seeds) -> list:
    """The holdout rows, read with the seed file's column mapping; rows equal to a seed are left out."""
    from synthspec.datafiles import load_seed_examples

    if spec.seeds is None:
        raise SynthspecError("--holdout needs the spec's seeds: they are the rows the model saw", code=codes.BAD_HOLDOUT,
                             hint="declare `seeds` in the spec, or leave out --holdout")
    rows = load_seed_examples(path, None, dict(spec.seeds.columns))
    seen = {json.dumps(s.values, sort_keys=True, default=str) for s in seeds}
    kept = [r for r in rows if json.dumps(r.values, sort_keys=True, default=str) not in seen]
    if not kept:
        raise SynthspecError(f"the holdout {path} has no rows the seeds do not also hold", code=codes.BAD_HOLDOUT,
                             hint="give real rows that were not in the seed file")
    return kept

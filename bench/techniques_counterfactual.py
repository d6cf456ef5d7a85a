"""Counterfactual pairs: ours vs the human pairs of Kaushik et al. (2020), side by side.

Figures per pair (original → counterfactual):
  edit distance — word-level Levenshtein / longer text's words (0 = unchanged, 1 = rewritten);
  flip rate     — share of counterfactuals a sentiment classifier (TF-IDF + LR trained on the
                  human train pairs) assigns the *new* label;
  kept equal    — share of pairs whose kept fields are identical.
Human figures come from the test pairs; ours from building specs/imdb_counterfactual.synth with
the embedded model (`--count` records = count/2 pairs) twice in one run: as shipped (the counterfactual
decoded as an edit of the original, `edits = 0.15`) and as free text (`edits = 0`).
`--human-only` skips generation.
Data: /work/shared/data/imdb_counterfactual (Apache-2.0).
Run: python bench/techniques_counterfactual.py [--count 20] [--human-only]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from techniques_common import build, read_csv, train_classifier  # noqa: E402

from synthspec.generate.techniques.overlap import normalized_edit_distance  # noqa: E402


def pairs_of(rows: list[dict]) -> list[tuple[dict, dict]]:
    by_batch: dict[str, list[dict]] = {}
    for row in rows:
        by_batch.setdefault(row["batch_id"], []).append(row)
    return [(group[0], group[1]) for group in by_batch.values() if len(group) == 2]


def figures(pairs: list[tuple[str, str, str]], classifier, kept_equal: float | None) -> dict:
    """pairs: (original text, counterfactual text, counterfactual label)."""
    distances = [normalized_edit_distance(a, b) for a, b, _ in pairs]
    predicted = classifier.predict([b for _, b, _ in pairs])
    flips = sum(p == label for p, (_, _, label) in zip(predicted, pairs, strict=True))
    return {"pairs": len(pairs), "edit_mean": statistics.mean(distances), "edit_median": statistics.median(distances),
            "flip_rate": flips / len(pairs), "kept_equal": kept_equal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/imdb_counterfactual"))
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--work", type=Path, default=Path("out/bench/counterfactual"))
    parser.add_argument("--human-only", action="store_true")
    args = parser.parse_args()

    train = read_csv(args.data / "train_paired.tsv", "\t")
    classifier = train_classifier([r["Text"] for r in train], [r["Sentiment"].lower() for r in train])
    human = [(a["Text"], b["Text"], b["Sentiment"].lower()) for a, b in pairs_of(read_csv(args.data / "test_paired.tsv", "\t"))]
    rows = [("human (test pairs)", figures(human, classifier, None))]
    if not args.human_only:
        shipped = Path("specs/imdb_counterfactual.synth").read_text(encoding="utf-8")
        assert "edits = 0.15)" in shipped, "the example spec changed; update the bench"
        arms = (("synthspec, minimal edit", shipped),  # the spec as shipped: an edit grammar
                ("synthspec, free rewrite", shipped.replace("edits = 0.15)", "edits = 0)")))
        args.work.mkdir(parents=True, exist_ok=True)
        for n, (name, spec_text) in enumerate(arms):
            spec_text = spec_text.replace("count 10", f"count {args.count}").replace(
                '"../data/imdb_counterfactual/pairs.tsv"', f'"{Path("data/imdb_counterfactual/pairs.tsv").resolve()}"')
            spec_path = args.work / f"imdb_counterfactual_{n}.synth"
            spec_path.write_text(spec_text, encoding="utf-8")
            print(f"[{name}]")
            records = build(spec_path, args.work / f"pairs_{n}.jsonl")
            by_pair: dict[str, dict[str, dict]] = {}
            for record in records:
                prov = record.get("_provenance", {})
                index = prov.get("index", 0)
                by_pair.setdefault(str(index // 2), {})["original" if index % 2 == 0 else "counterfactual"] = record
            ours = [(p["original"]["text"], p["counterfactual"]["text"], p["counterfactual"]["sentiment"])
                    for p in by_pair.values() if len(p) == 2]
            kept = sum(p["original"]["genre"] == p["counterfactual"]["genre"]
                       for p in by_pair.values() if len(p) == 2)
            rows.append((name, figures(ours, classifier, kept / max(len(ours), 1))))
    print(f"{'pairs from':<26} {'n':>4} {'edit mean':>10} {'edit median':>12} {'flip rate':>10} {'kept equal':>11}")
    for name, f in rows:
        kept = "-" if f["kept_equal"] is None else f"{f['kept_equal']:.2f}"
        print(f"{name:<26} {f['pairs']:>4} {f['edit_mean']:>10.3f} {f['edit_median']:>12.3f} "
              f"{f['flip_rate']:>10.3f} {kept:>11}")
    for name, f in rows[1:]:
        print(f"ratio {name} / human: edit {f['edit_mean'] / rows[0][1]['edit_mean']:.2f}, "
              f"flip {f['flip_rate'] / rows[0][1]['flip_rate']:.2f}")


if __name__ == "__main__":
    main()

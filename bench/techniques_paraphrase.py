"""Paraphrase on the embedded model: the technique as shipped vs the same technique with its aids off.

Both arms build specs/paraphrase_dolly.synth (Dolly open_qa seeds) in one run.  "Aids" are what the
technique adds for a small base model: worked rewrites in the prompt instead of the source shown as a
few-shot example (`shots`), each text held to its source's length (`length`), a refused field decoded
again on its own (`attempts`), and the spec's low temperature.  Off: shots 0, no length bound, one
attempt per field, temperature 0.8 (the whole record is still retried up to 3 rounds, as always).

Figures over the kept records: kept / requested, rejected generations per kept record, cosine of each
text with its source (MiniLM; the floor is 0.75), ROUGE-L with its source (the ceiling is 0.6).
Run: python bench/techniques_paraphrase.py [--count 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from techniques_common import build_variant  # noqa: E402

from synthspec.embeddings import embed  # noqa: E402
from synthspec.generate.techniques.overlap import rouge_l  # noqa: E402

SPEC = Path(__file__).resolve().parent.parent / "specs" / "paraphrase_dolly.synth"
SEEDS = SPEC.parent.parent / "data" / "dolly_open_qa" / "open_qa_seeds.jsonl"
AIDS_ON = "length = 0.5, attempts = 8)"
AIDS_OFF = "length = 4, attempts = 1, shots = 0)"


def arm(name: str, spec_text: str, count: int, work: Path) -> dict:
    out = work / f"{name}.jsonl"
    records = build_variant(SPEC, spec_text, out, name) if count else []
    rejects = [json.loads(line) for line in out.with_name(out.name + ".rejects.jsonl").read_text().splitlines()] \
        if out.with_name(out.name + ".rejects.jsonl").exists() else []
    seeds = {str(row["idx"]): row for row in map(json.loads, SEEDS.read_text(encoding="utf-8").splitlines())}
    cosines, overlaps = [], []
    for record in records:
        source = seeds[record["_provenance"]["seed_examples"][0]]
        for field, column in (("question", "instruction"), ("answer", "response")):
            a, b = embed([source[column], record[field]])
            cosines.append(float(a @ b))
            overlaps.append(rouge_l(record[field], source[column]))
    return {"kept": len(records), "rejects": len(rejects), "cos": statistics.mean(cosines) if cosines else 0.0,
            "rouge": statistics.mean(overlaps) if overlaps else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args()
    text = SPEC.read_text(encoding="utf-8").replace("count 10", f"count {args.count}")
    assert AIDS_ON in text, "the example spec changed; update the bench"
    off = text.replace(AIDS_ON, AIDS_OFF).replace("temperature 0.3", "temperature 0.8")
    with tempfile.TemporaryDirectory() as work:
        results = {}
        for name, spec_text in (("aids_on", text), ("aids_off", off)):
            print(f"[{name}]")
            results[name] = arm(name, spec_text, args.count, Path(work))
    print(f"\n{'arm':<10} {'kept':>8} {'rejects/kept':>13} {'cosine':>7} {'ROUGE-L':>8}")
    for name, r in results.items():
        per = r["rejects"] / r["kept"] if r["kept"] else float("inf")
        print(f"{name:<10} {r['kept']:>4}/{args.count:<3} {per:>13.1f} {r['cos']:>7.3f} {r['rouge']:>8.3f}")
    on, off_ = results["aids_on"], results["aids_off"]
    print(f"ratio kept on/off: {on['kept'] / off_['kept']:.2f}x" if off_["kept"] else
          f"ratio kept on/off: {on['kept']} vs 0 (off kept none)")


if __name__ == "__main__":
    main()

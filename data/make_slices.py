"""Rebuild the seed slices in data/ from the read-only originals in /work/shared/data.

Why a script: the slices are committed (a fresh clone runs the example specs
without the originals), but how they were cut must stay reproducible and
reviewable.  Every choice below is deterministic (file order, fixed filters, no
randomness), so running it again writes byte-identical files.

Usage:  python data/make_slices.py [--source /work/shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

# support_tickets: six intents, the first 15 training queries of each.
SUPPORT_INTENTS = (
    "card_arrival",
    "lost_or_stolen_card",
    "card_payment_fee_charged",
    "transfer_not_received_by_recipient",
    "pending_top_up",
    "exchange_rate",
)
SUPPORT_PER_INTENT = 15

# banking77_gap_fill: ten intents, every 6th training query of each, so the
# slice keeps BANKING77's own imbalance (187 vs 35 rows becomes 32 vs 6).
GAP_INTENTS = (
    "card_payment_fee_charged",
    "direct_debit_payment_not_recognised",
    "cash_withdrawal_charge",
    "card_arrival",
    "exchange_rate",
    "lost_or_stolen_card",
    "card_swallowed",
    "card_acceptance",
    "virtual_card_not_working",
    "contactless_not_working",
)
GAP_STRIDE = 6

IMDB_PAIRS = 30
IMDB_MAX_WORDS = 90
DOLLY_SEEDS = 120
DOLLY_HELDOUT = 120
DOLLY_MIN_WORDS, DOLLY_MAX_WORDS = 8, 60


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_table(path: Path, rows: list[dict], columns: list[str], delimiter: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def banking77(source: Path) -> None:
    # the full splits, byte for byte: `synthspec validate` runs on the whole training set in the tests
    for name in ("train.csv", "test.csv"):
        shutil.copyfile(source / "banking77" / name, HERE / "banking77" / name)
    with (source / "banking77" / "train.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    taken: Counter[str] = Counter()
    support = []
    for row in rows:
        if row["category"] in SUPPORT_INTENTS and taken[row["category"]] < SUPPORT_PER_INTENT:
            taken[row["category"]] += 1
            support.append({"text": row["text"].strip(), "category": row["category"]})
    _write_jsonl(HERE / "banking77" / "support_seeds.jsonl", support)

    seen: Counter[str] = Counter()
    gap = []
    for row in rows:
        if row["category"] not in GAP_INTENTS:
            continue
        if seen[row["category"]] % GAP_STRIDE == 0:
            gap.append({"text": row["text"].strip(), "category": row["category"]})
        seen[row["category"]] += 1
    _write_table(HERE / "banking77" / "gap_seeds.csv", gap, ["text", "category"], ",")


def imdb(source: Path) -> None:
    with (source / "imdb_counterfactual" / "dev_paired.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    pairs: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        pairs[row["batch_id"]].append(row)
    out: list[dict] = []
    kept = 0
    for batch_id, pair in pairs.items():  # file order
        texts = [re.sub(r"(\s*<br\s*/?>\s*)+", " ", r["Text"]).strip() for r in pair]
        if len(pair) != 2 or any(len(t.split()) > IMDB_MAX_WORDS for t in texts):
            continue
        for row, text in zip(pair, texts, strict=True):
            out.append({"sentiment": row["Sentiment"].lower(), "text": text, "batch_id": batch_id})
        kept += 1
        if kept == IMDB_PAIRS:
            break
    _write_table(HERE / "imdb_counterfactual" / "pairs.tsv", out, ["sentiment", "text", "batch_id"], "\t")


def self_instruct(source: Path) -> None:
    rows = []
    with (source / "self_instruct_seed" / "seed_tasks.jsonl").open(encoding="utf-8") as f:
        for line in f:
            task = json.loads(line)
            instance = task["instances"][0]
            rows.append(
                {
                    "id": task["id"],
                    "name": task["name"],
                    "instruction": task["instruction"],
                    "input": instance["input"],
                    "output": instance["output"],
                    "is_classification": task["is_classification"],
                }
            )
    _write_jsonl(HERE / "self_instruct" / "seed_tasks.jsonl", rows)


def dolly(source: Path) -> None:
    seen: set[str] = set()
    picked: list[dict] = []
    with (source / "dolly_open_qa" / "dolly_open_qa_parsed.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            key = row["instruction"].strip().lower()
            words = len(row["response"].split())
            if key in seen or not DOLLY_MIN_WORDS <= words <= DOLLY_MAX_WORDS:
                continue
            seen.add(key)
            picked.append(
                {
                    "idx": row["idx"],
                    "instruction": row["instruction"].strip(),
                    "response": row["response"].strip(),
                }
            )
            if len(picked) == DOLLY_SEEDS + DOLLY_HELDOUT:
                break
    _write_jsonl(HERE / "dolly_open_qa" / "open_qa_seeds.jsonl", picked[:DOLLY_SEEDS])
    _write_jsonl(HERE / "dolly_open_qa" / "open_qa_heldout.jsonl", picked[DOLLY_SEEDS:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/data"))
    args = parser.parse_args()
    banking77(args.source)
    imdb(args.source)
    self_instruct(args.source)
    dolly(args.source)


if __name__ == "__main__":
    main()

"""Techniques through the real engine and lowering, decoded by a tiny random-weight model.

The tiny model writes nonsense, but under the real grammars: what is tested is
the technique's contract in the written records (pairs, copied fields, flipped
labels, rebalanced labels), not the prose.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from synthspec.generate import BuildOptions, run_build
from synthspec.ir.model import IntRange
from tests.techniques.helpers import spec_and_seeds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generate"))

from tiny_model import build_tiny_model  # noqa: E402

FLIP = {"negative": "positive", "positive": "negative"}


@pytest.fixture(scope="module")
def tiny_backend(tmp_path_factory):
    from synthspec.generate.backends.transformers import TransformersBackend

    backend = TransformersBackend(str(build_tiny_model(tmp_path_factory.mktemp("tiny-model"))))
    yield backend
    backend.close()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SYNTHSPEC_CACHE", str(tmp_path_factory.getbasetemp() / "synthspec-cache"))


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_counterfactual_build_writes_true_pairs(tmp_path, tiny_backend) -> None:
    spec, seeds = spec_and_seeds("imdb_counterfactual", count=4)
    text = spec.field("text")
    short = text.model_copy(update={"words": text.words.model_copy(update={"min": 3, "max": 90})})
    spec = spec.model_copy(update={"fields": tuple(short if f.name == "text" else f for f in spec.fields)})
    result = run_build(spec, tiny_backend, BuildOptions(out=tmp_path / "cf.jsonl", batch_size=4, progress="off"))
    records = _records(result.paths.out)
    assert [r["_provenance"]["index"] for r in records] == [0, 1, 2, 3]
    seed_texts = {s.values["text"] for s in seeds}
    for original, flipped in zip(records[0::2], records[1::2], strict=True):
        assert original["text"] in seed_texts  # the original is the real seed, not decoded
        assert flipped["sentiment"] == FLIP[original["sentiment"]]
        assert flipped["genre"] == original["genre"]
        assert flipped["text"] != original["text"]
        assert flipped["_provenance"]["seed_examples"] == original["_provenance"]["seed_examples"]
        # the pair is in the provenance, so `synthspec validate` (validator `counterfactual`) can find it
        assert original["_provenance"]["pair_id"] == flipped["_provenance"]["pair_id"]
        assert (original["_provenance"]["role"], flipped["_provenance"]["role"]) == ("original", "counterfactual")
    assert "text" not in records[0]["_provenance"]["field_seeds"]  # nothing was decoded for an original
    assert "text" in records[1]["_provenance"]["field_seeds"]


def test_gap_filling_build_writes_the_allocated_labels(tmp_path, tiny_backend) -> None:
    spec, seeds = spec_and_seeds("banking77_gap_fill", count=6)
    text = spec.field("text")
    # short texts keep the random-weight model fast (the example draws its bounds from the seeds instead)
    short = text.model_copy(update={"words": IntRange(min=2, max=6), "words_from_seeds": False})
    spec = spec.model_copy(update={"fields": tuple(short if f.name == "text" else f for f in spec.fields)})
    result = run_build(spec, tiny_backend, BuildOptions(out=tmp_path / "gap.jsonl", batch_size=6, progress="off"))
    drawn = Counter(r["intent"] for r in _records(result.paths.out))
    allocated = Counter({"contactless_not_working": 4, "virtual_card_not_working": 2})
    # the random-weight model may exhaust a record's retries; every record it did write has an allocated label
    assert result.written + result.failed == 6 and result.written >= 1
    assert all(drawn[label] <= allocated[label] for label in drawn)
    manifest = json.loads(result.paths.manifest.read_text(encoding="utf-8"))
    report = manifest["technique"]["report"]
    assert report["psi_after"] < report["psi_before"]

"""Shared pieces of the technique benchmarks: a TF-IDF + LR text classifier and a one-call build.

Kept apart so `bench_tstr.py` and `techniques_counterfactual.py` measure with the
same classifier and run the real pipeline (compile → lower → engine on the
embedded Gemma model through llama.cpp) the same way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from threadpoolctl import threadpool_limits


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def train_classifier(texts: Sequence[str], labels: Sequence[str]) -> Pipeline:
    """TF-IDF (words + bigrams, sublinear tf) + logistic regression: the usual text baseline."""
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=10.0))
    with threadpool_limits(limits=1):
        model.fit(list(texts), list(labels))
    return model


def accuracy(model: Pipeline, texts: Sequence[str], labels: Sequence[str]) -> float:
    with threadpool_limits(limits=1):
        predicted = model.predict(list(texts))
    return sum(p == y for p, y in zip(predicted, labels, strict=True)) / max(len(labels), 1)


def build(spec_path: Path, out: Path, batch_size: int | None = None) -> list[dict]:
    """Compile and build a spec with its own model block (default: embedded Gemma via llama.cpp)."""
    from synthspec.generate.backends import open_backend
    from synthspec.generate.engine import BuildOptions, run_build
    from synthspec.ir import compile_spec

    spec = compile_spec(str(spec_path)).spec
    backend = open_backend(spec.model)
    result = run_build(spec, backend, BuildOptions(out=out, force=True, progress="off", batch_size=batch_size))
    print(f"  built {result.written}/{result.total} records in {result.seconds:.0f} s "
          f"({result.rejected} rejections, {result.failed} given up)")
    with out.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def build_variant(spec: Path, text: str, out: Path, name: str) -> list[dict]:
    """Build a variant of `spec` (its text changed) on the spec's model; the records written.

    The variant is written beside the original, so its relative seed paths still hold, and removed after.
    """
    variant = spec.parent / f".bench_{name}.synth"
    variant.write_text(text, encoding="utf-8")
    try:
        return build(variant, out)
    finally:
        variant.unlink()

"""Target classifiers for the adversarial technique, and how a spec names one.

A target is a function `score(texts, train_texts, train_labels) -> list[dict[label, probability]]`:
given training examples it returns class probabilities for `texts`.  A
pre-trained classifier simply ignores the training arguments.  The technique
calls it in k folds over the seeds, so a seed is never scored by a model that
saw it.  Targets are found by name in the entry-point group `synthspec.targets`,
or given as `module:function`; `tfidf_lr` (TF-IDF + logistic regression, needs
scikit-learn) ships as the example.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from synthspec import codes
from synthspec.diagnostics import SynthspecError

Target = Callable[[Sequence[str], Sequence[str], Sequence[str]], list[dict[str, float]]]
GROUP = "synthspec.targets"


def tfidf_lr(texts: Sequence[str], train_texts: Sequence[str], train_labels: Sequence[str]) -> list[dict[str, float]]:
    """TF-IDF word/bigram features + logistic regression, fitted on the training examples."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise SynthspecError("the tfidf_lr target needs scikit-learn", hint="pip install scikit-learn",
                             code=codes.TARGET_NEEDS_SKLEARN) from None
    labels = sorted(set(train_labels))
    if len(labels) == 1:
        return [{labels[0]: 1.0} for _ in texts]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    features = vectorizer.fit_transform(list(train_texts))
    model = LogisticRegression(max_iter=1000, C=10.0)
    # one BLAS thread: a small fit is ~50 ms, but BLAS threads spinning on a busy machine make it seconds
    with threadpool_limits(limits=1):
        model.fit(features, list(train_labels))
        probabilities = model.predict_proba(vectorizer.transform(list(texts)))
    return [{str(c): float(p) for c, p in zip(model.classes_, row, strict=True)} for row in probabilities]


BUILTIN: dict[str, Target] = {"tfidf_lr": tfidf_lr}


def load_target(name: str) -> Target:
    """The target called `name`: a built-in, an entry point in `synthspec.targets`, or `module:function`."""
    if name in BUILTIN:
        return BUILTIN[name]
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise SynthspecError(f"cannot import target module `{module_name}`: {exc}", code=codes.TARGET_IMPORT_FAILED,
                                 hint="is it installed, or on PYTHONPATH?") from None
        target = getattr(module, attr, None)
        if not callable(target):
            raise SynthspecError(f"`{name}` is not a function", code=codes.TARGET_IMPORT_FAILED,
                                 hint="a target is `module:function` taking (texts, train_texts, train_labels)")
        return target
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not found:
        known = sorted(set(BUILTIN) | {ep.name for ep in entry_points(group=GROUP)})
        raise SynthspecError(f"unknown adversarial target `{name}`", code=codes.TARGET_UNKNOWN,
                             hint=f"targets: {', '.join(known)}, or give `module:function`")
    try:
        return found[0].load()
    except Exception as exc:  # a broken plugin must not crash the build with a traceback
        raise SynthspecError(f"target plugin `{name}` failed to load: {exc}", code=codes.TARGET_PLUGIN_FAILED) from None

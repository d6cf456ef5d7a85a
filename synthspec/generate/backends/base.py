"""The one interface every model backend implements.

The engine speaks only `GenRequest` → `GenResult`; a backend decides how to run
a batch (sequentially on llama.cpp, padded on transformers, concurrently over a
server fleet).  `truncated` is the single signal the engine needs: the token
budget ran out (or the server ignored the grammar) before the grammar could
stop, so the text is not a value and must never become a record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class GenRequest:
    """One constrained generation: `grammar` is llguidance Lark text, start rule `start`."""

    prompt: str
    grammar: str
    max_tokens: int
    seed: int
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int | None = None
    repeat_penalty: float = 1.0


@dataclass(frozen=True)
class GenResult:
    """What came back: the decoded text and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    truncated: bool


@dataclass(frozen=True)
class ModelIdentity:
    """What provenance and the build lock record about a model."""

    backend: str
    model_id: str
    model_sha256: str


class Backend(ABC):
    """A loaded model that decodes batches of grammar-constrained requests."""

    name: str = "base"
    #: how many requests the engine should hand over at once for best throughput
    preferred_batch: int = 1

    @property
    @abstractmethod
    def identity(self) -> ModelIdentity:
        """Backend name, model id and model content hash."""

    @abstractmethod
    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        """Decode every request; results are in request order.

        A result must depend only on its own request (prompt, grammar, seed),
        not on what else is in the batch, wherever the backend allows it.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model (servers, threads); the default holds nothing."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

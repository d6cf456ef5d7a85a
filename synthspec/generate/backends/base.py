"""The one interface every model backend implements.

The engine speaks only `GenRequest` → `GenResult`; a backend decides how to run
a batch (sequentially on llama.cpp, padded on transformers, concurrently over a
server fleet).  `truncated` is the single signal the engine needs: the token
budget ran out (or the server ignored the grammar) before the grammar could
stop, so the text is not a value and must never become a record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
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
    #: forbid repeating any word n-gram of this size within the text (0 = off); a
    #: local sampler masks the tokens that would complete one, servers re-check after
    no_repeat_ngram: int = 0


@dataclass(frozen=True)
class GenResult:
    """What came back: the decoded text and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    truncated: bool
    #: a request the backend could not serve (e.g. a server's 4xx): the engine
    #: records it in the rejects ledger for that record instead of aborting
    error: str | None = None
    #: prompt tokens not evaluated for this request because the backend reused
    #: their KV cache from an earlier request (already in `prompt_tokens`)
    cached_prompt_tokens: int = 0


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

    def open_session(self, slots: int) -> DecodeSession:
        """A continuous-batching session with up to `slots` requests in flight.

        The default hands everything submitted since the last `poll` to
        `generate` as one batch; backends that can refill a slot the moment a
        sequence finishes (batched llama.cpp, async server fleets) override it.
        """
        return BatchingSession(self, slots)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model (servers, threads); the default holds nothing."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DecodeSession(ABC):
    """Requests in flight on one backend; the scheduler's only view of it.

    The scheduler `submit`s while `free_slots() > 0` and then `poll`s, which
    blocks until at least one submitted request has finished and returns the
    finished ones as (key, result) pairs.  The order results come back in must
    depend only on what was submitted, never on timing, where the backend
    allows it (local decoding), so a build is reproducible at a fixed slot count.
    """

    #: independent decode lanes (a Ray session: one per actor, each with `slots` sequences of its own);
    #: what a lane decodes depends only on what was submitted to that lane
    lanes: int = 1

    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)

    @abstractmethod
    def submit(self, key: Hashable, request: GenRequest) -> None:
        """Start decoding `request`; `key` comes back with its result."""

    def submit_to(self, lane: int, key: Hashable, request: GenRequest) -> None:
        """`submit` on lane `lane` (a one-lane session has only lane 0)."""
        self.submit(key, request)

    def poll_lane(self) -> tuple[int, list[tuple[Hashable, GenResult]]]:
        """`poll` on whichever lane finishes first: (lane, what finished there).

        Each lane's results come back in the groups its own `poll` would return
        them in, so a lane decodes exactly what a one-lane session given the same
        submissions decodes.  Raises `LaneLost` when a lane's worker died: what
        was in flight there is gone, and the lane is ready for new submissions.
        """
        return 0, self.poll()

    @abstractmethod
    def in_flight(self) -> int:
        """Requests submitted and not yet returned by `poll`."""

    def free_slots(self) -> int:
        return max(0, self.slots - self.in_flight())

    @abstractmethod
    def poll(self) -> list[tuple[Hashable, GenResult]]:
        """Block until at least one request finished (if any is in flight); return the finished ones."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Abandon whatever is in flight."""


class LaneLost(Exception):
    """A lane's worker died with requests in flight (they are lost; the lane takes new ones)."""

    def __init__(self, lane: int, why: str) -> None:
        super().__init__(f"lane {lane} lost: {why}")
        self.lane = lane
        self.why = why


def decode_all(session: DecodeSession, requests: Sequence[GenRequest]) -> list[GenResult]:
    """Every request through `session`, results in request order: `generate` for session-native backends."""
    for i, request in enumerate(requests):
        session.submit(i, request)
    done: dict[Hashable, GenResult] = {}
    while session.in_flight():
        done.update(session.poll())
    return [done[i] for i in range(len(requests))]


class BatchingSession(DecodeSession):
    """The fallback session: what was submitted runs as one `Backend.generate` batch on `poll`."""

    def __init__(self, backend: Backend, slots: int) -> None:
        super().__init__(slots)
        self.backend = backend
        self._pending: list[tuple[Hashable, GenRequest]] = []

    def submit(self, key: Hashable, request: GenRequest) -> None:
        self._pending.append((key, request))

    def in_flight(self) -> int:
        return len(self._pending)

    def poll(self) -> list[tuple[Hashable, GenResult]]:
        pending, self._pending = self._pending, []
        if not pending:
            return []
        results = self.backend.generate([request for _, request in pending])
        return [(key, result) for (key, _), result in zip(pending, results, strict=True)]

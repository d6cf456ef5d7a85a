"""OpenAI-compatible server fleet backend (e.g. several `python -m llama_cpp.server` processes).

Requests are spread over the servers with bounded concurrency (a few in flight
per server) and retried with backoff on connection errors and 5xx answers,
moving to the next server.  The field grammar is sent as GBNF in the `grammar`
field (what llama.cpp servers accept), translated from lowering's Lark; when a
grammar cannot be translated it is not sent.  Either way every completion is
re-checked client-side against the llguidance grammar, and one that fails is
reported truncated so the engine retries it with a new seed.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.backends.base import Backend, GenRequest, GenResult, ModelIdentity
from synthspec.generate.cache import text_sha256
from synthspec.generate.gbnf import Untranslatable, lark_to_gbnf

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class _Unreachable(Exception):
    pass


class OpenAIBackend(Backend):
    """Completions over HTTP on a list of base URLs (`http://host:port` or `.../v1`)."""

    name = "openai"

    def __init__(
        self,
        servers: Sequence[str],
        ref: str | None = None,
        *,
        per_server: int = 2,
        retries: int = 3,
        timeout: float = 300.0,
        backoff: float = 0.5,
    ) -> None:
        if not servers:
            raise SynthspecError(
                "the openai backend needs at least one server URL",
                code="M006",
                hint='list them in the spec\'s model block (servers: ["http://127.0.0.1:8000"])',
            )
        self.servers = [_base_url(s) for s in servers]
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.preferred_batch = max(1, per_server * len(self.servers)) * 2
        self._pool = ThreadPoolExecutor(max_workers=max(1, per_server * len(self.servers)))
        self._gbnf: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._next = itertools.count()
        models = [self._models(url) for url in self.servers]
        self.model_ref = ref or models[0][0]
        self.model_ids = sorted({m for ids in models for m in ids})
        self._identity = ModelIdentity(self.name, self.model_ref, text_sha256("\n".join(self.model_ids)))

    @property
    def identity(self) -> ModelIdentity:
        return self._identity

    def _models(self, url: str) -> list[str]:
        try:
            data = self._call(url, "/models", None, timeout=10.0)
        except _Unreachable as exc:
            raise SynthspecError(
                f"cannot reach the model server {url}: {exc}",
                code="M007",
                hint="start the server (e.g. python -m llama_cpp.server --model M.gguf --port 8000 --n_batch 1) "
                "or fix the URL in the model block",
            ) from None
        ids = [str(m.get("id")) for m in data.get("data", [])] or ["unknown"]
        return ids

    def _call(self, url: str, path: str, body: dict[str, Any] | None, timeout: float | None = None) -> dict:
        request = urllib.request.Request(
            url + path,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": "Bearer synthspec"},
            method="GET" if body is None else "POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            if exc.code in RETRYABLE_STATUS:
                raise _Unreachable(f"HTTP {exc.code}: {detail}") from None
            raise SynthspecError(f"model server {url} refused a request: HTTP {exc.code}: {detail}",
                                 code="M008") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise _Unreachable(str(getattr(exc, "reason", exc))) from None

    def gbnf_for(self, grammar: str) -> str | None:
        """The GBNF of a grammar, or None when it cannot be translated (memoised)."""
        with self._lock:
            if grammar not in self._gbnf:
                try:
                    self._gbnf[grammar] = lark_to_gbnf(grammar)
                except Untranslatable:
                    self._gbnf[grammar] = None
            return self._gbnf[grammar]

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        return list(self._pool.map(self._one, requests))

    def _one(self, request: GenRequest) -> GenResult:
        body: dict[str, Any] = {
            "model": self.model_ref,
            "prompt": request.prompt,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "repeat_penalty": request.repeat_penalty,
        }
        if request.top_k:
            body["top_k"] = request.top_k
        gbnf = self.gbnf_for(request.grammar)
        if gbnf is not None:
            body["grammar"] = gbnf
        start = next(self._next)
        errors: list[str] = []
        for attempt in range(self.retries + 1):
            url = self.servers[(start + attempt) % len(self.servers)]
            try:
                data = self._call(url, "/completions", body)
                break
            except _Unreachable as exc:
                errors.append(f"{url}: {exc}")
                time.sleep(self.backoff * (2**attempt))
        else:
            raise SynthspecError(
                f"no model server answered after {self.retries + 1} attempts: {'; '.join(errors[-3:])}",
                code="M007",
                hint="check that the servers are running and reachable",
            )
        choice = data["choices"][0]
        text = choice.get("text", "")
        usage = data.get("usage") or {}
        truncated = choice.get("finish_reason") == "length" or not grammars.accepts(request.grammar, text)
        return GenResult(text, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                         truncated)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _base_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"

"""The server backend: a fleet of OpenAI-compatible inference servers, each spoken to in its dialect.

Opening it lists every server's models (the build's model identity is those
ids, not a hash of weights it cannot see), settles each server's dialect
(`auto` reads /v1/models' `owned_by`), and runs the conformance probe
(`probe.py`) before the first record: a server that does not enforce the
constraint it is sent stops the build with an error naming it and the field it
ignored, unless `allow_unconstrained` is set, in which case the build goes on
and its manifest says "client-checked only".  Every completion is re-checked
against the full llguidance grammar on the client either way; a text that
fails comes back `truncated`, so the engine retries it with a new seed.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Sequence
from typing import Any

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.backends.base import Backend, DecodeSession, GenRequest, GenResult, ModelIdentity
from synthspec.generate.backends.server.dialects import (
    DIALECT_CHOICES,
    DIALECTS,
    Dialect,
    OpenAIDialect,
    Route,
    detect,
    get_dialect,
)
from synthspec.generate.backends.server.fleet import Fleet, FleetSession, Refused, Transient
from synthspec.generate.backends.server.probe import ProbeResult, probe_request

DEFAULTS = {"dialect": "auto", "per_server": 2, "retries": 3, "timeout": 300.0}


class ServerBackend(Backend):
    """Completions over HTTP on a list of base URLs (`http://host:port` or `.../v1`)."""

    name = "openai"  # the canonical backend name (ir/params.py; `server` is an alias)

    def __init__(
        self,
        servers: Sequence[str],
        ref: str | None = None,
        *,
        dialect: str | None = None,
        per_server: int | None = None,
        retries: int | None = None,
        timeout: float | None = None,
        allow_unconstrained: bool = False,
        probe: bool = True,
    ) -> None:
        if not servers:
            raise SynthspecError(
                "the server backend needs at least one server URL",
                code=codes.NO_SERVERS,
                hint='list them in the spec\'s model block (servers ["http://127.0.0.1:8000"])',
            )
        dialect = (dialect or DEFAULTS["dialect"]).lower()
        if dialect not in DIALECT_CHOICES:
            get_dialect(dialect)  # raises with the choices
        self.urls = [base_url(s) for s in servers]
        self.fleet = Fleet(
            self.urls,
            per_server=int(per_server or DEFAULTS["per_server"]),
            retries=int(DEFAULTS["retries"] if retries is None else retries),
            timeout=float(timeout or DEFAULTS["timeout"]),
        )
        self.preferred_batch = 2 * self.fleet.capacity
        self.allow_unconstrained = allow_unconstrained
        try:
            models = {url: self._models(url) for url in self.urls}
            self.dialects: dict[str, str] = {
                url: (detect(models[url]) if dialect == "auto" else dialect) for url in self.urls}
            ids = {url: [str(m.get("id")) for m in models[url].get("data", [])] or ["unknown"] for url in self.urls}
            self.model_ref = ref or ids[self.urls[0]][0]
            self.model_ids = sorted({m for found in ids.values() for m in found})
            self.probes: list[ProbeResult] = [self._probe(url) for url in self.urls] if probe else []
        except BaseException:
            self.fleet.close()
            raise
        self._check_probes()
        self.field_routes: dict[str, dict[str, str]] = {}
        self._identity = ModelIdentity(self.name, self.model_ref, "models: " + ", ".join(self.model_ids))

    # ------------------------------------------------------------ opening

    def _models(self, url: str) -> dict[str, Any]:
        try:
            return self.fleet.call(self.fleet.request(url, "/models", None))
        except (Transient, Refused) as exc:
            raise SynthspecError(
                f"cannot reach the model server {url}: {exc}",
                code=codes.SERVER_UNREACHABLE,
                hint="start the server (e.g. python -m llama_cpp.server --model M.gguf --port 8000 --n_batch 1) "
                "or fix the URL in the model block",
            ) from None

    def _probe(self, url: str) -> ProbeResult:
        dialect = get_dialect(self.dialects[url])
        request = probe_request(dialect.name)
        field = dialect.route(request.grammar).sent or "(none)"
        field = field.split(" ")[0]
        try:
            data = self.fleet.call(self.fleet.request(url, dialect.path, dialect.body(self.model_ref, request)))
        except (Transient, Refused) as exc:
            return ProbeResult(url, dialect.name, field, None, str(exc))
        text, _ = dialect.text(data)
        return ProbeResult(url, dialect.name, field, text)

    def _check_probes(self) -> None:
        failed = [p for p in self.probes if not p.enforced]
        if not failed:
            return
        lines = "; ".join(p.describe() for p in failed)
        if self.allow_unconstrained:
            print(f"warning: {lines}. The build goes on client-checked only (--allow-unconstrained): every "
                  "answer is re-checked, and the ones that break a constraint are retried.", file=sys.stderr)
            return
        self.fleet.close()
        raise SynthspecError(
            f"a server ignores the constraints it is sent, so the build would run unconstrained: {lines}",
            code=codes.SERVER_IGNORES_CONSTRAINTS,
            hint="pick the server's dialect (model { dialect vllm | sglang | llamacpp | openai }), start vLLM with "
                 "--structured-outputs-config.backend guidance, or pass --allow-unconstrained to build anyway "
                 "with constraints only checked on the client (the manifest then says so)",
        )

    # ------------------------------------------------------------ what the build records

    @property
    def identity(self) -> ModelIdentity:
        return self._identity

    @property
    def client_checked_only(self) -> bool:
        """True when some server was found not to enforce constraints (or was never probed)."""
        return not self.probes or any(not p.enforced for p in self.probes)

    def routes(self, grammar: str) -> dict[str, Route]:
        """Per server: which constraint of `grammar` it receives and what is only checked after."""
        return {url: get_dialect(self.dialects[url]).route(grammar) for url in self.urls}

    def describe_fields(self, spec: Any) -> dict[str, dict[str, str]]:
        """Per field and server, the constraint sent and what is checked after (kept for the manifest)."""
        self.field_routes = field_routes(spec, self.dialects)
        return self.field_routes

    def manifest_info(self) -> dict[str, Any]:
        """What the manifest should say about the servers (the engine records it under `servers`)."""
        return {
            "servers": [{**s, "dialect": self.dialects[s["url"]]} for s in self.fleet.describe()],
            "model_ids": self.model_ids,
            "probe": [{"url": p.url, "dialect": p.dialect, "field": p.field, "enforced": p.enforced,
                       "answer": p.answer, "error": p.error} for p in self.probes],
            "constraints": "client-checked only" if self.client_checked_only else "server-enforced, re-checked",
            "fields": self.field_routes,
            "usage": dict(self.fleet.usage),
        }

    # ------------------------------------------------------------ decoding

    def _dialect(self, url: str) -> Dialect:
        return get_dialect(self.dialects[url])

    def _finish(self, request: GenRequest) -> Any:
        def finish(url: str, data: dict[str, Any]) -> GenResult:
            dialect = self._dialect(url)
            text, reason = dialect.text(data)
            if isinstance(dialect, OpenAIDialect):
                text = next((t for t in dialect.framings(request.grammar, text)
                             if grammars.accepts(request.grammar, t)), text)
            usage = data.get("usage") or {}
            truncated = reason == "length" or not grammars.accepts(request.grammar, text)
            return GenResult(text, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                             truncated)
        return finish

    def _run(self, request: GenRequest) -> Any:
        return self.fleet.start(self.fleet.generate(self._dialect, self.model_ref, request, self._finish(request)))

    def open_session(self, slots: int) -> DecodeSession:
        return FleetSession(slots, self._run)

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        """Every request through one session; results in request order."""
        session = self.open_session(max(1, len(requests)))
        for i, request in enumerate(requests):
            session.submit(i, request)
        done: dict[Hashable, GenResult] = {}
        while session.in_flight():
            done.update(session.poll())
        return [done[i] for i in range(len(requests))]

    def close(self) -> None:
        self.fleet.close()


def base_url(url: str) -> str:
    """`http://host:port` or `http://host:port/v1` → the `/v1` base every call is relative to."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


__all__ = ["DEFAULTS", "DIALECTS", "DIALECT_CHOICES", "ServerBackend", "base_url"]


def field_routes(spec: Any, dialects: dict[str, str]) -> dict[str, dict[str, str]]:
    """Per generated field and server: the constraint it receives and what is only checked after.

    Computed on record 0's grammars (a field's grammar has the same shape in every
    record; only included values differ).
    """
    from synthspec.generate.engine import load_seeds
    from synthspec.lower import field_order, plan_field, plan_records

    seeds, _ = load_seeds(spec)
    plans = plan_records(spec, seeds)
    if not plans:
        return {}
    record = plans[0]
    values: dict[str, Any] = dict(record.sampled)
    out: dict[str, dict[str, str]] = {}
    for name in field_order(spec):
        plan = plan_field(spec, name, record, values, seeds)
        out[name] = {url: get_dialect(d).route(plan.grammar).describe() if d != "auto" else "auto"
                     for url, d in dialects.items()}
        values[name] = f"<{name}>"
    return out


def print_routes(routes: dict[str, dict[str, str]], stream: Any = None) -> None:
    """The routes once on the terminal: servers with the same dialect are listed together."""
    stream = stream or sys.stderr
    for name, per_server in routes.items():
        grouped: dict[str, list[str]] = {}
        for url, text in per_server.items():
            grouped.setdefault(text, []).append(url)
        for text, urls in grouped.items():
            where = "all servers" if len(urls) == len(per_server) and len(urls) > 1 else ", ".join(urls)
            print(f"constraint of `{name}` on {where}: {text}", file=stream)

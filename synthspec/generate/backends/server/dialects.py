"""How each kind of inference server wants a constraint: one request body per dialect.

Servers that speak the OpenAI completions API disagree on where a grammar goes,
and most of them answer HTTP 200 with *unconstrained* text when they do not
know a field.  So the dialect is explicit (or detected, then verified by the
conformance probe in `probe.py`), and every dialect says, per grammar, which
constraint the server receives and which is only re-checked on the client.

Request fields, as documented by each server (the versions these bodies follow):

- ``vllm`` (vLLM >= 0.12, docs "Structured Outputs"): ``structured_outputs:
  {"grammar": ...}`` (the ``guided_*`` fields were removed in 0.12 and are
  ignored silently), ``repetition_penalty``, ``top_k``, ``seed``.  The Lark text
  is sent as is: vLLM's ``guidance`` backend reads llguidance Lark, so ``&``/``~``
  (every ``must not include``) survive.  Start vLLM with the guidance backend
  (``--structured-outputs-config.backend guidance``); the probe checks it.
- ``llamacpp`` (llama.cpp ``llama-server`` and ``llama_cpp.server`` of
  llama-cpp-python 0.3): GBNF in ``grammar``, ``repeat_penalty``, ``top_k``,
  ``seed``.  Lark with ``&``/``~`` has no GBNF form: such a field is sent
  without a grammar and only re-checked on the client.
- ``sglang`` (SGLang 0.4/0.5 docs "Structured Outputs"): GBNF-style EBNF in
  ``ebnf`` (XGrammar's default format), ``repetition_penalty``, ``top_k``,
  ``seed``; untranslatable grammars as for llama.cpp.
- ``openai`` (hosted OpenAI-compatible chat APIs): ``response_format:
  {"type": "json_schema", "json_schema": {"strict": true, ...}}`` wrapping the
  field's value (an ``enum`` when the grammar is a finite choice); every text
  constraint is re-checked on the client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import GenRequest
from synthspec.generate.gbnf import Untranslatable, finite_language, lark_to_gbnf
from synthspec.ir.params import DIALECTS as SPEC_DIALECTS

DIALECT_CHOICES = SPEC_DIALECTS  # what a spec may say (`auto` included)
DIALECTS = tuple(d for d in DIALECT_CHOICES if d != "auto")

#: `owned_by` of /v1/models entries, as each server writes it, → dialect
_OWNED_BY = {"vllm": "vllm", "sglang": "sglang", "llamacpp": "llamacpp", "me": "llamacpp"}


@dataclass(frozen=True)
class Route:
    """Where one grammar's constraint goes on one dialect.

    `sent` names the request field carrying it (None: the server gets no
    constraint); `client_checked` says what is only checked after the answer
    (every answer is re-checked against the full grammar anyway).
    """

    sent: str | None
    client_checked: str

    def describe(self) -> str:
        return f"sent as {self.sent or 'nothing'}; only checked after: {self.client_checked}"


@lru_cache(maxsize=4096)
def gbnf_or_none(grammar: str) -> str | None:
    """The GBNF of a Lark grammar, or None where it has none (llguidance's `&`/`~`, ...)."""
    try:
        return lark_to_gbnf(grammar)
    except Untranslatable:
        return None


def finite_choices(grammar: str) -> tuple[str, ...] | None:
    """The sentences of a grammar with a small finite language (a category), else None."""
    found = finite_language(grammar)
    return None if found is None else tuple(found)


class Dialect:
    """Builds the request body of one dialect and reads its answer."""

    name = "base"
    path = "/completions"

    def route(self, grammar: str) -> Route:
        raise NotImplementedError

    def body(self, model: str, request: GenRequest) -> dict[str, Any]:
        raise NotImplementedError

    def text(self, data: dict[str, Any]) -> tuple[str, str | None]:
        """(completion text, finish_reason) from a 200 answer."""
        choice = (data.get("choices") or [{}])[0]
        return str(choice.get("text") or ""), choice.get("finish_reason")

    def _sampling(self, model: str, request: GenRequest, penalty_field: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "prompt": request.prompt,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            penalty_field: request.repeat_penalty,
        }
        if request.top_k:
            body["top_k"] = request.top_k
        return body


class VllmDialect(Dialect):
    name = "vllm"

    def route(self, grammar: str) -> Route:
        return Route("structured_outputs.grammar (the Lark grammar as is)", "nothing")

    def body(self, model: str, request: GenRequest) -> dict[str, Any]:
        body = self._sampling(model, request, "repetition_penalty")
        body["structured_outputs"] = {"grammar": request.grammar}
        return body


class LlamaCppDialect(Dialect):
    name = "llamacpp"
    field = "grammar"

    def route(self, grammar: str) -> Route:
        if gbnf_or_none(grammar) is None:
            return Route(None, "the whole grammar (it uses llguidance's &/~, which GBNF cannot express)")
        return Route(f"{self.field} (GBNF translated from the Lark grammar)", "nothing")

    def body(self, model: str, request: GenRequest) -> dict[str, Any]:
        body = self._sampling(model, request, "repeat_penalty")
        gbnf = gbnf_or_none(request.grammar)
        if gbnf is not None:
            body[self.field] = gbnf
        return body


class SglangDialect(LlamaCppDialect):
    name = "sglang"
    field = "ebnf"

    def body(self, model: str, request: GenRequest) -> dict[str, Any]:
        body = self._sampling(model, request, "repetition_penalty")
        gbnf = gbnf_or_none(request.grammar)
        if gbnf is not None:
            body[self.field] = gbnf
        return body


class OpenAIDialect(Dialect):
    """Hosted chat APIs: only JSON schemas are enforced, so the value travels in a strict JSON wrapper."""

    name = "openai"
    path = "/chat/completions"

    def route(self, grammar: str) -> Route:
        if finite_choices(grammar) is not None:
            return Route("response_format json_schema (strict, enum of the choices)", "the exact text")
        return Route("response_format json_schema (strict, a string value)", "every text constraint")

    def schema(self, grammar: str) -> dict[str, Any]:
        choices = finite_choices(grammar)
        value: dict[str, Any] = {"type": "string"}
        if choices is not None:
            value["enum"] = list(choices)
        return {"type": "object", "properties": {"value": value}, "required": ["value"],
                "additionalProperties": False}

    def body(self, model: str, request: GenRequest) -> dict[str, Any]:
        return {
            "model": model,
            "messages": [{"role": "user", "content": request.prompt}],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "value", "strict": True, "schema": self.schema(request.grammar)}},
        }

    def text(self, data: dict[str, Any]) -> tuple[str, str | None]:
        choice = (data.get("choices") or [{}])[0]
        content = str((choice.get("message") or {}).get("content") or "")
        try:
            value = json.loads(content)["value"]
        except (ValueError, KeyError, TypeError):
            return content, choice.get("finish_reason")
        return str(value), choice.get("finish_reason")

    @staticmethod
    def framings(grammar: str, text: str) -> list[str]:
        """The value as the field grammar frames it (lowering's grammars start with a space, end with a newline)."""
        return [text, f" {text.strip()}\n", f" {text.strip()}"]


_DIALECTS: dict[str, Dialect] = {d.name: d for d in (VllmDialect(), LlamaCppDialect(), SglangDialect(),
                                                     OpenAIDialect())}


def get_dialect(name: str) -> Dialect:
    """The dialect called `name` (a SynthspecError naming the choices otherwise)."""
    try:
        return _DIALECTS[name]
    except KeyError:
        raise SynthspecError(f"unknown server dialect `{name}`", code=codes.DIALECT_UNKNOWN,
                             hint=f"choose one of: {', '.join(DIALECT_CHOICES)}") from None


def detect(models: dict[str, Any]) -> str:
    """The dialect a server speaks, from its /v1/models answer (`owned_by`); hosted APIs fall to `openai`."""
    for entry in models.get("data") or []:
        owner = str(entry.get("owned_by", "")).lower()
        if owner in _OWNED_BY:
            return _OWNED_BY[owner]
    return "openai"


def routes_for(dialect: str, grammar: str) -> Route:
    """What `dialect` sends for `grammar` (for `explain`, the terminal and the manifest)."""
    if dialect == "auto":
        return Route("decided per server once it answers (see `synthspec build`)", "whatever it cannot take")
    return get_dialect(dialect).route(grammar)

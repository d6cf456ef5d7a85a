"""Continuous batching on llama.cpp: many sequences in one context, one `llama_decode` per step.

One llama.cpp context holds up to `slots` sequences, each in its own KV stream
(`kv_unified = false`: attention of a sequence reads only its own cells, which
measured cheaper than one shared buffer at 16 sequences).  Every step puts the
next token of each running sequence and chunks of the prompts of newly
submitted ones into one batch.  While llama.cpp computes it (it releases the
GIL), this thread fills the llguidance masks of every sequence that will get
logits, in one parallel call, and applies the word n-gram guard; then each row
is sampled over its allowed tokens only (`sampler.py`).

A finished sequence leaves its KV cells in its slot; a new request is given the
free slot whose cached tokens share the longest prefix with its prompt (the
next field of the same record, a retry with another seed), and only the rest of
its prompt is evaluated.  Gemma's sliding-window layers keep only the last
window of positions, so a prefix is reused only while its window is still there.

Determinism: nothing depends on timing.  Sequences are batched in slot order,
prompts in submission order, `poll` returns what finished in submission order,
and each sequence samples from its own seeded generator.  What a sequence
decodes can depend on the other sequences in flight (llama.cpp's matrix kernels
differ with batch size in the last bits, and a reused prefix was evaluated in
other chunks), so the same submissions at the same slot count give the same
text, and another slot count may give other (equally valid) text: the session
says so (`batch_invariant = False`), and the build scheduler then works in
index-aligned windows.  A request submitted when nothing is in flight starts
from a forgotten cache, so a window's texts never depend on what an earlier
window (or an earlier process, before a resume) left in the KV cache.
"""

from __future__ import annotations

import ctypes
import itertools
import time
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import llguidance
import llguidance.numpy
import numpy as np

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.backends.base import DecodeSession, GenRequest, GenResult
from synthspec.generate.backends.ngram import WordNgramGuard
from synthspec.generate.backends.sampler import sample, unpack_masks

if TYPE_CHECKING:
    from synthspec.generate.backends.llamacpp import LlamaCppBackend

#: tokens per llama_decode call (prompt chunks plus one token per running sequence)
BATCH_TOKENS = 512
#: resampling attempts when a drawn token turns out to repeat a word n-gram
_GUARD_REDRAWS = 16
#: a prompt shares a live sequence's prompt prefix worth copying (instead of evaluating) from this many tokens
FORK_MIN_TOKENS = 32


@dataclass(eq=False)
class _Sequence:
    """One request in flight."""

    order: int
    key: Hashable
    request: GenRequest
    prompt: list[int]
    rng: np.random.Generator
    matcher: Any = None
    guard: WordNgramGuard | None = None
    evaluated: int = 0  # prompt tokens in the KV cache
    reused: int = 0  # of which were already there from an earlier request
    generated: list[int] = field(default_factory=list)
    pending: int | None = None  # sampled, not yet fed to the model
    fork: tuple[_Sequence, int] | None = None  # (source, prefix length) to copy once the source has evaluated it


class LlamaBatchSession(DecodeSession):
    """A `DecodeSession` decoding up to `slots` requests together on one llama.cpp context."""

    #: a result can depend on what else is in flight (see the module docstring)
    batch_invariant = False

    def __init__(self, backend: LlamaCppBackend, slots: int, *, reuse_prefix: bool = True,
                 batch_tokens: int = BATCH_TOKENS, ignore_eos: bool = False) -> None:
        """`ignore_eos` (benchmarks only) makes unconstrained requests decode their whole budget."""
        import llama_cpp

        super().__init__(slots)
        self.backend = backend
        self.reuse_prefix = reuse_prefix
        self.ignore_eos = ignore_eos
        self.batch_tokens = batch_tokens
        self.n_ctx_seq = backend.n_ctx
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = self.n_ctx_seq * self.slots
        params.n_batch = params.n_ubatch = batch_tokens
        params.n_seq_max = self.slots
        params.n_threads = params.n_threads_batch = backend.threads
        params.kv_unified = False
        params.swa_full = False
        params.no_perf = True
        self._lib = llama_cpp
        self.ctx = llama_cpp.llama_init_from_model(backend.llm.model, params)
        if not self.ctx:
            raise SynthspecError(
                f"llama.cpp could not create a context for {self.slots} sequences of {self.n_ctx_seq} tokens",
                code=codes.NO_SERVERS,
                hint="lower --batch-size; each sequence needs its own KV cache",
            )
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_swa = int(llama_cpp.llama_model_n_swa(backend.llm.model))
        self.batch = llama_cpp.llama_batch_init(batch_tokens, 0, 1)
        self.vocab = backend.n_vocab
        self.bitmask = llguidance.numpy.allocate_token_bitmask(self.slots, backend.tokenizer.vocab_size)
        self.executor = llguidance.LLExecutor(max(1, backend.threads))
        self.decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-decode")
        self.live: list[_Sequence | None] = [None] * self.slots
        self.cached: list[list[int]] = [[] for _ in range(self.slots)]  # tokens whose KV each slot holds
        self.finished: list[tuple[int, Hashable, GenResult]] = []
        self._orders = itertools.count()
        self._state_buffer = (ctypes.c_uint8 * 0)()
        #: seconds spent per phase (what limits throughput; read by bench/bench_throughput.py)
        self.timings = {"plan": 0.0, "masks": 0.0, "decode wait": 0.0, "sample": 0.0}

    # ------------------------------------------------------------ the DecodeSession interface

    def submit(self, key: Hashable, request: GenRequest) -> None:
        prompt = self.backend.tokenize_prompt(request.prompt)
        if len(prompt) + request.max_tokens > self.n_ctx_seq:
            raise SynthspecError(
                f"llama.cpp refused a generation: {len(prompt)} prompt tokens plus max_tokens "
                f"{request.max_tokens} exceed the {self.n_ctx_seq}-token context",
                code=codes.GENERATION_REFUSED,
                hint=f"the prompt plus max_tokens must fit the {self.n_ctx_seq}-token context; use fewer seed examples",
            )
        free = [slot for slot in range(self.slots) if self.live[slot] is None]
        if not free:
            raise RuntimeError("submit() with no free slot; poll() first")
        if self.in_flight() == 0:  # a fresh start: what earlier requests left behind must not matter
            self.cached = [[] for _ in range(self.slots)]
        slot, shared = free[0], 0
        if self.reuse_prefix:
            for candidate in free:  # the longest reusable prefix; ties go to the lowest slot
                length = self._reusable(candidate, prompt)
                if length > shared:
                    slot, shared = candidate, length
        self._lib.llama_memory_seq_rm(self.memory, slot, shared, -1)
        del self.cached[slot][shared:]
        seq = _Sequence(next(self._orders), key, request, prompt, np.random.default_rng(request.seed))
        seq.evaluated = seq.reused = shared
        if self.reuse_prefix:
            seq.fork = self._fork_source(prompt, shared)
        if request.grammar:
            seq.matcher = self.backend.pool.matcher(grammars.compile_grammar(request.grammar))
        if request.no_repeat_ngram > 0:
            seq.guard = WordNgramGuard(self.backend.token_words(), request.no_repeat_ngram)
        self.live[slot] = seq

    def in_flight(self) -> int:
        return sum(seq is not None for seq in self.live) + len(self.finished)

    def poll(self) -> list[tuple[Hashable, GenResult]]:
        while not self.finished and any(seq is not None for seq in self.live):
            self._step()
        done, self.finished = sorted(self.finished, key=lambda item: item[0]), []
        return [(key, result) for _, key, result in done]

    def close(self) -> None:
        if getattr(self, "ctx", None):
            self.decoder.shutdown(wait=True)
            self._lib.llama_batch_free(self.batch)
            self._lib.llama_free(self.ctx)
            self.ctx = None
        self.live = [None] * self.slots

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # ------------------------------------------------------------ one step

    def _reusable(self, slot: int, prompt: list[int]) -> int:
        """How many leading prompt tokens slot `slot` already holds in a usable state (0 if none)."""
        cached = self.cached[slot]
        limit = min(len(cached), len(prompt) - 1)  # the last prompt token is evaluated again for its logits
        length = 0
        while length < limit and cached[length] == prompt[length]:
            length += 1
        if length and self.n_swa > 0:
            # the sliding-window layers must still hold the window before the reused prefix
            oldest = self._lib.llama_memory_seq_pos_min(self.memory, slot)
            if oldest > max(0, length - self.n_swa):
                return 0
        return length

    def _fork_source(self, prompt: list[int], have: int) -> tuple[_Sequence, int] | None:
        """A live sequence whose prompt shares a prefix with `prompt` long enough to copy rather than evaluate."""
        best: tuple[_Sequence, int] | None = None
        for other in self.live:
            if other is None:
                continue
            limit, length = min(len(other.prompt), len(prompt) - 1), 0
            while length < limit and other.prompt[length] == prompt[length]:
                length += 1
            if length >= max(FORK_MIN_TOKENS, have + FORK_MIN_TOKENS) and (best is None or length > best[1]):
                best = (other, length)
        return best

    def _resolve_fork(self, slot: int, seq: _Sequence) -> bool:
        """Copy the source's KV prefix into `slot` once it is evaluated; False while it must wait."""
        source, length = seq.fork  # type: ignore[misc]
        if source in self.live:
            if source.evaluated < length:
                return False  # the source's prompt is still being evaluated
            src = self.live.index(source)
            oldest = self._lib.llama_memory_seq_pos_min(self.memory, src)
            if self.n_swa <= 0 or oldest <= max(0, length - self.n_swa):
                self._copy_sequence(src, slot, length)
                self.cached[slot] = self.cached[src][:length]
                seq.evaluated = seq.reused = length
        seq.fork = None  # copied, or the source is gone: evaluate from what the slot holds
        return True

    def _copy_sequence(self, src: int, dst: int, length: int) -> None:
        """Slot `dst` gets the first `length` positions of slot `src`'s KV cache.

        Across KV streams `llama_memory_seq_cp` only marks the copy and leaves
        the data to a later cache update that `llama_decode` does not run in
        this llama.cpp, so the sequence's state is copied through a buffer
        (`llama_state_seq_get_data` / `set_data`), then cut to the prefix.
        """
        lib = self._lib
        size = lib.llama_state_seq_get_size(self.ctx, src)
        if len(self._state_buffer) < size:
            self._state_buffer = (ctypes.c_uint8 * size)()
        lib.llama_memory_seq_rm(self.memory, dst, -1, -1)
        written = lib.llama_state_seq_get_data(self.ctx, self._state_buffer, size, src)
        if not written or not lib.llama_state_seq_set_data(self.ctx, self._state_buffer, written, dst):
            lib.llama_memory_seq_rm(self.memory, dst, -1, -1)
            raise SynthspecError("llama.cpp could not copy a sequence's KV cache", code=codes.SERVER_UNREACHABLE,
                                 hint="report this with your llama-cpp-python version")
        lib.llama_memory_seq_rm(self.memory, dst, length, -1)

    def _plan(self) -> list[tuple[int, int]]:
        """Fill the batch: (slot, batch row that gets logits) for every sequence sampled after this step."""
        batch, rows, used = self.batch, [], 0

        def put(token: int, pos: int, slot: int, logits: bool) -> None:
            nonlocal used
            batch.token[used], batch.pos[used], batch.n_seq_id[used] = token, pos, 1
            batch.seq_id[used][0], batch.logits[used] = slot, logits
            self.cached[slot].append(token)
            used += 1

        # forks first: a source's `evaluated` must count only tokens already decoded, not this batch's
        waiting = {id(seq) for slot, seq in enumerate(self.live)
                   if seq is not None and seq.fork is not None and not self._resolve_fork(slot, seq)}
        for slot, seq in enumerate(self.live):
            if seq is not None and seq.pending is not None:
                rows.append((slot, used))
                put(seq.pending, len(seq.prompt) + len(seq.generated) - 1, slot, True)
                seq.pending = None
        for seq in sorted((s for s in self.live if s is not None and s.evaluated < len(s.prompt)),
                          key=lambda s: s.order):
            if id(seq) in waiting:
                continue
            slot = self.live.index(seq)
            take = min(len(seq.prompt) - seq.evaluated, self.batch_tokens - used)
            for offset in range(take):
                pos = seq.evaluated + offset
                last = pos == len(seq.prompt) - 1
                if last:
                    rows.append((slot, used))
                put(seq.prompt[pos], pos, slot, last)
            seq.evaluated += take
            if used >= self.batch_tokens:
                break
        batch.n_tokens = used
        return rows

    def _step(self) -> None:
        clock = time.perf_counter()
        rows = self._plan()
        decoding = self.decoder.submit(self._lib.llama_decode, self.ctx, self.batch)
        planned = time.perf_counter()
        try:
            self._fill_masks([slot for slot, _ in rows])
        finally:
            masked = time.perf_counter()
            status = decoding.result()
        decoded = time.perf_counter()
        if status != 0:
            raise SynthspecError(f"llama.cpp could not decode a batch (status {status})", code=codes.SERVER_UNREACHABLE,
                                 hint="lower --batch-size or the context size")
        constrained = [slot for slot, _ in rows if self.live[slot].matcher is not None]
        allowed = dict(zip(constrained, unpack_masks(self.bitmask[constrained], self.vocab), strict=True)) \
            if constrained else {}
        for slot, row in rows:
            seq = self.live[slot]
            pointer = self._lib.llama_get_logits_ith(self.ctx, row)
            logits = np.ctypeslib.as_array(pointer, shape=(self.vocab,))
            self._advance(slot, seq, logits, allowed.get(slot))
        timings = self.timings
        timings["plan"] += planned - clock
        timings["masks"] += masked - planned
        timings["decode wait"] += decoded - masked
        timings["sample"] += time.perf_counter() - decoded

    def _fill_masks(self, slots: list[int]) -> None:
        constrained = [(self.live[slot].matcher, slot) for slot in slots if self.live[slot].matcher is not None]
        if constrained:
            llguidance.numpy.fill_next_token_bitmask_par(self.executor, constrained, self.bitmask)
        for slot in slots:
            seq = self.live[slot]
            if seq.guard is not None:
                if seq.matcher is None:
                    self.bitmask[slot] = -1
                seq.guard.restrict(self.bitmask[slot])

    def _advance(self, slot: int, seq: _Sequence, logits: np.ndarray, allowed: np.ndarray | None) -> None:
        request = seq.request
        if allowed is None and seq.guard is not None:
            allowed = unpack_masks(self.bitmask[slot : slot + 1], self.vocab)[0]
        excluded: list[int] = list(self.backend.end_tokens()) if self.ignore_eos and seq.matcher is None else []
        while True:
            token = sample(logits, allowed, seq.rng, temperature=request.temperature, top_p=request.top_p,
                           top_k=request.top_k, repeat_penalty=request.repeat_penalty, recent=seq.generated,
                           exclude=excluded)
            if seq.guard is None or token < 0 or len(excluded) >= _GUARD_REDRAWS or not seq.guard.violates(token):
                break
            excluded.append(token)
        if token < 0:
            self._finish(slot, seq, "error")
        elif seq.matcher is None:
            if self.backend.is_end(token):
                self._finish(slot, seq, "eos")
                return
            self._take(slot, seq, token)
        elif token == self.backend.tokenizer.eos_token or seq.matcher.is_stopped():
            self._finish(slot, seq, "eos")
        elif not seq.matcher.consume_token(token):
            self._finish(slot, seq, "error")
        else:
            self._take(slot, seq, token)

    def _take(self, slot: int, seq: _Sequence, token: int) -> None:
        seq.generated.append(token)
        if seq.guard is not None:
            seq.guard.accept(token)
        if seq.matcher is not None and seq.matcher.is_stopped():
            self._finish(slot, seq, "stop")
        elif len(seq.generated) >= seq.request.max_tokens:
            self._finish(slot, seq, "length")
        else:
            seq.pending = token

    def _finish(self, slot: int, seq: _Sequence, how: str) -> None:
        text = self.backend.detokenize(seq.generated)
        grammar = seq.request.grammar
        if grammar:
            truncated = how not in ("eos", "stop") or not grammars.accepts(grammar, text)
        else:
            truncated = how != "eos"
        result = GenResult(text, len(seq.prompt), len(seq.generated), truncated,
                           cached_prompt_tokens=seq.reused)
        self.finished.append((seq.order, seq.key, result))
        self.live[slot] = None

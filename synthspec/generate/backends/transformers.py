"""transformers backend: a local Hugging Face model, batched, constrained by llguidance via Outlines.

Every row of a batch carries its own grammar (see `processor.py`), so a batch
is never split by grammar.  Sampling uses torch's global generator, seeded per
batch from the rows' seeds: a batch's records are reproducible given the same
batch composition, which the engine guarantees by forming batches from fixed
index ranges.  A GGUF file can be loaded too (transformers dequantises it).
The device is chosen automatically: a CUDA GPU when torch sees one (bf16 where
the GPU supports it, else fp16), the CPU (fp32) otherwise, so the same spec
builds on either machine; `$SYNTHSPEC_DEVICE` (`cpu`, `cuda`, `cuda:1`)
overrides it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from outlines.models.transformers import Transformers

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.backends.base import Backend, GenRequest, GenResult, ModelIdentity
from synthspec.generate.backends.ngram import TokenWords, token_words_from
from synthspec.generate.backends.processor import MatcherPool, RowGrammarProcessor
from synthspec.generate.cache import cache_dir, directory_sha256, model_file_sha256


class _CapturingTransformers(Transformers):
    """Outlines' Transformers model that keeps the generated ids (Outlines returns only text)."""

    last_ids: Any = None

    def _generate_output_seq(self, prompts: Any, inputs: Any, **inference_kwargs: Any) -> Any:
        ids = super()._generate_output_seq(prompts, inputs, **inference_kwargs)
        self.last_ids = ids
        self.last_prompt_lengths = inputs["attention_mask"].sum(dim=1).tolist()
        return ids


def resolve_model_dir(ref: str | None) -> tuple[Path, str | None]:
    """(directory, gguf file name or None) for a model reference; never downloads."""
    if ref is None:
        from synthspec.generate.backends.llamacpp import embedded_model_path

        gguf = embedded_model_path()
        return gguf.parent, gguf.name
    path = Path(ref).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path.parent, path.name
    if not path.is_dir() or not (path / "config.json").exists():
        raise SynthspecError(
            f"no local transformers model at {path}",
            code=codes.MODEL_NOT_FOUND,
            hint="give a directory with config.json and weights (or a .gguf file); models are never downloaded",
        )
    return path, None


def choose_device(requested: str | None = None) -> tuple[str, Any]:
    """(device, dtype): the requested or `$SYNTHSPEC_DEVICE` device, else CUDA when torch sees one, else the CPU."""
    import torch

    device = requested or os.environ.get("SYNTHSPEC_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SynthspecError(f"device {device} was asked for but torch sees no CUDA GPU", code=codes.MODEL_LOAD_FAILED,
                                 hint="unset SYNTHSPEC_DEVICE to decode on the CPU")
        return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return device, torch.float32


class TransformersBackend(Backend):
    """Batched constrained decoding with Hugging Face transformers, on a GPU when there is one."""

    name = "transformers"
    preferred_batch = 8

    def __init__(self, ref: str | None = None, *, threads: int | None = None, device: str | None = None) -> None:
        import llguidance.hf
        import torch

        directory, gguf = resolve_model_dir(ref)
        if threads:
            torch.set_num_threads(threads)
        self.device, self.dtype = choose_device(device)
        try:
            tokenizer, model = _load(directory, gguf)
        except (OSError, ValueError) as exc:
            raise SynthspecError(
                f"transformers could not load the model at {directory}: {exc}", code=codes.MODEL_LOAD_FAILED
            ) from None
        if self.device != "cpu":
            model = model.to(device=self.device, dtype=self.dtype)
        model.eval()
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.model = _CapturingTransformers(model, tokenizer)
        self.model.type_adapter.has_chat_template = False  # base models: prompts are raw text
        self.hf_tokenizer = tokenizer
        self.eos_ids = _eos_ids(model, tokenizer)
        self.pool = MatcherPool(llguidance.hf.from_tokenizer(tokenizer))
        self._token_words: TokenWords | None = None
        if gguf:
            self.model_hash = model_file_sha256(directory / gguf)
            self.model_id = "embedded:gemma-3-270m-q4_k_m" if ref is None else gguf
        else:
            self.model_hash = directory_sha256(directory)
            self.model_id = directory.name

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(self.name, self.model_id, self.model_hash)

    def manifest_info(self) -> dict[str, Any]:
        """What the manifest's `backend_info` records about this backend: its build (see `build_info`)."""
        return {"build": self.build_info}

    @property
    def build_info(self) -> dict[str, Any]:
        """Where and how the model runs (for the manifest)."""
        import torch

        return {"torch": torch.__version__, "device": self.device, "dtype": str(self.dtype).replace("torch.", ""),
                "threads": torch.get_num_threads()}

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        if not requests:
            return []
        import outlines
        import torch

        first = requests[0]
        specs = [grammars.compile_grammar(r.grammar) for r in requests]
        ngrams = [r.no_repeat_ngram for r in requests]
        processor = RowGrammarProcessor(specs, self.pool, "torch", ngrams=ngrams,
                                        token_words=self.token_words if any(ngrams) else None)
        generator = outlines.Generator(self.model, processor=processor)
        torch.manual_seed(_batch_seed(requests))
        kwargs: dict[str, Any] = {
            "max_new_tokens": max(r.max_tokens for r in requests),
            "do_sample": True,
            "temperature": first.temperature,
            "top_p": first.top_p,
            "top_k": first.top_k or 0,
            "repetition_penalty": first.repeat_penalty,
            "pad_token_id": self.hf_tokenizer.pad_token_id,
        }
        with torch.inference_mode():
            texts = generator.batch([r.prompt for r in requests], **kwargs)
        ids = self.model.last_ids
        prompt_lengths = self.model.last_prompt_lengths
        results = []
        for row, (request, text) in enumerate(zip(requests, texts, strict=True)):
            used, stopped = _used_tokens(ids[row].tolist(), self.eos_ids)
            truncated = not stopped or used > request.max_tokens or not grammars.accepts(request.grammar, text)
            results.append(GenResult(text, int(prompt_lengths[row]), used, truncated))
        return results


    def token_words(self) -> TokenWords:
        """The vocabulary's word index for the n-gram guard (built on first use)."""
        if self._token_words is None:
            self._token_words = token_words_from(self.pool.tokenizer)
        return self._token_words


def _load(directory: Path, gguf: str | None) -> tuple[Any, Any]:
    """(tokenizer, model); a GGUF is dequantised once and kept in the cache as a transformers model.

    Dequantising the embedded GGUF takes about a minute on 2 cores; the
    converted copy (keyed by the GGUF's hash) loads in seconds.
    """
    import shutil

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if gguf is None:
        return (AutoTokenizer.from_pretrained(str(directory), local_files_only=True),
                AutoModelForCausalLM.from_pretrained(str(directory), dtype=torch.float32, local_files_only=True))
    converted = cache_dir("models") / f"hf-{model_file_sha256(directory / gguf)}"
    if (converted / "config.json").exists():
        return (AutoTokenizer.from_pretrained(str(converted), local_files_only=True),
                AutoModelForCausalLM.from_pretrained(str(converted), dtype=torch.float32, local_files_only=True))
    tokenizer = AutoTokenizer.from_pretrained(str(directory), gguf_file=gguf, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(directory), gguf_file=gguf, dtype=torch.float32,
                                                 local_files_only=True)
    staging = converted.with_name(converted.name + ".partial")
    try:
        shutil.rmtree(staging, ignore_errors=True)
        # the weights are already dequantised to float32: drop the GGUF marker that blocks saving
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tokenizer.save_pretrained(staging)
        model.save_pretrained(staging)
        staging.rename(converted)
    except (OSError, ValueError):
        shutil.rmtree(staging, ignore_errors=True)  # an unwritable cache only costs time
    return tokenizer, model


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids = model.generation_config.eos_token_id if model.generation_config is not None else None
    found = set(ids if isinstance(ids, list) else [ids]) if ids is not None else set()
    if tokenizer.eos_token_id is not None:
        found.add(tokenizer.eos_token_id)
    return found


def _used_tokens(row: list[int], eos: set[int]) -> tuple[int, bool]:
    """(tokens generated including the EOS, whether an EOS was reached)."""
    for position, token in enumerate(row):
        if token in eos:
            return position + 1, True
    return len(row), False


def _batch_seed(requests: Sequence[GenRequest]) -> int:
    seed = 0
    for request in requests:
        seed = (seed * 1_000_003 + request.seed) % (2**63 - 1)
    return seed

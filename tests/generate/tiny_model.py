"""A tiny random-weight causal LM with a locally trained byte-level BPE tokenizer.

Built on the fly so the unit tests exercise real transformers + Outlines +
llguidance without any download.  Its weights are random, so what it writes is
gibberish — which is the point: constrained decoding must still yield values
that satisfy the grammar.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "The service was quick and friendly.",
    "Terrible product, it broke after two days!",
    "Order ABC-1234 arrived on time, great value.",
    "I would recommend this shop to everyone.",
    "Support never answered my emails.",
] * 20


def build_tiny_model(directory: Path) -> Path:
    """Write tokenizer + a 2-layer Llama with random weights into `directory`."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS, vocab_size=400, min_frequency=1, special_tokens=["<s>", "</s>", "<pad>"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    tokenizer.save_pretrained(directory)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(directory)
    return directory

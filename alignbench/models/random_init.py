"""Randomly initialised Llama-shaped checkpoints, for tests and throughput measurements.

A tiny one lets the whole workflow run in seconds; a Llama-3.2-1B-shaped one (the shape in its
config.json) lets a GPU measure training throughput without Hub access. Either is an ordinary
checkpoint folder that ``model.source: local`` can point at.
"""

from __future__ import annotations

from pathlib import Path

TINY_SHAPE = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}
LLAMA_3_2_1B_SHAPE = {
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "rope_theta": 500000.0,
}


def save_random_llama(
    out_dir: str | Path, tokenizer, shape: dict, seed: int = 0, vocab_size: int | None = None
) -> Path:
    """Write a random LlamaForCausalLM of ``shape`` to out_dir, with ``tokenizer``'s vocabulary
    or a larger ``vocab_size`` (Llama-3.2-1B's 128,256 rows decide what its logits cost, while
    any tokenizer whose ids fit can feed it)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    vocab_size = vocab_size or len(tokenizer)
    if vocab_size < len(tokenizer):
        raise ValueError(
            f"vocab_size {vocab_size} is smaller than the tokenizer's {len(tokenizer)}"
        )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **shape,
    )
    model = LlamaForCausalLM(config)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir

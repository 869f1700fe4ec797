"""Randomly initialised Llama-shaped checkpoints, for tests and throughput measurements.

A tiny one lets the whole workflow run in seconds; a Llama-3.2-1B-shaped one (the shape in its
config.json) lets a GPU measure training throughput without Hub access; a SmolLM2-135M-shaped one
costs what the demo's embedded model costs, where its weights are not at hand. Each is an
ordinary checkpoint folder that ``model.source: local`` can point at:

    python -m alignbench.models.random_init --shape smollm2-135m models/random-smollm2
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
# The embedded demo model's shape, as its GGUF header states it (AutoConfig of the file); its
# vocabulary is the tokenizer's own 49,152 tokens.
SMOLLM2_135M_SHAPE = {
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "rope_theta": 100000.0,
}
SHAPES = {
    "tiny": TINY_SHAPE,
    "smollm2-135m": SMOLLM2_135M_SHAPE,
    "llama-3.2-1b": LLAMA_3_2_1B_SHAPE,
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


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m alignbench.models.random_init",
        description="Write a randomly initialised Llama-shaped checkpoint folder.",
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="smollm2-135m")
    parser.add_argument(
        "--tokenizer",
        type=Path,
        default=None,
        help="a saved tokenizer folder (default: the embedded demo model's tokenizer)",
    )
    parser.add_argument("--vocab-size", type=int, default=None, help="default: the tokenizer's")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from alignbench.models.base import embedded_tokenizer
    from alignbench.models.loading import load_tokenizer

    tokenizer = load_tokenizer(args.tokenizer) if args.tokenizer else embedded_tokenizer()
    save_random_llama(
        args.out_dir, tokenizer, SHAPES[args.shape], seed=args.seed, vocab_size=args.vocab_size
    )
    print(f"wrote a random {args.shape} checkpoint to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Load the base model (optionally in 4 bit) and stack trained adapters on it.

A variant is the base model plus a chain of LoRA adapters (e.g. sft -> dpo). For generation every
adapter is merged into weights of one precision, so all variants, base included, are evaluated
at the same precision (the original compared bf16, 4-bit+LoRA and merged bf16 models).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alignbench.models.hardware import (
    inference_device,
    quantized_device_map,
    resolve_attention,
    resolve_precision,
    torch_dtype,
)
from alignbench.models.output_layer import feed_output_layer_contiguous

log = logging.getLogger(__name__)


def load_tokenizer(base_dir: str | Path, padding_side: str = "right"):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    tokenizer.padding_side = padding_side
    return tokenizer


def bnb_config(quantization: dict):
    """BitsAndBytesConfig for QLoRA from the config's ``quantization`` block."""
    # Not trl.get_quantization_config: its ModelConfig takes the compute dtype from the model's
    # weight dtype, while the config sets them apart (quantization.compute_dtype).
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quantization.get("quant_type", "nf4"),
        bnb_4bit_use_double_quant=quantization.get("double_quant", True),
        bnb_4bit_compute_dtype=getattr(torch, quantization.get("compute_dtype", "bfloat16")),
    )


def load_base_model(
    base_dir: str | Path,
    precision: str,
    attn_implementation: str = "sdpa",
    quantization: dict | None = None,
):
    """Load the base checkpoint in ``precision`` ('bf16' | 'fp16' | 'fp32'), 4-bit if asked."""
    from transformers import AutoModelForCausalLM

    from alignbench.models.grouped_attention import register_grouped_eager

    register_grouped_eager()
    kwargs = {
        "dtype": torch_dtype(precision),
        "attn_implementation": resolve_attention(attn_implementation),
    }
    if quantization and quantization.get("load_in_4bit"):
        kwargs["quantization_config"] = bnb_config(quantization)
        kwargs["device_map"] = quantized_device_map()
    log.info("Loading %s with %s", base_dir, {k: str(v) for k, v in kwargs.items()})
    return AutoModelForCausalLM.from_pretrained(base_dir, **kwargs)


def merge_adapters(model, adapter_dirs: list[str | Path]):
    """Apply each LoRA adapter in order and fold it into the weights."""
    from peft import PeftModel

    for adapter in adapter_dirs:
        log.info("Merging adapter %s", adapter)
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    return model


def load_variant(
    base_dir: str | Path,
    adapter_dirs: list[str | Path],
    precision: str,
    attn_implementation: str = "sdpa",
):
    """The variant as one plain model: base weights with every adapter of its chain merged,
    on the GPU when there is one. ``precision`` may be 'auto' (bf16 where the hardware has it)."""
    model = load_base_model(base_dir, resolve_precision(precision), attn_implementation)
    model = merge_adapters(model, adapter_dirs).to(inference_device()).eval()
    return feed_output_layer_contiguous(model)

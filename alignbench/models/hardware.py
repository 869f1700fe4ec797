"""Decisions that depend on the machine: attention kernel, precision, device.

They are made in one place so that training and generation agree, and so that the config check
can reject an impossible request (flash-attention on a machine without it) before any job runs.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

# grouped_eager: eager attention without copying keys and values (models/grouped_attention.py).
ATTENTION_CHOICES = ("auto", "sdpa", "eager", "grouped_eager", "flash_attention_2")
PRECISION_CHOICES = ("auto", "bf16", "fp16", "fp32")


def takes_custom_attention_masks(config) -> bool:
    """Whether a model of this config attends by a 4-D mask given to it, as packing two
    conversations into one sequence needs: eager (either kind) and SDPA attention do;
    flash-attention reads only padding masks, and a sliding window would replace the mask."""
    return config._attn_implementation in ("eager", "grouped_eager", "sdpa") and (
        getattr(config, "sliding_window", None) is None
    )


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def inference_device() -> str:
    """Where evaluation runs: the (current) GPU when there is one, else the CPU."""
    return "cuda" if cuda_available() else "cpu"


def quantized_device_map() -> dict | None:
    """4-bit weights are placed while loading: on this process's GPU (its local rank under
    accelerate/torchrun, so each rank holds its own copy), or left on the CPU without one.

    The rank is accelerate's, the one the Trainer places this process on (the installed TRL has
    no get_kbit_device_map to ask)."""
    if not cuda_available():
        return None
    from accelerate import PartialState

    return {"": PartialState().local_process_index}


def flash_attention_available() -> bool:
    return cuda_available() and importlib.util.find_spec("flash_attn") is not None


def resolve_attention(requested: str) -> str:
    """Map the configured attention implementation to one that can load here."""
    if requested not in ATTENTION_CHOICES:
        raise ValueError(f"attn_implementation {requested!r}: use one of {ATTENTION_CHOICES}.")
    if requested == "auto":
        return "flash_attention_2" if flash_attention_available() else "sdpa"
    if requested == "flash_attention_2" and not flash_attention_available():
        raise ValueError(
            "model.attn_implementation is flash_attention_2, but flash-attn is not usable here "
            "(it needs a CUDA GPU and `pip install flash-attn`). Set it to 'auto' or 'sdpa'."
        )
    return requested


@cache
def cpu_supports_bf16() -> bool:
    """True when the CPU has native bf16 matrix instructions (avx512_bf16 or AMX)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return False
    flags = cpuinfo.read_text()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(requested: str) -> str:
    """'auto': bf16 where the hardware runs it natively, else fp32. Explicit values are checked."""
    import torch

    if requested not in PRECISION_CHOICES:
        raise ValueError(f"precision {requested!r}: use one of {PRECISION_CHOICES}.")
    if requested == "auto":
        if cuda_available():
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_supports_bf16() else "fp32"
    if requested == "fp16" and not cuda_available():
        raise ValueError("precision fp16 needs a CUDA GPU; use auto, bf16 or fp32 on CPU.")
    return requested


def torch_dtype(precision: str):
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]

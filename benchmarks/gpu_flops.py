"""FLOP counts and the device's matmul peak for the GPU benchmark (``python -m benchmarks.gpu``).

Model FLOPs, as in MFU (recomputation under gradient checkpointing is not counted):

* LoRA training, per token processed: ``4 * N + 6 * N_lora + 12 * L * h * T``. The frozen base
  runs forward (2N) and back-propagates activation gradients (2N) but computes no weight
  gradients; the adapters' own weights take the full 6 per parameter (forward 2, activation
  gradient 2, weight gradient 2). The attention term is PaLM's (``QK^T`` and ``AV``, forward and
  backward, not halved for the causal mask). N counts the matmul weights: every projection of
  every layer plus the output head (tied to the embedding, whose lookup costs nothing).
* Generation, per sequence: the prompt's forward pass (``2 * N_body`` per prompt token, the
  head on the last position only, ``4 * L * h * P`` of attention per token), then per new token
  ``2 * N + 4 * L * h * context``.

ORPO's and DPO's forward passes cover the chosen and the rejected sequence of every row: both
count as tokens processed. DPO also runs its reference model (the starting model, adapter
disabled) forward on every token, unless its reference log-probabilities were computed before
training: ``2 * N + 4 * L * h * T`` more per token.
"""

from __future__ import annotations

# Dense bf16 tensor-core figures from NVIDIA's datasheets (the headline figures assume 2:4
# sparsity, which training does not use, so they are halved here). Matched on the device name
# in this order: the first substring found wins.
DATASHEET_BF16_TFLOPS = (
    ("H100 PCIe", 756.0, "NVIDIA H100 datasheet (PCIe, 1,513 with sparsity)"),
    ("H100 NVL", 835.5, "NVIDIA H100 datasheet (NVL, 1,671 with sparsity)"),
    ("H100", 989.5, "NVIDIA H100 datasheet (SXM, 1,979 with sparsity)"),
    ("H200", 989.5, "NVIDIA H200 datasheet (SXM, 1,979 with sparsity)"),
    ("A100", 312.0, "NVIDIA A100 datasheet (624 with sparsity)"),
    ("L40S", 362.05, "NVIDIA L40S datasheet (733 with sparsity)"),
    ("L4", 121.0, "NVIDIA L4 datasheet (242 with sparsity)"),
)


def datasheet_peak(device_name: str) -> dict | None:
    """The datasheet's dense bf16 figure for a device name, with its source, or None."""
    for fragment, tflops, source in DATASHEET_BF16_TFLOPS:
        if fragment in device_name:
            return {"tflops": tflops, "source": source}
    return None


def shape_numbers(config) -> dict:
    """Layer count, widths and matmul weight counts of a Llama config."""
    hidden, layers = config.hidden_size, config.num_hidden_layers
    head_dim = getattr(config, "head_dim", None) or hidden // config.num_attention_heads
    kv_width = config.num_key_value_heads * head_dim
    q_width = config.num_attention_heads * head_dim
    per_layer = (
        hidden * q_width  # q_proj
        + 2 * hidden * kv_width  # k_proj, v_proj
        + q_width * hidden  # o_proj
        + 3 * hidden * config.intermediate_size  # gate_proj, up_proj, down_proj
    )
    return {
        "layers": layers,
        "hidden": hidden,
        "vocab": config.vocab_size,
        "body_weights": layers * per_layer,
        "head_weights": hidden * config.vocab_size,
    }


def training_flops_per_token(
    numbers: dict, seq_len: float, lora_weights: int, reference_forward: bool = False
) -> float:
    """Model FLOPs per token of one LoRA training step, with DPO's reference forward pass where
    it runs (module docstring)."""
    frozen = numbers["body_weights"] + numbers["head_weights"]
    attention_forward = 4 * numbers["layers"] * numbers["hidden"] * seq_len
    flops = 4 * frozen + 6 * lora_weights + 3 * attention_forward
    if reference_forward:
        flops += 2 * frozen + attention_forward
    return flops


def generation_flops(numbers: dict, prompt_len: int, new_tokens: int) -> float:
    """Model FLOPs of generating ``new_tokens`` after a ``prompt_len``-token prompt (one
    sequence; module docstring)."""
    attention = 4 * numbers["layers"] * numbers["hidden"]
    full = numbers["body_weights"] + numbers["head_weights"]
    prefill = prompt_len * (2 * numbers["body_weights"] + attention * prompt_len)
    prefill += 2 * numbers["head_weights"]
    decode = sum(2 * full + attention * (prompt_len + i) for i in range(new_tokens))
    return prefill + decode


def measure_matmul_peak(device: str, dtype_name: str, size: int, seconds: float) -> dict:
    """The best FLOP/s of ``size`` x ``size`` matmuls on ``device`` (benchmarks.peak), with how
    it was measured."""
    from benchmarks.peak import matmul_flops_per_second

    return {
        "dtype": dtype_name,
        "matmul_size": size,
        "flops_per_s": matmul_flops_per_second(dtype_name, size, seconds, device),
        "method": f"best of repeated {size}x{size} {dtype_name} matmuls over {seconds:g} s",
    }

"""Frozen projection weights stored in the autocast dtype, so that autocast stops re-casting them.

With LoRA the base model's linear layers are frozen. Under autocast (bf16 training on a CPU,
where the workflow keeps weights in fp32) every forward pass casts each of their fp32 weights to
bf16 again: PyTorch's autocast caches casts only of weights that require gradients. For the
demo model that is a full read of its 0.5 GB of weights per micro-batch, and the output layer,
tied to the 49,152 x 576 embedding, was cast three times per micro-batch in 100 ms pieces:
copies were a quarter of a profiled SFT loop (torch.profiler, one thread, 32 demo rows).

A linear layer under autocast computes ``linear(x.to(bf16), W.to(bf16), b.to(bf16))``, so a
weight already in bf16 gives bit-identical outputs and gradients. Only linear layers change:
embeddings and norms stay fp32, as does the residual stream they feed. A tied output layer
gets its own bf16 copy (it is frozen, so the two can never drift apart); the embedding keeps
the fp32 original.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def store_frozen_linear_weights_in(model, dtype) -> int:
    """Give every frozen fp32 ``torch.nn.Linear`` of ``model`` its weight (and bias) in
    ``dtype``, the autocast dtype training runs in; return how many layers changed.

    Trainable layers (the LoRA matrices) keep fp32 master weights. Quantised layers (QLoRA's
    4-bit) are not ``nn.Linear`` with a float weight and are left alone.
    """
    import torch

    changed = 0
    for module in model.modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        if module.weight.requires_grad or module.weight.dtype != torch.float32:
            continue
        # A new Parameter, not an in-place cast: a tied output layer must not take the
        # embedding it shares its weight with along.
        module.weight = torch.nn.Parameter(module.weight.detach().to(dtype), requires_grad=False)
        if module.bias is not None and not module.bias.requires_grad:
            module.bias = torch.nn.Parameter(module.bias.detach().to(dtype), requires_grad=False)
        changed += 1
    log.info("Stored %d frozen linear layers in %s for autocast", changed, dtype)
    return changed

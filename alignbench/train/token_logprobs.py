"""Log-probabilities of next tokens under a frozen output layer, the gradient taken in the
forward pass, a few rows of logits at a time.

The log-probability of target ``t`` at a position with hidden state ``h`` is
``z_t - logsumexp(z)`` with ``z = W h``, so its gradient with respect to ``h`` is
``W[t] - softmax(z) @ W``, whatever loss the log-probability then feeds: the loss's gradient
``g`` only scales it. With the output layer frozen (LoRA trains adapters, not the output layer)
that direction can be computed while the logits are at hand, in the forward pass, and the
backward pass is one multiplication. Liger Kernel's fused linear cross-entropy uses the same
identity (Hsu et al. 2024, arXiv:2410.10989), through Triton on GPUs only; TRL's
``ChunkedLogProbFunction`` instead recomputes every tile of logits in its backward pass.

The matrix products are those of a plain forward and backward pass through the output layer, in
the same precision (autocast's under bf16 training). What goes is the work on full rows of
logits held in memory: a fp32 copy of the logits, a log-softmax, its backward pass and the cast of
its gradient, each a pass over positions x 49,152 values for the demo model; here each chunk of
rows is log-softmaxed and exponentiated while it is in the cache. Until the backward pass, one
hidden-size vector per position is kept instead of a row of logits. Under ``no_grad`` (DPO's
reference pass) the gradient's product is skipped.

``python -m benchmarks.output_layer`` times forward and backward through the demo model's own
output layer on its own hidden states (bf16 autocast, one thread): for 1,000 positions, 0.52 s
for the log-probabilities alone (ORPO), 0.60 s with the entropy and top-1 hits TRL's trainers
log (SFT, DPO), against 0.89 s for a full log-softmax and 3.46 s for TRL's
``ChunkedLogProbFunction`` (2026-12-03, best of three rounds), all as close to fp64's gradient.
``tests/test_token_logprobs.py`` checks values and gradients against autograd's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# Logits computed at once, per device type. On a CPU a chunk stays within the caches
# (4M fp32 values, 16 MB: 85 rows of the demo model's 49,152 logits, 32 of Llama-3.2-1B's
# 128,256; 64- and 128-row chunks were fastest for the demo model, 16 rows and 400 slower).
# A GPU's products need more rows per call to run at speed, and it has the memory.
CPU_CHUNK_LOGITS = 1 << 22
GPU_CHUNK_LOGITS = 1 << 26

# Log-probabilities are raised to this before exponentiating (e^-80 ~ 1.8e-35; the smallest
# normal float is 1.2e-38).
LOG_PROB_FLOOR = -80.0


def chunk_rows(device, vocabulary: int) -> int:
    """Positions per chunk on ``device`` for an output layer of ``vocabulary`` rows."""
    logits = CPU_CHUNK_LOGITS if device.type == "cpu" else GPU_CHUNK_LOGITS
    return max(1, logits // vocabulary)


# Per-position statistics besides the log-probabilities, computed when asked for (TRL's fused
# output layer returns the same ones for its logs, and WPO's weights use the last).
EXTRA_OUTPUTS = ("entropy", "is_top1", "log_sum_sq_probs")


class TokenStatistics(NamedTuple):
    logps: Any  # log p(target), differentiable
    logit_sums: Any  # sum over the vocabulary of the logits, no gradient
    entropy: Any = None  # of the next-token distribution; its gradient is not available
    is_top1: Any = None  # the target is the first maximum of the logits (argmax's answer)
    log_sum_sq_probs: Any = None  # log sum_v p_v^2, no gradient


def _autograd_function():
    import torch

    class NextTokenLogProbs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, hidden, weight, targets, rows_per_chunk, needs_direction, extras):
            # Under autocast (bf16 training) the products run in its dtype, as a linear layer's.
            device = hidden.device.type
            dtype = (
                torch.get_autocast_dtype(device)
                if torch.is_autocast_enabled(device)
                else hidden.dtype
            )
            weight = weight.to(dtype)
            positions, vocabulary = hidden.shape[0], weight.shape[0]

            def per_position(wanted=True, kind=torch.float32):
                return hidden.new_empty(positions, dtype=kind) if wanted else None

            logps, logit_sums = per_position(), per_position()
            entropy = per_position("entropy" in extras)
            is_top1 = per_position("is_top1" in extras, torch.bool)
            log_sum_sq_probs = per_position("log_sum_sq_probs" in extras)
            fp32_probs_needed = entropy is not None or log_sum_sq_probs is not None
            direction = (
                hidden.new_empty(hidden.shape, dtype=torch.float32) if needs_direction else None
            )
            # Three chunk-sized buffers serve every chunk: a fresh 16 MB tensor per step costs
            # page faults as long as the work on it.
            rows = min(positions, rows_per_chunk)
            logits_buffer = hidden.new_empty(rows, vocabulary, dtype=dtype)
            fp32_logits_buffer = hidden.new_empty(rows, vocabulary, dtype=torch.float32)
            log_probs_buffer = torch.empty_like(fp32_logits_buffer)
            for start in range(0, positions, rows_per_chunk):
                end = min(start + rows_per_chunk, positions)
                chunk = slice(start, end)
                chunk_targets = targets[chunk].unsqueeze(-1)
                logits = torch.mm(
                    hidden[chunk].to(dtype), weight.t(), out=logits_buffer[: end - start]
                )
                target_logits = logits.gather(-1, chunk_targets).squeeze(-1).float()
                # Cast, then log-softmax: log_softmax(dtype=float32) on bf16 logits was 7x
                # slower than the two (17 vs 2.8 ms on 85 x 49,152, one thread).
                fp32_logits = fp32_logits_buffer[: end - start].copy_(logits)
                if is_top1 is not None:
                    is_top1[chunk] = fp32_logits.argmax(-1) == targets[chunk]
                log_probs = torch.log_softmax(fp32_logits, -1, out=log_probs_buffer[: end - start])
                chunk_logps = log_probs.gather(-1, chunk_targets).squeeze(-1)
                logps[chunk] = chunk_logps
                # sum(z) = sum(log p) + V logsumexp(z), and logsumexp(z) = z_t - log p_t.
                logit_sums[chunk] = log_probs.sum(-1) + vocabulary * (target_logits - chunk_logps)
                if not (needs_direction or fp32_probs_needed):
                    continue
                # exp() below -87 gives subnormal floats, which CPUs compute 15-30x slower
                # (60-120 vs 3.7 ms on 85 x 49,152). The demo model's log-probabilities stay
                # above -53, a sharper model's need not; probabilities under e^-80 change no sum.
                log_probs.clamp_(min=LOG_PROB_FLOOR)
                if fp32_probs_needed:
                    # In fp32, over the fp32 logits (no longer needed); row-wise dot products.
                    probs = torch.exp(log_probs, out=fp32_logits)
                    if entropy is not None:
                        entropy[chunk] = -_row_dots(probs, log_probs)
                    if log_sum_sq_probs is not None:
                        log_sum_sq_probs[chunk] = _row_dots(probs, probs).log()
                    if needs_direction and dtype != torch.float32:
                        probs = logits.copy_(probs)
                else:
                    # In the products' dtype, over the logits, no longer needed.
                    probs = torch.exp(log_probs, out=logits)
                if needs_direction:
                    direction[chunk] = weight[targets[chunk]].float() - (probs @ weight).float()
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(direction)
            ctx.hidden_dtype = hidden.dtype
            ctx.mark_non_differentiable(
                *(t for t in (logit_sums, is_top1, log_sum_sq_probs) if t is not None)
            )
            return logps, logit_sums, entropy, is_top1, log_sum_sq_probs

        @staticmethod
        def backward(ctx, grad_logps, _logit_sums, grad_entropy, *_):
            if grad_entropy is not None:
                raise RuntimeError(
                    "A loss used the entropy from alignbench.train.token_logprobs, whose gradient "
                    "it does not compute. Detach the entropy (it is meant for logging), or score "
                    "this model with TRL's ChunkedLogProbFunction, which differentiates it."
                )
            (direction,) = ctx.saved_tensors
            if grad_logps is None:
                return (None,) * 6
            grad_hidden = grad_logps.unsqueeze(-1) * direction
            return grad_hidden.to(ctx.hidden_dtype), None, None, None, None, None

    return NextTokenLogProbs


def _row_dots(a, b):
    """``(a * b).sum(-1)`` for two fp32 matrices, in fp32: autocast would run it in bf16
    (entropies off by 0.03). A batched matrix product instead was twice as slow and, even in
    fp32, 20x less accurate: the demo model's entropies off by up to 8e-4 against fp64, against
    4e-5 for vecdot, as for TRL's own function."""
    import torch

    with torch.autocast(a.device.type, enabled=False):
        return torch.linalg.vecdot(a, b)


_FUNCTION = []  # built on first use, so that importing this module does not import torch


def frozen_and_bias_free(weight, bias) -> bool:
    """Whether an output layer of this weight and bias fits the gradient identity: a frozen
    floating-point weight and no bias."""
    return bias is None and not weight.requires_grad and weight.is_floating_point()


def takes_the_shortcut(head) -> bool:
    """Whether ``head`` is a plain, frozen, bias-free linear layer, for which the gradient
    identity holds. An output layer with an adapter or a trainable weight takes the plain path."""
    import torch

    return type(head) is torch.nn.Linear and frozen_and_bias_free(head.weight, head.bias)


def next_token_logps(head, hidden, targets, rows_per_chunk: int | None = None):
    """Log-probability of ``targets[i]`` given ``hidden[i]`` (positions x hidden size) under the
    output layer ``head``, and the sum over the vocabulary of each position's logits (for logging,
    without gradient); both shaped like ``targets``."""
    if not takes_the_shortcut(head):
        # The whole batch's logits at once, differentiated by autograd.
        logits = head(hidden).float()
        logps = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        return logps, logits.detach().sum(-1)
    statistics = token_statistics(hidden, head.weight, targets, rows_per_chunk=rows_per_chunk)
    return statistics.logps, statistics.logit_sums


def token_statistics(
    hidden, weight, targets, extras: tuple[str, ...] = (), rows_per_chunk: int | None = None
) -> TokenStatistics:
    """Log-probabilities of ``targets`` and the ``extras`` (names from ``EXTRA_OUTPUTS``) under
    the frozen, bias-free output layer ``weight`` (vocabulary x hidden size), the gradient with
    respect to ``hidden`` taken in the forward pass. Under ``no_grad``, or for ``hidden`` that
    does not require a gradient, no gradient is computed: half the products."""
    import torch

    unknown = set(extras) - set(EXTRA_OUTPUTS)
    if unknown:
        raise ValueError(f"unknown per-position outputs {sorted(unknown)}; known: {EXTRA_OUTPUTS}")
    if not _FUNCTION:
        _FUNCTION.append(_autograd_function())
    if rows_per_chunk is None:
        rows_per_chunk = chunk_rows(hidden.device, weight.shape[0])
    needs_direction = torch.is_grad_enabled() and hidden.requires_grad
    outputs = _FUNCTION[0].apply(
        hidden.contiguous(), weight, targets, rows_per_chunk, needs_direction, tuple(extras)
    )
    return TokenStatistics(*outputs)

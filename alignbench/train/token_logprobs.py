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
hidden-size vector per position is kept instead of a row of logits. Forward and backward over
300 positions of demo rows through the demo model's own output layer (576 x 49,152, bf16 under
autocast, one thread) took 140-144 ms, against 210-265 ms for a log-softmax over the full
logits (three interleaved repeats each, another job on the second core). In the demo's
ORPO training (32 rows, one thread) the output layer's work took 1.5-1.8 s of a 13-16 s loop.
``tests/test_token_logprobs.py`` checks values and gradients against autograd's.
"""

from __future__ import annotations

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


def _autograd_function():
    import torch

    class NextTokenLogProbs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, hidden, weight, targets, rows_per_chunk):
            # Under autocast (bf16 training) the products run in its dtype, as a linear layer's.
            device = hidden.device.type
            dtype = (
                torch.get_autocast_dtype(device)
                if torch.is_autocast_enabled(device)
                else hidden.dtype
            )
            weight = weight.to(dtype)
            positions, vocabulary = hidden.shape[0], weight.shape[0]
            logps = hidden.new_empty(positions, dtype=torch.float32)
            logit_sums = hidden.new_empty(positions, dtype=torch.float32)
            direction = hidden.new_empty(hidden.shape, dtype=torch.float32)
            # Three chunk-sized buffers serve every chunk: a fresh 16 MB tensor per step costs
            # page faults as long as the work on it.
            rows = min(positions, rows_per_chunk)
            logits_buffer = hidden.new_empty(rows, vocabulary, dtype=dtype)
            fp32_logits_buffer = hidden.new_empty(rows, vocabulary, dtype=torch.float32)
            log_probs_buffer = torch.empty_like(fp32_logits_buffer)
            for start in range(0, positions, rows_per_chunk):
                end = min(start + rows_per_chunk, positions)
                chunk_targets = targets[start:end].unsqueeze(-1)
                logits = torch.mm(
                    hidden[start:end].to(dtype), weight.t(), out=logits_buffer[: end - start]
                )
                target_logits = logits.gather(-1, chunk_targets).squeeze(-1).float()
                # Cast, then log-softmax: log_softmax(dtype=float32) on bf16 logits was 7x
                # slower than the two (17 vs 2.8 ms on 85 x 49,152, one thread).
                fp32_logits = fp32_logits_buffer[: end - start].copy_(logits)
                log_probs = torch.log_softmax(fp32_logits, -1, out=log_probs_buffer[: end - start])
                chunk_logps = log_probs.gather(-1, chunk_targets).squeeze(-1)
                logps[start:end] = chunk_logps
                # sum(z) = sum(log p) + V logsumexp(z), and logsumexp(z) = z_t - log p_t.
                logit_sums[start:end] = log_probs.sum(-1) + vocabulary * (
                    target_logits - chunk_logps
                )
                # exp() below -87 gives subnormal floats, which CPUs compute 15-30x slower
                # (60-120 vs 3.7 ms on 85 x 49,152). The demo model's log-probabilities stay
                # above -53, a sharper model's need not; probabilities under e^-80 change no sum.
                # They are written in the products' dtype, over the logits, no longer needed.
                probs = torch.exp(log_probs.clamp_(min=LOG_PROB_FLOOR), out=logits)
                direction[start:end] = weight[targets[start:end]].float() - (probs @ weight).float()
            ctx.save_for_backward(direction)
            ctx.hidden_dtype = hidden.dtype
            ctx.mark_non_differentiable(logit_sums)
            return logps, logit_sums

        @staticmethod
        def backward(ctx, grad_logps, _grad_logit_sums):
            (direction,) = ctx.saved_tensors
            grad_hidden = grad_logps.unsqueeze(-1) * direction
            return grad_hidden.to(ctx.hidden_dtype), None, None, None

    return NextTokenLogProbs


_FUNCTION = []  # built on first use, so that importing this module does not import torch


def takes_the_shortcut(head) -> bool:
    """Whether ``head`` is a plain, frozen, bias-free linear layer, for which the gradient
    identity holds. An output layer with an adapter or a trainable weight takes the plain path."""
    import torch

    return (
        type(head) is torch.nn.Linear
        and head.bias is None
        and not head.weight.requires_grad
        and head.weight.is_floating_point()
    )


def next_token_logps(head, hidden, targets, rows_per_chunk: int | None = None):
    """Log-probability of ``targets[i]`` given ``hidden[i]`` (positions x hidden size) under the
    output layer ``head``, and the sum over the vocabulary of each position's logits (for logging,
    without gradient); both shaped like ``targets``."""
    if not takes_the_shortcut(head):
        # The whole batch's logits at once, differentiated by autograd.
        logits = head(hidden).float()
        logps = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        return logps, logits.detach().sum(-1)
    if not _FUNCTION:
        _FUNCTION.append(_autograd_function())
    if rows_per_chunk is None:
        rows_per_chunk = chunk_rows(hidden.device, head.weight.shape[0])
    return _FUNCTION[0].apply(hidden.contiguous(), head.weight, targets, rows_per_chunk)

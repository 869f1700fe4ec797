"""TRL's fused output layer on CPU: only the positions that have a label, the gradient taken in
the forward pass.

TRL's SFT and DPO trainers get per-token log-probabilities from a fused, chunked output layer
(``trl.trainer.utils.add_fused_lm_head``), so that no batch x length x vocabulary logits tensor
exists. Two of its choices cost a CPU time and buy it nothing, and each is replaced here by
swapping one private name that ``trl.trainer.utils`` looks up at call time:

- **Which positions.** Where its Triton kernel runs (CUDA, XPU) it projects only the positions
  whose label is not -100; elsewhere it projects every position, prompt and padding included,
  because a compiler for fixed shapes (e.g. Neuron) would recompile for every new count of
  positions (TRL's own comment). A CPU runs eagerly and compiles nothing, so there the extra
  positions are only work: scoring the labelled ones alone, with TRL's own code, made the demo's
  SFT loop 1.7x and DPO's 2.2x faster at identical losses (32 demo rows,
  ``benchmarks.training.run_job`` before and after). The name is ``_use_triton``, swapped for one
  that also answers yes for the CPU (the kernel module keeps its own, so CPU tiles stay torch
  code).
- **How.** ``ChunkedLogProbFunction`` computes every tile of logits twice, once in the forward
  pass and again in the backward pass, with a log-softmax's worth of element-wise work each time.
  With a frozen output layer (LoRA's case) the gradient with respect to the hidden states can be
  taken in the forward pass instead (``alignbench.train.token_logprobs``), and the backward pass
  is one multiplication. The name is ``_ChunkedLogProbFunction``, swapped for a stand-in that
  takes that path on CPU for a frozen, bias-free, unscaled output layer at temperature 1, and
  hands every other call to TRL's function unchanged. It returns what TRL's does (log-probs,
  entropy, log sum of squared probabilities, mean logit, top-1 hit); the entropy is for logs
  only, and a loss that differentiates it fails loudly instead of training wrongly.

``tests/test_fused_head.py`` checks that both swaps still apply to the installed TRL and that the
log-probabilities, the other outputs and the gradients are unchanged.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# The per-token outputs TRL's function returns, in its order, after the log-probabilities.
TRL_OUTPUTS = ("entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def compact_on_cpu(decide):
    """``decide(device)`` (TRL's "only the labelled positions?") that is also true on a CPU."""

    def compact(device) -> bool:
        return device.type == "cpu" or decide(device)

    compact.compacts_on_cpu = True
    compact.original = decide
    return compact


def score_labelled_positions_on_cpu() -> bool:
    """Make TRL's fused output layer skip unlabelled positions on CPU too; idempotent. Returns
    whether it applies (False, with a warning, if the installed TRL decides elsewhere: training
    is then correct, only slower on CPU)."""
    return _swap_trl_name(
        "_use_triton", compact_on_cpu, "compacts_on_cpu", "project every position on CPU"
    )


def takes_forward_gradient(hidden, weight, bias, temperature, softcap, logit_scale) -> bool:
    """Whether a call of TRL's function can take the forward-gradient path: on CPU, through a
    frozen floating-point output layer without bias, its logits neither scaled nor capped."""
    from alignbench.train.token_logprobs import frozen_and_bias_free

    return (
        hidden.device.type == "cpu"
        and frozen_and_bias_free(weight, bias)
        and temperature == 1
        and softcap is None
        and logit_scale == 1
    )


def forward_gradient_on_cpu(trl_function):
    """A stand-in for TRL's ``ChunkedLogProbFunction`` (same ``apply`` arguments and results)
    that takes ``alignbench.train.token_logprobs``'s path where ``takes_forward_gradient``."""

    class ForwardGradientLogProbs:
        takes_gradient_in_forward_pass = True
        original = trl_function

        @staticmethod
        def apply(
            hidden,
            weight,
            bias,
            targets,
            temperature,
            chunk_size,
            final_logit_softcapping=None,
            logit_scale=1.0,
            outputs=TRL_OUTPUTS,
        ):
            arguments = (hidden, weight, bias, targets, temperature, chunk_size)
            scaling = (final_logit_softcapping, logit_scale)
            if not takes_forward_gradient(hidden, weight, bias, temperature, *scaling):
                return trl_function.apply(*arguments, *scaling, outputs)
            from alignbench.train.token_logprobs import EXTRA_OUTPUTS, token_statistics

            extras = tuple(name for name in EXTRA_OUTPUTS if name in outputs)
            statistics = token_statistics(hidden, weight, targets, extras)
            mean_logits = (
                statistics.logit_sums / weight.shape[0] if "mean_logits" in outputs else None
            )
            return (
                statistics.logps,
                statistics.entropy,
                statistics.log_sum_sq_probs,
                mean_logits,
                statistics.is_top1,
            )

    return ForwardGradientLogProbs


def take_gradient_in_forward_pass_on_cpu() -> bool:
    """Make TRL's fused output layer take the gradient in the forward pass on CPU; idempotent.
    Returns whether it applies (False, with a warning, if the installed TRL calls another
    function: training is then correct, only slower on CPU)."""
    return _swap_trl_name(
        "_ChunkedLogProbFunction",
        forward_gradient_on_cpu,
        "takes_gradient_in_forward_pass",
        "keep its own backward pass on CPU",
    )


def _swap_trl_name(name: str, replacement_for, marker: str, otherwise: str) -> bool:
    """Bind ``name`` in ``trl.trainer.utils`` to ``replacement_for(what it was)`` unless the
    binding already carries ``marker``; warn and return False if TRL has no such name."""
    from trl.trainer import utils

    current = getattr(utils, name, None)
    if current is None:
        log.warning(
            "trl.trainer.utils has no %s: TRL's fused output layer will %s (correct, slower); "
            "see alignbench/train/fused_head.py.",
            name,
            otherwise,
        )
        return False
    if not getattr(current, marker, False):
        setattr(utils, name, replacement_for(current))
    return True


def lean_fused_head_on_cpu() -> bool:
    """Both changes to TRL's fused output layer on CPU; whether both apply."""
    compacts = score_labelled_positions_on_cpu()
    takes_gradient = take_gradient_in_forward_pass_on_cpu()
    return compacts and takes_gradient

"""TRL's fused output layer on CPU: project only the positions that have a label.

TRL's SFT and DPO trainers get per-token log-probabilities from a fused, chunked output layer
(``trl.trainer.utils.add_fused_lm_head``), so that no batch x length x vocabulary logits tensor
exists. Where its Triton kernel runs (CUDA, XPU) it projects only the positions whose label is not
-100; elsewhere it projects every position, prompt and padding included, because a compiler for
fixed shapes (e.g. Neuron) would recompile for every new count of positions (TRL's own comment).
A CPU runs eagerly and compiles nothing, so there the extra positions are only work: scoring the
labelled ones alone, with TRL's own code, made the demo's SFT loop 1.7x and DPO's 2.2x faster at
identical losses (32 demo rows, ``benchmarks.training.run_job`` before and after; README, "What
the demo costs").

TRL decides through one private function, ``trl.trainer.utils._use_triton`` (the name bound in
that module; the kernel module keeps its own, so CPU tiles stay torch code). That name is swapped
for one that also answers yes for the CPU. ``tests/test_fused_head.py`` checks that the swap
still applies to the installed TRL and that its log-probabilities and gradients are unchanged.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


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
    from trl.trainer import utils

    decide = getattr(utils, "_use_triton", None)
    if decide is None:
        log.warning(
            "trl.trainer.utils has no _use_triton: the fused output layer will project every "
            "position on CPU (correct, slower); see alignbench/train/fused_head.py."
        )
        return False
    if not getattr(decide, "compacts_on_cpu", False):
        utils._use_triton = compact_on_cpu(decide)
    return True

"""The training methods: which TRL trainer, config class and data format each one uses.

Every method trains a LoRA adapter on top of its starting point (the base model, or the base with
a parent variant's adapters merged in). The config classes are TRL's own; the variant's ``args``
block in the workflow config is passed to them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alignbench.data.conversation import to_preference, to_prompt_completion


@dataclass(frozen=True)
class Method:
    name: str
    to_example: Any  # row -> TRL example
    trainer_and_config: Any  # () -> (Trainer class, Config class), imported lazily


def _sft():
    from trl import SFTConfig, SFTTrainer

    from alignbench.train.fused_head import lean_fused_head_on_cpu

    lean_fused_head_on_cpu()
    return SFTTrainer, SFTConfig


def _orpo():
    from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    from alignbench.train.lean_orpo import lean_orpo_trainer
    from alignbench.train.length_grouping import length_grouped
    from alignbench.train.shared_prompt import prompt_once_trainer

    return prompt_once_trainer(lean_orpo_trainer(length_grouped(ORPOTrainer))), ORPOConfig


def _dpo():
    from trl import DPOConfig, DPOTrainer

    from alignbench.train.fused_head import lean_fused_head_on_cpu
    from alignbench.train.length_grouping import length_grouped
    from alignbench.train.shared_prompt import prompt_once_trainer

    lean_fused_head_on_cpu()
    return prompt_once_trainer(length_grouped(DPOTrainer)), DPOConfig


# SFT learns the chosen answer with loss on its tokens only (prompt/completion format).
# ORPO adds the odds-ratio term on chosen vs rejected and needs no reference model; its forward
# pass computes the output layer in chunks (alignbench.train.lean_orpo).
# DPO's reference is the starting point itself: TRL disables the new adapter to get it.
# SFT and DPO score tokens with TRL's fused output layer, on CPU only where labels are and with
# the gradient taken in the forward pass (alignbench.train.fused_head).
# ORPO and DPO compute each pair's shared prompt once (`training.shared_prompt`,
# alignbench.train.shared_prompt).
# `train_sampling_strategy: group_by_length` batches rows of similar length for every method
# (alignbench.train.length_grouping).
METHODS = {
    "sft": Method("sft", to_prompt_completion, _sft),
    "orpo": Method("orpo", to_preference, _orpo),
    "dpo": Method("dpo", to_preference, _dpo),
}

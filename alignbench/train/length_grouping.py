"""Batches of rows of similar length for the preference methods too.

A batch is padded to its longest row, so rows of mixed lengths (the demo mixes one-turn, system
and multi-turn prompts) waste a third of the positions a training step computes. Transformers'
``train_sampling_strategy: group_by_length`` (``LengthGroupedSampler``) shuffles the rows, cuts
them into mega-batches of up to 50 optimiser steps and sorts each by length, so that consecutive
batches hold rows of similar length; which rows train together stays random.

The sampler reads each row's length from an ``input_ids`` column: SFT's data set has one. TRL's
DPO and ORPO data sets keep the prompt and the two answers in separate columns, and the Trainer
then refuses the strategy; here a row's length is that of the longer of the two sequences it
becomes (prompt + chosen, prompt + rejected), the one its batch pads to.
"""

from __future__ import annotations

# Per TRL trainer: the columns of a tokenised row, and whether the answers include the prompt.
PREFERENCE_COLUMNS = (
    ("prompt_ids", "chosen_ids", "rejected_ids", False),  # DPOTrainer: answers only
    ("prompt_input_ids", "chosen_input_ids", "rejected_input_ids", True),  # ORPOTrainer
)


def preference_row_lengths(dataset) -> list[int] | None:
    """Tokens of the longer sequence of each preference row of a tokenised TRL data set, or None
    when the data set is not one of those layouts."""
    columns = set(dataset.column_names)
    for prompt, chosen, rejected, answers_hold_prompt in PREFERENCE_COLUMNS:
        if {prompt, chosen, rejected} <= columns:
            prompts = [0] * len(dataset) if answers_hold_prompt else map(len, dataset[prompt])
            answers = zip(dataset[chosen], dataset[rejected], strict=True)
            return [p + max(len(c), len(r)) for p, (c, r) in zip(prompts, answers, strict=True)]
    return None


def length_grouped(trainer_cls):
    """``trainer_cls`` whose ``group_by_length`` sampling also works on preference data sets."""

    class LengthGroupedTrainer(trainer_cls):
        def _get_train_sampler(self, train_dataset=None):
            dataset = self.train_dataset if train_dataset is None else train_dataset
            lengths = None
            if self.args.train_sampling_strategy == "group_by_length":
                lengths = preference_row_lengths(dataset)
            if lengths is None:
                return super()._get_train_sampler(train_dataset)
            from transformers.trainer_pt_utils import LengthGroupedSampler

            # The Trainer's own grouping unit: the rows of one optimiser step.
            per_step = self.args.train_batch_size * self.args.gradient_accumulation_steps
            return LengthGroupedSampler(per_step, lengths=lengths)

    name = f"LengthGrouped{trainer_cls.__name__}"
    LengthGroupedTrainer.__name__ = LengthGroupedTrainer.__qualname__ = name
    return LengthGroupedTrainer

"""Preference training (ORPO, DPO) with each pair's prompt computed once.

TRL's ORPO and DPO trainers run the chosen and the rejected conversations as 2B rows; within
their loss, :func:`alignbench.models.pair_packing.prompt_once` gives the decoder each pair as one
sequence and spreads its output back, so TRL's losses are those of the rows apart, up to the
order of the sums (``tests/test_shared_prompt.py``).
"""

from __future__ import annotations

import contextlib

from alignbench.models.pair_packing import decoder_of, prompt_once


def prompt_once_trainer(trainer_cls):
    """``trainer_cls`` (TRL's ORPOTrainer or DPOTrainer) whose loss computes each pair's shared
    prompt once, the reference pass included; ``shares_prompts = False`` on an instance turns it
    off. Encoder-decoder models and auxiliary router losses keep the rows apart."""

    class PromptOnceTrainer(trainer_cls):
        shares_prompts = True

        def _pairs_packed(self, model):
            keep_apart = getattr(self, "is_encoder_decoder", False) or self.aux_loss_enabled
            if keep_apart or not self.shares_prompts:
                return contextlib.nullcontext()
            return prompt_once(decoder_of(self.accelerator.unwrap_model(model)))

        def compute_loss(self, model, inputs, *args, **kwargs):
            with self._pairs_packed(model):
                return super().compute_loss(model, inputs, *args, **kwargs)

        # DPO's reference log-probabilities, when precomputed before training.
        if hasattr(trainer_cls, "compute_ref_log_probs"):

            def compute_ref_log_probs(self, model, inputs):
                with self._pairs_packed(model):
                    return super().compute_ref_log_probs(model, inputs)

    name = f"PromptOnce{trainer_cls.__name__}"
    PromptOnceTrainer.__name__ = PromptOnceTrainer.__qualname__ = name
    return PromptOnceTrainer

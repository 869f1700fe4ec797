"""ORPO's forward pass without a full-vocabulary logits tensor.

TRL's ORPOTrainer (``concatenated_forward``) asks the model for the logits of every position of
every chosen and rejected sequence, a batch x length x vocabulary tensor (49,152 entries per
position for the demo model, 128,256 for Llama-3.2-1B), then takes a contiguous copy of the chosen
half for its NLL term and a log-softmax over all of it for the sequence log-probabilities; each of
these copies, and its gradient, lives until the backward pass. With activation checkpointing on,
they are most of ORPO's peak memory at long rows: at 768 tokens on the demo model, batch 4, ORPO
peaked at 7.3 GB with TRL's forward pass and 3.6 GB with an earlier version of this one that
computed the logits in checkpointed chunks (``python -m benchmarks.memory``; README, "Training
memory at real lengths"); the present one keeps even less until the backward pass.

Here the model's own forward computes no logits, and a hook on its decoder catches the last
hidden states; the log-probability of each next token ORPO uses (not those of padding or of the
rejected rows' prompts) is computed from them by the model's output layer a few rows at a time,
the gradient taken in the same pass (``alignbench.train.token_logprobs``), so that no row of
logits outlives its chunk. The loss terms are TRL's: the NLL of the chosen sequences
over prompt and answer, the average log-probability of each sequence's answer. The logged mean
logits are taken over the answer tokens, where TRL's include prompts and padding.
"""

from __future__ import annotations

import contextlib

from alignbench.models.pair_packing import decoder_of
from alignbench.train.token_logprobs import next_token_logps


def needed_positions(attention_mask, labels, len_chosen: int):
    """The next-token positions whose log-probability ORPO uses: every real token of the chosen
    rows (the NLL term) and the answer tokens of the rejected rows (the odds ratio). Padding
    and the rejected rows' prompts (a third or more of a demo batch) need no logits."""
    needed = labels[:, 1:] != -100
    needed[:len_chosen] |= attention_mask[:len_chosen, 1:] == 1
    return needed


@contextlib.contextmanager
def caught_output(decoder):
    """A list that receives the last hidden states ``decoder`` returns while inside.

    A causal LM hands its decoder's output on only with every layer's hidden states, which
    :func:`alignbench.models.pair_packing.prompt_once` would spread back one by one: 30 extra
    batch x length x width tensors for the demo model. A forward hook runs after those registered
    before it, prompt_once's included, so it catches the spread states."""
    caught: list = []
    handle = decoder.register_forward_hook(
        lambda module, args, output: caught.append(output.last_hidden_state)
    )
    try:
        yield caught
    finally:
        handle.remove()


def orpo_forward_terms(model, decoder, head, input_ids, attention_mask, labels, len_chosen: int):
    """What ORPO's loss and logs need from one forward pass of ``model`` over the chosen rows
    followed by the rejected rows: (chosen answer log-probs, rejected answer log-probs, mean
    chosen logit, mean rejected logit, chosen NLL). ``head`` is the model's output layer (taken
    from the unwrapped model: a DistributedDataParallel wrapper does not expose it) and
    ``decoder`` its decoder, whose output is the last hidden states. ``labels`` are -100 outside
    the answers, as TRL builds them; the NLL covers every non-padding token, as TRL's does. The
    mean logits are over the answer tokens (TRL's over every position of the batch, padding
    included)."""
    import torch

    needed = needed_positions(attention_mask, labels, len_chosen)
    # An all-False mask: the model computes no logits at all. (logits_to_keep=1 ran its output
    # layer on a strided slice, as a batched matmul that copied the 49,152 x 576 weight once per
    # row: a quarter of the demo's ORPO loop, measured with torch.profiler.)
    with caught_output(decoder) as caught:
        model(
            input_ids,
            attention_mask=attention_mask,
            use_cache=False,
            logits_to_keep=torch.zeros_like(attention_mask, dtype=torch.bool),
        )
    (last_hidden_state,) = caught
    hidden = last_hidden_state[:, :-1]
    targets = input_ids[:, 1:]
    picked_logps, picked_logit_sums = next_token_logps(head, hidden[needed], targets[needed])
    logps = picked_logps.new_zeros(targets.shape).masked_scatter(needed, picked_logps)
    logit_sums = picked_logit_sums.new_zeros(targets.shape).masked_scatter(
        needed, picked_logit_sums
    )

    answer = labels[:, 1:] != -100
    answer_tokens = answer.sum(-1)
    sequence_logps = (logps * answer).sum(-1) / answer_tokens
    non_padding = attention_mask[:len_chosen, 1:] == 1
    chosen_nll = -(logps[:len_chosen] * non_padding).sum() / non_padding.sum()

    vocabulary = head.weight.shape[0]
    answer_logit_sums = (logit_sums * answer).sum(-1)
    return (
        sequence_logps[:len_chosen],
        sequence_logps[len_chosen:],
        answer_logit_sums[:len_chosen].sum() / (answer_tokens[:len_chosen].sum() * vocabulary),
        answer_logit_sums[len_chosen:].sum() / (answer_tokens[len_chosen:].sum() * vocabulary),
        chosen_nll,
    )


def lean_orpo_trainer(trainer_cls):
    """``trainer_cls`` (TRL's ORPOTrainer) with the chunked forward pass for decoder-only
    models; encoder-decoder models and auxiliary router losses keep TRL's own."""

    class LeanORPOTrainer(trainer_cls):
        def concatenated_forward(self, model, batch):
            if self.is_encoder_decoder or self.aux_loss_enabled:
                return super().concatenated_forward(model, batch)
            concatenated = self.concatenated_inputs(
                batch,
                is_encoder_decoder=False,
                padding_value=self.padding_value,
                device=self.accelerator.device,
            )
            # The output layer runs outside the model's forward, which accelerate wraps in the
            # mixed-precision autocast: without the same context it would run in fp32.
            unwrapped = self.accelerator.unwrap_model(model)
            with self.accelerator.autocast():
                return orpo_forward_terms(
                    model,
                    decoder_of(unwrapped),
                    unwrapped.get_output_embeddings(),
                    concatenated["concatenated_input_ids"],
                    concatenated["concatenated_attention_mask"],
                    concatenated["concatenated_labels"],
                    len_chosen=batch["chosen_labels"].shape[0],
                )

    LeanORPOTrainer.__name__ = LeanORPOTrainer.__qualname__ = "LeanORPOTrainer"
    return LeanORPOTrainer

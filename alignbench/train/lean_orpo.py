"""ORPO's forward pass without a full-vocabulary logits tensor.

TRL's ORPOTrainer (``concatenated_forward``) asks the model for the logits of every position of
every chosen and rejected sequence, a batch x length x vocabulary tensor (49,152 entries per
position for the demo model, 128,256 for Llama-3.2-1B), then takes a contiguous copy of the chosen
half for its NLL term and a log-softmax over all of it for the sequence log-probabilities; each of
these copies, and its gradient, lives until the backward pass. With activation checkpointing on,
they are most of ORPO's peak memory at long rows: at 768 tokens on the demo model, batch 4, ORPO
peaked at 7.3 GB with TRL's forward pass, 5.4 GB with this one and 3.6 GB with every batch chunked
(``python -m benchmarks.memory``; README, "Training memory at real lengths").

Here the model's own forward computes no logits and returns the decoder's last hidden states;
the log-probability of each next token ORPO uses (not those of padding or of the rejected rows'
prompts) is computed from them by the model's output layer, in chunks of positions when a batch is
large, each chunk's logits recomputed in the backward pass (``torch.utils.checkpoint``), so at
most one chunk's logits exist at a time. The loss terms are TRL's: the NLL of the chosen sequences
over prompt and answer, the average log-probability of each sequence's answer. The logged mean
logits are taken over the answer tokens, where TRL's include prompts and padding.
"""

from __future__ import annotations

# Positions whose logits are computed at once: 1,024 x 128,256 fp32 logits are 0.5 GB.
CHUNK_TOKENS = 1024
# Up to this many bytes of fp32 logits a batch is computed in one piece, and the backward pass
# recomputes nothing: chunking every batch made the demo's ORPO loop 107 s instead of 88 s (TRL's
# own: 88 s), where its batches of ~1,600 positions hold 0.3 GB of logits.
WHOLE_BATCH_LOGITS_BYTES = 1 << 30


def _chunk_logps(head, hidden, targets):
    """Log-probabilities of ``targets`` and the sum of each position's logits (for logging)."""
    logits = head(hidden).float()
    logps = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return logps, logits.detach().sum(-1)


def next_token_logps(
    head,
    hidden,
    targets,
    chunk_tokens: int = CHUNK_TOKENS,
    whole_batch_bytes: int = WHOLE_BATCH_LOGITS_BYTES,
):
    """Log-probability of ``targets[b, t]`` given ``hidden[b, t]`` under the output layer
    ``head``, and the sum over the vocabulary of each position's logits; both shaped like
    ``targets``. A batch whose logits exceed ``whole_batch_bytes`` is computed in chunks, only
    one chunk's logits held at a time, in the forward and the backward pass."""
    import torch
    from torch.utils.checkpoint import checkpoint

    # Two-dimensional and contiguous: a linear layer on the sliced 3-D hidden states ran as a
    # batched matmul, ten times slower on CPU in bf16.
    flat_hidden = hidden.reshape(-1, hidden.shape[-1]).contiguous()
    flat_targets = targets.reshape(-1)
    if flat_targets.numel() * head.weight.shape[0] * 4 <= whole_batch_bytes:
        logps, logit_sums = _chunk_logps(head, flat_hidden, flat_targets)
        return logps.view_as(targets), logit_sums.view_as(targets)
    logps, logit_sums = [], []
    for start in range(0, flat_targets.numel(), chunk_tokens):
        end = start + chunk_tokens
        chunk = checkpoint(
            _chunk_logps,
            head,
            flat_hidden[start:end],
            flat_targets[start:end],
            use_reentrant=False,
        )
        logps.append(chunk[0])
        logit_sums.append(chunk[1])
    return torch.cat(logps).view_as(targets), torch.cat(logit_sums).view_as(targets)


def needed_positions(attention_mask, labels, len_chosen: int):
    """The next-token positions whose log-probability ORPO uses: every real token of the chosen
    rows (the NLL term) and the answer tokens of the rejected rows (the odds ratio). Padding
    and the rejected rows' prompts (a third or more of a demo batch) need no logits."""
    needed = labels[:, 1:] != -100
    needed[:len_chosen] |= attention_mask[:len_chosen, 1:] == 1
    return needed


def orpo_forward_terms(model, head, input_ids, attention_mask, labels, len_chosen: int):
    """What ORPO's loss and logs need from one forward pass of ``model`` over the chosen rows
    followed by the rejected rows: (chosen answer log-probs, rejected answer log-probs, mean
    chosen logit, mean rejected logit, chosen NLL). ``head`` is the model's output layer (taken
    from the unwrapped model: a DistributedDataParallel wrapper does not expose it). ``labels``
    are -100 outside the answers, as TRL builds them; the NLL covers every non-padding token, as
    TRL's does. The mean logits are over the answer tokens (TRL's over every position of the
    batch, padding included)."""
    import torch

    needed = needed_positions(attention_mask, labels, len_chosen)
    # An all-False mask: the model computes no logits at all. (logits_to_keep=1 ran its output
    # layer on a strided slice, as a batched matmul that copied the 49,152 x 576 weight once per
    # row: a quarter of the demo's ORPO loop, measured with torch.profiler.)
    outputs = model(
        input_ids,
        attention_mask=attention_mask,
        use_cache=False,
        output_hidden_states=True,
        logits_to_keep=torch.zeros_like(attention_mask, dtype=torch.bool),
    )
    hidden = outputs.hidden_states[-1][:, :-1]
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
            with self.accelerator.autocast():
                return orpo_forward_terms(
                    model,
                    self.accelerator.unwrap_model(model).get_output_embeddings(),
                    concatenated["concatenated_input_ids"],
                    concatenated["concatenated_attention_mask"],
                    concatenated["concatenated_labels"],
                    len_chosen=batch["chosen_labels"].shape[0],
                )

    LeanORPOTrainer.__name__ = LeanORPOTrainer.__qualname__ = "LeanORPOTrainer"
    return LeanORPOTrainer

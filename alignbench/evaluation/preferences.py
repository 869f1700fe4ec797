"""Held-out preference accuracy: does a variant score the chosen answer above the rejected one?

ROUGE only compares a generation with one reference; preference pairs measure what ORPO and DPO
optimise directly. For each validation pair the model scores both answers to the same prompt by
their mean per-token log-probability, i.e. log P in ORPO's odds P / (1 - P) (Hong, Lee, Thorne
2024, arXiv 2403.07691). The mean, not the sum, keeps a longer answer from losing merely for
having more tokens.

The answer tokens are those of the whole conversation rendered with the chat template after the
rendered prompt, so the end-of-turn token is scored as in training. That split is only valid when
the rendered prompt is a token prefix of the rendered conversation; it is checked per row.

Both answers of a pair go through the model in one sequence, prompt first and once, packed as
in training (:func:`alignbench.models.pair_packing.prompt_once`): the rejected answer's tokens
attend to the prompt but not to the chosen answer, and take the positions they would have after
the prompt alone, so each answer's log-probabilities are those of its own conversation. On the
demo's held-out pairs this computes 1.64x fewer positions than scoring the two conversations
apart (the prompts are most of the tokens). Attention implementations that take no custom mask
(flash-attention) score the conversations apart.

Reruns on the same CPU are byte-identical whatever the thread count (tests/test_preferences.py);
a CPU with another vector instruction set sums in another order (README.md, "Exact reruns").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from alignbench.data.chat import render_conversation, render_prompt
from alignbench.data.conversation import prompt_messages
from alignbench.evaluation.generate import length_sorted_batches
from alignbench.evaluation.stats import as_dict, estimate_mean
from alignbench.models.hardware import takes_custom_attention_masks

# A tokenizer may merge the last prompt token with the first answer token (BPE across the
# boundary); the answer then starts where the two renderings part, as in TRL's DPO. Parting
# earlier than this means the template renders the prompt differently: refuse it.
BOUNDARY_TOLERANCE = 2


def common_prefix_length(first: list[int], second: list[int]) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def answer_sequence(tokenizer, row: dict, which: str) -> tuple[list[int], int]:
    """Token ids of prompt + the ``which`` ('chosen' | 'rejected') answer, and where the answer
    starts.

    Raises ValueError when the template renders the prompt differently inside the conversation
    (e.g. it drops a default system prompt): the tokens after it would not be the answer.
    """
    prompt = prompt_messages(row)
    prompt_ids = render_prompt(tokenizer, prompt)
    full_ids = render_conversation(tokenizer, [*prompt, row[which][-1]])
    shared = common_prefix_length(prompt_ids, full_ids)
    if shared < len(prompt_ids) - BOUNDARY_TOLERANCE or shared == len(full_ids):
        raise ValueError(
            f"Row {row['id']}: the chat template's rendered prompt is not a prefix of the "
            f"rendered conversation with the {which} answer, so the answer tokens cannot be "
            "separated from the prompt. Use a prefix-consistent chat template."
        )
    return full_ids, shared


def right_padded(sequences: list[list[int]], pad_token_id: int):
    """Token ids and attention mask of ``sequences`` padded on the right to the longest."""
    import torch

    width = max(map(len, sequences))
    input_ids = torch.full((len(sequences), width), pad_token_id, dtype=torch.long)
    attention_mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        input_ids[row, : len(sequence)] = torch.tensor(sequence)
        attention_mask[row, : len(sequence)] = 1
    return input_ids, attention_mask


def map_length_sorted(
    sequences: list[list[int]],
    batch_size: int,
    pad_token_id: int,
    score_batch: Callable,
) -> list:
    """Apply ``score_batch(indices, input_ids, attention_mask)`` to right-padded batches.

    Batches group sequences of similar length (less padding); ``indices`` are the positions in
    ``sequences`` of the batch's rows. ``score_batch`` returns one value per row; the values come
    back in the order of ``sequences``. Right padding keeps every real token at its unpadded
    position (a plain forward pass numbers positions 0.. regardless of the mask), so batched
    scores equal single ones whatever the model's position encoding, absolute ones included.
    """
    import torch

    results: list = [None] * len(sequences)
    for batch in length_sorted_batches([len(s) for s in sequences], batch_size):
        input_ids, attention_mask = right_padded([sequences[i] for i in batch], pad_token_id)
        with torch.inference_mode():
            scores = score_batch(batch, input_ids, attention_mask)
        for index, score in zip(batch, scores, strict=True):
            results[index] = score
    return results


def mean_answer_logprobs(model, input_ids, attention_mask, prompt_lengths: list[int]) -> list:
    """Mean log-probability of the tokens after each row's prompt (padding excluded).

    The output layer runs only on the positions that predict an answer token: on the demo's
    held-out pairs the prompts are 73% of the tokens, and a full-vocabulary row of logits for
    each of their positions (49,152 for the demo model) would be computed for nothing."""
    import torch

    device = model.device
    input_ids, attention_mask = input_ids.to(device), attention_mask.to(device)
    hidden = model.get_decoder()(input_ids=input_ids, attention_mask=attention_mask)
    # The hidden state at position t predicts token t + 1.
    positions = torch.arange(input_ids.shape[1], device=device)
    starts = torch.tensor(prompt_lengths, device=device)[:, None] - 1
    ends = attention_mask.sum(-1, keepdim=True) - 1
    predicting = (positions >= starts) & (positions < ends)
    logits = model.get_output_embeddings()(hidden.last_hidden_state[predicting]).float()
    targets = input_ids[:, 1:][predicting[:, :-1]]
    token_logprobs = torch.log_softmax(logits, dim=-1).gather(-1, targets[:, None]).squeeze(-1)
    # Rows in order, each its own mean (a per-row reduction: the same sums whatever the batch).
    per_row = torch.split(token_logprobs, predicting.sum(-1).tolist())
    return [float(row.mean()) for row in per_row]


def packed_length(chosen: list[int], rejected: list[int]) -> int:
    """Positions a pair takes in one sequence: the chosen conversation, then what of the
    rejected one follows the tokens both start with."""
    return len(chosen) + len(rejected) - common_prefix_length(chosen, rejected)


def packs_pairs(model) -> bool:
    """Whether the model's attention takes the custom mask a packed pair needs."""
    return takes_custom_attention_masks(model.config)


def log_odds(mean_logprob: float) -> float:
    """ORPO's log(P / (1 - P)) with P = exp(mean_logprob) < 1.

    ``log(-expm1(lp))`` is log(1 - P) without the cancellation of 1 - exp(lp) for lp near 0.
    A model certain of every token (lp == 0.0 exactly) has infinite odds.
    """
    return float(mean_logprob - np.log(-np.expm1(mean_logprob)))


def pair_scores(row_id: str, chosen_logprob: float, rejected_logprob: float) -> dict:
    margin = chosen_logprob - rejected_logprob
    return {
        "id": row_id,
        "chosen_logprob": chosen_logprob,
        "rejected_logprob": rejected_logprob,
        "margin": margin,
        "chosen_preferred": bool(margin > 0),
        "log_odds_ratio": log_odds(chosen_logprob) - log_odds(rejected_logprob),
    }


def preference_scores(
    model, tokenizer, rows: list[dict], batch_size: int = 8, shared_prompt: bool | None = None
) -> list[dict]:
    """Score the chosen and rejected answer of every row; one dict per row, in input order.

    ``batch_size`` counts pairs. ``shared_prompt`` packs each pair into one sequence (None:
    wherever the model's attention allows it, :func:`packs_pairs`); False scores the two
    conversations as separate sequences. Both give the same scores up to rounding."""
    import contextlib

    import torch

    from alignbench.models.pair_packing import prompt_once

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0  # masked anyway
    packing = packs_pairs(model) if shared_prompt is None else shared_prompt
    pairs = [
        (answer_sequence(tokenizer, row, "chosen"), answer_sequence(tokenizer, row, "rejected"))
        for row in rows
    ]
    # Batches of pairs of similar width: packed, or the longer conversation of the two.
    widths = [
        packed_length(chosen, rejected) if packing else max(len(chosen), len(rejected))
        for (chosen, _), (rejected, _) in pairs
    ]
    logprobs: list = [None] * len(pairs)
    for batch in length_sorted_batches(widths, batch_size):
        # The batch's chosen conversations, then its rejected ones: the rows prompt_once packs.
        sequences = [pairs[k][0] for k in batch] + [pairs[k][1] for k in batch]
        input_ids, attention_mask = right_padded([ids for ids, _ in sequences], pad_id)
        packed = prompt_once(model.get_decoder()) if packing else contextlib.nullcontext()
        with torch.inference_mode(), packed:
            means = mean_answer_logprobs(
                model, input_ids, attention_mask, [start for _, start in sequences]
            )
        chosen, rejected = means[: len(batch)], means[len(batch) :]
        for k, pair_logprobs in zip(batch, zip(chosen, rejected, strict=True), strict=True):
            logprobs[k] = pair_logprobs
    return [pair_scores(row["id"], *logprobs[k]) for k, row in enumerate(rows)]


def summarize_preferences(per_example: list[dict]) -> dict:
    """Accuracy, mean margin and mean log odds ratio, each with its 95% bootstrap interval.

    Accuracy is the share of pairs whose chosen answer has the higher mean log-probability; a tie
    (margin exactly 0) counts as not preferred.
    """
    return {
        "n": len(per_example),
        "accuracy": as_dict(estimate_mean([float(e["chosen_preferred"]) for e in per_example])),
        "margin": as_dict(estimate_mean([e["margin"] for e in per_example])),
        "log_odds_ratio": as_dict(estimate_mean([e["log_odds_ratio"] for e in per_example])),
    }

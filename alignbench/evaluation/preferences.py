"""Held-out preference accuracy: does a variant score the chosen answer above the rejected one?

ROUGE only compares a generation with one reference; preference pairs measure what ORPO and DPO
optimise directly. For each validation pair the model scores both answers to the same prompt by
their mean per-token log-probability, i.e. log P in ORPO's odds P / (1 - P) (Hong, Lee, Thorne
2024, arXiv 2403.07691). The mean, not the sum, keeps a longer answer from losing merely for
having more tokens.

The answer tokens are those of the whole conversation rendered with the chat template after the
rendered prompt, so the end-of-turn token is scored as in training. That split is only valid when
the rendered prompt is a token prefix of the rendered conversation; it is checked per row.

Both answers of a pair go through the model in one sequence, prompt first and once (a "shared
prompt" pack, :class:`PackedPair`): the rejected answer's tokens attend to the prompt but not to
the chosen answer, and take the positions they would have after the prompt alone, so each
answer's log-probabilities are those of its own conversation. On the demo's held-out pairs this
computes 1.64x fewer positions than scoring the two conversations apart (the prompts are most of
the tokens). Attention implementations that take no custom mask (flash-attention) score the
conversations apart.

Reruns on the same CPU are byte-identical whatever the thread count (tests/test_preferences.py);
a CPU with another vector instruction set sums in another order (README.md, "Exact reruns").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
        width = max(len(sequences[i]) for i in batch)
        input_ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, index in enumerate(batch):
            input_ids[row, : len(sequences[index])] = torch.tensor(sequences[index])
            attention_mask[row, : len(sequences[index])] = 1
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


@dataclass(frozen=True)
class PackedPair:
    """A row's chosen and rejected conversations in one sequence: the chosen one, then what of
    the rejected one follows the tokens both start with (the prompt, and any answer tokens the
    two share), numbered from where it parts from the chosen one."""

    input_ids: list[int]
    position_ids: list[int]
    chosen_length: int  # packed tokens [0, chosen_length) are the chosen conversation
    shared: int  # its first `shared` tokens are also the rejected conversation's
    # (position of the hidden state that predicts a token, that token) for each answer token
    chosen_predictions: list[tuple[int, int]]
    rejected_predictions: list[tuple[int, int]]

    def attention_allowed(self, width: int):
        """Which packed positions each position may attend to (True), padded to ``width``:
        causal, except that the rejected answer's tokens do not see the chosen answer."""
        import torch

        allowed = torch.ones(width, width, dtype=torch.bool).tril()
        allowed[self.chosen_length : len(self.input_ids), self.shared : self.chosen_length] = False
        return allowed


def pack_pair(tokenizer, row: dict) -> PackedPair:
    chosen, chosen_start = answer_sequence(tokenizer, row, "chosen")
    rejected, rejected_start = answer_sequence(tokenizer, row, "rejected")
    shared = common_prefix_length(chosen, rejected)

    def packed_position(index: int) -> int:  # of the rejected conversation's token ``index``
        return index if index < shared else len(chosen) + index - shared

    return PackedPair(
        input_ids=chosen + rejected[shared:],
        position_ids=list(range(len(chosen))) + list(range(shared, len(rejected))),
        chosen_length=len(chosen),
        shared=shared,
        # The hidden state at position t predicts token t + 1.
        chosen_predictions=[(t - 1, chosen[t]) for t in range(chosen_start, len(chosen))],
        rejected_predictions=[
            (packed_position(t - 1), rejected[t]) for t in range(rejected_start, len(rejected))
        ],
    )


def packs_pairs(model) -> bool:
    """Whether the model's attention takes the custom mask a packed pair needs."""
    return takes_custom_attention_masks(model.config)


def packed_answer_logprobs(model, pairs: list[PackedPair], pad_token_id: int) -> list:
    """Mean log-probability of each pair's chosen and rejected answer, as (chosen, rejected)."""
    import torch

    device = model.device
    width = max(len(pair.input_ids) for pair in pairs)
    input_ids = torch.full((len(pairs), width), pad_token_id, dtype=torch.long)
    position_ids = torch.zeros((len(pairs), width), dtype=torch.long)
    allowed = torch.stack([pair.attention_allowed(width) for pair in pairs])[:, None]
    for row, pair in enumerate(pairs):
        input_ids[row, : len(pair.input_ids)] = torch.tensor(pair.input_ids)
        position_ids[row, : len(pair.position_ids)] = torch.tensor(pair.position_ids)
    # Padding needs no masking of its own: no real token comes after it, so causality already
    # hides it from them. The mask is additive, in the dtype the attention computes in.
    dtype = model.get_input_embeddings().weight.dtype
    mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min)
    hidden = model.get_decoder()(
        input_ids=input_ids.to(device),
        attention_mask=mask.to(device),
        position_ids=position_ids.to(device),
    ).last_hidden_state
    predictions = [
        [(row * width + position, token) for position, token in answer]
        for row, pair in enumerate(pairs)
        for answer in (pair.chosen_predictions, pair.rejected_predictions)
    ]
    flat = [prediction for answer in predictions for prediction in answer]
    positions = torch.tensor([position for position, _ in flat], device=device)
    targets = torch.tensor([token for _, token in flat], device=device)
    # The output layer only on positions that predict an answer token (a full-vocabulary row
    # of logits each).
    logits = model.get_output_embeddings()(hidden.flatten(0, 1)[positions]).float()
    token_logprobs = torch.log_softmax(logits, dim=-1).gather(-1, targets[:, None]).squeeze(-1)
    means = [
        float(answer.mean()) for answer in torch.split(token_logprobs, list(map(len, predictions)))
    ]
    return list(zip(means[::2], means[1::2], strict=True))


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
    import torch

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0  # masked anyway
    if shared_prompt is None:
        shared_prompt = packs_pairs(model)
    if not shared_prompt:
        return separately_scored(model, tokenizer, rows, batch_size, pad_id)
    pairs = [pack_pair(tokenizer, row) for row in rows]
    logprobs: list = [None] * len(pairs)
    for batch in length_sorted_batches([len(p.input_ids) for p in pairs], batch_size):
        with torch.inference_mode():
            scored = packed_answer_logprobs(model, [pairs[k] for k in batch], pad_id)
        for k, pair_logprobs in zip(batch, scored, strict=True):
            logprobs[k] = pair_logprobs
    return [pair_scores(row["id"], *logprobs[k]) for k, row in enumerate(rows)]


def separately_scored(model, tokenizer, rows: list[dict], batch_size: int, pad_id: int):
    """:func:`preference_scores` with the chosen and rejected conversations as two sequences."""
    # Sequence 2k is row k's chosen answer, 2k + 1 its rejected one; both go through the same
    # length-sorted batching, so a pair need not share a batch.
    sequences, prompt_lengths = [], []
    for row in rows:
        for which in ("chosen", "rejected"):
            ids, prompt_length = answer_sequence(tokenizer, row, which)
            sequences.append(ids)
            prompt_lengths.append(prompt_length)

    def score_batch(indices, input_ids, attention_mask):
        lengths = [prompt_lengths[i] for i in indices]
        return mean_answer_logprobs(model, input_ids, attention_mask, lengths)

    # Two sequences per pair.
    logprobs = map_length_sorted(sequences, 2 * batch_size, pad_id, score_batch)
    return [
        pair_scores(row["id"], logprobs[2 * k], logprobs[2 * k + 1]) for k, row in enumerate(rows)
    ]


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

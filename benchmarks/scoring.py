"""Preference scoring throughput of alignbench.evaluation.preferences.preference_scores: each
pair packed into one sequence with its prompt once (the workflow's way where the attention
allows it), against its two conversations scored apart."""

from __future__ import annotations

import time


def timed_scores(model, tokenizer, rows: list[dict], batch_size: int, shared_prompt):
    from alignbench.evaluation.preferences import preference_scores

    preference_scores(model, tokenizer, rows[:1], batch_size, shared_prompt)  # warm-up
    start = time.perf_counter()
    scores = preference_scores(model, tokenizer, rows, batch_size, shared_prompt)
    return scores, time.perf_counter() - start


def computed_positions(tokenizer, rows: list[dict]) -> tuple[int, int]:
    """Token positions the model runs on: packed pairs, and the two conversations apart."""
    from alignbench.evaluation.preferences import answer_sequence, packed_length

    chosen, rejected = (
        [answer_sequence(tokenizer, row, which)[0] for row in rows]
        for which in ("chosen", "rejected")
    )
    packed = sum(map(packed_length, chosen, rejected))
    return packed, sum(map(len, chosen + rejected))


def score_pairs(model, tokenizer, rows: list[dict], batch_size: int) -> dict:
    """Score chosen and rejected answers of ``rows`` as the score_preferences rule does, and
    again with each pair's conversations apart; rates, positions and the largest difference."""
    from alignbench.evaluation.preferences import packs_pairs

    packed = packs_pairs(model)
    scores, seconds = timed_scores(model, tokenizer, rows, batch_size, None)
    apart, apart_seconds = timed_scores(model, tokenizer, rows, batch_size, False)
    positions, apart_positions = computed_positions(tokenizer, rows)
    keys = ("chosen_logprob", "rejected_logprob")
    pairs = zip(scores, apart, strict=True)
    return {
        "pairs": len(scores),
        "batch_size": batch_size,
        "shared_prompt": packed,
        "seconds": seconds,
        "pairs_per_second": len(scores) / seconds,
        "apart_pairs_per_second": len(apart) / apart_seconds,
        "positions": positions if packed else apart_positions,
        "apart_positions": apart_positions,
        "max_difference": max(abs(s[k] - a[k]) for s, a in pairs for k in keys),
    }

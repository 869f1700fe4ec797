"""Preference scoring throughput of alignbench.evaluation.preferences.preference_scores."""

from __future__ import annotations

import time


def score_pairs(model, tokenizer, rows: list[dict], batch_size: int) -> dict:
    """Score chosen and rejected answers of ``rows`` as the score_preferences rule does."""
    from alignbench.evaluation.preferences import preference_scores

    preference_scores(model, tokenizer, rows[:1], batch_size)  # warm-up, not measured
    start = time.perf_counter()
    scores = preference_scores(model, tokenizer, rows, batch_size)
    seconds = time.perf_counter() - start
    return {
        "pairs": len(scores),
        "batch_size": batch_size,
        "seconds": seconds,
        "pairs_per_second": len(scores) / seconds,
    }

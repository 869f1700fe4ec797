"""ROUGE with ``rouge_score`` directly (``evaluate.load('rouge')`` needs the Hub).

The mean is taken over exactly the examples scored, and that count is stored beside it: the
original divided a sum over 1,001 examples by 2,000, halving every published number.
"""

from __future__ import annotations

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def score_examples(generations: list[dict], use_stemmer: bool = True) -> list[dict]:
    """Per-example ROUGE F-measure of each generation against its reference."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    scored = []
    for record in generations:
        scores = scorer.score(record["reference"], record["generation"])
        scored.append({"id": record["id"], **{t: scores[t].fmeasure for t in ROUGE_TYPES}})
    return scored


def mean_scores(per_example: list[dict]) -> dict[str, float]:
    if not per_example:
        raise ValueError("No examples to average: the generations file is empty.")
    return {t: sum(e[t] for e in per_example) / len(per_example) for t in ROUGE_TYPES}


def rouge_summary(variant: str, generations: list[dict], use_stemmer: bool = True) -> dict:
    per_example = score_examples(generations, use_stemmer)
    return {
        "variant": variant,
        "n": len(per_example),
        "use_stemmer": use_stemmer,
        "mean": mean_scores(per_example),
        "per_example": per_example,
    }

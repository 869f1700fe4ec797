"""ROUGE with ``rouge_score`` directly (``evaluate.load('rouge')`` needs the Hub).

The mean is taken over exactly the examples scored, and that count is stored beside it: the
original divided a sum over 1,001 examples by 2,000, halving every published number.
"""

from __future__ import annotations

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def score_examples(
    generations: list[dict], rouge_types=ROUGE_TYPES, use_stemmer: bool = True
) -> list[dict]:
    """Per-example ROUGE F-measure of each generation against its reference."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(rouge_types), use_stemmer=use_stemmer)
    scored = []
    for record in generations:
        scores = scorer.score(record["reference"], record["generation"])
        scored.append({"id": record["id"], **{t: scores[t].fmeasure for t in rouge_types}})
    return scored


def mean_scores(per_example: list[dict], rouge_types=ROUGE_TYPES) -> dict[str, float]:
    if not per_example:
        raise ValueError("No examples to average: the generations file is empty.")
    return {t: sum(e[t] for e in per_example) / len(per_example) for t in rouge_types}


def rouge_summary(
    variant: str, generations: list[dict], rouge_types=ROUGE_TYPES, use_stemmer: bool = True
) -> dict:
    per_example = score_examples(generations, rouge_types, use_stemmer)
    return {
        "variant": variant,
        "n": len(per_example),
        "use_stemmer": use_stemmer,
        "mean": mean_scores(per_example, rouge_types),
        "per_example": per_example,
    }


def scores_table(summaries: list[dict]) -> str:
    """Tab-separated table: one row per variant with n and the mean of each ROUGE type."""
    rouge_types = list(summaries[0]["mean"]) if summaries else list(ROUGE_TYPES)
    lines = ["\t".join(["variant", "n", *rouge_types])]
    for summary in summaries:
        means = [f"{summary['mean'][t]:.4f}" for t in rouge_types]
        lines.append("\t".join([summary["variant"], str(summary["n"]), *means]))
    return "\n".join(lines) + "\n"

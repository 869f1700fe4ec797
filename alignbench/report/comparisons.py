"""Paired comparisons between variants, as the report states them.

comparisons.json (alignbench.evaluation.aggregate.compare_variants) holds one row per pair of
variants and metric: the mean paired difference (variant − reference on the prompts both
answered, each prompt averaged over the seeds), its 95% bootstrap interval, a sign-flip
permutation p-value, and ``distinguishable`` (the interval excludes zero). A sentence here calls
a difference real only when ``distinguishable`` says so.
"""

from __future__ import annotations

from alignbench.report.formatting import (
    format_interval,
    format_p_value,
    format_signed,
    metric_digits,
    metric_label,
)
from alignbench.variants import UNTRAINED

COMPARED_METRICS = ("rougeL", "preference_accuracy", "task_accuracy", "answer_tokens")
HEADLINE_METRICS = ("rougeL", "preference_accuracy", "task_accuracy")
VERDICT = {True: "distinguishable from zero", False: "not distinguishable"}
# The verdict follows the interval. Where the permutation test is not significant at this level
# although the interval excludes zero (few prompts, or few distinct values such as 0/1 outcomes
# that differ on a handful of prompts), the percentile bootstrap is likely too narrow: say so.
TEST_LEVEL = 0.05


def verdict(row: dict) -> str:
    if not row["seed_consistent"]:
        return "not distinguishable (seeds disagree in sign)"
    return VERDICT[row["distinguishable"]]


def difference_label(row: dict) -> str:
    return f"{row['variant']} − {row['reference']}"


def difference_text(row: dict) -> str:
    """'+0.0232 [0.0101, 0.0350], p < 0.001'."""
    places = metric_digits(row["metric"])
    interval = format_interval(row["interval"], places)
    return f"{format_signed(row['mean'], places)} {interval}, {format_p_value(row['p_value'])}"


def comparison_sentence(row: dict) -> str:
    """'orpo − base ROUGE-L: +0.1050 [0.0600, 0.1500], p < 0.001: distinguishable.'"""
    verdict = "distinguishable" if row["distinguishable"] else "not distinguishable"
    return (
        f"{difference_label(row)} {metric_label(row['metric'])}: {difference_text(row)}: {verdict}."
    )


def shown_comparisons(comparisons: list[dict], variants: list[str], metrics) -> list[dict]:
    """Rows between enabled variants for the given metrics, grouped in ``metrics`` order."""
    return [
        row
        for metric in metrics
        for row in comparisons
        if row["metric"] == metric and row["variant"] in variants and row["reference"] in variants
    ]


def comparison_groups(comparisons: list[dict], variants: list[str]) -> list[dict]:
    """The paired-comparisons table: one group of rows per metric."""
    groups = []
    for metric in COMPARED_METRICS:
        rows = shown_comparisons(comparisons, variants, (metric,))
        if rows:
            groups.append(
                {
                    "metric": metric_label(metric),
                    "rows": [
                        {
                            "label": difference_label(row),
                            "n": row["n"],
                            "difference": format_signed(row["mean"], metric_digits(metric)),
                            "interval": format_interval(row["interval"], metric_digits(metric)),
                            "p_value": format_p_value(row["p_value"]),
                            "verdict": verdict(row),
                        }
                        for row in rows
                    ],
                }
            )
    return groups


def comparison_text(comparisons: list[dict], variants: list[str]) -> dict:
    rows = shown_comparisons(comparisons, variants, COMPARED_METRICS)
    return {
        "total": len(rows),
        "distinguishable": [comparison_sentence(r) for r in rows if r["distinguishable"]],
        "not_distinguishable": not_distinguishable_by_metric(rows),
        "weak": [
            f"{difference_label(r)} {metric_label(r['metric'])} ({format_p_value(r['p_value'])})"
            for r in rows
            if r["distinguishable"] and r["p_value"] >= TEST_LEVEL
        ],
        "test_level": f"{TEST_LEVEL:g}",
    }


def not_distinguishable_by_metric(rows: list[dict]) -> list[str]:
    """'ROUGE-L: dpo − sft, dpo − orpo': the table already gives each of these in full."""
    groups: dict[str, list[str]] = {}
    for row in rows:
        if not row["distinguishable"]:
            groups.setdefault(metric_label(row["metric"]), []).append(difference_label(row))
    return [f"{metric}: {', '.join(labels)}" for metric, labels in groups.items()]


def headline(comparisons: list[dict], variants: list[str]) -> list[str]:
    """For the abstract: 'sft − base ROUGE-L +0.0232 [0.0101, 0.0350] (p < 0.001)'."""
    rows = shown_comparisons(comparisons, variants, HEADLINE_METRICS)
    phrases = []
    for row in rows:
        if row["distinguishable"]:
            places = metric_digits(row["metric"])
            phrases.append(
                f"{difference_label(row)} {metric_label(row['metric'])} "
                f"{format_signed(row['mean'], places)} "
                f"{format_interval(row['interval'], places)} ({format_p_value(row['p_value'])})"
            )
    return phrases


def oriented(comparisons: list[dict], variant: str, reference: str, metric: str) -> dict | None:
    """The comparison ``variant − reference`` of ``metric``, flipping a row stored the other way."""
    for row in comparisons:
        if row["metric"] != metric:
            continue
        if (row["variant"], row["reference"]) == (variant, reference):
            return row
        if (row["variant"], row["reference"]) == (reference, variant):
            interval = row["interval"]
            return {
                **row,
                "variant": variant,
                "reference": reference,
                "mean": -row["mean"],
                "interval": None if interval is None else [-interval[1], -interval[0]],
            }
    return None


def conciseness(
    variants: list[str], summaries: dict[str, dict], comparisons: list[dict], max_new_tokens: int
) -> str:
    """Test the post's claim 'ORPO answers are more concise' on the answer_tokens comparisons."""
    claim = "The post claims that ORPO answers are more concise."
    methods = {variant: summaries[variant]["method"] for variant in variants}
    orpo = [v for v in variants if methods[v] == "orpo"]
    others = [v for v in variants if methods[v] in (UNTRAINED, "sft")]
    if not orpo:
        return f"{claim} No ORPO-trained variant is enabled, so the claim is not tested here."
    found = [
        row
        for variant in orpo
        for other in others
        if (row := oriented(comparisons, variant, other, "answer_tokens"))
    ]
    if not found:
        return f"{claim} No answer-length comparison with the base or an SFT variant exists."
    statements = "; ".join(f"{difference_label(r)} {difference_text(r)}" for r in found)
    # Labels ("orpo − base"), not reference names: with two ORPO variants a name is ambiguous.
    shorter = [difference_label(r) for r in found if r["distinguishable"] and r["mean"] < 0]
    longer = [difference_label(r) for r in found if r["distinguishable"] and r["mean"] > 0]
    level = [difference_label(r) for r in found if not r["distinguishable"]]
    if shorter and longer:
        verdict = (
            f"The evidence is mixed: ORPO answers are shorter for {', '.join(shorter)} but "
            f"longer for {', '.join(longer)}."
        )
    elif longer:
        verdict = f"The data contradict the claim: ORPO answers are longer for {', '.join(longer)}."
    elif not level:
        verdict = "The data support the claim: every one of these differences is below zero."
    elif shorter:
        verdict = (
            f"The data support the claim only for {', '.join(shorter)}; for {', '.join(level)} "
            "the difference is not distinguishable from zero."
        )
    else:
        verdict = (
            "The data do not support the claim: no difference in answer length is "
            "distinguishable from zero."
        )
    return (
        f"{claim} Mean paired difference in answer tokens (per prompt, seeds averaged; answers "
        f"are cut at {max_new_tokens} tokens): {statements}. {verdict}"
    )

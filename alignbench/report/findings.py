"""Small facts the report states about the results: which comparisons to show, which variants
lie above or below chance, what the answer-length comparisons say about conciseness, and which
variant plays each published arm. The wording is in the templates under report/."""

from __future__ import annotations

from alignbench.evaluation.metrics import COMPARED_METRICS, METRICS, pooled, position
from alignbench.variants import UNTRAINED

# The abstract states the paired comparisons of these (all but answer length).
HEADLINE_METRICS = COMPARED_METRICS[:-1]


def with_metric(summaries: dict[str, dict], variants: list[str], metric: str) -> list[str]:
    """The variants whose summary holds ``metric`` (absent where it does not apply)."""
    return [v for v in variants if metric in summaries[v]["metrics"]]


def present_metrics(summaries: dict[str, dict], variants: list[str], metrics) -> list[str]:
    return [m for m in metrics if with_metric(summaries, variants, m)]


def shown_comparisons(comparisons: list[dict], variants: list[str], metrics) -> list[dict]:
    """Rows between enabled variants for the given metrics, grouped in ``metrics`` order."""
    return [
        row
        for metric in metrics
        for row in comparisons
        if row["metric"] == metric and row["variant"] in variants and row["reference"] in variants
    ]


def against_chance(summaries: dict[str, dict], variants: list[str], metric: str) -> dict:
    """Variants whose 95% interval lies above / below the metric's chance level, or contains it."""
    groups = {"above": [], "below": [], "level": []}
    for variant in with_metric(summaries, variants, metric):
        interval = pooled(summaries[variant], metric)["interval"]
        groups[position(interval, METRICS[metric].chance)].append(variant)
    return groups


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


def conciseness(variants: list[str], summaries: dict[str, dict], comparisons: list[dict]) -> dict:
    """The evidence on the claim 'ORPO answers are more concise': the answer-length differences
    of each ORPO variant from the base and SFT variants, grouped by what they show."""
    methods = {variant: summaries[variant]["method"] for variant in variants}
    orpo = [v for v in variants if methods[v] == "orpo"]
    others = [v for v in variants if methods[v] in (UNTRAINED, "sft")]
    rows = [
        row
        for variant in orpo
        for other in others
        if (row := oriented(comparisons, variant, other, "answer_tokens"))
    ]
    real = [row for row in rows if row["distinguishable"]]
    return {
        "tested": bool(orpo),
        "rows": rows,
        "shorter": [row for row in real if row["mean"] < 0],
        "longer": [row for row in real if row["mean"] > 0],
        "level": [row for row in rows if not row["distinguishable"]],
    }


def family_table(variants: list[str], summaries: dict[str, dict]) -> list[dict]:
    """Task accuracy per family: the mean over a variant's runs (None where it has none)."""
    families: dict[str, int] = {}  # family -> n checked, in the order the summaries list them
    for variant in variants:
        for by_task in summaries[variant]["tasks_by_family"].values():
            for family, result in by_task.items():
                families.setdefault(family, result["n"])
    rows = []
    for family, n in families.items():
        means = []
        for variant in variants:
            runs = summaries[variant]["tasks_by_family"].values()
            accuracies = [by_task[family]["accuracy"] for by_task in runs if family in by_task]
            means.append(sum(accuracies) / len(accuracies) if accuracies else None)
        rows.append({"family": family, "n": n, "means": means})
    return rows


def arm_variant(arm_key: str, config: dict, variants: list[str]) -> str | None:
    """The enabled variant that plays a published arm: same name, else the only one with that
    method."""
    by_name = [name for name in variants if name.lower() == arm_key]
    if by_name:
        return by_name[0]
    by_method = [name for name in variants if config["variants"][name]["method"] == arm_key]
    return by_method[0] if len(by_method) == 1 else None


def published_arms(published: dict, config: dict, variants: list[str]) -> list[dict]:
    """Each published arm with its halving-corrected scores and the variant that plays it."""
    factor = published["divisor"] / published["evaluated"]
    return [
        {
            **arm,
            "corrected": [score * factor for score in arm["scores"]],
            "variant": arm_variant(arm["match"], config, variants),
        }
        for arm in published["arms"]
    ]

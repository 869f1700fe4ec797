"""Section 3 of the report: per-variant tables and sentences from the summaries.

A variant's summary.json (alignbench.evaluation.aggregate.summarize_variant) holds, per metric,
each run's mean, the spread of those means across seeds, and the pooled estimate: each prompt's
value averaged over the runs, then the mean over prompts with a 95% bootstrap interval. A metric
is absent where it does not apply (task accuracy without checkable answers, reward without a
reward model), and so is its table. Comparisons between variants are in comparisons.py.
"""

from __future__ import annotations

from alignbench.evaluation.rouge import ROUGE_TYPES
from alignbench.report.comparisons import (
    comparison_groups,
    comparison_text,
    conciseness,
    headline,
)
from alignbench.report.formatting import (
    MISSING,
    format_interval,
    format_score,
    metric_digits,
    metric_label,
)

SEED_TABLE_METRICS = (*ROUGE_TYPES, "preference_accuracy", "task_accuracy", "answer_tokens")
ANSWER_METRICS = ("answer_tokens", "answer_words", "stopped_on_eos", "repetition")
CORPUS_METRICS = ("distinct_1", "distinct_2")
# Two answers per pair: guessing gets half right. A reward win rate of 0.5 (ties count half)
# means "as good as the reference answer".
CHANCE = 0.5


def has_metric(summaries: dict[str, dict], variants: list[str], metric: str) -> list[str]:
    """The variants whose summary holds ``metric`` (absent where it does not apply)."""
    return [v for v in variants if metric in summaries[v]["metrics"]]


def seed_spread(entry: dict, metric: str) -> str:
    """'± 0.0040 across 2 seeds', or '' for a single run (no spread to show)."""
    spread = entry["across_seeds"]
    if spread["n_seeds"] < 2:
        return ""
    return (
        f"± {format_score(spread['std'], metric_digits(metric))} across {spread['n_seeds']} seeds"
    )


def estimate_cell(summary: dict, metric: str) -> dict:
    """Pooled mean, its interval and the seed spread of one metric, as strings."""
    entry = summary["metrics"].get(metric)
    if entry is None:
        return {"mean": MISSING, "interval": "", "seeds": ""}
    pooled = entry["pooled"]
    return {
        "mean": format_score(pooled["mean"], metric_digits(metric)),
        "interval": format_interval(pooled["interval"], metric_digits(metric)),
        "seeds": seed_spread(entry, metric),
    }


def seed_mean_cell(summary: dict, metric: str) -> dict:
    """A corpus statistic (one number per run): the mean over seeds and their spread."""
    entry = summary["metrics"].get(metric)
    if entry is None:
        return {"mean": MISSING, "interval": "", "seeds": ""}
    mean = entry["across_seeds"]["mean"]
    return {
        "mean": format_score(mean, metric_digits(metric)),
        "interval": "",
        "seeds": seed_spread(entry, metric),
    }


def prompt_count(summary: dict) -> int:
    return summary["metrics"]["rougeL"]["pooled"]["n"]


def rouge_rows(variants: list[str], summaries: dict[str, dict]) -> list[dict]:
    """Main table: each variant's pooled ROUGE with interval and seed spread."""
    return [
        {
            "variant": variant,
            "method": summaries[variant]["method"],
            "from": summaries[variant]["from"] or MISSING,
            "seeds": len(summaries[variant]["runs"]),
            "n": prompt_count(summaries[variant]),
            "scores": [estimate_cell(summaries[variant], metric) for metric in ROUGE_TYPES],
        }
        for variant in variants
    ]


def seed_table(variants: list[str], summaries: dict[str, dict]) -> dict:
    """Each run's mean of the main metrics: how much one training seed moves the result."""
    metrics = [m for m in SEED_TABLE_METRICS if has_metric(summaries, variants, m)]
    rows = []
    for variant in variants:
        summary = summaries[variant]
        for run in summary["runs"]:
            values = []
            for metric in metrics:
                entry = summary["metrics"].get(metric)
                value = entry["per_run"].get(run) if entry else None
                values.append(format_score(value, metric_digits(metric)))
            rows.append({"variant": variant, "run": run, "values": values})
    return {"columns": [metric_label(m) for m in metrics], "rows": rows}


def against_threshold(
    summaries: dict[str, dict], variants: list[str], metric: str, threshold: float
) -> dict[str, list[str]]:
    """Variants whose 95% interval lies above / below ``threshold``, or contains it."""
    groups = {"above": [], "below": [], "level": []}
    for variant in has_metric(summaries, variants, metric):
        interval = summaries[variant]["metrics"][metric]["pooled"]["interval"]
        if interval is not None and interval[0] > threshold:
            groups["above"].append(variant)
        elif interval is not None and interval[1] < threshold:
            groups["below"].append(variant)
        else:
            groups["level"].append(variant)
    return groups


def threshold_sentence(groups: dict[str, list[str]], what: str, phrases: dict[str, str]) -> str:
    """'Preference accuracy is above chance for sft, orpo; not distinguishable from ... base.'"""
    parts = [f"{phrases[key]} for {', '.join(groups[key])}" for key in phrases if groups[key]]
    return f"{what} is {'; '.join(parts)}." if parts else ""


def estimate_rows(summaries: dict[str, dict], variants: list[str], metrics) -> list[dict]:
    """One table row per variant: n (of the first metric) and a cell per metric."""
    return [
        {
            "variant": variant,
            "n": summaries[variant]["metrics"][metrics[0]]["pooled"]["n"],
            "cells": [estimate_cell(summaries[variant], metric) for metric in metrics],
        }
        for variant in variants
    ]


def preference_section(variants: list[str], summaries: dict[str, dict]) -> dict:
    rows = estimate_rows(
        summaries,
        has_metric(summaries, variants, "preference_accuracy"),
        ("preference_accuracy", "preference_margin", "log_odds_ratio"),
    )
    groups = against_threshold(summaries, variants, "preference_accuracy", CHANCE)
    sentence = threshold_sentence(
        groups,
        "Preference accuracy",
        {
            "above": "above chance (0.5; the whole 95% interval lies above it)",
            "below": "below chance (the model prefers the rejected answers)",
            "level": "not distinguishable from chance",
        },
    )
    return {"rows": rows, "chance": sentence}


def answer_section(
    variants: list[str], summaries: dict[str, dict], comparisons: list[dict], max_new_tokens: int
) -> dict:
    rows = [
        {
            "variant": variant,
            "cells": [estimate_cell(summaries[variant], m) for m in ANSWER_METRICS]
            + [seed_mean_cell(summaries[variant], m) for m in CORPUS_METRICS],
        }
        for variant in variants
    ]
    return {
        "rows": rows,
        "conciseness": conciseness(variants, summaries, comparisons, max_new_tokens),
    }


def family_table(variants: list[str], summaries: dict[str, dict]) -> dict:
    """Accuracy per task family: the mean over a variant's runs, with the family's n."""
    families: dict[str, int] = {}  # family -> n checked, in the order the summaries list them
    for variant in variants:
        for by_task in summaries[variant]["tasks_by_family"].values():
            for family, result in by_task.items():
                families.setdefault(family, result["n"])
    rows = []
    for family, n in families.items():
        values = []
        for variant in variants:
            runs = summaries[variant]["tasks_by_family"].values()
            accuracies = [by_task[family]["accuracy"] for by_task in runs if family in by_task]
            mean = sum(accuracies) / len(accuracies) if accuracies else None
            values.append(format_score(mean, metric_digits("task_accuracy")))
        rows.append({"family": family, "n": n, "values": values})
    return {"columns": variants, "rows": rows}


def task_section(variants: list[str], summaries: dict[str, dict]) -> dict | None:
    """None when no variant has checkable answers (data from the Hub carry none)."""
    checked = has_metric(summaries, variants, "task_accuracy")
    if not checked:
        return None
    rows = [
        {
            "variant": variant,
            "n": summaries[variant]["metrics"]["task_accuracy"]["pooled"]["n"],
            "cell": estimate_cell(summaries[variant], "task_accuracy"),
        }
        for variant in checked
    ]
    return {"rows": rows, "families": family_table(checked, summaries)}


def reward_section(variants: list[str], summaries: dict[str, dict], reward_model) -> dict:
    scored = has_metric(summaries, variants, "reward")
    if not scored:
        if reward_model:
            note = (
                f"A reward model ({reward_model}) is configured, but no summary holds reward "
                "scores."
            )
        else:
            note = (
                "Reward-model scoring was off (evaluation.reward_model is null), so no learned "
                "judge scored the answers."
            )
        return {"rows": [], "note": note, "model": MISSING, "win": ""}
    rows = estimate_rows(summaries, scored, ("reward", "reward_win_rate"))
    groups = against_threshold(summaries, scored, "reward_win_rate", CHANCE)
    win = threshold_sentence(
        groups,
        "The win rate against the reference answer",
        {
            "above": "above 0.5 (the judge prefers the generation)",
            "below": "below 0.5 (the judge prefers the reference)",
            "level": "not distinguishable from 0.5",
        },
    )
    return {"rows": rows, "note": "", "model": reward_model or MISSING, "win": win}


def results_section(
    *,
    variants: list[str],
    summaries: dict[str, dict],
    comparisons: list[dict],
    max_new_tokens: int,
    reward_model: str | None,
) -> dict:
    """Everything Section 3 and the abstract show, in the enabled variants' order."""
    return {
        "rouge": rouge_rows(variants, summaries),
        "seed_table": seed_table(variants, summaries),
        "comparisons": comparison_groups(comparisons, variants),
        "comparison_text": comparison_text(comparisons, variants),
        "headline": headline(comparisons, variants),
        "preferences": preference_section(variants, summaries),
        "answers": answer_section(variants, summaries, comparisons, max_new_tokens),
        "tasks": task_section(variants, summaries),
        "reward": reward_section(variants, summaries, reward_model),
    }

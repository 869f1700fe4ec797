"""Combine a variant's runs (one per training seed) and compare variants on the same prompts.

Every metric is first a per-prompt value (a ROUGE score, a 0/1 preference, an answer length).
Across seeds we report each seed's mean and their spread; for intervals and paired tests we
average each prompt's value over the seeds and bootstrap over prompts, so that the uncertainty
shown is about the prompts, with seed noise averaged in rather than treated as more prompts.
"""

from __future__ import annotations

from alignbench.evaluation.metrics import (
    COMPARED_METRICS,
    CORPUS_STATISTICS,
    METRICS,
    PER_PROMPT_METRICS,
    TABLE_METRICS,
    distinguishable,
    interval_excludes_zero,
    label,
    prompts_scored,
    seeds_agree,
)
from alignbench.evaluation.reward import win_value
from alignbench.evaluation.stats import (
    TWO_LEVEL_MIN_SEEDS,
    across_seeds,
    as_dict,
    estimate_over_seeds,
    holm_adjusted,
    paired_permutation_pvalue,
)
from alignbench.sweeps import comparison_pairs


def per_example_tables(files: dict[str, dict]) -> dict[str, list[dict]]:
    """A run's evaluation files, reduced to one per-example list per kind."""
    tables = {
        "rouge": files["rouge"]["per_example"],
        "preferences": files["preferences"]["per_example"],
        "answers": files["answers"]["statistics"]["per_example"],
        "tasks": files["answers"]["tasks"]["per_example"],
    }
    if "reward" in files:
        tables["reward"] = [
            {**row, "win_value": win_value(row)} for row in files["reward"]["per_example"]
        ]
    return tables


def values_by_id(examples: list[dict], key: str) -> dict[str, float]:
    return {example["id"]: float(example[key]) for example in examples}


def pool_runs(runs: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each prompt's value averaged over the runs; every run must cover the same prompts."""
    first, *others = runs.values()
    for run, values in runs.items():
        if values.keys() != first.keys():
            raise ValueError(f"run {run} was evaluated on other prompts than the first run")
    return {i: sum(values[i] for values in runs.values()) / len(runs) for i in first}


def summarize_metric(runs: dict[str, dict[str, float]]) -> dict:
    per_run = {run: sum(values.values()) / len(values) for run, values in runs.items()}
    pooled = pool_runs(runs)
    matrix = [[values[i] for i in pooled] for values in runs.values()]
    return {
        "per_run": per_run,
        "across_seeds": across_seeds(list(per_run.values())),
        "pooled": {
            **as_dict(estimate_over_seeds(matrix)),
            "two_level": len(runs) >= TWO_LEVEL_MIN_SEEDS,
        },
        "per_example": pooled,
        "per_run_examples": runs,
    }


def summarize_variant(variant: str, block: dict, run_files: dict[str, dict]) -> dict:
    """All metrics of one variant over its runs. ``run_files``: run -> kind -> file content."""
    tables = {run: per_example_tables(files) for run, files in run_files.items()}
    metrics = {}
    for metric in PER_PROMPT_METRICS:
        kind, key = METRICS[metric].source
        runs = {run: values_by_id(t[kind], key) for run, t in tables.items() if t.get(kind)}
        if runs:
            metrics[metric] = summarize_metric(runs)
    for statistic in CORPUS_STATISTICS:
        per_run = {
            run: files["answers"]["statistics"][statistic] for run, files in run_files.items()
        }
        if None not in per_run.values():
            metrics[statistic] = {
                "per_run": per_run,
                "across_seeds": across_seeds(list(per_run.values())),
            }
    return {
        "variant": variant,
        "method": block["method"],
        "from": block.get("from"),
        "runs": list(run_files),
        "metrics": metrics,
        "tasks_by_family": {
            run: files["answers"]["tasks"]["by_task"] for run, files in run_files.items()
        },
    }


def family_name(pair_family: str, metric: str) -> str:
    """The Holm family of one comparison: the report's table of arms holds COMPARED_METRICS
    together; any other metric, and each sweep's comparisons, form a family per metric."""
    if pair_family == "arms" and metric in COMPARED_METRICS:
        return "arms"
    return f"{pair_family}: {metric}"


def compare_variants(
    summaries: dict[str, dict], pairs: list[dict] | None = None, metrics=PER_PROMPT_METRICS
) -> list[dict]:
    """Paired differences ``variant − reference`` for each pair and every metric, with p-values
    Holm-adjusted within each family (family_name).

    ``pairs`` defaults to every pair of the summaries in their (config) order, so with base, sft,
    orpo, dpo the rows answer the questions the study asks: does each arm beat the base, does
    ORPO differ from SFT, does DPO after SFT beat SFT. Only prompts that both variants answered
    are paired.
    """
    if pairs is None:
        pairs = comparison_pairs(list(summaries), {})
    rows = []
    for pair in pairs:
        for metric in metrics:
            row = paired_row(summaries, pair["variant"], pair["reference"], metric)
            if row:
                rows.append({**row, "family": family_name(pair["family"], metric)})
    return adjust_families(rows)


def adjust_families(rows: list[dict]) -> list[dict]:
    """Each row with its Holm-adjusted p-value, the size of its family and the verdict that rests
    on the adjusted value (metrics.distinguishable)."""
    families: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        families.setdefault(row["family"], []).append(index)
    adjusted = [dict(row) for row in rows]
    for members in families.values():
        p_values = holm_adjusted([rows[i]["p_value"] for i in members])
        for index, p_adjusted in zip(members, p_values, strict=True):
            row = adjusted[index]
            row["p_adjusted"] = p_adjusted
            row["family_size"] = len(members)
            row["distinguishable"] = distinguishable(row["interval"], row["per_seed"], p_adjusted)
    return adjusted


def paired_row(summaries: dict[str, dict], variant: str, reference: str, metric: str):
    ours = summaries[variant]["metrics"].get(metric)
    theirs = summaries[reference]["metrics"].get(metric)
    if not ours or not theirs or "per_example" not in ours:
        return None
    shared = [i for i in ours["per_example"] if i in theirs["per_example"]]
    if len(shared) < 2:
        return None
    by_seed = seed_differences(ours, theirs, shared)
    per_seed = {run: sum(values) / len(values) for run, values in by_seed.items()}
    estimate = estimate_over_seeds(list(by_seed.values()))
    return {
        "variant": variant,
        "reference": reference,
        "metric": metric,
        **as_dict(estimate),
        "two_level": len(by_seed) >= TWO_LEVEL_MIN_SEEDS,
        "interval_excludes_zero": interval_excludes_zero(estimate.interval),
        # The permutation test flips the signs of the seed-averaged per-prompt differences.
        "p_value": paired_permutation_pvalue(
            [ours["per_example"][i] for i in shared], [theirs["per_example"][i] for i in shared]
        ),
        "per_seed": per_seed,
        "seed_consistent": seeds_agree(per_seed),
    }


def seed_differences(ours: dict, theirs: dict, shared: list[str]) -> dict[str, list[float]]:
    """Per-prompt paired differences within each seed. Runs pair by name (seed 42 with seed 42);
    an arm with a single run (the untrained base) is paired with every seed of the other."""
    our_runs, their_runs = ours["per_run_examples"], theirs["per_run_examples"]
    runs = our_runs if len(our_runs) >= len(their_runs) else their_runs
    differences = {}
    for run in runs:
        mine = our_runs.get(run, ours["per_example"])
        other = their_runs.get(run, theirs["per_example"])
        differences[run] = [mine[i] - other[i] for i in shared]
    return differences


def scores_table(summaries: list[dict]) -> str:
    """results/scores.tsv: one row per variant, pooled means over prompts and seeds (a cell is
    empty where the metric does not apply)."""
    lines = ["\t".join(["variant", "n_seeds", "n", *TABLE_METRICS])]
    for summary in summaries:
        metrics = summary["metrics"]
        cells = [
            f"{metrics[m]['pooled']['mean']:.4f}" if m in metrics else "" for m in TABLE_METRICS
        ]
        n = prompts_scored(summary)
        lines.append("\t".join([summary["variant"], str(len(summary["runs"])), str(n), *cells]))
    return "\n".join(lines) + "\n"


def metric_rows(summaries: dict[str, dict], metric: str) -> list[dict]:
    """Per-variant pooled mean, interval and per-seed means of one metric, for plots."""
    rows = []
    for variant, summary in summaries.items():
        values = summary["metrics"].get(metric)
        if values:
            low, high = values["pooled"]["interval"] or (None, None)
            rows.append(
                {
                    "variant": variant,
                    "mean": values["pooled"]["mean"],
                    "low": low,
                    "high": high,
                    "seeds": list(values["per_run"].values()) if len(values["per_run"]) > 1 else [],
                }
            )
    return rows


def difference_rows(comparisons: list[dict], metric: str) -> list[dict]:
    """Paired differences of one metric between the arms (grid points against their sweep's
    default are left out), for the forest plot."""
    return [
        {
            "label": f"{row['variant']} − {row['reference']} ({label(metric)})",
            "mean": row["mean"],
            "low": row["interval"][0] if row["interval"] else None,
            "high": row["interval"][1] if row["interval"] else None,
            "p_value": row["p_value"],
            "p_adjusted": row["p_adjusted"],
        }
        for row in comparisons
        if row["metric"] == metric and row["family"] == "arms"
    ]

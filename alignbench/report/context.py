"""Everything the report templates need, built from results that are already loaded.

The inputs are the validated config (every schema key present), the enabled variants in config
order, and the outputs of our own rules: each variant's summary.json and the comparisons.json of
alignbench.evaluation.aggregate, the generations of each variant's first run (for the samples),
the data report, the figures, the benchmark files and the provenance. Python computes numbers
and small facts; every sentence is in the templates under report/, which format numbers with
the filters that alignbench.report.render registers.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from alignbench.evaluation import stats
from alignbench.evaluation.metrics import COMPARED_METRICS, TABLE_METRICS
from alignbench.report import findings
from alignbench.report.config_view import config_tables, model_view, variant_settings
from alignbench.report.provenance import benchmark_rows, provenance_view, total_wall_time
from alignbench.report.render import embed_png
from alignbench.report.sweeps import sweep_figures as sweep_figure_entries
from alignbench.report.sweeps import sweep_view
from alignbench.variants import trained_variants


def read_yaml(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def figure_entries(figures: dict[str, str], report_dir: Path) -> dict[str, dict]:
    """Figures by name, numbered in figures.yaml's order, each with its one caption file."""
    titles = read_yaml(report_dir / "figures.yaml")
    unknown = set(figures) - set(titles)
    if unknown:
        raise KeyError(f"No title and caption for figures: {', '.join(sorted(unknown))}")
    present = [name for name in titles if name in figures]
    return {
        name: {
            "number": number,
            "title": titles[name],
            "caption": (report_dir / "captions" / f"{name}.rst").read_text("utf-8").strip(),
            "src": embed_png(figures[name]),
        }
        for number, name in enumerate(present, start=1)
    }


def pairs_scored(config: dict, summaries: dict[str, dict], variants: list[str]) -> int:
    """The most preference pairs a variant was scored on: the measured n, not the config's
    evaluation.preference_pairs, which a small validation set cannot always fill."""
    counts = [
        summaries[v]["metrics"]["preference_accuracy"]["pooled"]["n"]
        for v in findings.with_metric(summaries, variants, "preference_accuracy")
    ]
    return max(counts, default=config["evaluation"]["preference_pairs"] or 0)


def sample_generations(generations: dict[str, list[dict]], variants: list[str], k: int) -> list:
    """The first k prompts every variant answered: deterministic and comparable side by side."""
    by_variant = {v: {record["id"]: record for record in generations[v]} for v in variants}
    first, *others = by_variant.values()
    shared = [prompt_id for prompt_id in first if all(prompt_id in o for o in others)]
    return [
        {
            **first[prompt_id],
            "answers": [
                {"variant": variant, **records[prompt_id]}
                for variant, records in by_variant.items()
            ],
        }
        for prompt_id in shared[:k]
    ]


def build_context(
    *,
    config: dict,
    variants: list[str],
    summaries: dict[str, dict],
    comparisons: list[dict],
    generations: dict[str, list[dict]],
    data_report: dict,
    figures: dict[str, str],
    benchmarks: dict[str, dict],
    sweeps: dict[str, list[str]] | None = None,
    sweep_figures: list[str] | None = None,
    provenance: dict,
    report_dir: str | os.PathLike,
    precision: dict | None = None,
) -> dict:
    """The context of report/paper.html.j2; ``report_dir`` holds it and the report's fixed text.

    ``variants`` are the enabled arms in display order; ``config["variants"]`` may also hold
    disabled ones, which the report leaves out (the configuration dump aside), and grid points,
    which only the sweep section shows. ``sweeps`` maps each sweep to its default point and
    other grid points (``summaries`` holds them all), ``sweep_figures`` the paths of its plots.
    ``precision`` is what the setup check resolved 'auto' to ({"training": ..., "generation":
    ...}); without it the configured values are shown.
    """
    report_dir = Path(report_dir)
    figures = figure_entries(figures, report_dir)
    arms = [row for row in comparisons if row["family"] == "arms"]
    shown = findings.shown_comparisons(arms, variants, COMPARED_METRICS)
    published = read_yaml(report_dir / "published.yaml")
    trained = trained_variants(config["variants"])
    with_metric = {
        metric: findings.with_metric(summaries, variants, metric)
        for metric in ("preference_accuracy", "task_accuracy", "reward")
    }
    precision = precision or {
        "training": config["training"]["precision"],
        "generation": config["generation"]["precision"],
    }
    return {
        "config": config,
        "precision": precision,
        "variants": variants,
        "summaries": {variant: summaries[variant] for variant in variants},
        "model": model_view(config["model"]),
        "config_tables": config_tables(config, variants),
        # Unset: TRL's default applies, and the report says nothing.
        "learning_rates": {
            name: variant_settings(config["variants"][name]).get("learning_rate")
            for name in variants
            if name in trained
        },
        "data_report": data_report,
        "comparisons": shown,
        "headline": [
            row
            for row in findings.shown_comparisons(shown, variants, findings.HEADLINE_METRICS)
            if row["distinguishable"]
        ],
        "headline_metrics": findings.present_metrics(
            summaries, variants, findings.HEADLINE_METRICS
        ),
        # Holm's family is the table of arms: every row of it carries the family's size.
        "family_size": shown[0]["family_size"] if shown else 0,
        "seed_metrics": findings.present_metrics(summaries, variants, TABLE_METRICS),
        "with_metric": with_metric,
        "chance": {
            metric: findings.against_chance(summaries, variants, metric)
            for metric in ("preference_accuracy", "reward_win_rate")
        },
        "conciseness": findings.conciseness(variants, summaries, comparisons),
        "families": findings.family_table(with_metric["task_accuracy"], summaries),
        "preference_pairs": pairs_scored(config, summaries, variants),
        "bootstrap_resamples": stats.BOOTSTRAP_RESAMPLES,
        "permutation_resamples": stats.PERMUTATION_RESAMPLES,
        "two_level_min_seeds": stats.TWO_LEVEL_MIN_SEEDS,
        "figures": figures,
        "sweeps": [
            sweep_view(name, members, config, summaries, comparisons)
            for name, members in (sweeps or {}).items()
        ],
        "sweep_figures": sweep_figure_entries(sweep_figures or [], len(figures) + 1),
        "sweep_caption": (report_dir / "captions" / "sweep.rst").read_text("utf-8").strip(),
        "published": {**published, "arms": findings.published_arms(published, config, variants)},
        "samples": sample_generations(generations, variants, config["report"]["samples"]),
        "benchmarks": benchmark_rows(benchmarks),
        "total_wall_time": total_wall_time(benchmarks),
        "provenance": provenance_view(provenance),
        "config_text": yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
    }

"""Everything the report template needs, built from results that are already loaded.

The inputs are the validated config (every schema key present), the enabled variants in config
order, and the outputs of our own rules: each variant's summary.json and the comparisons.json of
alignbench.evaluation.aggregate, the generations of each variant's first run (for the samples),
the data report, the figures, the benchmark files and the provenance. The context holds plain
dicts, lists and finished strings, so the template only lays them out.
"""

from __future__ import annotations

import yaml

from alignbench.evaluation.stats import BOOTSTRAP_RESAMPLES, PERMUTATION_RESAMPLES
from alignbench.report.formatting import format_value, key_value_rows
from alignbench.report.provenance import benchmark_rows, provenance_view, total_wall_time
from alignbench.report.published import differences, flaws_and_fixes, published_comparison
from alignbench.report.render import embed_png
from alignbench.report.results import results_section
from alignbench.report.run_setup import (
    active_source_view,
    data_label,
    decoding_description,
    hyperparameter_table,
    model_setup,
    shared_training_rows,
)

# Title and caption of each figure, in the order the report shows them (their numbering).
FIGURE_TEXT = {
    "rouge": (
        "ROUGE per variant",
        "Mean ROUGE-1, ROUGE-2 and ROUGE-L F-measure per variant on the held-out prompts "
        "(n under each name), each prompt's score averaged over the training seeds. Only newly "
        "generated tokens are compared with the reference.",
    ),
    "rouge_intervals": (
        "ROUGE-L with intervals and seed spread",
        "Mean ROUGE-L F-measure per variant with its 95% bootstrap interval over prompts (each "
        "prompt averaged over the seeds). Hollow markers are the means of single training "
        "seeds: how much a result moves between training runs, which the interval does not cover.",
    ),
    "paired_differences": (
        "Paired differences in ROUGE-L",
        "Mean per-prompt ROUGE-L difference between two variants (later minus earlier in config "
        "order) with its 95% bootstrap interval, and the sign-flip permutation p-value at right. "
        "A difference whose interval crosses the dotted zero line is not distinguishable from "
        "zero; Section 3.2 also lists the other metrics.",
    ),
    "preference_accuracy": (
        "Held-out preference accuracy",
        "Share of held-out preference pairs in which the variant gives the chosen answer a higher "
        "mean token log-probability than the rejected one, with 95% bootstrap intervals. The "
        "dashed line is chance (0.5).",
    ),
    "answer_lengths": (
        "Answer lengths",
        "Number of newly generated tokens per answer. Answers at the token limit were cut off "
        "instead of ending with the end-of-sequence token.",
    ),
    "training_curves": (
        "Training curves",
        "Training loss per optimizer step for each trained variant and seed. For ORPO the loss "
        "is the NLL of the chosen sequence (prompt and answer, as TRL computes it) plus beta "
        "times the odds-ratio term; log_odds_ratio (right axis, log-sigmoid of the log odds "
        "ratio, at most 0) rises towards 0 as chosen answers become more likely than rejected "
        "ones.",
    ),
}


def by_id(records: list[dict]) -> dict:
    return {record["id"]: record for record in records}


def shared_ids(first: dict, *others: dict) -> list:
    """Ids of `first`, in its order, that every other mapping also has."""
    return [key for key in first if all(key in other for other in others)]


def data_section(config: dict, data_report: dict) -> dict:
    return {
        "label": data_label(config),
        "config_rows": key_value_rows(active_source_view(config["data"])),
        "report": data_report,
        "invalid_rows": [
            {"reason": reason, "count": format_value(count)}
            for reason, count in data_report["invalid_rows"].items()
        ],
        "final_split": {name: format_value(n) for name, n in data_report["final"].items()},
    }


def pairs_scored(config: dict, summaries: dict[str, dict], variants: list[str]) -> int:
    """The most preference pairs a variant was scored on: the measured n, not the config's
    evaluation.preference_pairs, which a small validation set cannot always fill."""
    counts = [
        summaries[v]["metrics"]["preference_accuracy"]["pooled"]["n"]
        for v in variants
        if "preference_accuracy" in summaries[v]["metrics"]
    ]
    return max(counts, default=config["evaluation"]["preference_pairs"])


def sample_generations(generations: dict[str, list[dict]], variants: list[str], k: int) -> list:
    """The first k prompts every variant answered: deterministic and comparable side by side."""
    by_variant = {variant: by_id(generations[variant]) for variant in variants}
    first, *others = by_variant.values()
    samples = []
    for prompt_id in shared_ids(first, *others)[:k]:
        prompt = first[prompt_id]
        samples.append(
            {
                "id": prompt_id,
                **{key: prompt[key] for key in ("task", "answer", "messages", "reference")},
                "answers": [
                    {
                        "variant": variant,
                        **{
                            key: records[prompt_id][key]
                            for key in ("generation", "new_tokens", "stopped_on_eos")
                        },
                    }
                    for variant, records in by_variant.items()
                ],
            }
        )
    return samples


def figure_entries(figures: dict[str, str]) -> dict[str, dict]:
    """Figures by name, numbered in FIGURE_TEXT order; the template places each by name."""
    unknown = set(figures) - set(FIGURE_TEXT)
    if unknown:
        raise KeyError(f"No title and caption for figures: {', '.join(sorted(unknown))}")
    present = [name for name in FIGURE_TEXT if name in figures]
    return {
        name: {
            "number": number,
            "title": FIGURE_TEXT[name][0],
            "caption": FIGURE_TEXT[name][1],
            "src": embed_png(figures[name]),
        }
        for number, name in enumerate(present, start=1)
    }


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
    provenance: dict,
) -> dict:
    """Everything the template needs, as plain dicts, lists and preformatted strings.

    ``variants`` are the enabled variants in config order; ``config["variants"]`` may also hold
    disabled ones, which the report leaves out (the configuration dump aside).
    """
    seeds = config["training"]["seeds"]
    return {
        "title": config["title"],
        "variants": variants,
        "model": model_setup(config),
        "data": data_section(config, data_report),
        "hyperparameters": hyperparameter_table(config, variants),
        "shared_training_rows": shared_training_rows(config),
        "generation_rows": key_value_rows(config["generation"]),
        "evaluation_rows": key_value_rows(config["evaluation"]),
        "decoding": decoding_description(config),
        "seeds": {"count": len(seeds), "text": format_value(seeds)},
        "first_runs": [
            {"variant": variant, "run": summaries[variant]["runs"][0]} for variant in variants
        ],
        "results": results_section(
            variants=variants,
            summaries=summaries,
            comparisons=comparisons,
            max_new_tokens=config["generation"]["max_new_tokens"],
            reward_model=config["evaluation"]["reward_model"],
        ),
        # Every rouge.json comes from one rule run with this setting.
        "use_stemmer": format_value(config["scoring"]["use_stemmer"]),
        "preference_pairs": format_value(pairs_scored(config, summaries, variants)),
        "bootstrap_resamples": f"{BOOTSTRAP_RESAMPLES:,}",
        "permutation_resamples": f"{PERMUTATION_RESAMPLES:,}",
        "figures": figure_entries(figures),
        "published": published_comparison(summaries, variants, config),
        "differences": differences(config, variants, summaries, data_report, provenance),
        "flaws": flaws_and_fixes(config, summaries, variants),
        "samples": sample_generations(generations, variants, config["report"]["samples"]),
        "benchmarks": benchmark_rows(benchmarks),
        "total_wall_time": total_wall_time(benchmarks),
        "provenance": provenance_view(provenance),
        "config_text": yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
    }

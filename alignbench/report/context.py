"""Everything the report template needs, built from results that are already loaded.

The inputs are the validated config (every schema key present) and the outputs of our own rules:
scores.tsv rows, each variant's rouge.json and generations, the data report, the figures, the
benchmark files and the provenance. The context holds plain dicts, lists and finished strings,
so the template only lays them out.
"""

from __future__ import annotations

import numpy as np
import yaml

from alignbench.evaluation.rouge import ROUGE_TYPES
from alignbench.evaluation.stats import BOOTSTRAP_RESAMPLES, bootstrap_interval, paired_difference
from alignbench.report.formatting import (
    format_interval,
    format_score,
    format_value,
    key_value_rows,
)
from alignbench.report.provenance import benchmark_rows, provenance_view, total_wall_time
from alignbench.report.published import differences, flaws_and_fixes, published_comparison
from alignbench.report.render import embed_png
from alignbench.report.run_setup import (
    active_source_view,
    data_label,
    decoding_description,
    hyperparameter_table,
    model_setup,
    shared_training_rows,
)

FIGURE_TEXT = {
    "rouge": (
        "ROUGE per variant",
        "Mean ROUGE-1, ROUGE-2 and ROUGE-L F-measure per variant on the held-out prompts "
        "(n under each name). Only newly generated tokens are compared with the reference.",
    ),
    "training_curves": (
        "Training curves",
        "Training loss per optimizer step for each trained variant. For ORPO the loss is the "
        "NLL of the chosen sequence (prompt and answer, as TRL computes it) plus beta times the "
        "odds-ratio term; log_odds_ratio (right axis, "
        "log-sigmoid of the log odds ratio, at most 0) rises towards 0 as chosen answers become "
        "more likely than rejected ones.",
    ),
    "answer_lengths": (
        "Answer lengths",
        "Number of newly generated tokens per answer. Answers at the token limit were cut off "
        "instead of ending with the end-of-sequence token.",
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


def result_rows(
    scores: list[dict], rouge: dict[str, dict], generations: dict[str, list[dict]], config: dict
) -> list[dict]:
    """Table 2: each variant's means with bootstrap intervals, answer length and EOS share."""
    rows = []
    for score in scores:
        variant = score["variant"]
        records = generations[variant]
        row = {
            "variant": variant,
            "method": config["variants"][variant]["method"],
            "n": score["n"],
            "mean_new_tokens": f"{np.mean([r['new_tokens'] for r in records]):.1f}",
            "eos_percent": f"{100 * np.mean([r['stopped_on_eos'] for r in records]):.0f}%",
        }
        for metric in ROUGE_TYPES:
            values = [example[metric] for example in rouge[variant]["per_example"]]
            row[metric] = format_score(score[metric])
            row[f"{metric}_ci"] = format_interval(bootstrap_interval(values))
        rows.append(row)
    return rows


def paired_rows(variants: list[str], rouge: dict[str, dict]) -> dict:
    """Table 3: each variant minus the first one, on the prompts both were scored on."""
    reference, *others = variants
    reference_examples = by_id(rouge[reference]["per_example"])
    rows = []
    for variant in others:
        examples = by_id(rouge[variant]["per_example"])
        common = shared_ids(reference_examples, examples)
        row = {"variant": variant, "n": len(common)}
        for metric in ROUGE_TYPES:
            difference = paired_difference(
                [examples[i][metric] for i in common],
                [reference_examples[i][metric] for i in common],
            )
            row[metric] = format_score(difference.mean)
            row[f"{metric}_ci"] = format_interval(difference.interval)
        rows.append(row)
    return {"reference": reference, "rows": rows}


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


def figure_entries(figures: dict[str, str]) -> list[dict]:
    entries = []
    for name, path in figures.items():
        title, caption = FIGURE_TEXT[name]
        entries.append({"name": name, "title": title, "caption": caption, "src": embed_png(path)})
    return entries


def build_context(
    *,
    config: dict,
    scores: list[dict],
    rouge: dict[str, dict],
    generations: dict[str, list[dict]],
    data_report: dict,
    figures: dict[str, str],
    benchmarks: dict[str, dict],
    provenance: dict,
) -> dict:
    """Everything the template needs, as plain dicts, lists and preformatted strings."""
    variants = list(config["variants"])
    results = result_rows(scores, rouge, generations, config)
    return {
        "title": config["title"],
        "variants": variants,
        "model": model_setup(config),
        "data": data_section(config, data_report),
        "hyperparameters": hyperparameter_table(config),
        "shared_training_rows": shared_training_rows(config),
        "generation_rows": key_value_rows(config["generation"]),
        "decoding": decoding_description(config),
        "results": results,
        # Every rouge.json comes from one rule run with this setting.
        "use_stemmer": format_value(config["scoring"]["use_stemmer"]),
        "paired": paired_rows(variants, rouge),
        "bootstrap_resamples": f"{BOOTSTRAP_RESAMPLES:,}",
        "figures": figure_entries(figures),
        "published": published_comparison(scores, config),
        "differences": differences(config, scores, data_report, provenance),
        "flaws": flaws_and_fixes(config, results),
        "samples": sample_generations(generations, variants, config["report"]["samples"]),
        "benchmarks": benchmark_rows(benchmarks),
        "total_wall_time": total_wall_time(benchmarks),
        "provenance": provenance_view(provenance),
        "config_text": yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
    }

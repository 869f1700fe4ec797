"""Snakemake adapter: one variant's metrics over its runs (seeds), and its pooled ROUGE."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.aggregate import summarize_variant
from alignbench.io import read_json, write_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
runs = snakemake.params.runs
kinds = [k for k in ("rouge", "preferences", "answers", "reward") if hasattr(snakemake.input, k)]
run_files = {
    run: {kind: read_json(snakemake.input[kind][i]) for kind in kinds} for i, run in enumerate(runs)
}
summary = summarize_variant(snakemake.wildcards.variant, snakemake.params.block, run_files)
write_json(snakemake.output.summary, summary)
write_json(
    snakemake.output.rouge,
    {"variant": summary["variant"], "runs": runs}
    | {metric: summary["metrics"][metric] for metric in ("rouge1", "rouge2", "rougeL")},
)

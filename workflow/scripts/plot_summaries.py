"""Snakemake adapter: the figures drawn from the summaries and the paired comparisons."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.aggregate import difference_rows, metric_rows
from alignbench.evaluation.plots import (
    plot_metric_intervals,
    plot_paired_differences,
    plot_preference_accuracy,
)
from alignbench.io import read_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
summaries = {
    variant: read_json(path)
    for variant, path in zip(snakemake.params.variants, snakemake.input.summaries, strict=True)
}
output = snakemake.output
plot_metric_intervals(metric_rows(summaries, "rougeL"), "ROUGE-L F-measure", output.rouge_intervals)
plot_paired_differences(
    difference_rows(read_json(snakemake.input.comparisons), "rougeL"),
    output.differences,
)
plot_preference_accuracy(metric_rows(summaries, "preference_accuracy"), output.preferences)

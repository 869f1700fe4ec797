"""Snakemake adapter: one sweep's metric against one of its swept settings."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.metrics import label
from alignbench.evaluation.plots import plot_sweep
from alignbench.evaluation.sweep_results import sweep_lines, sweep_points
from alignbench.io import read_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
params, wildcards = snakemake.params, snakemake.wildcards
summaries = {
    name: read_json(path)
    for name, path in zip(params.members, snakemake.input.summaries, strict=True)
}
points = sweep_points(params.members, params.blocks, summaries, params.metric)
plot_sweep(
    sweep_lines(points, wildcards.setting),
    wildcards.setting,
    label(params.metric),
    wildcards.sweep,
    snakemake.output.png,
)

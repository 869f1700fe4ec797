"""Snakemake adapter: training curves of every trained variant and seed."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.plots import plot_training_curves
from alignbench.io import read_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
params = snakemake.params
histories = {
    label: {"method": method, "log_history": read_json(path)}
    for label, method, path in zip(
        params.labels, params.methods, snakemake.input.histories, strict=True
    )
}
plot_training_curves(histories, snakemake.output.png)

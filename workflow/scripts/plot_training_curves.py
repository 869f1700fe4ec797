"""Snakemake adapter: training curves of every trained variant."""

from alignbench.evaluation.plots import plot_training_curves
from alignbench.io import read_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
histories = {
    variant: {"method": method, "log_history": read_json(path)}
    for variant, method, path in zip(
        snakemake.params.variants, snakemake.params.methods, snakemake.input.histories, strict=True
    )
}
plot_training_curves(histories, snakemake.output.png)

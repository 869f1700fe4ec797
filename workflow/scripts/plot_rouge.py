"""Snakemake adapter: bar chart of mean ROUGE per variant."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.plots import plot_rouge, read_scores_tsv
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
plot_rouge(read_scores_tsv(snakemake.input.table), snakemake.output.png)

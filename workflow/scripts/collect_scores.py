"""Snakemake adapter: one table of pooled means across variants."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.aggregate import scores_table
from alignbench.io import read_json, write_text
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
write_text(snakemake.output.table, scores_table([read_json(p) for p in snakemake.input.summaries]))

"""Snakemake adapter: ROUGE of one variant's generations against the chosen answers."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.rouge import rouge_summary
from alignbench.io import read_jsonl, write_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
summary = rouge_summary(
    snakemake.wildcards.variant,
    read_jsonl(snakemake.input.generations),
    use_stemmer=snakemake.params.use_stemmer,
)
write_json(snakemake.output.scores, summary)

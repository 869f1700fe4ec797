"""Snakemake adapter: answer lengths, stopping, repetition and task accuracy of one run."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.answers import answer_statistics, task_accuracy
from alignbench.io import read_jsonl, write_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
records = read_jsonl(snakemake.input.generations)
write_json(
    snakemake.output.stats,
    {
        "statistics": answer_statistics(records, snakemake.params.max_new_tokens),
        "tasks": task_accuracy(records),
    },
)

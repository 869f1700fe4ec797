"""Snakemake adapter: distribution of answer lengths (new tokens) per variant, all seeds pooled."""

from collections import defaultdict

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.plots import plot_answer_lengths
from alignbench.io import read_jsonl
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
lengths = defaultdict(list)
for variant, path in zip(snakemake.params.variants, snakemake.input.generations, strict=True):
    lengths[variant] += [record["new_tokens"] for record in read_jsonl(path)]
plot_answer_lengths(dict(lengths), snakemake.output.png, snakemake.params.max_new_tokens)

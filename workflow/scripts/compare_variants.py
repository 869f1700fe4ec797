"""Snakemake adapter: paired differences between the arms, and of each grid point against its
sweep's default, on shared prompts, with Holm-adjusted p-values per family."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.evaluation.aggregate import compare_variants
from alignbench.io import read_json, write_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
summaries = {
    variant: read_json(path)
    for variant, path in zip(snakemake.params.variants, snakemake.input.summaries, strict=True)
}
write_json(snakemake.output.comparisons, compare_variants(summaries, snakemake.params.pairs))

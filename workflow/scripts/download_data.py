"""Snakemake adapter: load the raw preference rows from the configured source, converted from
their layout (data.format) to the workflow's own."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.data.sources import load_raw_rows
from alignbench.io import write_json, write_jsonl
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
rows, info = load_raw_rows(snakemake.params.data)
write_jsonl(snakemake.output.raw, rows)
write_json(snakemake.output.info, info)

"""Snakemake adapter: shuffle, subset and split the raw rows; drop rows that break the schema."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.data.sources import check_exclude_sources, source_name
from alignbench.data.split import NothingLeftError, fail_with_report, make_split
from alignbench.io import read_json, read_jsonl, write_json, write_jsonl
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
settings = snakemake.params.split
raw_info = read_json(snakemake.input.raw_info)
check_exclude_sources(raw_info, snakemake.params.exclude_sources)
try:
    splits, report = make_split(
        read_jsonl(snakemake.input.raw),
        subset_size=settings["subset_size"],
        validation_fraction=settings["validation_fraction"],
        seed=settings["seed"],
        exclude_sources=snakemake.params.exclude_sources,
        source=source_name(raw_info),
    )
except NothingLeftError as error:
    fail_with_report(error, error.report, snakemake.log[0], "split report")
write_jsonl(snakemake.output.train, splits["train"])
write_jsonl(snakemake.output.validation, splits["validation"])
write_json(snakemake.output.report, report)

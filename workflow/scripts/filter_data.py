"""Snakemake adapter: cap token lengths, de-duplicate validation prompts, write the data report."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.data.filtering import filter_splits
from alignbench.data.split import NothingLeftError, fail_with_report
from alignbench.io import read_json, read_jsonl, write_json, write_jsonl
from alignbench.logs import setup_logging
from alignbench.models.loading import load_tokenizer

setup_logging(snakemake.log[0])


def data_report(report: dict) -> dict:
    return {
        "source": read_json(snakemake.input.raw_info),
        **read_json(snakemake.input.split_report),
        **report,
    }


try:
    train, validation, report = filter_splits(
        read_jsonl(snakemake.input.train),
        read_jsonl(snakemake.input.validation),
        load_tokenizer(snakemake.input.base_model),
        max_prompt_tokens=snakemake.params.max_prompt_tokens,
        max_total_tokens=snakemake.params.max_total_tokens,
    )
except NothingLeftError as error:
    fail_with_report(error, data_report(error.report), snakemake.log[0], "data report")
write_jsonl(snakemake.output.train, train)
write_jsonl(snakemake.output.validation, validation)
write_json(snakemake.output.report, data_report(report))

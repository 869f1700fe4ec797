"""Snakemake adapter: generate answers of one variant on the first K validation prompts."""

import logging

import _alignbench_path  # noqa: F401  (the workflow's own package first)
import torch
from tqdm import tqdm

from alignbench.evaluation.generate import generate_answers
from alignbench.io import read_jsonl, write_jsonl
from alignbench.logs import setup_logging
from alignbench.models.loading import load_tokenizer, load_variant

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.generation
rows = read_jsonl(snakemake.input.validation)
if len(rows) < settings["prompts"]:
    logging.getLogger("generate").warning(
        "generation.prompts asks for %d prompts but the validation set holds %d: all %d are "
        "used, and the report gives that number.",
        settings["prompts"],
        len(rows),
        len(rows),
    )
rows = rows[: settings["prompts"]]
model = load_variant(
    snakemake.input.base_model,
    snakemake.input.adapters,
    settings["precision"],
    snakemake.params.attn_implementation,
)
with tqdm(total=len(rows), desc=f"generate {snakemake.wildcards.variant}", unit="prompt") as bar:
    records = generate_answers(
        model, load_tokenizer(snakemake.input.base_model), rows, settings, bar
    )
write_jsonl(snakemake.output.generations, records)

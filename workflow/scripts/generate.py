"""Snakemake adapter: generate answers of one variant on the first K validation prompts."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)
import torch
from tqdm import tqdm

from alignbench.evaluation.generate import generate_answers
from alignbench.evaluation.heldout import first_heldout_rows
from alignbench.io import write_jsonl
from alignbench.logs import setup_logging
from alignbench.models.loading import load_tokenizer, load_variant
from alignbench.models.optional_imports import leave_out_bitsandbytes

setup_logging(snakemake.log[0])
leave_out_bitsandbytes()  # plain weights only: PEFT need not import it
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.generation
rows = first_heldout_rows(snakemake.input.validation, settings["prompts"], "generation.prompts")
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

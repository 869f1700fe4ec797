"""Snakemake adapter: held-out preference accuracy of one run on the first K validation pairs."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)
import torch

from alignbench.evaluation.heldout import first_heldout_rows
from alignbench.evaluation.preferences import preference_scores, summarize_preferences
from alignbench.io import write_json
from alignbench.logs import setup_logging
from alignbench.models.loading import load_tokenizer, load_variant
from alignbench.models.optional_imports import leave_out_bitsandbytes

setup_logging(snakemake.log[0])
leave_out_bitsandbytes()  # plain weights only: PEFT need not import it
torch.set_num_threads(snakemake.threads)
params = snakemake.params
rows = first_heldout_rows(snakemake.input.validation, params.pairs, "evaluation.preference_pairs")
model = load_variant(
    snakemake.input.base_model,
    snakemake.input.adapters,
    params.precision,
    params.attn_implementation,
)
per_example = preference_scores(
    model, load_tokenizer(snakemake.input.base_model), rows, params.batch_size
)
write_json(
    snakemake.output.scores,
    {"summary": summarize_preferences(per_example), "per_example": per_example},
)

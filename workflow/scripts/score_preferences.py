"""Snakemake adapter: held-out preference accuracy of one run on the first K validation pairs."""

import logging

import _alignbench_path  # noqa: F401  (the workflow's own package first)
import torch

from alignbench.evaluation.preferences import preference_scores, summarize_preferences
from alignbench.io import read_jsonl, write_json
from alignbench.logs import setup_logging
from alignbench.models.loading import load_tokenizer, load_variant

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
params = snakemake.params
rows = read_jsonl(snakemake.input.validation)
if len(rows) < params.pairs:
    logging.getLogger("score_preferences").warning(
        "evaluation.preference_pairs asks for %d pairs but the validation set holds %d: all %d "
        "are scored, and the report gives that number.",
        params.pairs,
        len(rows),
        len(rows),
    )
rows = rows[: params.pairs]
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

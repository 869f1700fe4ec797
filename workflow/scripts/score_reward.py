"""Snakemake adapter: a reward model's scores for one run's answers and their references."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)
import torch

from alignbench.evaluation.reward import load_reward_model, reward_scores, summarize_rewards
from alignbench.io import read_jsonl, write_json
from alignbench.logs import setup_logging

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
params = snakemake.params
model, tokenizer = load_reward_model(params.reward_model, params.precision)
per_example = reward_scores(
    model, tokenizer, read_jsonl(snakemake.input.generations), params.batch_size
)
write_json(
    snakemake.output.scores,
    {"summary": summarize_rewards(per_example), "per_example": per_example},
)

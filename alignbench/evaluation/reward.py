"""Optional reward-model scoring: a learned judge's view of each generation against its reference.

ROUGE rewards word overlap with one reference, so a correct answer phrased differently scores low.
A sequence-classification reward model (one output logit) scores each generation and the
reference as the assistant's answer to the same prompt; the paired comparison (win rate) keeps
how hard each prompt is out of the result. The reward model is a judge, not one of the variants,
so it brings its own tokenizer and chat template.
"""

from __future__ import annotations

import logging

from alignbench.evaluation.preferences import map_length_sorted
from alignbench.evaluation.stats import as_dict, estimate_mean
from alignbench.models.hardware import inference_device, resolve_precision, torch_dtype

log = logging.getLogger(__name__)


def load_reward_model(path_or_id: str, precision: str = "fp32"):
    """A one-logit sequence classifier and its tokenizer, ready to score padded batches."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path_or_id)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # padding is masked, any known token will do
    dtype = torch_dtype(resolve_precision(precision))
    log.info("Loading reward model %s in %s", path_or_id, dtype)
    model = AutoModelForSequenceClassification.from_pretrained(path_or_id, dtype=dtype)
    if model.config.num_labels != 1:
        raise ValueError(
            f"{path_or_id} has {model.config.num_labels} output labels; a reward model has one."
        )
    # The classifier reads the logit at the last non-pad token, found through pad_token_id;
    # without it, batches of more than one sequence are refused.
    model.config.pad_token_id = tokenizer.pad_token_id
    return model.to(inference_device()).eval(), tokenizer


def render_scored_text(tokenizer, messages: list[dict], answer: str) -> list[int]:
    """Token ids of the conversation ending in ``answer``, in the reward model's own format."""
    conversation = [*messages, {"role": "assistant", "content": answer}]
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template(
            conversation, tokenize=True, add_generation_prompt=False, return_dict=False
        )
    text = "\n".join(f"{m['role']}: {m['content']}" for m in conversation)
    return tokenizer(text)["input_ids"]


def score_sequences(model, tokenizer, sequences: list[list[int]], batch_size: int) -> list[float]:
    """The reward of each token sequence, each distinct sequence scored once.

    Scoring duplicates once makes a generation identical to its reference an exact tie, which
    floating-point noise from different batch paddings could otherwise break.
    """
    unique = list(dict.fromkeys(tuple(s) for s in sequences))

    def score_batch(indices, input_ids, attention_mask):
        device = model.device
        logits = model(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)
        ).logits
        return logits[:, 0].float().tolist()

    scores = map_length_sorted(
        [list(s) for s in unique], batch_size, tokenizer.pad_token_id, score_batch
    )
    by_sequence = dict(zip(unique, scores, strict=True))
    return [by_sequence[tuple(s)] for s in sequences]


def reward_scores(model, tokenizer, records: list[dict], batch_size: int = 8) -> list[dict]:
    """Reward of each generation and of its reference; one dict per record, in input order."""
    sequences = []
    for record in records:
        sequences.append(render_scored_text(tokenizer, record["messages"], record["generation"]))
        sequences.append(render_scored_text(tokenizer, record["messages"], record["reference"]))
    rewards = score_sequences(model, tokenizer, sequences, batch_size)
    per_example = []
    for k, record in enumerate(records):
        generation, reference = rewards[2 * k], rewards[2 * k + 1]
        per_example.append(
            {
                "id": record["id"],
                "reward_generation": generation,
                "reward_reference": reference,
                "win": generation > reference,
                "tie": generation == reference,
            }
        )
    return per_example


def win_value(example: dict) -> float:
    """1 for a win over the reference, 0.5 for a tie, 0 for a loss."""
    return 1.0 if example["win"] else 0.5 if example["tie"] else 0.0


def summarize_rewards(per_example: list[dict]) -> dict:
    """Mean rewards and the generation's win rate against the reference, with 95% intervals.

    A tie counts as half a win, so 0.5 means "as good as the reference" whether the two always
    tie or win and lose equally often.
    """
    wins = [win_value(e) for e in per_example]
    return {
        "n": len(per_example),
        "reward_generation": as_dict(estimate_mean([e["reward_generation"] for e in per_example])),
        "reward_reference": as_dict(estimate_mean([e["reward_reference"] for e in per_example])),
        "win_rate": as_dict(estimate_mean(wins)),
    }

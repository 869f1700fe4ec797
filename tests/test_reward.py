"""Reward-model scoring with a tiny random sequence classifier saved to disk (no download)."""

from __future__ import annotations

import copy

import pytest

from alignbench.evaluation.reward import (
    load_reward_model,
    render_scored_text,
    reward_scores,
    summarize_rewards,
)

PROMPTS = ["Hi", "What is two plus three, please?", "Add 2 and 3. " * 4]
GENERATIONS = ["5", "It is five.", "The sum of two and three is five, as anyone can check."]


@pytest.fixture(scope="module")
def reward_model(tiny_reward_model_dir):
    return load_reward_model(str(tiny_reward_model_dir))


@pytest.fixture(scope="module")
def records():
    return [
        {
            "id": f"row-{i}",
            "messages": [{"role": "user", "content": prompt}],
            "reference": "5.",
            "generation": generation,
        }
        for i, (prompt, generation) in enumerate(zip(PROMPTS, GENERATIONS, strict=True))
    ]


def test_loaded_model_can_find_the_last_token_of_a_padded_batch(reward_model):
    model, tokenizer = reward_model
    assert model.config.num_labels == 1
    assert model.config.pad_token_id == tokenizer.pad_token_id is not None
    assert not model.training


def test_batched_rewards_equal_one_record_at_a_time(reward_model, records):
    model, tokenizer = reward_model
    batched = reward_scores(model, tokenizer, records, batch_size=4)
    single = [reward_scores(model, tokenizer, [record])[0] for record in records]
    assert [s["id"] for s in batched] == [r["id"] for r in records]
    for b, s in zip(batched, single, strict=True):
        assert b["reward_generation"] == pytest.approx(s["reward_generation"], abs=1e-4)
        assert b["reward_reference"] == pytest.approx(s["reward_reference"], abs=1e-4)
        assert b["win"] == (b["reward_generation"] > b["reward_reference"])


def test_a_generation_equal_to_its_reference_ties(reward_model, records):
    model, tokenizer = reward_model
    echoes = [{**record, "generation": record["reference"]} for record in records]
    per_example = reward_scores(model, tokenizer, echoes, batch_size=2)
    assert all(e["tie"] and not e["win"] for e in per_example)
    assert summarize_rewards(per_example)["win_rate"]["mean"] == 0.5


def test_text_without_a_chat_template_is_a_role_prefixed_join(demo_tokenizer):

    tokenizer = copy.deepcopy(demo_tokenizer)
    tokenizer.chat_template = None
    ids = render_scored_text(tokenizer, [{"role": "user", "content": "Hi"}], "Hello")
    assert tokenizer.decode(ids) == "user: Hi\nassistant: Hello"


def test_summary_counts_a_tie_as_half_a_win():
    per_example = [
        {"reward_generation": g, "reward_reference": r, "win": g > r, "tie": g == r}
        for g, r in zip([1.0, 2.0, 3.0], [0.0, 2.0, 4.0], strict=True)
    ]
    summary = summarize_rewards(per_example)
    assert summary["n"] == 3
    assert summary["win_rate"]["mean"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert summary["reward_generation"]["mean"] == pytest.approx(2.0)
    assert summary["reward_reference"]["mean"] == pytest.approx(2.0)
    low, high = summary["win_rate"]["interval"]
    assert low <= summary["win_rate"]["mean"] <= high

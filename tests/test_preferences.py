"""Held-out preference scores on the tiny random model, checked against plain forward passes."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from alignbench.evaluation.preferences import (
    answer_sequence,
    packed_length,
    packs_pairs,
    preference_scores,
    summarize_preferences,
)
from tests.factories import make_row

ANSWERS = [
    ("5.", "6."),
    ("The answer is five.", "Seven, I think, but I am not sure at all."),
    ("2 + 3 = 5", "23"),
    ("Five", "It is 5 because two plus three makes five."),
    ("5", "4"),
    # Answers that start alike, and one that is the other's start: packed, the two share more
    # than the prompt.
    ("The answer is 5.", "The answer is 4."),
    ("5", "5 apples, since two plus three is five."),
]


@pytest.fixture(scope="module")
def tiny_model(tiny_model_dir):
    from alignbench.models.loading import load_variant

    return load_variant(tiny_model_dir, [], "fp32")


@pytest.fixture(scope="module")
def rows():
    """Pairs of different prompt and answer lengths, so batches need padding."""
    rows = []
    for i, (chosen, rejected) in enumerate(ANSWERS):
        row = make_row(system=i % 2 == 0, turns=1 + i % 3)
        row["chosen"][-1]["content"], row["rejected"][-1]["content"] = chosen, rejected
        rows.append({"id": f"row-{i:06d}", **row})
    return rows


def swapped(row):
    return {**row, "chosen": row["rejected"], "rejected": row["chosen"]}


def test_answer_tokens_are_the_answer_and_its_end_of_turn(demo_tokenizer, rows):
    ids, prompt_length = answer_sequence(demo_tokenizer, rows[0], "chosen")
    assert demo_tokenizer.decode(ids[prompt_length:]) == "5.<|im_end|>\n"


def test_batched_scores_equal_one_pair_at_a_time_in_input_order(tiny_model, demo_tokenizer, rows):
    batched = preference_scores(tiny_model, demo_tokenizer, rows, batch_size=3)
    single = [preference_scores(tiny_model, demo_tokenizer, [row])[0] for row in rows]
    assert [s["id"] for s in batched] == [row["id"] for row in rows]
    for b, s in zip(batched, single, strict=True):
        for key in ("chosen_logprob", "rejected_logprob", "margin", "log_odds_ratio"):
            assert b[key] == pytest.approx(s[key], abs=1e-4)


def test_mean_logprob_matches_a_plain_forward_pass(tiny_model, demo_tokenizer, rows):
    import torch

    row = rows[1]
    ids, prompt_length = answer_sequence(demo_tokenizer, row, "rejected")
    with torch.no_grad():
        logits = tiny_model(torch.tensor([ids])).logits[0]
    logprobs = torch.log_softmax(logits, dim=-1)
    expected = sum(
        float(logprobs[position - 1, ids[position]]) for position in range(prompt_length, len(ids))
    ) / (len(ids) - prompt_length)
    scores = preference_scores(tiny_model, demo_tokenizer, rows, batch_size=4)[1]
    assert scores["rejected_logprob"] == pytest.approx(expected, abs=1e-4)


def test_the_output_layer_sees_only_positions_that_predict_answer_tokens(
    tiny_model, demo_tokenizer, rows
):
    seen = []
    hook = tiny_model.get_output_embeddings().register_forward_pre_hook(
        lambda module, args: seen.append(args[0].shape[0])
    )
    try:
        preference_scores(tiny_model, demo_tokenizer, rows, batch_size=4)
    finally:
        hook.remove()
    answers = [
        len(ids) - start
        for ids, start in (
            answer_sequence(demo_tokenizer, row, which)
            for row in rows
            for which in ("chosen", "rejected")
        )
    ]
    assert sum(seen) == sum(answers)


@pytest.mark.parametrize(
    ("attention", "precision", "batch_size", "tolerance"),
    [
        ("sdpa", "fp32", 1, 1e-5),
        ("sdpa", "fp32", 3, 1e-5),
        ("eager", "fp32", 3, 1e-5),
        ("grouped_eager", "fp32", 3, 1e-5),  # the demo's
        # The additive mask in bf16; another shape of the products rounds otherwise in bf16.
        ("eager", "bf16", 3, 2e-2),
    ],
)
def test_a_pair_packed_in_one_sequence_scores_as_its_two_conversations_apart(
    tiny_model_dir, demo_tokenizer, rows, attention, precision, batch_size, tolerance
):
    from alignbench.models.loading import load_variant

    model = load_variant(tiny_model_dir, [], precision, attention)
    assert packs_pairs(model)  # what preference_scores does by default
    packed = preference_scores(model, demo_tokenizer, rows, batch_size, shared_prompt=True)
    apart = preference_scores(model, demo_tokenizer, rows, batch_size, shared_prompt=False)
    for p, a in zip(packed, apart, strict=True):
        for key in ("chosen_logprob", "rejected_logprob", "log_odds_ratio"):
            assert math.isfinite(p[key])
            assert p[key] == pytest.approx(a[key], abs=tolerance)


@pytest.mark.parametrize(("shared_prompt", "pairs_per_row"), [(True, 1), (False, 2)])
def test_the_layers_see_each_pair_packed_or_its_two_conversations(
    tiny_model, demo_tokenizer, rows, shared_prompt, pairs_per_row
):
    seen = []
    layer = tiny_model.get_decoder().layers[0]
    hook = layer.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[:2]))
    try:
        preference_scores(tiny_model, demo_tokenizer, rows, len(rows), shared_prompt)
    finally:
        hook.remove()
    chosen, rejected = (
        [answer_sequence(demo_tokenizer, row, which)[0] for row in rows]
        for which in ("chosen", "rejected")
    )
    if shared_prompt:  # one row per pair, as wide as the widest packed pair
        width = max(map(packed_length, chosen, rejected))
        assert width < max(map(len, chosen)) + max(map(len, rejected))
    else:
        width = max(map(len, chosen + rejected))
    assert seen == [(pairs_per_row * len(rows), width)]


@pytest.mark.parametrize(
    ("attention", "sliding_window", "packs"),
    [
        ("eager", None, True),
        ("grouped_eager", None, True),
        ("sdpa", None, True),
        ("flash_attention_2", None, False),
        ("sdpa", 4096, False),
    ],
)
def test_pairs_are_scored_apart_where_attention_takes_no_custom_mask(
    attention, sliding_window, packs
):
    from types import SimpleNamespace

    config = SimpleNamespace(_attn_implementation=attention, sliding_window=sliding_window)
    assert packs_pairs(SimpleNamespace(config=config)) is packs


def test_margin_and_log_odds_ratio_follow_their_definitions(tiny_model, demo_tokenizer, rows):
    def log_odds(lp):
        return lp - math.log1p(-math.exp(lp))

    for s in preference_scores(tiny_model, demo_tokenizer, rows):
        assert s["chosen_logprob"] < 0 and s["rejected_logprob"] < 0
        assert s["margin"] == pytest.approx(s["chosen_logprob"] - s["rejected_logprob"])
        assert s["chosen_preferred"] == (s["margin"] > 0)
        expected = log_odds(s["chosen_logprob"]) - log_odds(s["rejected_logprob"])
        assert s["log_odds_ratio"] == pytest.approx(expected)
        # log odds rise with log P, so the ratio has the margin's sign.
        assert (s["log_odds_ratio"] > 0) == (s["margin"] > 0)


def test_swapping_chosen_and_rejected_negates_every_score(tiny_model, demo_tokenizer, rows):
    forward = preference_scores(tiny_model, demo_tokenizer, rows, batch_size=3)
    backward = preference_scores(tiny_model, demo_tokenizer, [swapped(r) for r in rows], 3)
    assert all(s["margin"] != 0 for s in forward)  # no ties, so accuracies are complementary
    for f, b in zip(forward, backward, strict=True):
        assert b["margin"] == pytest.approx(-f["margin"], abs=1e-4)
        assert b["log_odds_ratio"] == pytest.approx(-f["log_odds_ratio"], abs=1e-4)
    accuracy = summarize_preferences(forward)["accuracy"]["mean"]
    assert summarize_preferences(backward)["accuracy"]["mean"] == pytest.approx(1 - accuracy)


def test_summary_of_hand_made_scores():
    margins = [0.5, -0.2, 0.1, 0.3]
    per_example = [
        {"margin": m, "chosen_preferred": m > 0, "log_odds_ratio": 2 * m} for m in margins
    ]
    summary = summarize_preferences(per_example)
    assert summary["n"] == 4
    assert summary["accuracy"]["mean"] == pytest.approx(0.75)
    assert summary["margin"]["mean"] == pytest.approx(0.175)
    assert summary["log_odds_ratio"]["mean"] == pytest.approx(0.35)
    for key in ("accuracy", "margin", "log_odds_ratio"):
        low, high = summary[key]["interval"]
        assert low <= summary[key]["mean"] <= high


def test_a_template_whose_prompt_is_not_a_prefix_is_refused(demo_tokenizer, tiny_model, rows):
    tokenizer = copy.deepcopy(demo_tokenizer)
    # The generation prompt adds a line that the rendered conversation does not have.
    tokenizer.chat_template = (
        "{% if add_generation_prompt %}Answer briefly.\n{% endif %}"
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant:{% endif %}"
    )
    with pytest.raises(ValueError, match="row-000002.*not a prefix"):
        preference_scores(tiny_model, tokenizer, rows[2:3])


class FixedTemplate:
    """A stand-in tokenizer whose renderings are given token lists."""

    def __init__(self, prompt, full):
        self.prompt, self.full = prompt, full

    def apply_chat_template(self, messages, add_generation_prompt, **_):
        return self.prompt if add_generation_prompt else self.full


def test_a_token_merged_across_the_answer_boundary_starts_the_answer(rows):
    from alignbench.evaluation.preferences import answer_sequence

    # The prompt's last token (4) merges with the answer's first: the answer starts at 9.
    ids, start = answer_sequence(FixedTemplate([1, 2, 3, 4], [1, 2, 3, 9, 5, 6]), rows[0], "chosen")
    assert ids == [1, 2, 3, 9, 5, 6] and start == 3
    ids, start = answer_sequence(FixedTemplate([1, 2, 3], [1, 2, 3, 5]), rows[0], "chosen")
    assert start == 3
    with pytest.raises(ValueError, match="not a prefix"):
        answer_sequence(FixedTemplate([1, 2, 3, 4, 5, 6], [1, 2, 7, 8, 9]), rows[0], "chosen")


# What score_preferences.py does, in a fresh interpreter: it prints the json.dumps of the summary
# and the per-example scores, the text that preferences.json is made of.
SCORE_IN_A_NEW_PROCESS = """
import json, sys
import torch
from alignbench.evaluation.preferences import preference_scores, summarize_preferences
from alignbench.models.loading import load_tokenizer, load_variant

model_dir, rows_file, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
rows = json.loads(open(rows_file).read())
model = load_variant(model_dir, [], "fp32")
per_example = preference_scores(model, load_tokenizer(model_dir), rows, batch_size=3)
print(json.dumps({"summary": summarize_preferences(per_example), "per_example": per_example}))
"""


def test_scores_are_byte_identical_across_processes_and_thread_counts(
    tiny_model_dir, rows, tmp_path
):
    # A model job gets --cores threads locally and 4 under SLURM, so a rerun of the same job may
    # use another thread count; its preferences.json must not change.
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps(rows))
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", SCORE_IN_A_NEW_PROCESS, str(tiny_model_dir), rows_file, threads],
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for threads in ("1", "2")
    ]
    outputs = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
        outputs.append(stdout)
    assert json.loads(outputs[0])["summary"]["n"] == len(rows)
    assert outputs[0] == outputs[1]

"""The metrics vocabulary: when a difference counts, chance levels, and how numbers print."""

from __future__ import annotations

import pytest

from alignbench.evaluation import metrics


@pytest.mark.parametrize(
    ("interval", "excludes"),
    [([0.01, 0.2], True), ([-0.2, -0.01], True), ([-0.1, 0.1], False), ([0.0, 0.1], False)],
)
def test_interval_excludes_zero(interval, excludes):
    assert metrics.interval_excludes_zero(interval) is excludes


def test_no_interval_excludes_nothing():
    assert metrics.interval_excludes_zero(None) is False


@pytest.mark.parametrize(
    ("per_seed", "agree"),
    [({}, True), ({"a": -0.3}, True), ({"a": 0.1, "b": 0.2}, True), ({"a": 0.1, "b": -0.2}, False)],
)
def test_seeds_agree_only_when_every_seed_has_the_same_sign(per_seed, agree):
    assert metrics.seeds_agree(per_seed) is agree


def test_distinguishable_needs_the_interval_the_adjusted_p_value_and_the_seeds():
    assert metrics.distinguishable([0.1, 0.2], {"a": 0.1, "b": 0.2}, 0.01)
    assert not metrics.distinguishable([0.1, 0.2], {"a": 0.1, "b": -0.2}, 0.01)
    assert not metrics.distinguishable([-0.1, 0.2], {"a": 0.1, "b": 0.2}, 0.01)
    assert not metrics.distinguishable([0.1, 0.2], {"a": 0.1, "b": 0.2}, metrics.TEST_LEVEL)


@pytest.mark.parametrize(
    ("interval", "where"), [([0.6, 0.9], "above"), ([0.1, 0.4], "below"), ([0.4, 0.6], "level")]
)
def test_position_against_chance(interval, where):
    assert metrics.position(interval, metrics.CHANCE) == where


def test_only_the_two_choice_metrics_have_a_chance_level():
    with_chance = {name for name, m in metrics.METRICS.items() if m.chance is not None}
    assert with_chance == {"preference_accuracy", "reward_win_rate"}
    assert metrics.METRICS["preference_accuracy"].chance == 0.5


def test_corpus_statistics_have_no_per_prompt_source():
    assert metrics.CORPUS_STATISTICS == ("distinct_1", "distinct_2")
    assert "rougeL" in metrics.PER_PROMPT_METRICS
    assert not set(metrics.CORPUS_STATISTICS) & set(metrics.PER_PROMPT_METRICS)


def test_prompts_scored_is_rouge_l_n():
    summary = {"metrics": {"rougeL": {"pooled": {"n": 37, "mean": 0.3, "interval": None}}}}
    assert metrics.prompts_scored(summary) == 37


@pytest.mark.parametrize(
    ("p_value", "text"),
    [(0.0001, "p < 0.001"), (0.001, "p = 0.001"), (0.0342, "p = 0.034"), (None, "p = —")],
)
def test_format_p_value(p_value, text):
    assert metrics.format_p_value(p_value) == text


def test_negative_numbers_print_with_a_typographic_minus():
    assert metrics.format_score(-0.12345) == "−0.1235"
    assert metrics.format_signed(0.5, 1) == "+0.5"
    assert metrics.format_interval([-0.25, 0.5], 2) == "[−0.25, 0.50]"
    assert metrics.format_interval(None) == "—"

"""Known-answer tests for alignbench.evaluation.stats."""

from __future__ import annotations

import pytest

from alignbench.evaluation import stats

SCORES = [0.1, 0.4, 0.2, 0.5, 0.3]


def test_identical_arms_differ_by_exactly_zero():
    difference = stats.paired_difference(SCORES, SCORES)
    assert (difference.n, difference.mean, difference.interval) == (5, 0.0, (0.0, 0.0))


def test_constant_difference_has_a_zero_width_interval():
    c = 0.25
    difference = stats.paired_difference([s + c for s in SCORES], SCORES)
    assert difference.mean == pytest.approx(c)
    assert difference.interval == pytest.approx((c, c))


def test_mean_of_a_small_sample():
    # (0.1 + 0.4 + 0.2 + 0.5 + 0.3) / 5 = 1.5 / 5 = 0.3
    assert stats.estimate_mean(SCORES).mean == pytest.approx(0.3)
    # differences 0.2 - 0.1 = 0.1, 0.2 - 0.4 = -0.2, 0.5 - 0.2 = 0.3: mean 0.2 / 3
    assert stats.paired_difference([0.2, 0.2, 0.5], [0.1, 0.4, 0.2]).mean == pytest.approx(0.2 / 3)


def test_interval_contains_the_mean_and_lies_within_the_data():
    estimate = stats.estimate_mean(SCORES)
    low, high = estimate.interval
    assert min(SCORES) <= low < estimate.mean < high <= max(SCORES)


def test_same_seed_gives_the_same_interval():
    assert stats.bootstrap_interval(SCORES, seed=3) == stats.bootstrap_interval(SCORES, seed=3)


@pytest.mark.parametrize("values", [[], [0.7]])
def test_fewer_than_two_values_have_no_interval(values):
    assert stats.bootstrap_interval(values) is None
    estimate = stats.paired_difference(values, values)
    assert (estimate.n, estimate.interval) == (len(values), None)
    assert estimate.mean == (0.0 if values else None)


def test_arms_of_different_length_are_rejected():
    with pytest.raises(ValueError, match="differ in length"):
        stats.paired_difference([0.1], SCORES)

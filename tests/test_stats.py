"""Known-answer tests for alignbench.evaluation.stats."""

from __future__ import annotations

import numpy as np
import pytest

from alignbench.evaluation import stats
from alignbench.evaluation.metrics import interval_excludes_zero

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


PROMPTS = 20
RESAMPLES = 2000  # enough to resolve p < 0.01 while keeping the tests fast


def test_constant_difference_is_distinguishable_with_a_small_p_value():
    # Every sign flip of a constant vector except the two all-same-sign ones (chance 2 / 2**20
    # each draw) has |mean| < c, so almost no flipped mean reaches the observed one.
    c = 0.25
    reference = [0.05 * i for i in range(PROMPTS)]
    values = [r + c for r in reference]
    result = stats.paired_difference(values, reference)
    assert result.n == PROMPTS
    assert result.mean == pytest.approx(c)
    assert result.interval == pytest.approx((c, c))
    p_value = stats.paired_permutation_pvalue(values, reference, RESAMPLES)
    assert 1 / (1 + RESAMPLES) <= p_value < 0.01
    assert interval_excludes_zero(result.interval)


def test_identical_arms_are_not_distinguishable():
    result = stats.as_dict(stats.paired_difference(SCORES, SCORES))
    assert result == {"n": 5, "mean": 0.0, "interval": [0.0, 0.0]}
    assert stats.paired_permutation_pvalue(SCORES, SCORES, RESAMPLES) == 1.0
    assert not interval_excludes_zero(result["interval"])


def test_differences_that_cancel_have_p_value_one():
    # differences 1, -1, 1, -1: mean 0, and every flipped mean has |mean| >= 0.
    values, reference = [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]
    assert stats.paired_permutation_pvalue(values, reference, RESAMPLES) == 1.0
    assert stats.paired_difference(values, reference).mean == 0.0


def test_p_value_of_a_small_sample_matches_the_exact_enumeration():
    # differences 1, 2, 3: observed mean 2. Of the 8 sign patterns only +++ and --- reach
    # |mean| 2 (the next largest is |-1 + 2 + 3| / 3 = 4/3), so the exact p-value is 2/8 = 0.25
    # and the sampled one must be close to it.
    p_value = stats.paired_permutation_pvalue([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], 20_000)
    assert p_value == pytest.approx(0.25, abs=0.02)


def test_p_value_is_deterministic_under_the_seed():
    values = [s + 0.05 * (-1) ** i for i, s in enumerate(SCORES)]
    first = stats.paired_permutation_pvalue(values, SCORES, RESAMPLES, seed=7)
    assert first == stats.paired_permutation_pvalue(values, SCORES, RESAMPLES, seed=7)
    assert 0 < first <= 1


def test_permutation_test_rejects_arms_of_different_length():
    with pytest.raises(ValueError, match="differ in length"):
        stats.paired_permutation_pvalue([0.1], SCORES)


def test_fewer_than_two_pairs_are_never_distinguishable():
    result = stats.paired_difference([0.7], [0.2])
    assert (result.n, result.interval) == (1, None)
    assert not interval_excludes_zero(result.interval)
    assert result.mean == pytest.approx(0.5)


def test_as_dict_gives_plain_json_types():
    estimate = stats.MeanEstimate(n=2, mean=0.5, interval=(0.25, 0.75))
    assert stats.as_dict(estimate) == {"n": 2, "mean": 0.5, "interval": [0.25, 0.75]}
    assert stats.as_dict(stats.estimate_mean([]))["interval"] is None


def test_across_seeds_of_two_seeds():
    # mean (0.2 + 0.4) / 2 = 0.3; sample std sqrt((0.1**2 + 0.1**2) / (2 - 1)) = sqrt(0.02)
    summary = stats.across_seeds([0.2, 0.4])
    assert summary["n_seeds"] == 2
    assert summary["mean"] == pytest.approx(0.3)
    assert summary["std"] == pytest.approx(0.02**0.5)
    assert (summary["min"], summary["max"]) == (0.2, 0.4)


def test_one_seed_has_no_spread():
    assert stats.across_seeds([0.3]) == {
        "n_seeds": 1,
        "mean": 0.3,
        "std": None,
        "min": 0.3,
        "max": 0.3,
    }


def test_holm_matches_the_step_down_rule_worked_by_hand():
    # Sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> raised to
    # the 0.06 before it (adjusted values never decrease along the sorted order).
    assert stats.holm_adjusted([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_keeps_one_test_and_caps_at_one():
    assert stats.holm_adjusted([0.2]) == [0.2]
    assert stats.holm_adjusted([0.6, 0.7]) == [1.0, 1.0]
    assert stats.holm_adjusted([]) == []


def test_holm_makes_an_unadjusted_p_below_005_not_significant_in_a_family():
    # Five tests: 0.012 is significant alone, but Holm multiplies the smallest by 5 (0.06).
    p_values = [0.012, 0.2, 0.3, 0.5, 0.9]
    adjusted = stats.holm_adjusted(p_values)
    assert p_values[0] < 0.05 <= adjusted[0] == pytest.approx(0.06)


def test_holm_is_never_less_strict_than_each_raw_value_nor_than_bonferroni_allows():
    rng = np.random.default_rng(3)
    p_values = list(rng.uniform(0, 0.2, size=12))
    adjusted = stats.holm_adjusted(p_values)
    m = len(p_values)
    for raw, holm in zip(p_values, adjusted, strict=True):
        assert raw <= holm <= min(1.0, m * raw) + 1e-12


def test_two_level_interval_of_seeds_that_differ_only_by_a_constant():
    # Every prompt has the same value within a seed: only which seeds are drawn matters. With
    # seeds 0, 0, 1 the resampled mean is k/3 for k ones drawn: both 0 (chance 8/27) and 1
    # (1/27 > 2.5%) occur, so the 2.5% and 97.5% points are 0 and 1 exactly.
    matrix = [[0.0] * 10, [0.0] * 10, [1.0] * 10]
    assert stats.two_level_interval(matrix, resamples=4000) == (0.0, 1.0)
    # Over prompts alone the same data have no spread at all.
    assert stats.bootstrap_interval(np.mean(matrix, axis=0)) == pytest.approx((1 / 3, 1 / 3))


def test_two_level_interval_matches_a_loop_over_its_draws(monkeypatch):
    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(3, 7))
    resamples, seed = 50, 11
    draws = np.random.default_rng(seed)
    expected = []
    for _ in range(resamples):
        seeds = draws.integers(0, 3, size=(1, 3))[0]
        prompts = draws.integers(0, 7, size=(1, 7))[0]
        expected.append(np.mean([[matrix[s][p] for p in prompts] for s in seeds]))
    # One replicate per block reproduces the loop's draw order exactly.
    monkeypatch.setattr(stats, "PERMUTATION_BLOCK_ENTRIES", matrix.size)
    got = stats.two_level_interval(matrix, resamples=resamples, seed=seed)
    assert got == pytest.approx(tuple(np.percentile(expected, stats.INTERVAL_PERCENTILES)))


def test_estimate_over_seeds_resamples_seeds_from_three_on():
    two = [[0.1, 0.2, 0.3], [0.5, 0.6, 0.7]]
    one_level = stats.estimate_over_seeds(two)
    assert one_level == stats.estimate_mean(np.mean(two, axis=0))
    three = [*two, [0.9, 1.0, 1.1]]
    estimate = stats.estimate_over_seeds(three)
    assert estimate.n == 3 and estimate.mean == pytest.approx(0.6)
    prompts_only = stats.estimate_mean(np.mean(three, axis=0)).interval
    assert estimate.interval[1] - estimate.interval[0] > 2 * (prompts_only[1] - prompts_only[0])

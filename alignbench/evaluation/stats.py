"""Statistics over per-example scores: means with bootstrap intervals, paired differences.

Every function takes plain sequences of per-example values (one number per prompt) and returns
numbers, or plain dicts of numbers ready for a JSON file; turning them into text is the report's
job. Paired functions take two sequences
aligned by example: ``values[i]`` and ``reference[i]`` are the same prompt answered by two arms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Percentile intervals need on the order of 1,000 resamples for stable 2.5% and 97.5% points
# (Efron and Tibshirani, An Introduction to the Bootstrap, 1993, on the number of replications).
BOOTSTRAP_RESAMPLES = 1000
# A fixed seed keeps the report identical when the same results are rendered again.
BOOTSTRAP_SEED = 0
# The resampled means between these percentiles form a 95% interval.
INTERVAL_PERCENTILES = (2.5, 97.5)
# The smallest p-value a sign-flip test can report is 1 / (1 + resamples): 10,000 resolves 1e-4.
PERMUTATION_RESAMPLES = 10_000
PERMUTATION_SEED = 0
# With this many training seeds or more, intervals resample seeds as well as prompts; two seeds
# have only three distinct resamples (aa, ab, bb), too few for a percentile interval.
TWO_LEVEL_MIN_SEEDS = 3
# Sign matrices and two-level resamples are drawn in blocks of at most this many entries, so
# memory stays at a few MB however many prompts or resamples there are.
PERMUTATION_BLOCK_ENTRIES = 1_000_000


@dataclass(frozen=True)
class MeanEstimate:
    n: int
    mean: float | None  # None when there are no values
    interval: tuple[float, float] | None  # None for fewer than two values


def bootstrap_interval(
    values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float] | None:
    """95% percentile bootstrap interval of the mean; None for fewer than two values."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None  # a single value has no spread to resample
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    low, high = np.percentile(means, INTERVAL_PERCENTILES)
    return float(low), float(high)


def estimate_mean(
    values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> MeanEstimate:
    data = np.asarray(values, dtype=float)
    return MeanEstimate(
        n=int(data.size),
        mean=float(data.mean()) if data.size else None,
        interval=bootstrap_interval(data, resamples, seed),
    )


def two_level_interval(
    matrix: Sequence[Sequence[float]],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """95% percentile interval of the mean of a seeds x prompts matrix, resampling seeds and
    prompts independently, with replacement, in every replicate.

    Every seed's model answers the same prompts, so seeds and prompts are crossed factors; drawing
    both (Owen, "The pigeonhole bootstrap", Ann. Appl. Stat. 2007) lets the interval widen with
    the spread between training runs as well as between prompts. None for fewer than two prompts.
    """
    data = np.asarray(matrix, dtype=float)
    n_seeds, n_prompts = data.shape
    if n_prompts < 2:
        return None
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, PERMUTATION_BLOCK_ENTRIES // data.size)
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        seeds = rng.integers(0, n_seeds, size=(rows, n_seeds))
        prompts = rng.integers(0, n_prompts, size=(rows, n_prompts))
        prompt_means = data[seeds].mean(axis=1)  # each prompt's mean over the drawn seeds
        means[start : start + rows] = np.take_along_axis(prompt_means, prompts, axis=1).mean(1)
    low, high = np.percentile(means, INTERVAL_PERCENTILES)
    return float(low), float(high)


def estimate_over_seeds(
    matrix: Sequence[Sequence[float]],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> MeanEstimate:
    """Mean of a seeds x prompts matrix (each prompt's value averaged over seeds, then over
    prompts) with its 95% interval: two-level (seeds, then prompts) from TWO_LEVEL_MIN_SEEDS
    seeds on, over prompts alone below that."""
    data = np.asarray(matrix, dtype=float)
    if data.shape[0] >= TWO_LEVEL_MIN_SEEDS:
        return MeanEstimate(
            n=int(data.shape[1]),
            mean=float(data.mean()) if data.size else None,
            interval=two_level_interval(data, resamples, seed),
        )
    return estimate_mean(data.mean(axis=0), resamples, seed)


def paired_difference(
    values: Sequence[float],
    reference: Sequence[float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> MeanEstimate:
    """Mean of ``values[i] - reference[i]`` with its bootstrap interval.

    Resampling the per-prompt differences keeps what both arms share (how hard each prompt is)
    out of the interval, so it is narrower than two unpaired intervals side by side.
    """
    return estimate_mean(_differences(values, reference), resamples, seed)


def _differences(values: Sequence[float], reference: Sequence[float]) -> np.ndarray:
    values, reference = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    if values.shape != reference.shape:
        # numpy would broadcast a length-1 arm silently and pair every prompt with one value.
        raise ValueError(f"paired arms differ in length: {values.shape} vs {reference.shape}")
    return values - reference


def as_dict(estimate: MeanEstimate) -> dict:
    """A MeanEstimate as plain JSON types (the interval as a list), for results files."""
    interval = list(estimate.interval) if estimate.interval is not None else None
    return {"n": estimate.n, "mean": estimate.mean, "interval": interval}


def paired_permutation_pvalue(
    values: Sequence[float],
    reference: Sequence[float],
    resamples: int = PERMUTATION_RESAMPLES,
    seed: int = PERMUTATION_SEED,
) -> float:
    """Two-sided sign-flip permutation p-value of the mean paired difference.

    If the two arms were exchangeable, each per-prompt difference would be as likely to have the
    opposite sign; flipping signs at random gives the spread of means that chance alone produces.
    p = (1 + #{|flipped mean| >= |observed mean|}) / (1 + resamples), so p is never 0 and
    identical arms (every difference 0) give exactly 1. No pairs at all give 1 as well: there is no
    evidence of a difference.
    """
    differences = _differences(values, reference)
    if differences.size == 0:
        return 1.0
    observed = abs(differences.mean())
    # Flipped means that tie with the observed one in exact arithmetic can land a rounding error
    # below it; the tolerance counts them as ties (as scipy.stats.permutation_test does).
    threshold = observed - 1e-14 * observed
    rng = np.random.default_rng(seed)
    block = max(1, PERMUTATION_BLOCK_ENTRIES // differences.size)
    at_least_as_extreme = 0
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        signs = rng.integers(0, 2, size=(rows, differences.size), dtype=np.int8) * 2 - 1
        flipped_means = signs @ differences / differences.size
        at_least_as_extreme += int(np.count_nonzero(np.abs(flipped_means) >= threshold))
    return (1 + at_least_as_extreme) / (1 + resamples)


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm, "A simple sequentially rejective multiple test
    procedure", Scand. J. Statist. 1979), in the order given.

    The i-th smallest of m p-values is multiplied by m - i + 1 (i from 1), capped at 1, and made
    no smaller than the adjusted value before it. Rejecting every hypothesis whose adjusted value
    is below a level keeps the chance of any false rejection in the family at that level, for
    any dependence between the tests (the comparisons here share arms and prompts).
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def across_seeds(means: Sequence[float]) -> dict:
    """Spread of one metric over training seeds: each entry is one seed's mean over prompts.

    The bootstrap interval covers prompt-to-prompt noise only; the spread across seeds shows how
    much a result depends on the training run. ``std`` is the sample standard deviation (ddof=1),
    None for a single seed, which has no spread to estimate.
    """
    data = np.asarray(means, dtype=float)
    if data.size == 0:
        return {"n_seeds": 0, "mean": None, "std": None, "min": None, "max": None}
    return {
        "n_seeds": int(data.size),
        "mean": float(data.mean()),
        "std": float(data.std(ddof=1)) if data.size > 1 else None,
        "min": float(data.min()),
        "max": float(data.max()),
    }

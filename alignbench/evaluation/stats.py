"""Statistics over per-example scores: means with bootstrap intervals, paired differences.

Every function takes plain sequences of per-example values (one number per prompt) and returns
numbers only; turning them into text is the report's job. Paired functions take two sequences
aligned by example: ``values[i]`` and ``reference[i]`` are the same prompt answered by two arms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_RESAMPLES = 1000
# A fixed seed keeps the report identical when the same results are rendered again.
BOOTSTRAP_SEED = 0
# The resampled means between these percentiles form a 95% interval.
INTERVAL_PERCENTILES = (2.5, 97.5)


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
    values, reference = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    if values.shape != reference.shape:
        # numpy would broadcast a length-1 arm silently and pair every prompt with one value.
        raise ValueError(f"paired arms differ in length: {values.shape} vs {reference.shape}")
    return estimate_mean(values - reference, resamples, seed)

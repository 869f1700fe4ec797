"""How cost grows with work: a straight-line fit of seconds against the amount of work."""

from __future__ import annotations

# A point further than this share of its own time from the fitted line counts as a departure
# from linear growth. Generous: the benchmark may share its cores with other work.
LINEAR_TOLERANCE = 0.10


def fit_line(sizes: list[float], seconds: list[float], tolerance: float = LINEAR_TOLERANCE) -> dict:
    """Least-squares ``seconds = intercept + slope * size`` and whether growth stays linear.

    ``marginal_ratio`` compares the cost per unit of the last step up in size with that of the
    first: 1 is linear, above 1 each unit costs more as the work grows, below 1 less (e.g. a
    batch filling up).
    """
    if len(sizes) != len(seconds) or len(sizes) < 2:
        raise ValueError("fit_line needs at least two (size, seconds) points of equal count.")
    n = len(sizes)
    mean_x, mean_y = sum(sizes) / n, sum(seconds) / n
    sxx = sum((x - mean_x) ** 2 for x in sizes)
    if sxx == 0:
        raise ValueError("fit_line needs at least two different sizes.")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(sizes, seconds, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    fitted = [intercept + slope * x for x in sizes]
    residual = sum((y - f) ** 2 for y, f in zip(seconds, fitted, strict=True))
    total = sum((y - mean_y) ** 2 for y in seconds)
    worst = max(abs(y - f) / y for y, f in zip(seconds, fitted, strict=True))
    first = (seconds[1] - seconds[0]) / (sizes[1] - sizes[0])
    last = (seconds[-1] - seconds[-2]) / (sizes[-1] - sizes[-2])
    return {
        "sizes": list(sizes),
        "seconds": list(seconds),
        "slope": slope,
        "intercept": intercept,
        "r2": 1 - residual / total if total else 1.0,
        "max_deviation": worst,
        "marginal_ratio": last / first if first else float("inf"),
        "linear": worst <= tolerance,
    }

"""A sweep's results on one metric: each grid point's estimate, the best point, and the lines of
the sweep plots (the metric against one swept setting, one line per value of the others).

A sweep is a variant's default point and its other grid points (alignbench.sweeps); every block
carries ``sweep: {of, point, default}``, where ``point`` maps each swept setting to its value
(None where the default point leaves an args setting to TRL's default).
"""

from __future__ import annotations

from alignbench.variants import is_number


def sweep_points(members: list[str], blocks: dict[str, dict], summaries: dict, metric: str):
    """One row per point that has ``metric``: its settings, whether it is the default, and its
    pooled mean with the 95% interval, in ``members`` order (the default first)."""
    rows = []
    for name in members:
        entry = summaries[name]["metrics"].get(metric)
        if entry is None:
            continue
        pooled = entry["pooled"]
        rows.append(
            {
                "variant": name,
                "point": blocks[name]["sweep"]["point"],
                "default": blocks[name]["sweep"]["default"],
                "n": pooled["n"],
                "mean": pooled["mean"],
                "interval": pooled["interval"],
            }
        )
    return rows


def best_point(points: list[dict]) -> dict | None:
    """The point with the highest mean; on a tie the earlier one (the default comes first, so a
    grid point must do strictly better to be named best)."""
    best = None
    for row in points:
        if best is None or row["mean"] > best["mean"]:
            best = row
    return best


def sweep_lines(points: list[dict], setting: str) -> list[dict]:
    """The metric against ``setting``: one line per combination of the other swept settings,
    each with its x values in order (numbers ascending; other values in grid order) and the
    means and interval bounds at them. A point whose value of ``setting`` is unknown (TRL's
    default) has no place on the x axis and is left out."""
    lines: dict[str, dict] = {}
    for row in points:
        x = row["point"][setting]
        if x is None:
            continue
        others = {key: value for key, value in row["point"].items() if key != setting}
        # Empty for a sweep over one setting: a single line, nothing to tell apart.
        label = ", ".join(f"{key}={value}" for key, value in others.items())
        line = lines.setdefault(label, {"label": label, "points": []})
        low, high = row["interval"] or (None, None)
        line["points"].append({"x": x, "mean": row["mean"], "low": low, "high": high})
    for line in lines.values():
        if all(is_number(point["x"]) for point in line["points"]):
            line["points"].sort(key=lambda point: point["x"])
    return list(lines.values())

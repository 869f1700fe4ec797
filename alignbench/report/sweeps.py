"""What the report's sweep section shows: for each sweep, every grid point's estimate of the
chosen metric beside its paired difference against the sweep's default point, the best point,
and the sweep figures (one per swept setting)."""

from __future__ import annotations

import os
from pathlib import Path

from alignbench.evaluation.aggregate import family_name
from alignbench.evaluation.sweep_results import best_point, sweep_points
from alignbench.report.render import embed_png
from alignbench.sweeps import sweep_family, swept_settings
from alignbench.variants import is_number


def sweep_view(name: str, members: list[str], config: dict, summaries, comparisons) -> dict:
    """One sweep's table and verdict on ``report.sweep_metric``. ``comparisons`` hold each grid
    point against the default, Holm-adjusted within the sweep (alignbench.evaluation.aggregate)."""
    metric = config["report"]["sweep_metric"]
    blocks = config["variants"]
    family = family_name(sweep_family(name), metric)
    against_default = {row["variant"]: row for row in comparisons if row["family"] == family}
    settings = swept_settings(blocks[name])
    rows = [
        {**point, "comparison": against_default.get(point["variant"])}
        for point in sweep_points(members, blocks, summaries, metric)
    ]
    best = best_point(rows)  # before sorting: on a tie the default stays best
    rows.sort(key=lambda row: tuple(grid_order(row["point"][setting]) for setting in settings))
    return {
        "name": name,
        "method": blocks[name]["method"],
        "metric": metric,
        "settings": settings,
        "rows": rows,
        "best": best,
        "family_size": len(against_default),
    }


def grid_order(value) -> tuple:
    """Rows of a sweep table in grid order: an unknown value (TRL's default) first, numbers
    ascending, then words and true/false by their text."""
    if value is None:
        return (0, 0, "")
    if is_number(value):
        return (1, value, "")
    return (2, 0, str(value))


def sweep_figures(paths: list[str | os.PathLike], first_number: int) -> dict[str, list[dict]]:
    """Sweep figures by sweep, numbered from ``first_number`` in the given order. A figure's path
    is results/plots/sweeps/<sweep>/<setting>.png (workflow/rules/plot.smk)."""
    figures: dict[str, list[dict]] = {}
    for number, path in enumerate(map(Path, paths), start=first_number):
        figures.setdefault(path.parent.name, []).append(
            {"number": number, "setting": path.stem, "src": embed_png(path)}
        )
    return figures

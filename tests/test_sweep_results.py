"""A sweep's results: points, best point, plot lines, the report's view and figure."""

from __future__ import annotations

import pytest

from alignbench.evaluation.aggregate import compare_variants, summarize_metric
from alignbench.evaluation.plots import plot_sweep
from alignbench.evaluation.sweep_results import best_point, sweep_lines, sweep_points
from alignbench.report.sweeps import sweep_view
from alignbench.sweeps import comparison_pairs, expand_sweeps, sweep_groups

PROMPTS = [str(i) for i in range(12)]
# Mean ROUGE-L per (learning rate, beta); each prompt is the mean +/- 0.05.
MEANS = {(2e-4, 0.1): 0.30, (5e-5, 0.1): 0.25, (5e-5, 0.5): 0.20, (2e-4, 0.5): 0.42}


@pytest.fixture
def sweep():
    variants = {
        "base": {"method": "none"},
        "orpo": {
            "method": "orpo",
            "from": "base",
            "args": {"learning_rate": 2e-4, "beta": 0.1},
            "grid": {"learning_rate": [5e-5, 2e-4], "beta": [0.1, 0.5]},
        },
    }
    blocks = expand_sweeps(variants, {"r": 16})
    summaries = {"base": summary(0.2)}
    for name, block in blocks.items():
        if "sweep" in block:
            point = block["sweep"]["point"]
            summaries[name] = summary(MEANS[(point["learning_rate"], point["beta"])])
    groups = sweep_groups(blocks)
    comparisons = compare_variants(
        summaries, comparison_pairs(list(summaries), groups), metrics=("rougeL",)
    )
    return blocks, groups, summaries, comparisons


def summary(mean: float) -> dict:
    values = {i: mean + (0.05 if int(i) % 2 else -0.05) for i in PROMPTS}
    return {"metrics": {"rougeL": summarize_metric({"seed1": values})}}


def test_points_and_the_best_one(sweep):
    blocks, groups, summaries, _ = sweep
    assert groups["orpo"][0] == "orpo"
    points = sweep_points(groups["orpo"], blocks, summaries, "rougeL")
    assert [p["default"] for p in points] == [True, False, False, False]
    assert [round(p["mean"], 4) for p in points] == [0.30, 0.25, 0.20, 0.42]
    assert best_point(points)["variant"] == "orpo@learning_rate=0.0002@beta=0.5"


def test_a_tie_keeps_the_default_as_best():
    rows = [{"variant": "a", "mean": 0.3}, {"variant": "b", "mean": 0.3}]
    assert best_point(rows)["variant"] == "a" and best_point([]) is None


def test_lines_run_along_one_setting_per_value_of_the_others(sweep):
    blocks, groups, summaries, _ = sweep
    points = sweep_points(groups["orpo"], blocks, summaries, "rougeL")
    lines = {line["label"]: line["points"] for line in sweep_lines(points, "learning_rate")}
    assert list(lines) == ["beta=0.1", "beta=0.5"]
    assert [p["x"] for p in lines["beta=0.1"]] == [5e-5, 2e-4]  # ascending, not grid order
    assert [round(p["mean"], 4) for p in lines["beta=0.5"]] == [0.20, 0.42]
    assert all(p["low"] < p["mean"] < p["high"] for p in lines["beta=0.1"])


def test_a_default_left_to_trl_has_no_place_on_the_axis():
    points = [
        {"variant": "o", "point": {"beta": None}, "mean": 0.1, "interval": [0.0, 0.2]},
        {"variant": "o@beta=0.5", "point": {"beta": 0.5}, "mean": 0.2, "interval": None},
    ]
    (line,) = sweep_lines(points, "beta")
    assert line["label"] == "" and line["points"] == [
        {"x": 0.5, "mean": 0.2, "low": None, "high": None}
    ]


def test_the_report_view_compares_each_point_with_the_default(sweep):
    blocks, groups, summaries, comparisons = sweep
    config = {"variants": blocks, "report": {"sweep_metric": "rougeL"}}
    view = sweep_view("orpo", groups["orpo"], config, summaries, comparisons)
    assert view["settings"] == ["learning_rate", "beta"] and view["family_size"] == 3
    # Rows in grid order (learning rate, then beta, ascending); the default has no comparison.
    assert [(r["point"]["learning_rate"], r["point"]["beta"]) for r in view["rows"]] == [
        (5e-5, 0.1),
        (5e-5, 0.5),
        (2e-4, 0.1),
        (2e-4, 0.5),
    ]
    assert [r["comparison"] is None for r in view["rows"]] == [False, False, True, False]
    best = view["best"]
    assert best["variant"] == "orpo@learning_rate=0.0002@beta=0.5"
    against = best["comparison"]
    assert against["reference"] == "orpo" and against["mean"] == pytest.approx(0.12)
    assert against["family_size"] == 3 and against["p_adjusted"] >= against["p_value"]


def test_the_sweep_plot_is_a_png(sweep, tmp_path):
    blocks, groups, summaries, _ = sweep
    points = sweep_points(groups["orpo"], blocks, summaries, "rougeL")
    for setting in ("learning_rate", "beta"):
        out = tmp_path / f"{setting}.png"
        plot_sweep(sweep_lines(points, setting), setting, "ROUGE-L", "orpo", out)
        assert out.read_bytes()[:4] == b"\x89PNG"
    empty = tmp_path / "empty.png"
    plot_sweep([], "beta", "ROUGE-L", "orpo", empty)
    assert empty.read_bytes()[:4] == b"\x89PNG"

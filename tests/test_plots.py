"""Tests for alignbench.evaluation.plots: each figure draws the numbers it is given.

The plotting functions save a PNG and close their figure. The `drawn` fixture keeps the figure
that a function closes open, so the tests read what it drew from matplotlib's own artists: bar
heights, error-bar ends, marker positions, line data, reference lines, labels and annotations.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.patches import Polygon

from alignbench.evaluation import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ("base", "sft", "orpo")
ROUGE_NAMES = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L"}
METRIC_LABEL = "ROUGE-L F-measure (0-1)"


# ---------------------------------------------------------------------------------------------
# Reading a figure back
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """``drawn(plot_function, *args, **kwargs)`` runs the function with a PNG path and returns
    the figure it saved there: every plotting function closes its figure once written, so the
    figure is caught at ``pyplot.close`` and closed for real at the end of the test."""
    real_close = plots.plt.close
    closed = []
    monkeypatch.setattr(plots.plt, "close", closed.append)

    def draw(plot_function, *args, **kwargs):
        out = tmp_path / f"figure{len(closed)}.png"
        before = len(closed)
        plot_function(*args, out_path=out, **kwargs)
        assert len(closed) == before + 1, "the function must close the one figure it drew"
        assert out.read_bytes().startswith(PNG_SIGNATURE)
        return closed[-1]

    yield draw
    for figure in closed:
        real_close(figure)


def only_axes(figure):
    [ax] = figure.axes
    return ax


def texts(artists) -> list[str]:
    return [artist.get_text() for artist in artists]


def tick_labels(ax, axis: str) -> dict[float, str]:
    """Tick position -> tick label on the x or y axis."""
    ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return {float(tick): label.get_text() for tick, label in zip(ticks, labels, strict=True)}


def containers(ax, kind) -> list:
    return [container for container in ax.containers if isinstance(container, kind)]


def bar_centres_and_heights(bars: BarContainer) -> list[tuple[float, float]]:
    return [(bar.get_x() + bar.get_width() / 2, bar.get_height()) for bar in bars]


def error_bar_ends(errorbar: ErrorbarContainer) -> list[tuple[tuple, tuple]]:
    """Each error bar as its two end points ((x, y) low end, (x, y) high end)."""
    _, _, [bar_lines] = errorbar.lines
    return [tuple(map(tuple, segment)) for segment in bar_lines.get_segments()]


def error_bar_points(errorbar: ErrorbarContainer) -> list[tuple[float, float]]:
    """The (x, y) of each point the error bars belong to."""
    points, _, _ = errorbar.lines
    return list(zip(points.get_xdata(), points.get_ydata(), strict=True))


def reference_lines(ax) -> list:
    """Lines drawn as lines: what is left once error-bar caps (markers only) are set aside."""
    return [line for line in ax.lines if line.get_linestyle() != "None"]


def step_histogram(outline: Polygon) -> tuple[list[float], list[float]]:
    """Bin edges and counts of a ``histtype="step"`` histogram, read from its outline.

    The outline starts at (first edge, 0) and then, for each bin, goes up or down to
    (left edge, count) and across to (right edge, count), ending at (last edge, 0).
    """
    points = outline.get_xy()
    edges = [float(x) for x in points[1::2, 0]]
    counts = [float(y) for y in points[1:-1:2, 1]]
    return edges, counts


def axes_by_title(figure) -> dict[str, object]:
    return {ax.get_title(): ax for ax in figure.axes if ax.get_title()}


def curves(figure, ax) -> dict[str, object]:
    """Label -> line of every curve on ``ax`` and on its twin (right-hand) axes."""
    shared = ax.get_shared_x_axes()
    twins = [other for other in figure.axes if other is not ax and shared.joined(ax, other)]
    return {line.get_label(): line for axes in (ax, *twins) for line in axes.lines}


def assert_close(actual, expected) -> None:
    """Equal up to float rounding, for nested sequences of numbers (points, segments)."""
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float))


def assert_one_slot(limits) -> None:
    """A lone variant or row at 0 sits centred in a slot at least one unit wide, as each of
    several would, rather than on an axis zoomed in onto its single point."""
    low, high = limits
    assert low == pytest.approx(-high) and high - low >= 1


def assert_line_data(line, xs, ys) -> None:
    assert_close(line.get_xdata(), xs)
    assert_close(line.get_ydata(), ys)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def sample_scores() -> list[dict]:
    """Every metric and variant a different value, so a bar in the wrong place shows."""
    return [
        {
            "variant": v,
            "n": 50 + i,
            "rouge1": 0.30 + i / 100,
            "rouge2": 0.10 + i / 50,
            "rougeL": 0.20 + i / 25,
        }
        for i, v in enumerate(VARIANTS)
    ]


def sft_history() -> list[dict]:
    steps = [
        {"loss": 2.0 - s / 10, "learning_rate": 1e-4, "epoch": s / 10, "step": s}
        for s in range(1, 6)
    ]
    return [*steps, {"train_loss": 1.8, "train_runtime": 12.0, "epoch": 1.0, "step": 5}]


def orpo_history(with_all_keys: bool = True) -> list[dict]:
    entries = []
    for step in range(1, 6):
        entry = {
            "loss": 3.0 - step / 5,
            "nll_loss": 2.5 - step / 5,
            "step": step,
            "epoch": step / 5,
        }
        # Some logs carry only part of the ORPO metrics: plotting must skip, not fail.
        if with_all_keys or step % 2:
            entry["log_odds_ratio"] = -0.7 + step / 20
            entry["rewards/chosen"] = -0.1
        entries.append(entry)
    entries.append({"train_loss": 2.4, "train_runtime": 30.0, "step": 5})
    return entries


def interval_rows(seeds_per_variant: int) -> list[dict]:
    return [
        {
            "variant": v,
            "mean": 0.3 + i / 20,
            "low": 0.25 + i / 20,
            "high": 0.37 + i / 20,  # asymmetric, so swapped ends show
            "seeds": [0.28 + i / 20 + k / 100 for k in range(seeds_per_variant)],
        }
        for i, v in enumerate(VARIANTS)
    ]


def difference_rows() -> list[dict]:
    return [
        {"label": "sft − base (ROUGE-L)", "mean": 0.05, "low": 0.01, "high": 0.09, "p_value": 0.02},
        {
            "label": "orpo − base (ROUGE-L)",
            "mean": -0.01,
            "low": -0.04,
            "high": 0.03,
            "p_value": 0.6,
        },
        {"label": "orpo − sft (accuracy)", "mean": 0.2, "low": 0.1, "high": 0.3, "p_value": 1e-4},
    ]


def preference_rows() -> list[dict]:
    return [{k: r[k] for k in ("variant", "mean", "low", "high")} for r in interval_rows(0)]


# ---------------------------------------------------------------------------------------------
# ROUGE bar chart
# ---------------------------------------------------------------------------------------------


def test_rouge_bars_have_the_scores_as_heights_grouped_by_variant(drawn):
    scores = sample_scores()
    ax = only_axes(drawn(plots.plot_rouge, scores))
    bar_groups = containers(ax, BarContainer)
    assert [bars.get_label() for bars in bar_groups] == list(ROUGE_NAMES.values())
    for metric, bars in zip(ROUGE_NAMES, bar_groups, strict=True):
        centres, heights = zip(*bar_centres_and_heights(bars), strict=True)
        assert list(heights) == pytest.approx([row[metric] for row in scores])
        # One bar per variant, each within its variant's slot on the axis.
        assert [round(centre) for centre in centres] == list(range(len(scores)))
    for variant in range(len(scores)):
        group = [bar_centres_and_heights(bars)[variant][0] for bars in bar_groups]
        assert group == sorted(group)  # ROUGE-1, -2, -L from left to right
        assert sum(group) / len(group) == pytest.approx(variant)  # centred on its tick


def test_rouge_bars_are_labelled_with_their_values_and_variants(drawn):
    scores = sample_scores()
    ax = only_axes(drawn(plots.plot_rouge, scores))
    expected = [f"{row[metric]:.3f}" for metric in ROUGE_NAMES for row in scores]
    assert texts(ax.texts) == expected
    assert texts(ax.get_legend().get_texts()) == list(ROUGE_NAMES.values())
    assert tick_labels(ax, "x") == {
        i: f"{r['variant']}\n(n={r['n']})" for i, r in enumerate(scores)
    }
    assert ax.get_xlabel() == "variant" and "F-measure" in ax.get_ylabel()
    low, high = ax.get_ylim()
    tallest = max(row[metric] for row in scores for metric in ROUGE_NAMES)
    assert low == 0 and high > tallest  # room above the tallest bar for its value


# ---------------------------------------------------------------------------------------------
# Training curves
# ---------------------------------------------------------------------------------------------


def test_training_curves_plot_each_logged_value_against_its_step(drawn):
    histories = {
        "sft": {"method": "sft", "log_history": sft_history()},
        "orpo": {"method": "orpo", "log_history": orpo_history()},
        "dpo": {"method": "dpo", "log_history": sft_history()},
    }
    figure = drawn(plots.plot_training_curves, histories)
    panels = axes_by_title(figure)
    assert list(panels) == ["sft (sft)", "orpo (orpo)", "dpo (dpo)"]  # the order given
    steps = [1, 2, 3, 4, 5]
    for title in ("sft (sft)", "dpo (dpo)"):
        lines = curves(figure, panels[title])
        # The final summary entry (train_loss, no loss) is not a point of the curve.
        assert list(lines) == ["loss"]
        assert_line_data(lines["loss"], steps, [2.0 - s / 10 for s in steps])
    orpo = curves(figure, panels["orpo (orpo)"])
    assert list(orpo) == ["loss", "nll_loss", "log_odds_ratio (right axis)"]
    assert_line_data(orpo["loss"], steps, [3.0 - s / 5 for s in steps])
    assert_line_data(orpo["nll_loss"], steps, [2.5 - s / 5 for s in steps])
    assert_line_data(orpo["log_odds_ratio (right axis)"], steps, [-0.7 + s / 20 for s in steps])


def test_orpo_log_odds_ratio_gets_its_own_axis_and_one_legend(drawn):
    histories = {"orpo": {"method": "orpo", "log_history": orpo_history()}}
    figure = drawn(plots.plot_training_curves, histories)
    ax = axes_by_title(figure)["orpo (orpo)"]
    log_odds = curves(figure, ax)["log_odds_ratio (right axis)"]
    assert log_odds.axes is not ax and "log_odds_ratio" in log_odds.axes.get_ylabel()
    assert {line.get_label() for line in ax.lines} == {"loss", "nll_loss"}
    assert texts(ax.get_legend().get_texts()) == ["loss", "nll_loss", "log_odds_ratio (right axis)"]
    assert ax.get_xlabel() == "optimizer step" and "loss" in ax.get_ylabel()


def test_training_curves_skip_entries_without_a_value(drawn):
    history = orpo_history(with_all_keys=False)  # log_odds_ratio at odd steps only
    del history[0]["nll_loss"]
    figure = drawn(plots.plot_training_curves, {"orpo": {"method": "orpo", "log_history": history}})
    lines = curves(figure, axes_by_title(figure)["orpo (orpo)"])
    assert_line_data(lines["nll_loss"], [2, 3, 4, 5], [2.5 - s / 5 for s in (2, 3, 4, 5)])
    assert_line_data(lines["log_odds_ratio (right axis)"], [1, 3, 5], [-0.65, -0.55, -0.45])


def test_a_variant_without_loss_says_so(drawn):
    history = [{"train_loss": 2.0, "step": 3}]  # the summary entry alone
    figure = drawn(plots.plot_training_curves, {"sft": {"method": "sft", "log_history": history}})
    ax = axes_by_title(figure)["sft (sft)"]
    assert curves(figure, ax) == {}
    assert texts(ax.texts) == ["no loss logged"]


def test_training_curves_without_trained_variants_say_so(drawn):
    ax = only_axes(drawn(plots.plot_training_curves, {}))
    assert texts(ax.texts) == ["no trained variants"] and not ax.axison


# ---------------------------------------------------------------------------------------------
# Answer lengths
# ---------------------------------------------------------------------------------------------


def test_answer_lengths_count_every_answer_in_whole_token_bins(drawn):
    lengths = {v: [5 + (i * 7 + k) % 60 for k in range(40)] for i, v in enumerate(VARIANTS)}
    lengths["orpo"][:3] = [64, 64, 64]  # answers cut off at the cap
    ax = only_axes(drawn(plots.plot_answer_lengths, lengths, max_new_tokens=64))
    outlines = [patch for patch in ax.patches if isinstance(patch, Polygon)]
    assert [outline.get_label() for outline in outlines] == [
        f"{v} (n={len(values)})" for v, values in lengths.items()
    ]
    for outline, values in zip(outlines, lengths.values(), strict=True):
        edges, counts = step_histogram(outline)
        assert all(edge + 0.5 == round(edge + 0.5) for edge in edges)  # between whole tokens
        assert edges[0] < 0 and edges[-1] > 64  # 0 up to the cap, the cap included
        expected = [
            sum(lo < v < hi for v in values) for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ]
        assert counts == expected and sum(counts) == len(values)


def test_answer_lengths_mark_the_token_limit(drawn):
    lengths = {"base": [3, 8, 8], "sft": [1, 2]}
    ax = only_axes(drawn(plots.plot_answer_lengths, lengths, max_new_tokens=8))
    [limit] = reference_lines(ax)
    assert list(limit.get_xdata()) == [8, 8] and list(limit.get_ydata()) == [0, 1]  # full height
    assert limit.get_linestyle() == ":"  # dotted
    assert "token limit" in texts(ax.get_legend().get_texts())
    assert ax.get_xlabel() == "generated answer length (tokens)"
    assert ax.get_ylabel() == "number of answers"


# ---------------------------------------------------------------------------------------------
# Metric intervals with seed spread
# ---------------------------------------------------------------------------------------------


def test_metric_intervals_draw_each_mean_with_its_interval(drawn):
    rows = interval_rows(3)
    ax = only_axes(drawn(plots.plot_metric_intervals, rows, METRIC_LABEL))
    [errorbar] = containers(ax, ErrorbarContainer)
    assert_close(error_bar_points(errorbar), [(i, r["mean"]) for i, r in enumerate(rows)])
    assert_close(
        error_bar_ends(errorbar), [((i, r["low"]), (i, r["high"])) for i, r in enumerate(rows)]
    )


def test_metric_intervals_put_each_seed_beside_its_variant(drawn):
    rows = interval_rows(3)
    ax = only_axes(drawn(plots.plot_metric_intervals, rows, METRIC_LABEL))
    [seeds] = [
        collection for collection in ax.collections if isinstance(collection, PathCollection)
    ]
    offsets = seeds.get_offsets()
    assert list(offsets[:, 1]) == pytest.approx([seed for row in rows for seed in row["seeds"]])
    for i in range(len(rows)):
        xs = {float(x) for x, _ in offsets[3 * i : 3 * i + 3]}
        [x] = xs  # one column per variant
        assert i < x < i + 0.5  # beside its own variant's point, not on its error bar
    assert len(seeds.get_facecolors()) == 0  # hollow: the error bar shows through


def test_metric_intervals_name_the_variants_and_the_metric(drawn):
    rows = interval_rows(3)
    ax = only_axes(drawn(plots.plot_metric_intervals, rows, METRIC_LABEL))
    assert tick_labels(ax, "x") == dict(enumerate(VARIANTS))
    assert ax.get_xlabel() == "variant" and ax.get_ylabel() == METRIC_LABEL
    assert METRIC_LABEL in ax.get_title()
    assert set(texts(ax.get_legend().get_texts())) == {
        "mean over prompts (95% interval)",
        "mean of one training seed",
    }


def test_metric_intervals_without_seeds_draw_no_seed_markers(drawn):
    ax = only_axes(drawn(plots.plot_metric_intervals, interval_rows(0)[:1], METRIC_LABEL))
    assert not [c for c in ax.collections if isinstance(c, PathCollection)]
    assert tick_labels(ax, "x") == {0: "base"}
    assert_one_slot(ax.get_xlim())


def test_metric_intervals_without_an_interval_draw_a_zero_length_bar(drawn):
    row = {"variant": "base", "mean": 0.3, "low": None, "high": None, "seeds": []}
    ax = only_axes(drawn(plots.plot_metric_intervals, [row], METRIC_LABEL))
    [errorbar] = containers(ax, ErrorbarContainer)
    assert_close(error_bar_ends(errorbar), [((0, 0.3), (0, 0.3))])


# ---------------------------------------------------------------------------------------------
# Paired differences (forest plot)
# ---------------------------------------------------------------------------------------------


def test_paired_differences_draw_each_row_with_its_interval_first_on_top(drawn):
    rows = difference_rows()
    ax = only_axes(drawn(plots.plot_paired_differences, rows))
    positions = [2, 1, 0]  # reading order: the first row highest
    [errorbar] = containers(ax, ErrorbarContainer)
    expected_points = [(r["mean"], y) for r, y in zip(rows, positions, strict=True)]
    assert_close(error_bar_points(errorbar), expected_points)
    assert_close(
        error_bar_ends(errorbar),
        [((r["low"], y), (r["high"], y)) for r, y in zip(rows, positions, strict=True)],
    )
    assert tick_labels(ax, "y") == {y: r["label"] for r, y in zip(rows, positions, strict=True)}


def test_paired_differences_mark_zero(drawn):
    ax = only_axes(drawn(plots.plot_paired_differences, difference_rows()))
    [zero] = reference_lines(ax)
    assert list(zero.get_xdata()) == [0, 0] and list(zero.get_ydata()) == [0, 1]  # full height
    assert zero.get_linestyle() == ":"  # dotted


def test_paired_differences_annotate_each_row_with_its_p_value(drawn):
    rows = [*difference_rows(), {**difference_rows()[0], "label": "dpo − sft", "p_value": None}]
    ax = only_axes(drawn(plots.plot_paired_differences, rows))
    by_row = {annotation.xy[1]: annotation.get_text() for annotation in ax.texts}
    assert list(by_row) == [3, 2, 1, 0]  # one per row, level with it
    assert [by_row[y] for y in (3, 2, 1)] == ["p = 0.020", "p = 0.600", "p < 0.001"]
    missing = by_row[0]
    assert missing.startswith("p") and not any(c.isdigit() for c in missing)
    assert all(annotation.xy[0] > 1 for annotation in ax.texts)  # right of the axes


def test_paired_differences_show_the_holm_adjusted_p_value_beside_the_raw_one(drawn):
    row = {**difference_rows()[0], "p_value": 0.02, "p_adjusted": 0.06}
    ax = only_axes(drawn(plots.plot_paired_differences, [row]))
    assert texts(ax.texts) == ["p = 0.020, Holm p = 0.060"]


def test_paired_differences_with_one_row(drawn):
    row = {"label": "sft − base (ROUGE-L)", "mean": 0.0, "low": 0.0, "high": 0.0, "p_value": 1.0}
    ax = only_axes(drawn(plots.plot_paired_differences, [row]))
    assert tick_labels(ax, "y") == {0: row["label"]}
    assert texts(ax.texts) == ["p = 1.000"]
    assert_one_slot(ax.get_ylim())


# ---------------------------------------------------------------------------------------------
# Preference accuracy
# ---------------------------------------------------------------------------------------------


def test_preference_accuracy_bars_have_the_means_and_intervals(drawn):
    rows = preference_rows()
    ax = only_axes(drawn(plots.plot_preference_accuracy, rows))
    [bars] = containers(ax, BarContainer)
    assert_close(bar_centres_and_heights(bars), [(i, r["mean"]) for i, r in enumerate(rows)])
    [errorbar] = containers(ax, ErrorbarContainer)
    assert_close(
        error_bar_ends(errorbar), [((i, r["low"]), (i, r["high"])) for i, r in enumerate(rows)]
    )
    values = [t for t in ax.texts if t.get_text() != "chance"]
    assert texts(values) == [f"{r['mean']:.2f}" for r in rows]
    assert tick_labels(ax, "x") == dict(enumerate(VARIANTS))
    assert ax.get_ylim() == pytest.approx((0, 1.1))  # the whole 0-1 scale, labels above 1


def test_preference_accuracy_marks_chance_at_one_half(drawn):
    ax = only_axes(drawn(plots.plot_preference_accuracy, preference_rows()))
    [chance] = reference_lines(ax)
    assert list(chance.get_ydata()) == [0.5, 0.5] and list(chance.get_xdata()) == [0, 1]
    assert chance.get_linestyle() == "--"  # dashed
    [label] = [t for t in ax.texts if t.get_text() == "chance"]
    assert label.get_position()[1] == 0.5


def test_preference_accuracy_with_one_variant(drawn):
    row = {"variant": "orpo", "mean": 0.8, "low": 0.7, "high": 0.9}
    ax = only_axes(drawn(plots.plot_preference_accuracy, [row]))
    [bars] = containers(ax, BarContainer)
    assert_close(bar_centres_and_heights(bars), [(0, 0.8)])
    assert tick_labels(ax, "x") == {0: "orpo"}


# ---------------------------------------------------------------------------------------------
# No rows
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plot", "args", "message"),
    [
        (plots.plot_metric_intervals, (METRIC_LABEL,), "no variants"),
        (plots.plot_paired_differences, (), "no paired comparisons"),
        (plots.plot_preference_accuracy, (), "no variants"),
    ],
)
def test_uncertainty_plots_without_rows_say_so(drawn, plot, args, message):
    ax = only_axes(drawn(plot, [], *args))
    assert texts(ax.texts) == [message] and not ax.axison
    assert not ax.lines and not ax.containers

"""Figures for the report: ROUGE per variant, training curves, answer lengths, and the
uncertainty figures (metric intervals with seed spread, paired differences, preference accuracy).

Every plotting function takes data that is already loaded (never a path to read) and the path of
the PNG to write, so it can be unit-tested without the workflow. The variant list is never
hard-coded: variants are drawn in the order they are given.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

import matplotlib

from alignbench.evaluation import metrics
from alignbench.evaluation.rouge import ROUGE_TYPES
from alignbench.io import atomic_path

# Select the file-only backend before pyplot is imported: Snakemake jobs and CI have no display.
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 120
# ORPO's two loss components live on different scales (NLL ~ 1-3, log-odds ratio ~ -1..0),
# so the log-odds ratio gets a twin axis instead of squashing the loss curves.
TWIN_AXIS_KEYS = ("log_odds_ratio",)
CURVE_KEYS_BY_METHOD = {"orpo": ("loss", "nll_loss", "log_odds_ratio")}
DEFAULT_CURVE_KEYS = ("loss",)
# Per-seed means sit this far right of the variant's point, so they never hide its error bar.
SEED_MARKER_OFFSET = 0.18


# ---------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------


# Count columns of results/scores.tsv; every other column but `variant` is a pooled mean.
SCORES_INTEGER_COLUMNS = ("n_seeds", "n")


def read_scores_tsv(path: str | os.PathLike) -> list[dict]:
    """Read results/scores.tsv with numbers as numbers.

    Columns: variant, n_seeds, n, then one pooled mean per metric. Counts become ints, means
    floats, and an empty cell (a metric that does not apply, e.g. task accuracy on Hub data)
    None.
    """
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [{key: _score_cell(key, value) for key, value in row.items()} for row in rows]


def _score_cell(column: str, value: str):
    if column == "variant":
        return value
    if value is None or not value.strip():
        return None
    return int(value) if column in SCORES_INTEGER_COLUMNS else float(value)


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _save(fig, out_path: str | os.PathLike) -> None:
    """Lay out, write atomically and close, so a long workflow never accumulates open figures."""
    try:
        fig.tight_layout()
        with atomic_path(out_path) as tmp:
            fig.savefig(tmp, dpi=DPI, format="png")
    finally:
        plt.close(fig)


def _empty_figure(message: str, title: str, out_path: str | os.PathLike) -> None:
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12)
    ax.set_title(title)
    ax.set_axis_off()
    _save(fig, out_path)


def _error_extents(rows: list[dict]) -> list[list[float]]:
    """Distances from each mean down to ``low`` and up to ``high``, as errorbar's xerr/yerr want.

    A row without an interval (fewer than two examples) gets a zero-length bar rather than none,
    so rows keep their positions.
    """
    below = [row["mean"] - row["low"] if row.get("low") is not None else 0.0 for row in rows]
    above = [row["high"] - row["mean"] if row.get("high") is not None else 0.0 for row in rows]
    return [below, above]


def _variant_axes(n_variants: int):
    """A figure with one slot per variant along x, wide enough for the variant names."""
    return plt.subplots(figsize=(max(4.5, 1.3 * n_variants + 2), 3.8))


def _label_variants(ax, rows: list[dict]) -> None:
    ax.set_xticks(range(len(rows)), labels=[row["variant"] for row in rows])
    ax.set_xlim(-0.6, len(rows) - 0.4)  # one variant alone would otherwise fill the axis
    ax.set_xlabel("variant")


def _series(log_history: Iterable[dict], key: str) -> tuple[list[float], list[float]]:
    """Steps and values of one logged quantity, skipping entries that lack it.

    The Trainer mixes training logs, eval logs and a final summary (train_loss, no loss) in one
    list, so any given key is present in only some entries; every entry has `step`.
    """
    steps, values = [], []
    for entry in log_history:
        value = entry.get(key)
        if value is None:
            continue
        steps.append(float(entry["step"]))
        values.append(float(value))
    return steps, values


# ---------------------------------------------------------------------------------------------
# ROUGE bar chart
# ---------------------------------------------------------------------------------------------


def plot_rouge(scores: list[dict], out_path: str | os.PathLike) -> None:
    """Grouped bars: one group per variant, one bar per ROUGE F-measure, value on each bar."""
    width = 0.8 / len(ROUGE_TYPES)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.8 * len(scores) + 2), 4))
    for index, metric in enumerate(ROUGE_TYPES):
        positions = [i + (index - (len(ROUGE_TYPES) - 1) / 2) * width for i in range(len(scores))]
        values = [row[metric] for row in scores]
        bars = ax.bar(positions, values, width, label=metrics.label(metric))
        ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], padding=2, fontsize=7)
    ax.set_xticks(range(len(scores)), labels=[f"{r['variant']}\n(n={r['n']})" for r in scores])
    ax.set_xlabel("variant")
    ax.set_ylabel("mean F-measure (0-1)")
    ax.set_title("ROUGE F-measure per variant (held-out prompts)")
    top = max(row[m] for row in scores for m in ROUGE_TYPES)
    ax.set_ylim(0, max(top * 1.2, 0.05))  # headroom for the value labels
    ax.legend(loc="upper right", fontsize=8)
    _save(fig, out_path)


# ---------------------------------------------------------------------------------------------
# Training curves
# ---------------------------------------------------------------------------------------------


def plot_training_curves(histories: dict[str, dict], out_path: str | os.PathLike) -> None:
    """One subplot per trained variant: loss vs optimizer step (ORPO adds its two components)."""
    if not histories:  # a config may define only the untrained base
        _empty_figure("no trained variants", "Training curves", out_path)
        return
    fig, axes = plt.subplots(1, len(histories), figsize=(5.0 * len(histories), 3.8), squeeze=False)
    for ax, (variant, history) in zip(axes[0], histories.items(), strict=True):
        _draw_variant_curves(ax, variant, history)
    _save(fig, out_path)


def _draw_variant_curves(ax, variant: str, history: dict) -> None:
    method = history["method"]
    keys = CURVE_KEYS_BY_METHOD.get(method, DEFAULT_CURVE_KEYS)
    twin = None
    lines = []
    for key in keys:
        steps, values = _series(history["log_history"], key)
        if not steps:
            continue  # this run did not log the quantity; plot what is there
        if key in TWIN_AXIS_KEYS:
            twin = twin or ax.twinx()
            lines += twin.plot(steps, values, "--", color="tab:red", label=f"{key} (right axis)")
            twin.set_ylabel(f"{key} = log σ(log odds ratio)")
        else:
            lines += ax.plot(steps, values, marker=".", label=key)
    ax.set_title(f"{variant} ({method})")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats per token)")
    if lines:
        ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="best")
    else:
        ax.text(0.5, 0.5, "no loss logged", ha="center", va="center", transform=ax.transAxes)


# ---------------------------------------------------------------------------------------------
# Answer lengths
# ---------------------------------------------------------------------------------------------


def plot_answer_lengths(
    lengths: dict[str, list[int]], out_path: str | os.PathLike, max_new_tokens: int
) -> None:
    """Overlaid step histograms of generated tokens per variant, plus the generation cap.

    A pile-up at the cap means answers were cut off rather than ended with EOS.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    # Answers stop at the cap, so the bins always reach it and show whether anything piles up.
    bins = _integer_bins(max_new_tokens)
    for variant, values in lengths.items():
        ax.hist(
            values, bins=bins, histtype="step", linewidth=1.5, label=f"{variant} (n={len(values)})"
        )
    ax.axvline(max_new_tokens, color="black", linestyle=":", label="token limit")
    ax.set_xlabel("generated answer length (tokens)")
    ax.set_ylabel("number of answers")
    ax.set_title("Distribution of generated answer length")
    ax.legend(fontsize=8)
    _save(fig, out_path)


def _integer_bins(upper: int, max_bins: int = 40) -> list[float]:
    """Bin edges on whole tokens, at most `max_bins` bins, covering 0..upper."""
    step = max(1, -(-(upper + 1) // max_bins))  # ceiling division
    return [edge - 0.5 for edge in range(0, upper + step + 1, step)]


# ---------------------------------------------------------------------------------------------
# Uncertainty: intervals per variant, paired differences, preference accuracy
# ---------------------------------------------------------------------------------------------


def plot_metric_intervals(rows: list[dict], metric_label: str, out_path: str | os.PathLike) -> None:
    """One point per variant with its 95% interval, and each training seed's mean beside it.

    The interval covers prompt-to-prompt noise; the hollow seed markers show how much the result
    moves between training runs, which the interval does not.
    """
    # Two lines: metric labels carry their units and would push a one-line title off the figure.
    title = f"{metric_label} per variant\n(mean over prompts, 95% bootstrap interval)"
    if not rows:
        _empty_figure("no variants", title, out_path)
        return
    fig, ax = _variant_axes(len(rows))
    ax.errorbar(
        range(len(rows)),
        [row["mean"] for row in rows],
        yerr=_error_extents(rows),
        fmt="o",
        capsize=4,
        label="mean over prompts (95% interval)",
    )
    seeds = [row.get("seeds") or [] for row in rows]  # a single-seed run may list none
    seed_positions = [i + SEED_MARKER_OFFSET for i, means in enumerate(seeds) for _ in means]
    seed_means = [mean for means in seeds for mean in means]
    if seed_means:
        ax.scatter(
            seed_positions,
            seed_means,
            s=20,
            facecolors="none",
            edgecolors="tab:gray",
            label="mean of one training seed",
        )
    _label_variants(ax, rows)
    ax.set_ylabel(metric_label)
    ax.set_title(title)
    # Below the axes: inside, it would cover the whiskers of whichever variant sits under it.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2)
    _save(fig, out_path)


def plot_paired_differences(rows: list[dict], out_path: str | os.PathLike) -> None:
    """Forest plot of per-prompt paired differences, one row per comparison, p-values at right
    (with the Holm-adjusted one where the row has it).

    Whether an interval crosses the dotted zero line is the question each row answers.
    """
    title = "Paired differences (mean over prompts, 95% bootstrap interval)"
    if not rows:
        _empty_figure("no paired comparisons", title, out_path)
        return
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 1.2 + 0.45 * len(rows))))
    positions = list(range(len(rows)))[::-1]  # the first row on top, in reading order
    ax.errorbar(
        [row["mean"] for row in rows], positions, xerr=_error_extents(rows), fmt="o", capsize=4
    )
    ax.axvline(0, color="black", linestyle=":", linewidth=1)
    for position, row in zip(positions, rows, strict=True):
        label = metrics.format_p_value(row.get("p_value"))
        if row.get("p_adjusted") is not None:
            label += f", Holm {metrics.format_p_value(row['p_adjusted'])}"
        ax.annotate(
            label,
            xy=(1.02, position),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=8,
        )
    ax.set_yticks(positions, labels=[row["label"] for row in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("mean paired difference (in the units of the metric named per row)")
    ax.set_title(title)
    _save(fig, out_path)


def plot_preference_accuracy(rows: list[dict], out_path: str | os.PathLike) -> None:
    """Bars of preference accuracy per variant with 95% intervals and the 0.5 chance line.

    An interval that reaches the chance line means the variant's preference for ``chosen`` is not
    distinguishable from guessing on these pairs.
    """
    title = "Preference accuracy per variant (held-out pairs)"
    if not rows:
        _empty_figure("no variants", title, out_path)
        return
    fig, ax = _variant_axes(len(rows))
    means = [row["mean"] for row in rows]
    bars = ax.bar(range(len(rows)), means, 0.6, yerr=_error_extents(rows), capsize=4)
    ax.bar_label(bars, labels=[f"{mean:.2f}" for mean in means], padding=2, fontsize=8)
    chance = metrics.METRICS["preference_accuracy"].chance
    ax.axhline(chance, color="black", linestyle="--", linewidth=1)
    ax.text(len(rows) - 0.45, chance, "chance", ha="right", va="bottom", fontsize=8)
    _label_variants(ax, rows)
    ax.set_ylim(0, 1.1)  # headroom for the value labels above an accuracy of 1
    ax.set_ylabel("share of pairs with chosen preferred (0-1)")
    ax.set_title(title)
    _save(fig, out_path)


# A numeric setting whose values span this ratio or more (learning rates: 5e-5 .. 5e-4) is drawn
# on a log axis, where a grid of multiples is evenly spaced.
LOG_AXIS_RATIO = 10


def plot_sweep(
    lines: list[dict], setting: str, metric_label: str, sweep: str, out_path: str | os.PathLike
) -> None:
    """A metric against one swept setting: one line per combination of the other swept
    settings (alignbench.evaluation.sweep_results.sweep_lines), each point with its 95% interval.

    Numeric values are placed by value (on a log axis when they span a factor of 10 or more);
    other values (words, true/false) side by side in grid order.
    """
    title = f"{metric_label} against {setting} ({sweep} sweep)\n(mean over prompts, 95% interval)"
    xs = [point["x"] for line in lines for point in line["points"]]
    if not xs:
        _empty_figure(f"no point of the sweep sets {setting}", title, out_path)
        return
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
    categories = list(dict.fromkeys(map(str, xs)))  # grid order, each value once
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for line in lines:
        points = line["points"]
        positions = [p["x"] if numeric else categories.index(str(p["x"])) for p in points]
        ax.errorbar(
            positions,
            [p["mean"] for p in points],
            yerr=_error_extents(points),
            fmt="o-",
            capsize=4,
            label=line["label"] or None,
        )
    if numeric and min(xs) > 0 and max(xs) / min(xs) >= LOG_AXIS_RATIO:
        ax.set_xscale("log")
    if numeric:
        ax.set_xticks(sorted(set(xs)), labels=[f"{x:g}" for x in sorted(set(xs))])
        ax.minorticks_off()
    else:
        ax.set_xticks(range(len(categories)), labels=categories)
        ax.set_xlim(-0.6, len(categories) - 0.4)
    ax.set_xlabel(setting)
    ax.set_ylabel(metric_label)
    ax.set_title(title)
    if any(line["label"] for line in lines):
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2)
    _save(fig, out_path)

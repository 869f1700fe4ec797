"""Tests for alignbench.evaluation.plots: every figure is written as a real PNG."""

from __future__ import annotations

from alignbench.evaluation import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANTS = ("base", "sft", "orpo")


def assert_png(path) -> None:
    data = path.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_SIGNATURE)


def sample_scores() -> list[dict]:
    return [
        {"variant": v, "n": 50, "rouge1": 0.30 + i / 100, "rouge2": 0.10, "rougeL": 0.20}
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


def test_plot_rouge_writes_png(tmp_path):
    out = tmp_path / "figures" / "rouge.png"
    plots.plot_rouge(sample_scores(), out)
    assert_png(out)


def test_plot_training_curves_three_variants(tmp_path):
    out = tmp_path / "curves.png"
    histories = {
        "sft": {"method": "sft", "log_history": sft_history()},
        "orpo": {"method": "orpo", "log_history": orpo_history()},
        "dpo": {"method": "dpo", "log_history": sft_history()},
    }
    plots.plot_training_curves(histories, out)
    assert_png(out)


def test_plot_training_curves_without_trained_variants(tmp_path):
    out = tmp_path / "curves.png"
    plots.plot_training_curves({}, out)
    assert_png(out)


def test_plot_training_curves_orpo_with_missing_keys(tmp_path):
    out = tmp_path / "curves.png"
    history = orpo_history(with_all_keys=False)
    del history[0]["nll_loss"]
    plots.plot_training_curves({"orpo": {"method": "orpo", "log_history": history}}, out)
    assert_png(out)


def test_plot_answer_lengths(tmp_path):
    out = tmp_path / "lengths.png"
    lengths = {v: [5 + (i * 7 + k) % 60 for k in range(40)] for i, v in enumerate(VARIANTS)}
    plots.plot_answer_lengths(lengths, out, max_new_tokens=64)
    assert_png(out)


def interval_rows(seeds_per_variant: int) -> list[dict]:
    return [
        {
            "variant": v,
            "mean": 0.3 + i / 20,
            "low": 0.25 + i / 20,
            "high": 0.35 + i / 20,
            "seeds": [0.28 + i / 20 + k / 100 for k in range(seeds_per_variant)],
        }
        for i, v in enumerate(VARIANTS)
    ]


def test_plot_metric_intervals_with_seeds(tmp_path):
    out = tmp_path / "intervals.png"
    plots.plot_metric_intervals(interval_rows(3), "ROUGE-L F-measure (0-1)", out)
    assert_png(out)


def test_plot_metric_intervals_one_variant_without_seeds(tmp_path):
    out = tmp_path / "intervals.png"
    plots.plot_metric_intervals(interval_rows(0)[:1], "ROUGE-L F-measure (0-1)", out)
    assert_png(out)


def test_plot_metric_intervals_without_an_interval(tmp_path):
    out = tmp_path / "intervals.png"
    row = {"variant": "base", "mean": 0.3, "low": None, "high": None, "seeds": []}
    plots.plot_metric_intervals([row], "ROUGE-L F-measure (0-1)", out)
    assert_png(out)


def test_plot_paired_differences(tmp_path):
    out = tmp_path / "differences.png"
    rows = [
        {"label": "sft − base (ROUGE-L)", "mean": 0.05, "low": 0.01, "high": 0.09, "p_value": 0.02},
        {
            "label": "orpo − base (ROUGE-L)",
            "mean": -0.01,
            "low": -0.04,
            "high": 0.02,
            "p_value": 0.6,
        },
        {"label": "orpo − sft (accuracy)", "mean": 0.2, "low": 0.1, "high": 0.3, "p_value": 1e-4},
    ]
    plots.plot_paired_differences(rows, out)
    assert_png(out)


def test_plot_paired_differences_single_row(tmp_path):
    out = tmp_path / "differences.png"
    row = {"label": "sft − base (ROUGE-L)", "mean": 0.0, "low": 0.0, "high": 0.0, "p_value": 1.0}
    plots.plot_paired_differences([row], out)
    assert_png(out)


def test_plot_preference_accuracy(tmp_path):
    out = tmp_path / "preference.png"
    rows = [{k: r[k] for k in ("variant", "mean", "low", "high")} for r in interval_rows(0)]
    plots.plot_preference_accuracy(rows, out)
    assert_png(out)


def test_plot_preference_accuracy_one_variant(tmp_path):
    out = tmp_path / "preference.png"
    plots.plot_preference_accuracy([{"variant": "orpo", "mean": 0.8, "low": 0.7, "high": 0.9}], out)
    assert_png(out)


def test_uncertainty_plots_without_rows(tmp_path):
    plots.plot_metric_intervals([], "ROUGE-L F-measure (0-1)", tmp_path / "a.png")
    plots.plot_paired_differences([], tmp_path / "b.png")
    plots.plot_preference_accuracy([], tmp_path / "c.png")
    for name in ("a.png", "b.png", "c.png"):
        assert_png(tmp_path / name)

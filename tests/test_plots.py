"""Tests for alignbench.evaluation.plots: every figure is written as a real PNG."""

from __future__ import annotations

from alignbench.evaluation import plots
from alignbench.evaluation.rouge import ROUGE_TYPES, scores_table

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


def test_read_scores_tsv_reads_what_collect_scores_writes(tmp_path):
    rows = sample_scores()
    summaries = [
        {"variant": r["variant"], "n": r["n"], "mean": {m: r[m] for m in ROUGE_TYPES}} for r in rows
    ]
    path = tmp_path / "scores.tsv"
    path.write_text(scores_table(summaries))
    assert plots.read_scores_tsv(path) == rows

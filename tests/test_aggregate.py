import pytest

from alignbench.evaluation.aggregate import compare_variants, pool_runs, summarize_metric


def test_pooling_averages_each_prompt_over_seeds():
    runs = {"seed1": {"a": 0.2, "b": 0.4}, "seed2": {"a": 0.4, "b": 0.8}}
    assert pool_runs(runs) == pytest.approx({"a": 0.3, "b": 0.6})
    summary = summarize_metric(runs)
    assert summary["per_run"] == pytest.approx({"seed1": 0.3, "seed2": 0.6})
    assert summary["across_seeds"]["mean"] == pytest.approx(0.45)
    assert summary["across_seeds"]["n_seeds"] == 2
    assert summary["pooled"]["mean"] == pytest.approx(0.45)
    low, high = summary["pooled"]["interval"]
    assert low <= 0.45 <= high


def test_runs_on_different_prompts_are_refused():
    with pytest.raises(ValueError, match="seed2"):
        pool_runs({"seed1": {"a": 1.0}, "seed2": {"b": 1.0}})


def summary_with(values):
    return {"metrics": {"rouge1": summarize_metric({"seed1": values})}}


def test_comparisons_pair_later_variants_with_earlier_ones():
    base = {str(i): 0.1 * (i % 3) for i in range(20)}
    better = {i: v + 0.2 for i, v in base.items()}
    rows = compare_variants(
        {"base": summary_with(base), "sft": summary_with(better), "same": summary_with(base)},
        metrics=("rouge1",),
    )
    assert [(r["variant"], r["reference"]) for r in rows] == [
        ("sft", "base"),
        ("same", "base"),
        ("same", "sft"),
    ]
    sft_vs_base, same_vs_base, same_vs_sft = rows
    assert sft_vs_base["mean"] == pytest.approx(0.2) and sft_vs_base["distinguishable"]
    assert same_vs_base["mean"] == 0 and same_vs_base["p_value"] == 1.0
    assert not same_vs_base["distinguishable"]
    assert same_vs_sft["mean"] == pytest.approx(-0.2) and same_vs_sft["p_value"] < 0.01


def test_a_difference_that_flips_sign_between_seeds_is_not_distinguishable():
    base = {str(i): 0.5 for i in range(30)}
    # seed1 is far better than the base, seed2 slightly worse: the pooled mean is positive and
    # its prompt-resampled interval excludes zero, yet the seeds disagree.
    lucky = {"seed1": {i: 0.9 for i in base}, "seed2": {i: 0.45 for i in base}}
    summaries = {
        "base": {"metrics": {"rouge1": summarize_metric({"untrained": base})}},
        "arm": {"metrics": {"rouge1": summarize_metric(lucky)}},
    }
    (row,) = compare_variants(summaries, metrics=("rouge1",))
    assert row["interval"][0] > 0
    assert row["per_seed"] == pytest.approx({"seed1": 0.4, "seed2": -0.05})
    assert not row["seed_consistent"] and not row["distinguishable"]
    steady = {"seed1": {i: 0.9 for i in base}, "seed2": {i: 0.6 for i in base}}
    summaries["arm"] = {"metrics": {"rouge1": summarize_metric(steady)}}
    (row,) = compare_variants(summaries, metrics=("rouge1",))
    assert row["seed_consistent"] and row["distinguishable"]

import pytest

from alignbench.evaluation.aggregate import (
    compare_variants,
    comparison_pairs,
    pool_runs,
    summarize_metric,
)


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


def test_holm_turns_a_lone_significant_difference_into_a_level_one_in_a_family():
    # One arm is better than the base on 16 of 20 prompts: exact sign-flip p = 2 x P(at least 16
    # of 20 signs agree) = 0.0118, below 0.05 alone. Among five arms (10 comparisons) the arm has
    # that p-value against each of the 4 identical others, and Holm multiplies the smallest by 10.
    base = {str(i): 0.5 for i in range(20)}
    nudged = {i: 0.5 + (0.1 if int(i) < 16 else -0.1) for i in base}
    summaries = {"base": summary_with(base), "arm": summary_with(nudged)}
    for name in ("b", "c", "d"):
        summaries[name] = summary_with(base)
    (alone,) = compare_variants(
        {"base": summaries["base"], "arm": summaries["arm"]}, metrics=("rouge1",)
    )
    assert alone["family_size"] == 1 and alone["p_adjusted"] == alone["p_value"] < 0.05
    assert alone["interval_excludes_zero"] and alone["distinguishable"]
    rows = compare_variants(summaries, metrics=("rouge1",))
    (row,) = [r for r in rows if (r["variant"], r["reference"]) == ("arm", "base")]
    assert row["family_size"] == 10
    assert row["p_value"] == alone["p_value"] < 0.05 <= row["p_adjusted"]
    assert row["interval_excludes_zero"] and not row["distinguishable"]


def test_families_are_the_table_of_arms_other_metrics_and_each_sweep():
    values = {str(i): 0.1 * (i % 4) for i in range(8)}
    summary = {
        "metrics": {
            metric: summarize_metric({"seed1": values})
            for metric in ("rougeL", "preference_margin", "rouge1")
        }
    }
    summaries = {name: summary for name in ("base", "sft", "orpo", "orpo@beta=0.5")}
    pairs = comparison_pairs(
        ["base", "sft", "orpo", "orpo@beta=0.5"], {"orpo": ["orpo", "orpo@beta=0.5"]}
    )
    assert [(p["variant"], p["reference"], p["family"]) for p in pairs] == [
        ("sft", "base", "arms"),
        ("orpo", "base", "arms"),
        ("orpo", "sft", "arms"),
        ("orpo@beta=0.5", "orpo", "sweep orpo"),
    ]
    rows = compare_variants(summaries, pairs, metrics=("rougeL", "preference_margin", "rouge1"))
    sizes = {(r["family"], r["metric"]): r["family_size"] for r in rows}
    assert sizes == {
        ("arms", "rougeL"): 6,  # 3 pairs x the 2 table metrics
        ("arms", "preference_margin"): 6,
        ("arms: rouge1", "rouge1"): 3,
        ("sweep orpo: rougeL", "rougeL"): 1,
        ("sweep orpo: preference_margin", "preference_margin"): 1,
        ("sweep orpo: rouge1", "rouge1"): 1,
    }


def test_three_seeds_widen_the_interval_by_their_spread():
    base = {str(i): 0.5 + 0.01 * (i % 5) for i in range(30)}
    runs = {
        f"seed{s}": {i: v + shift for i, v in base.items()}
        for s, shift in enumerate((0.05, 0.1, 0.3))
    }
    summaries = {
        "base": {"metrics": {"rouge1": summarize_metric({"untrained": base})}},
        "arm": {"metrics": {"rouge1": summarize_metric(runs)}},
    }
    assert summaries["arm"]["metrics"]["rouge1"]["pooled"]["two_level"]
    (row,) = compare_variants(summaries, metrics=("rouge1",))
    assert row["two_level"] and row["mean"] == pytest.approx(0.15)
    # Every prompt's difference is the seed's shift: over prompts alone the interval is a point;
    # resampling seeds spreads it over the seeds' shifts.
    low, high = row["interval"]
    assert low == pytest.approx(0.05) and high == pytest.approx(0.3)

import pytest

from alignbench.evaluation.rouge import mean_scores, rouge_summary


def record(i, reference, generation):
    return {"id": str(i), "reference": reference, "generation": generation}


def test_identical_text_scores_one_and_disjoint_text_zero():
    summary = rouge_summary(
        "v", [record(0, "the cat sat", "the cat sat"), record(1, "red boat", "blue sky")]
    )
    assert summary["n"] == 2
    assert summary["per_example"][0]["rouge1"] == 1.0
    assert summary["per_example"][1]["rouge1"] == 0.0
    assert summary["mean"]["rouge1"] == pytest.approx(0.5)


def test_mean_is_over_exactly_the_examples_scored():
    # The original divided a sum over 1,001 examples by 2,000.
    examples = [{"rouge1": 0.3, "rouge2": 0.1, "rougeL": 0.2}] * 1001
    assert mean_scores(examples)["rouge1"] == pytest.approx(0.3)


def test_hand_computed_partial_overlap_and_stemming():
    # reference 4 tokens, prediction 2 tokens, 2 shared: P=1, R=0.5, F=2/3
    summary = rouge_summary("v", [record(0, "the cats are here", "cats here")])
    assert summary["mean"]["rouge1"] == pytest.approx(2 / 3)
    stemmed = rouge_summary("v", [record(0, "running dogs", "run dog")], use_stemmer=True)
    plain = rouge_summary("v", [record(0, "running dogs", "run dog")], use_stemmer=False)
    assert stemmed["mean"]["rouge1"] == 1.0 and plain["mean"]["rouge1"] == 0.0


def test_empty_generations_are_an_error():
    with pytest.raises(ValueError, match="empty"):
        mean_scores([])

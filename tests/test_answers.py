"""Known-answer tests for alignbench.evaluation.answers."""

from __future__ import annotations

import json

import pytest

from alignbench.evaluation import answers

MAX_NEW_TOKENS = 8


def record(generation: str, new_tokens: int = 4, stopped_on_eos: bool = True, **extra) -> dict:
    return {
        "id": extra.pop("id", generation),
        "messages": [{"role": "user", "content": "question"}],
        "reference": "reference",
        "generation": generation,
        "new_tokens": new_tokens,
        "stopped_on_eos": stopped_on_eos,
        "task": extra.pop("task", None),
        "answer": extra.pop("answer", None),
    }


def test_repetition_of_a_looping_answer():
    # "a b c a b c": 3-grams abc, bca, cab, abc -> 4 in all, 3 unique: 1 - 3/4 = 0.25
    assert answers.repetition(["a", "b", "c", "a", "b", "c"]) == pytest.approx(0.25)
    assert answers.repetition(["a", "b", "c", "d"]) == 0.0
    assert answers.repetition(["a", "a"]) == 0.0  # fewer than three words: nothing to repeat


def test_distinct_n_pools_all_answers():
    texts = [["the", "cat"], ["the", "dog"]]
    # unigrams the, cat, the, dog: 3 unique of 4; bigrams (the cat), (the dog): 2 of 2
    assert answers.distinct_n(texts, 1) == pytest.approx(0.75)
    assert answers.distinct_n(texts, 2) == 1.0
    assert answers.distinct_n([["one"]], 2) is None


def test_answer_statistics_of_a_small_variant():
    records = [
        record("The cat sat", new_tokens=4, stopped_on_eos=True),
        record("the CAT the cat the cat", new_tokens=8, stopped_on_eos=False),
        record("Dog", new_tokens=2, stopped_on_eos=True),
    ]
    result = answers.answer_statistics(records, MAX_NEW_TOKENS)
    assert result["n"] == 3
    assert result["tokens"]["mean"] == pytest.approx(14 / 3)
    assert result["tokens"]["median"] == 4.0
    assert result["words"]["mean"] == pytest.approx((3 + 6 + 1) / 3)
    assert result["stopped_on_eos"]["mean"] == pytest.approx(2 / 3)
    # only the second answer ran to the limit without EOS
    assert result["hit_token_limit"]["mean"] == pytest.approx(1 / 3)
    # lower-cased words: the cat sat | the cat the cat the cat | dog -> 10 words, 4 unique
    assert result["distinct_1"] == pytest.approx(4 / 10)
    # bigrams: 2 + 5 + 0 = 7 in all; unique: (the cat), (cat sat), (cat the) = 3
    assert result["distinct_2"] == pytest.approx(3 / 7)
    # second answer: 4 3-grams, 2 unique (the cat the, cat the cat) -> 0.5; others 0
    assert result["repetition"]["mean"] == pytest.approx(0.5 / 3)
    assert result["repetition"]["interval"] is not None
    assert [e["id"] for e in result["per_example"]] == [r["id"] for r in records]
    assert result["per_example"][1] == {
        "id": records[1]["id"],
        "tokens": 8,
        "words": 6,
        "stopped_on_eos": False,
        "hit_token_limit": True,
        "repetition": 0.5,
    }
    json.dumps(result)  # plain types only


def test_an_answer_that_ends_early_without_eos_did_not_hit_the_limit():
    result = answers.answer_statistics([record("short", 3, stopped_on_eos=False)], MAX_NEW_TOKENS)
    assert result["hit_token_limit"]["mean"] == 0.0
    assert result["tokens"]["interval"] is None  # one answer has no spread


def test_answer_statistics_of_no_answers():
    result = answers.answer_statistics([], MAX_NEW_TOKENS)
    assert result["n"] == 0
    assert result["tokens"] == {"n": 0, "mean": None, "interval": None, "median": None}
    assert result["distinct_1"] is None
    assert result["per_example"] == []


def test_task_accuracy_checks_only_what_can_be_checked():
    records = [
        record("37 + 48 = 85.", task="arithmetic", answer="85", id="right"),
        record("12 * 3 = 36.", task="arithmetic", answer="36", id="also right"),
        record("The capital of Peru is Quito.", task="fact_lookup", answer="Lima", id="wrong"),
        record("A free-form answer.", id="no task"),
        record("85", task="arithmetic", id="no answer"),
        record("85", task="telepathy", answer="85", id="unknown task"),
    ]
    result = answers.task_accuracy(records)
    assert (result["n_checked"], result["skipped"]) == (3, 3)
    assert result["overall"]["mean"] == pytest.approx(2 / 3)
    assert result["by_task"] == {
        "arithmetic": {"n": 2, "accuracy": 1.0},
        "fact_lookup": {"n": 1, "accuracy": 0.0},
    }
    assert result["per_example"] == [
        {"id": "right", "task": "arithmetic", "correct": True},
        {"id": "also right", "task": "arithmetic", "correct": True},
        {"id": "wrong", "task": "fact_lookup", "correct": False},
    ]
    json.dumps(result)


def test_task_accuracy_without_checkable_records():
    result = answers.task_accuracy([record("free text"), record("more free text")])
    assert result == {
        "n_checked": 0,
        "skipped": 2,
        "overall": None,
        "by_task": {},
        "per_example": [],
    }

"""Tests for the synthetic preference-row generator (alignbench.data.demo)."""

from __future__ import annotations

import pytest

from alignbench.data.demo import generate_demo_rows
from alignbench.evaluation.grading import TASK_FAMILIES, check_answer

ROLES = {"system", "user", "assistant"}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return generate_demo_rows(500, seed=7)


def _last_content(conversation: list[dict]) -> str:
    return conversation[-1]["content"]


def test_same_seed_gives_identical_rows_and_other_seed_differs():
    assert generate_demo_rows(50, 3) == generate_demo_rows(50, 3)
    first = [row["prompt"] for row in generate_demo_rows(50, 3)]
    second = [row["prompt"] for row in generate_demo_rows(50, 4)]
    assert sum(a != b for a, b in zip(first, second, strict=True)) > 40


def test_every_family_appears_in_sixty_rows():
    assert {row["task"] for row in generate_demo_rows(60, 11)} == set(TASK_FAMILIES)
    assert len(TASK_FAMILIES) >= 6


def test_rows_follow_the_preference_schema(rows):
    for row in rows:
        assert set(row) == {"source", "prompt", "question", "chosen", "rejected", "task", "answer"}
        assert row["task"] in TASK_FAMILIES
        assert row["source"] == f"demo/{row['task']}"
        assert row["prompt"] == row["question"]
        assert row["answer"].strip() == row["answer"] and row["answer"]
        chosen, rejected = row["chosen"], row["rejected"]
        for conversation in (chosen, rejected):
            assert all(set(m) == {"role", "content"} for m in conversation)
            assert all(m["role"] in ROLES and m["content"] for m in conversation)
            turns = conversation[1:] if conversation[0]["role"] == "system" else conversation
            expected_roles = ["user", "assistant"] * (len(turns) // 2)
            assert [m["role"] for m in turns] == expected_roles, conversation
            assert len(turns) >= 2
        assert chosen[:-1] == rejected[:-1]
        assert chosen[-2]["content"] == row["prompt"]
        assert _last_content(chosen) != _last_content(rejected)


def test_some_rows_have_a_system_message_and_some_are_multi_turn(rows):
    with_system = sum(row["chosen"][0]["role"] == "system" for row in rows)
    multi_turn = sum(sum(m["role"] == "user" for m in row["chosen"]) > 1 for row in rows)
    assert 0.1 * len(rows) < with_system < 0.3 * len(rows)
    assert 0.1 * len(rows) < multi_turn < 0.3 * len(rows)


def test_chosen_answers_are_correct_and_short(rows):
    for row in rows:
        answer = _last_content(row["chosen"])
        assert check_answer(row["task"], row["answer"], answer), row
        assert len(answer.split()) <= 15
    # earlier assistant turns of multi-turn rows use the same short styles
    earlier = [m for r in rows for m in r["chosen"][:-1] if m["role"] == "assistant"]
    assert earlier and all(len(m["content"].split()) <= 15 for m in earlier)


def test_many_rejected_answers_fail_the_check(rows):
    failing = [
        row
        for row in rows
        if not check_answer(row["task"], row["answer"], _last_content(row["rejected"]))
    ]
    assert len(failing) >= 0.3 * len(rows)
    # every format row fails: wrong word, ignored format, or chatter around the answer
    assert all(row in failing for row in rows if row["task"] == "format")


def test_prompts_rarely_repeat():
    prompts = [row["prompt"] for row in generate_demo_rows(2000, 0)]
    assert len(prompts) - len(set(prompts)) < 0.02 * len(prompts)


@pytest.mark.parametrize("n_rows", [0, -5, 100_001])
def test_invalid_row_counts_raise(n_rows):
    with pytest.raises(ValueError, match="n_rows"):
        generate_demo_rows(n_rows, seed=0)

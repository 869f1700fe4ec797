"""What the generated answers look like, and whether they are right.

ROUGE says how close an answer is to the reference, not why it differs: an answer can score low
because it rambles, repeats itself, was cut off at the token limit, or is simply wrong. These
statistics separate those causes. Both functions take the generation records of ONE variant and
return plain dicts ready for a JSON file, with the per-example values that paired comparisons
between variants need.
"""

from __future__ import annotations

import statistics

from alignbench.evaluation.grading import TASK_FAMILIES, check_answer
from alignbench.evaluation.stats import as_dict, estimate_mean

# Repetition is measured on word 3-grams: short enough to catch a phrase said twice, long enough
# that ordinary function-word pairs ("of the") do not count as repeating.
REPETITION_NGRAM = 3


def _words(text: str) -> list[str]:
    """Lower-cased whitespace tokens: the unit for every word-level statistic here."""
    return text.lower().split()


def _ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def distinct_n(answers: list[list[str]], n: int) -> float | None:
    """Unique n-grams / all n-grams, pooled over answers; None when there are no n-grams.

    Pooling over the variant's answers (rather than averaging per answer) is what makes this a
    diversity measure: a model that gives every prompt the same canned sentence scores low even
    though each single answer repeats nothing.
    """
    pooled = [gram for words in answers for gram in _ngrams(words, n)]
    return len(set(pooled)) / len(pooled) if pooled else None


def repetition(words: list[str]) -> float:
    """Share of the answer's word 3-grams that repeat an earlier one (0 for < 3 words).

    1 - unique/total: "a b c a b c" has 4 3-grams, 3 unique, so 0.25. Degenerate loops drive it
    towards 1.
    """
    grams = _ngrams(words, REPETITION_NGRAM)
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def _example_statistics(record: dict, max_new_tokens: int) -> dict:
    words = _words(record["generation"])
    stopped = bool(record["stopped_on_eos"])
    return {
        "id": record["id"],
        "tokens": int(record["new_tokens"]),
        "words": len(words),
        "stopped_on_eos": stopped,
        # Without EOS an answer can also end early (e.g. a stop string), so only answers that
        # used the whole budget count as cut off.
        "hit_token_limit": not stopped and record["new_tokens"] >= max_new_tokens,
        "repetition": repetition(words),
    }


def _mean_of(per_example: list[dict], key: str) -> dict:
    return as_dict(estimate_mean([float(example[key]) for example in per_example]))


def answer_statistics(records: list[dict], max_new_tokens: int) -> dict:
    """Length, stopping, diversity and repetition of one variant's answers.

    Means come with 95% bootstrap intervals (``{"n", "mean", "interval"}``); shares (stopped on
    EOS, hit the token limit) are means of 0/1 values. ``per_example`` keeps one entry per answer
    so that two variants can be compared prompt by prompt.
    """
    per_example = [_example_statistics(record, max_new_tokens) for record in records]
    answers = [_words(record["generation"]) for record in records]
    tokens = [example["tokens"] for example in per_example]
    return {
        "n": len(records),
        "max_new_tokens": max_new_tokens,
        "tokens": {
            **_mean_of(per_example, "tokens"),
            "median": float(statistics.median(tokens)) if tokens else None,
        },
        "words": _mean_of(per_example, "words"),
        "stopped_on_eos": _mean_of(per_example, "stopped_on_eos"),
        "hit_token_limit": _mean_of(per_example, "hit_token_limit"),
        "distinct_1": distinct_n(answers, 1),
        "distinct_2": distinct_n(answers, 2),
        "repetition": _mean_of(per_example, "repetition"),
        "per_example": per_example,
    }


def _check(record: dict) -> bool | None:
    """Whether the answer is right; None when the record cannot be checked.

    Rows from a real data set carry no task or answer, and an unknown task name has no checker:
    both are skipped rather than guessed, so accuracy is only ever over checkable answers.
    """
    task, expected = record.get("task"), record.get("answer")
    if not task or not expected:
        return None
    try:
        return check_answer(task, expected, record["generation"])
    except ValueError:
        return None


def task_accuracy(records: list[dict]) -> dict:
    """Share of checkable answers that are correct, overall (with interval) and per task family.

    ``skipped`` counts the records that could not be checked, so a reader sees how much of the
    variant the accuracy speaks for; ``overall`` is None when nothing was checkable.
    """
    per_example = []
    for record in records:
        correct = _check(record)
        if correct is not None:
            per_example.append({"id": record["id"], "task": record["task"], "correct": correct})
    by_task = {}
    for task in TASK_FAMILIES:  # a fixed order keeps reports comparable between runs
        outcomes = [example["correct"] for example in per_example if example["task"] == task]
        if outcomes:
            by_task[task] = {"n": len(outcomes), "accuracy": sum(outcomes) / len(outcomes)}
    return {
        "n_checked": len(per_example),
        "skipped": len(records) - len(per_example),
        "overall": _mean_of(per_example, "correct") if per_example else None,
        "by_task": by_task,
        "per_example": per_example,
    }

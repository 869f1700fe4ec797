"""Generation throughput: the workflow's batched generation against one prompt at a time.

Both go through alignbench.evaluation.generate.generate_answers, the batched one at the
configured batch size and the other at batch size 1: the same code, prompts and decoding
settings, so any difference in speed is the batching's, and the greedy outputs must agree.
"""

from __future__ import annotations

import time


def timed_generation(model, tokenizer, rows: list[dict], decoding: dict) -> dict:
    """Generate answers to ``rows``; return the records, the time and new tokens/s."""
    from alignbench.evaluation.generate import generate_answers

    start = time.perf_counter()
    records = generate_answers(model, tokenizer, rows, decoding)
    seconds = time.perf_counter() - start
    new_tokens = sum(r["new_tokens"] for r in records)
    return {
        "prompts": len(rows),
        "batch_size": decoding["batch_size"],
        "seconds": seconds,
        "new_tokens": new_tokens,
        "new_tokens_per_second": new_tokens / seconds,
        "records": records,
    }


def mismatched_ids(first: list[dict], second: list[dict]) -> list[str]:
    """Ids of the prompts whose two generations differ in text or token count."""
    if [r["id"] for r in first] != [r["id"] for r in second]:
        raise ValueError("The two generation runs answered different prompts.")
    return [
        a["id"]
        for a, b in zip(first, second, strict=True)
        if (a["generation"], a["new_tokens"]) != (b["generation"], b["new_tokens"])
    ]


def assert_identical(first: list[dict], second: list[dict]) -> None:
    different = mismatched_ids(first, second)
    if different:
        raise AssertionError(
            f"{len(different)} of {len(first)} greedy generations differ between batched and "
            f"one-at-a-time generation: {different[:5]}"
        )


def batched_vs_single(model, tokenizer, rows: list[dict], decoding: dict) -> dict:
    """Both ways on the same prompts; the outputs are compared. The batched run's records are
    kept (``records``) for a comparison with another precision; the single run's dropped."""
    if decoding.get("do_sample"):
        raise ValueError("The comparison needs greedy decoding (generation.do_sample: false).")
    batched = timed_generation(model, tokenizer, rows, decoding)
    single = timed_generation(model, tokenizer, rows, {**decoding, "batch_size": 1})
    different = mismatched_ids(batched["records"], single["records"])
    return {
        "batched": without_records(batched),
        "single": without_records(single),
        "speedup": batched["new_tokens_per_second"] / single["new_tokens_per_second"],
        "identical": not different,
        "mismatched_ids": different,
        "records": batched["records"],
    }


def without_records(run: dict) -> dict:
    return {key: value for key, value in run.items() if key != "records"}


def warm_up(model, tokenizer, rows: list[dict], decoding: dict) -> None:
    """One short generation, so that no measured run pays for first-call set-up."""
    from alignbench.evaluation.generate import generate_answers

    generate_answers(model, tokenizer, rows[:1], {**decoding, "max_new_tokens": 2})

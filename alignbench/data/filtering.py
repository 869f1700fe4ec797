"""Length caps and de-duplication, applied after the split and before any training.

Real rows run to thousands of tokens (prompt tokens of real preference rows, measured with the
embedded model's tokenizer: median 188, p90 1,176, max 4,102), and
TRL's ORPO never truncates prompts, so over-long rows are removed by a configured cap and
counted. A small generator also repeats prompts: a validation prompt seen in training measures
recall, so such prompts are removed from validation (and repeated ones within it).
"""

from __future__ import annotations

import json
from collections import Counter

from alignbench.data.chat import render_conversation, render_prompt
from alignbench.data.conversation import prompt_messages


def prompt_key(row: dict) -> str:
    """A canonical string for the prompt conversation, used to find repeated prompts."""
    return json.dumps(prompt_messages(row), sort_keys=True, ensure_ascii=False)


def token_lengths(row: dict, tokenizer) -> tuple[int, int]:
    """(prompt tokens, prompt + longest answer tokens) under the model's chat template."""
    prompt = render_prompt(tokenizer, prompt_messages(row))
    longest = max(len(render_conversation(tokenizer, row[side])) for side in ("chosen", "rejected"))
    return len(prompt), longest


def cap_lengths(
    rows: list[dict], tokenizer, max_prompt_tokens: int, max_total_tokens: int
) -> tuple[list[dict], Counter]:
    """Drop rows whose prompt or prompt+answer exceeds the caps; count them by reason."""
    kept, removed = [], Counter()
    for row in rows:
        prompt_len, total_len = token_lengths(row, tokenizer)
        if prompt_len > max_prompt_tokens:
            removed["prompt_too_long"] += 1
        elif total_len > max_total_tokens:
            removed["total_too_long"] += 1
        else:
            kept.append(row)
    return kept, removed


def deduplicate_validation(train: list[dict], validation: list[dict]) -> tuple[list[dict], Counter]:
    """Remove validation rows whose prompt occurs in training or earlier in validation."""
    train_keys = {prompt_key(row) for row in train}
    seen_in_validation: set[str] = set()
    kept, removed = [], Counter()
    for row in validation:
        key = prompt_key(row)
        if key in train_keys:
            removed["prompt_in_train"] += 1
        elif key in seen_in_validation:
            removed["repeated_in_validation"] += 1
        else:
            seen_in_validation.add(key)
            kept.append(row)
    return kept, removed


def filter_splits(
    train: list[dict],
    validation: list[dict],
    tokenizer,
    max_prompt_tokens: int,
    max_total_tokens: int,
) -> tuple[list[dict], list[dict], dict]:
    """Apply the length caps to both splits, then de-duplicate validation prompts."""
    train, train_removed = cap_lengths(train, tokenizer, max_prompt_tokens, max_total_tokens)
    validation, validation_removed = cap_lengths(
        validation, tokenizer, max_prompt_tokens, max_total_tokens
    )
    validation, duplicates = deduplicate_validation(train, validation)
    report = {
        "length_filter": {
            "max_prompt_tokens": max_prompt_tokens,
            "max_total_tokens": max_total_tokens,
            "removed": {"train": dict(train_removed), "validation": dict(validation_removed)},
        },
        "validation_duplicates_removed": dict(duplicates),
        "final": {"train": len(train), "validation": len(validation)},
    }
    if not train or not validation:
        raise ValueError(
            f"After filtering, {len(train)} training and {len(validation)} validation rows are "
            "left. Raise data.max_prompt_tokens / data.max_total_tokens or use more rows."
        )
    return train, validation, report

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
from alignbench.data.split import NothingLeftError


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
    """Apply the length caps to both splits, then de-duplicate validation prompts.

    When a split is left empty, NothingLeftError carries the report and says which step
    removed the rows, and so which config key to change.
    """
    given = {"train": train, "validation": validation}
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
    empty = [name for name, n in report["final"].items() if not n]
    if empty:
        removed = {"train": train_removed, "validation": validation_removed + duplicates}
        message = f"After filtering, {len(train)} training and {len(validation)} validation rows"
        message += " are left. " + _why_empty(
            {name: given[name] for name in empty},
            removed,
            tokenizer,
            max_prompt_tokens,
            max_total_tokens,
        )
        raise NothingLeftError(message, report)
    return train, validation, report


def _why_empty(
    given: dict[str, list[dict]],
    removed: dict[str, Counter],
    tokenizer,
    max_prompt_tokens: int,
    max_total_tokens: int,
) -> str:
    """How the splits in ``given`` lost all their rows, and which config key to change."""
    names = {"train": "training", "validation": "validation"}
    if not all(given.values()):
        return "A split came in empty: use more rows (data.split)."
    counts = "; ".join(
        f"of {len(rows)} {names[name]} rows, "
        + ", ".join(f"{reason} {count}" for reason, count in removed[name].most_common())
        for name, rows in given.items()
    )
    total = sum((removed[name] for name in given), Counter())
    if total.most_common(1)[0][0] in ("prompt_too_long", "total_too_long"):
        lengths = [token_lengths(row, tokenizer) for rows in given.values() for row in rows]
        return (
            f"Removed {counts}. The length caps are data.max_prompt_tokens = {max_prompt_tokens} "
            f"and data.max_total_tokens = {max_total_tokens}; the shortest prompt has "
            f"{min(p for p, _ in lengths)} tokens and the shortest prompt + answer "
            f"{min(t for _, t in lengths)}: raise the caps, or use shorter rows."
        )
    return (
        f"Removed {counts}. A validation row whose prompt occurs in training or earlier in "
        "validation is removed (it would measure recall): the data repeats its prompts; use "
        "more distinct rows or a larger data.split.validation_fraction."
    )

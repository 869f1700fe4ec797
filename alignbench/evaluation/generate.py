"""Batched, deterministic generation on held-out prompts.

Each prompt is the conversation up to the last user turn, rendered with the tokenizer's chat
template plus the generation prompt (the same template for every variant). Prompts are sorted by
length and batched with left padding (unsorted batches pad to the longest prompt and lose the
gain): `python -m benchmarks` measures it against one prompt at a time on the demo, and checks
that the greedy outputs are identical in fp32 (README, "Performance").
Only the new tokens are decoded, so the prompt is never scored as answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from alignbench.data.chat import render_prompt
from alignbench.data.conversation import prompt_messages, reference_answer

log = logging.getLogger(__name__)


def length_sorted_batches(lengths: list[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of similar length, longest first (fails fast on memory)."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def split_new_tokens(new_tokens: list[int], eos_ids: set[int]) -> tuple[list[int], bool]:
    """The answer tokens before the first EOS, and whether an EOS was produced at all.

    After a sequence stops, ``generate`` fills it with the pad token, which may equal EOS:
    everything from the first EOS on is therefore not part of the answer.
    """
    for position, token in enumerate(new_tokens):
        if token in eos_ids:
            return new_tokens[:position], True
    return new_tokens, False


def eos_token_ids(model, tokenizer) -> set[int]:
    configured = model.generation_config.eos_token_id
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    return {i for i in ids if i is not None}


def generate_answers(
    model, tokenizer, rows: list[dict], decoding: dict, progress=None
) -> list[dict]:
    """Generate one answer per row; return records in the input order."""
    import torch

    tokenizer.padding_side = "left"
    prompts = [render_prompt(tokenizer, prompt_messages(row)) for row in rows]
    eos_ids = eos_token_ids(model, tokenizer)
    sampling = {"do_sample": False}
    if decoding.get("do_sample"):
        sampling = {"do_sample": True, "temperature": decoding["temperature"]}
        sampling["top_p"] = decoding["top_p"]
        torch.manual_seed(decoding["seed"])  # seeded sampling: reruns give the same text
    records: list[dict | None] = [None] * len(rows)
    for batch in length_sorted_batches([len(p) for p in prompts], decoding["batch_size"]):
        encoded = tokenizer.pad({"input_ids": [prompts[i] for i in batch]}, return_tensors="pt")
        encoded = encoded.to(model.device)
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                max_new_tokens=decoding["max_new_tokens"],
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=sorted(eos_ids),
                **sampling,
            )
        prompt_width = encoded["input_ids"].shape[1]
        for row_index, sequence in zip(batch, output.tolist(), strict=True):
            answer, stopped = split_new_tokens(sequence[prompt_width:], eos_ids)
            records[row_index] = make_record(
                rows[row_index],
                tokenizer.decode(answer, skip_special_tokens=True),
                len(answer),
                stopped,
            )
        if progress is not None:
            progress.update(len(batch))
    return records


def make_record(row: dict, generation: str, new_tokens: int, stopped_on_eos: bool) -> dict:
    return {
        "id": row["id"],
        "messages": prompt_messages(row),
        "reference": reference_answer(row),
        "generation": generation.strip(),
        "new_tokens": new_tokens,
        "stopped_on_eos": stopped_on_eos,
        "task": row.get("task"),
        "answer": row.get("answer"),
    }

"""Batched, deterministic generation on held-out prompts.

Each prompt is the conversation up to the last user turn, rendered with the tokenizer's chat
template plus the generation prompt (the same template for every variant). Prompts are sorted by
length and batched with left padding (unsorted batches pad to the longest prompt and lose the
gain): `python -m benchmarks` measures it against one prompt at a time on the demo, and checks
that the greedy outputs are identical in fp32 (README, "Performance").
Only the new tokens are decoded, so the prompt is never scored as answer.

``generate`` computes every row of a batch until its longest answer ends, so a batch whose
answers mostly end after a dozen tokens pays for all of them up to the token limit. Every
:data:`DROP_FINISHED_EVERY` new tokens the rows whose answer has ended are dropped, key/value
cache included, and ``generate`` goes on with the rest: the same tokens for every row (each row's
computation never depended on the others'), fewer computed. Seeded sampling stays reproducible
but draws other numbers than one uninterrupted ``generate`` would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from alignbench.data.chat import render_prompt
from alignbench.data.conversation import prompt_messages, reference_answer

log = logging.getLogger(__name__)

# On the demo (78 prompts, batches of 39, 48 new tokens, fp32, one thread, the AVX2 machine,
# 2026-12-04), the trained variants' answers end after 13-19 tokens on average while each batch
# ran until its longest (48). Two interleaved rounds per variant, every 48 (no dropping) / 8 / 4
# tokens: SFT 60.0, 51.8 / 40.5, 41.9 / 34.4, 35.2 s; DPO 40.4, 56.1 / 29.5, 44.4 / 31.7, 40.3;
# ORPO 45.8, 50.4 / 34.3, 44.5 / 35.1, 41.6; base 44.3, 53.7 / 36.1, 51.0 / 38.2, 39.4; answers
# identical in every run.
DROP_FINISHED_EVERY = 4


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
            new_tokens = generate_dropping_finished(
                model,
                encoded["input_ids"],
                encoded["attention_mask"],
                decoding["max_new_tokens"],
                eos_ids,
                pad_token_id=tokenizer.pad_token_id,
                **sampling,
            )
        for row_index, tokens in zip(batch, new_tokens, strict=True):
            answer, stopped = split_new_tokens(tokens, eos_ids)
            records[row_index] = make_record(
                rows[row_index],
                tokenizer.decode(answer, skip_special_tokens=True),
                len(answer),
                stopped,
            )
        if progress is not None:
            progress.update(len(batch))
    return records


def prunable(cache) -> bool:
    """Whether rows can be dropped from ``cache``: a dynamic cache holding only keys and values.
    (A static cache cannot shrink; a recurrent layer's extra state would not be dropped.)"""
    from transformers.cache_utils import DynamicCache, DynamicLayer, DynamicSlidingWindowLayer

    return isinstance(cache, DynamicCache) and all(
        type(layer) in (DynamicLayer, DynamicSlidingWindowLayer) for layer in cache.layers
    )


def generate_dropping_finished(
    model,
    input_ids,
    attention_mask,
    max_new_tokens: int,
    eos_ids: set[int],
    every: int = DROP_FINISHED_EVERY,
    **generate_kwargs,
) -> list[list[int]]:
    """The new tokens of each row (left-padded ``input_ids``), generated ``every`` tokens at a
    time with the rows whose answer has ended (an EOS among their new tokens) dropped in between.

    A finished row's tokens end as ``generate`` left them (EOS, then padding); a row may have
    fewer new tokens than another. Where the model's cache cannot drop rows (:func:`prunable`),
    the rows going on after the first ``every`` tokens finish in one more call that computes
    their cache anew.
    """
    import torch

    prompt_width = input_ids.shape[1]
    eos = torch.tensor(sorted(eos_ids), device=input_ids.device)
    rows = torch.arange(input_ids.shape[0])  # the original row of each row still generating
    results: list[list[int] | None] = [None] * input_ids.shape[0]
    cache, segment = None, every
    while rows.numel():
        left = max_new_tokens - (input_ids.shape[1] - prompt_width)
        output = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            cache=cache,
            max_new_tokens=min(segment, left),
            eos_token_id=sorted(eos_ids),
            return_dict_in_generate=True,
            **generate_kwargs,
        )
        sequences = output.sequences
        added = sequences.shape[1] - input_ids.shape[1]
        new = sequences[:, prompt_width:]
        finished = torch.isin(new, eos).any(-1).cpu()
        if added >= left:
            finished[:] = True
        for row in torch.nonzero(finished).flatten().tolist():
            results[rows[row]] = new[row].tolist()
        going_on = torch.nonzero(~finished).flatten()
        rows = rows[going_on]
        if not rows.numel():
            break
        going_on = going_on.to(sequences.device)
        if prunable(output.cache):
            cache = output.cache
            cache.batch_select_indices(going_on)
        else:  # the rest in one call, the cache computed anew for the rows going on
            cache, segment = None, max_new_tokens
        # The rows still generating have no padding among their new tokens.
        grown = torch.ones_like(attention_mask[:, :1]).expand(-1, added)
        attention_mask = torch.cat([attention_mask, grown], dim=1)[going_on]
        input_ids = sequences[going_on]
    return results


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

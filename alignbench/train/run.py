"""Train one variant's LoRA adapter from a spec file written by the workflow.

    python -m alignbench.train results/models/orpo/seed42/train_spec.json \
        --base-model results/models/base --train-data results/data/train.jsonl \
        --adapter results/models/orpo/seed42/adapter \
        --history results/models/orpo/seed42/log_history.json

The spec holds every setting (written by Snakemake from the config through ``params:``); the
files read and written are the rule's inputs and outputs, given on the command line
(:class:`TrainPaths`). The same command works under ``accelerate launch`` or ``torchrun`` on
several GPUs.

Training writes into ``<adapter>.partial/`` and moves the finished adapter into place at the end,
so an interrupted job never leaves an adapter that looks complete. Checkpoints inside the partial
folder let a rerun resume, but only when its spec and the contents of its input files are
identical to the interrupted run's.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from alignbench.io import read_json, read_jsonl, write_json
from alignbench.models.hardware import cuda_available, resolve_precision
from alignbench.models.loading import load_base_model, load_tokenizer, merge_adapters
from alignbench.train.frozen_weights import store_frozen_linear_weights_in
from alignbench.train.methods import METHODS
from alignbench.variants import RESERVED_ARGS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainPaths:
    """The files one training run reads and writes: the rule's inputs and outputs, kept out of
    the spec. Paths are handed to the libraries as given (the adapter's config records the base
    model's path as written here)."""

    base_model: str
    train_data: str
    adapter: str
    history: str
    parent_adapters: tuple[str, ...] = ()


def lora_config(lora: dict):
    from peft import LoraConfig

    # Not trl.get_peft_config: it fixes bias to "none", and its ModelConfig turns a one-name
    # target list into a string, which PEFT reads as a regex on the full module name.
    return LoraConfig(
        r=lora["r"],
        lora_alpha=lora["alpha"],
        lora_dropout=lora["dropout"],
        target_modules=lora["target_modules"],
        bias=lora.get("bias", "none"),
        use_rslora=lora.get("use_rslora", False),
        task_type="CAUSAL_LM",
    )


def trainer_args(config_cls, spec: dict, output_dir: Path):
    """Build the TRL config: the variant's args plus the settings the workflow decides."""
    args = dict(spec["args"])
    clash = RESERVED_ARGS & set(args)
    if clash:
        raise ValueError(f"variants.{spec['variant']}.args may not set {sorted(clash)}.")
    precision = resolve_precision(spec["precision"])
    # TRL turns checkpointing on by default; on a small model with memory to spare it only costs
    # time (measured on the demo model, 2 CPU cores).
    # transformers 5 renamed gradient_checkpointing to activation_checkpointing.
    if "gradient_checkpointing" not in args:
        args.setdefault("activation_checkpointing", False)
    args.setdefault("logging_steps", 5)
    args.setdefault("save_strategy", "steps")
    args.setdefault("save_steps", 50)
    args.setdefault("save_total_limit", 1)
    return config_cls(
        output_dir=str(output_dir / "checkpoints"),
        seed=spec["seed"],
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not cuda_available(),
        report_to="none",
        **args,
    )


def load_training_data(path: str, method_name: str):
    from datasets import Dataset

    method = METHODS[method_name]
    return Dataset.from_list([method.to_example(row) for row in read_jsonl(path)])


def weight_precision(spec: dict) -> str:
    # Weights stay fp32 on CPU (autocast does the bf16 work); on a GPU they are loaded in the
    # training precision (or in 4 bit for QLoRA).
    return resolve_precision(spec["precision"]) if cuda_available() else "fp32"


def autocast_weight_dtype(spec: dict):
    """The dtype autocast computes in while the weights stay fp32 (bf16 or fp16 training on a
    CPU), else None: then the frozen linear weights can be stored in it (frozen_weights.py)."""
    import torch

    precision = resolve_precision(spec["precision"])
    if weight_precision(spec) != "fp32" or precision == "fp32":
        return None
    return {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def quantized(spec: dict) -> bool:
    return bool((spec.get("quantization") or {}).get("load_in_4bit"))


def merged_start_dir(partial: Path) -> Path:
    return partial / "start"


def prepare_merged_start(spec: dict, paths: TrainPaths, partial: Path) -> None:
    """For QLoRA on top of a parent variant: merge the parents in full precision and save.

    Merging a LoRA update into 4-bit weights re-quantises them, and a small update mostly rounds
    away; so the parents are folded into the full-precision base first, and that checkpoint is
    what gets quantised for training. Runs on the main process only, once per partial folder.
    """
    start = merged_start_dir(partial)
    if not (quantized(spec) and paths.parent_adapters) or (start / "config.json").exists():
        return
    model = load_base_model(paths.base_model, weight_precision(spec), spec["attn_implementation"])
    merge_adapters(model, paths.parent_adapters).save_pretrained(start)


def load_starting_model(spec: dict, paths: TrainPaths, partial: Path):
    """The model training starts from: base + parent adapters, in 4 bit for QLoRA."""
    quantization = spec.get("quantization") or {}
    precision, attention = weight_precision(spec), spec["attn_implementation"]
    if quantized(spec) and paths.parent_adapters:
        model = load_base_model(merged_start_dir(partial), precision, attention, quantization)
    else:
        model = load_base_model(paths.base_model, precision, attention, quantization)
        model = merge_adapters(model, paths.parent_adapters)
    if quantized(spec):
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=bool(
                spec["args"].get("activation_checkpointing")
                or spec["args"].get("gradient_checkpointing")
            ),
        )
    return model


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_files(paths: TrainPaths) -> dict[str, Path]:
    """The files that decide what training computes besides the spec, by their role. The base
    model counts by its config and origin.json (its weights may be links into a shared cache);
    the parents in merge order."""
    base = Path(paths.base_model)
    files = {
        "train_data": Path(paths.train_data),
        "base_model/config.json": base / "config.json",
        "base_model/origin.json": base / "origin.json",
    }
    for number, parent in enumerate(paths.parent_adapters, start=1):
        files[f"parent_adapter_{number}"] = Path(parent) / "adapter_model.safetensors"
    return files


def run_fingerprint(spec: dict, paths: TrainPaths) -> dict:
    """The spec plus digests of the files training reads: a checkpoint from an interrupted run
    is reused only if neither the settings nor the data, base model or parents changed.

    Inputs are named by role, not by path: where a file lies does not change the training, its
    contents do. The output needs no entry: the checkpoints lie beside it, so a run writing
    elsewhere never sees them."""
    digests = {role: file_digest(f) for role, f in input_files(paths).items() if f.exists()}
    return {"spec": spec, "inputs": digests}


def last_checkpoint(partial: Path) -> Path | None:
    """The newest complete checkpoint of an interrupted run, or None.

    The Trainer writes a checkpoint's files one by one and trainer_state.json last, so a run
    killed while saving leaves a folder without it; such a folder is removed, and the run
    resumes from the checkpoint before it (or starts afresh).
    """
    complete = []
    for folder in (partial / "checkpoints").glob("checkpoint-*"):
        if (folder / "trainer_state.json").is_file():
            complete.append(folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return max(complete, key=lambda f: int(f.name.split("-")[1]), default=None)


def resumable_checkpoint(partial: Path, fingerprint: dict) -> Path | None:
    """The checkpoint to resume from: only one left by an interrupted run with exactly this
    fingerprint. Otherwise the partial folder is cleared for a clean start and None returned."""
    previous = partial / "fingerprint.json"
    same_run = previous.exists() and read_json(previous) == fingerprint
    checkpoint = last_checkpoint(partial) if same_run else None
    if checkpoint is not None:
        return checkpoint
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    write_json(previous, fingerprint)
    return None


def lora_target_matches(module_name: str, target: str) -> bool:
    """PEFT's rule for a target name in a list: the module's name, or its last dotted parts."""
    return module_name == target or module_name.endswith("." + target)


def check_lora_targets(model, targets: list[str]) -> None:
    """Every configured LoRA target must have matched a module. PEFT refuses a list where none
    matches, but trains the rest silently when only some do (a typo in one name)."""
    if targets == ["all-linear"]:
        return
    adapted = getattr(model, "targeted_module_names", None)
    if adapted is None:  # not a PEFT model: nothing was adapted at all
        adapted = []
    missing = [t for t in targets if not any(lora_target_matches(n, t) for n in adapted)]
    if missing:
        raise ValueError(
            f"lora.target_modules: {missing} matched no module of the model; LoRA would train "
            "only the others. Fix the names (check_setup lists the model's module names)."
        )


def resumed_state(checkpoint: Path) -> tuple[int, list[dict]]:
    """The step and log history of the checkpoint a resumed run starts from."""
    state = read_json(checkpoint / "trainer_state.json")
    return state["global_step"], state["log_history"]


def continue_history(history: list[dict], step: int, before: list[dict]) -> list[dict]:
    """The log of a resumed run, made to read as one run where the trainer allows it.

    The Trainer restores its log history from the checkpoint, but TRL counts ``num_tokens``
    from 0 again after a resume: the count at the checkpoint is added back (exact when the
    checkpoint step was logged, as with the default save_steps, a multiple of logging_steps).
    The final ``train_loss`` averages only the steps run after the resume (transformers keeps
    no running total in the checkpoint); the summary entry says so with ``resumed_from_step``.
    """
    counted = [e["num_tokens"] for e in before if "num_tokens" in e and e["step"] <= step]
    offset = counted[-1] if counted else 0
    continued = []
    for entry in history:
        entry = dict(entry)
        if entry["step"] > step and "num_tokens" in entry:
            entry["num_tokens"] += offset
        if "train_loss" in entry:
            entry["resumed_from_step"] = step
        continued.append(entry)
    return continued


def sort_target_modules(adapter_config: Path) -> None:
    """PEFT keeps the LoRA targets as a set and saves them in its iteration order, which Python
    randomises per process for strings: two identical runs would write different files. Sorted,
    the file is the same on every run."""
    config = read_json(adapter_config)
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
        write_json(adapter_config, config)


def shared_prompt_summary(trainer) -> str:
    """How the trainer runs a preference pair's two conversations, for the job's log."""
    from alignbench.models.hardware import takes_custom_attention_masks
    from alignbench.models.pair_packing import decoder_of

    if not trainer.shares_prompts:
        return "the two conversations apart (training.shared_prompt: false)"
    config = decoder_of(trainer.model).config
    if not takes_custom_attention_masks(config):
        return (
            f"the two conversations apart: {config._attn_implementation} attention (or a "
            "sliding window) takes no custom mask"
        )
    return "in one sequence each, the shared prompt computed once"


def train(spec: dict, paths: TrainPaths) -> Path:
    """Train the adapter described by ``spec`` from and into ``paths``; return the finished
    adapter folder."""
    from accelerate import PartialState

    method = METHODS[spec["method"]]
    trainer_cls, config_cls = method.trainer_and_config()
    if hasattr(trainer_cls, "shares_prompts"):
        # A fresh class per call; set before construction, which may precompute DPO's
        # reference log-probabilities.
        trainer_cls.shares_prompts = spec.get("shared_prompt", True)
    adapter_dir = Path(paths.adapter)
    partial = adapter_dir.with_name(adapter_dir.name + ".partial")
    # Under accelerate/torchrun every rank runs this: only the main one clears or keeps the
    # partial folder; the others then resume exactly when it kept a checkpoint.
    state = PartialState(cpu=not cuda_available())
    with state.main_process_first():
        if state.is_main_process:
            checkpoint = resumable_checkpoint(partial, run_fingerprint(spec, paths))
            prepare_merged_start(spec, paths, partial)
        else:
            checkpoint = last_checkpoint(partial)
    log.info("Rank %d of %d processes", state.process_index, state.num_processes)
    if checkpoint is not None:
        log.info("Resuming from %s", checkpoint)

    tokenizer = load_tokenizer(paths.base_model)
    trainer = trainer_cls(
        model=load_starting_model(spec, paths, partial),
        args=trainer_args(config_cls, spec, partial),
        train_dataset=load_training_data(paths.train_data, spec["method"]),
        processing_class=tokenizer,
        peft_config=lora_config(spec["lora"]),
    )
    check_lora_targets(trainer.model, spec["lora"]["target_modules"])
    if hasattr(trainer, "shares_prompts"):
        log.info("Preference pairs: %s", shared_prompt_summary(trainer))
    autocast_dtype = autocast_weight_dtype(spec)
    if autocast_dtype is not None:
        store_frozen_linear_weights_in(trainer.model, autocast_dtype)
    # Read before training: the Trainer deletes old checkpoints as it saves new ones.
    resumed_from = resumed_state(checkpoint) if checkpoint is not None else None
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    if trainer.state.global_step == 0:
        raise RuntimeError(
            f"{spec['variant']}: training ran 0 optimiser steps, so the adapter would be "
            f"untrained. Check variants.{spec['variant']}.args (num_train_epochs, max_steps, "
            "per_device_train_batch_size) against the number of training rows."
        )

    if trainer.is_world_process_zero():
        history = trainer.state.log_history
        if resumed_from is not None:
            history = continue_history(history, *resumed_from)
        final = partial / "adapter"
        trainer.save_model(str(final))
        sort_target_modules(final / "adapter_config.json")
        tokenizer.save_pretrained(str(final))
        write_json(final / "log_history.json", history)
        write_json(paths.history, history)
        shutil.rmtree(adapter_dir, ignore_errors=True)
        os.replace(final, adapter_dir)
        shutil.rmtree(partial, ignore_errors=True)
    return adapter_dir

"""Small hand-made inputs for unit tests: preference rows, and training runs on a tiny model."""

import copy
import json
from pathlib import Path


def make_row(system=False, turns=1):
    messages = [{"role": "system", "content": "Be brief."}] if system else []
    for i in range(turns - 1):
        messages += [
            {"role": "user", "content": f"earlier question {i}"},
            {"role": "assistant", "content": f"earlier answer {i}"},
        ]
    messages.append({"role": "user", "content": "What is 2 + 3?"})
    return {
        "source": "test",
        "prompt": "What is 2 + 3?",
        "question": "What is 2 + 3?",
        "chosen": [*messages, {"role": "assistant", "content": "5."}],
        "rejected": [*copy.deepcopy(messages), {"role": "assistant", "content": "6."}],
    }


def make_rows(n):
    """``n`` valid rows with distinct prompts, so that none is removed as a repeated prompt."""
    rows = []
    for i in range(n):
        row = make_row()
        question = f"What is {i} + 3?"
        row["prompt"] = row["question"] = question
        row["chosen"][-2]["content"] = row["rejected"][-2]["content"] = question
        row["chosen"][-1]["content"] = f"{i + 3}."
        row["rejected"][-1]["content"] = f"{i + 4}."
        rows.append(row)
    return rows


def make_spec(method, variant=None):
    """A training spec (settings only) for two quick steps of ``method`` on a tiny model."""
    args = {"max_steps": 2, "per_device_train_batch_size": 2, "learning_rate": 1e-3}
    args["logging_steps"] = 1
    args["max_length"] = 256
    if method != "sft":
        args["beta"] = 0.1
    return {
        "variant": variant or method,
        "method": method,
        "seed": 0,
        "precision": "fp32",
        "args": args,
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
        "quantization": {"load_in_4bit": False},
        "attn_implementation": "sdpa",
    }


def make_paths(tmp_path, base, train_file, variant, parents=()):
    """Where a test's training run reads and writes: ``tmp_path/<variant>/`` for its outputs."""
    from alignbench.train.run import TrainPaths

    return TrainPaths(
        base_model=str(base),
        train_data=str(train_file),
        adapter=str(tmp_path / variant / "adapter"),
        history=str(tmp_path / variant / "log_history.json"),
        parent_adapters=tuple(str(p) for p in parents),
    )


def training_arguments(spec_path, paths):
    """The training command line's arguments, as the workflow's train rule writes them."""
    arguments = [str(spec_path), "--base-model", paths.base_model]
    arguments += ["--train-data", paths.train_data, "--adapter", paths.adapter]
    arguments += ["--history", paths.history, "--parents", *paths.parent_adapters]
    return arguments


def write_spec(tmp_path, spec):
    path = Path(tmp_path) / f"{spec['variant']}_spec.json"
    path.write_text(json.dumps(spec))
    return path


def run_training(tmp_path, spec, paths):
    """Train through the command line, as the workflow does; return the adapter folder."""
    from alignbench.train.__main__ import main as train_main

    train_main(training_arguments(write_spec(tmp_path, spec), paths))
    return Path(paths.adapter)

"""Training on a tiny random model: real TRL trainers, a few steps, on CPU."""

import json

import pytest

from alignbench.io import write_jsonl
from alignbench.train.__main__ import main as train_main
from alignbench.train.run import RESERVED_ARGS, continue_history, resumable_checkpoint


@pytest.fixture(scope="module")
def train_file(tmp_path_factory):
    from alignbench.data.demo import generate_demo_rows

    path = tmp_path_factory.mktemp("data") / "train.jsonl"
    write_jsonl(path, generate_demo_rows(8, seed=1))
    return path


def make_spec(tmp_path, base, train_file, method, parents=(), variant=None):
    variant = variant or method
    args = {"max_steps": 2, "per_device_train_batch_size": 2, "learning_rate": 1e-3}
    args["logging_steps"] = 1
    args["max_length"] = 256
    if method != "sft":
        args["beta"] = 0.1
    return {
        "variant": variant,
        "method": method,
        "seed": 0,
        "precision": "fp32",
        "args": args,
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
        "quantization": {"load_in_4bit": False},
        "attn_implementation": "sdpa",
        "base_model": str(base),
        "parent_adapters": [str(p) for p in parents],
        "train_data": str(train_file),
        "output_dir": str(tmp_path / variant / "adapter"),
        "history": str(tmp_path / variant / "log_history.json"),
    }


def run(tmp_path, spec):
    path = tmp_path / f"{spec['variant']}_spec.json"
    path.write_text(json.dumps(spec))
    train_main([str(path)])
    return spec


@pytest.mark.parametrize("method", ["sft", "orpo"])
def test_training_writes_an_adapter_and_its_log(tmp_path, tiny_model_dir, train_file, method):
    spec = run(tmp_path, make_spec(tmp_path, tiny_model_dir, train_file, method))
    adapter = tmp_path / method / "adapter"
    assert (adapter / "adapter_model.safetensors").exists()
    adapter_config = json.loads((adapter / "adapter_config.json").read_text())
    assert adapter_config["r"] == 4
    assert adapter_config["target_modules"] == ["q_proj", "v_proj"]  # sorted: same every run
    history = json.loads((tmp_path / method / "log_history.json").read_text())
    assert history[-1]["step"] == 2 and "train_loss" in history[-1]
    if method == "orpo":
        assert any("log_odds_ratio" in entry and "nll_loss" in entry for entry in history)
    assert not (tmp_path / method / "adapter.partial").exists()
    assert spec["method"] == method


def test_dpo_starts_from_the_sft_adapter(tmp_path, tiny_model_dir, train_file):
    run(tmp_path, make_spec(tmp_path, tiny_model_dir, train_file, "sft"))
    sft_adapter = tmp_path / "sft" / "adapter"
    run(tmp_path, make_spec(tmp_path, tiny_model_dir, train_file, "dpo", parents=[sft_adapter]))
    assert (tmp_path / "dpo" / "adapter" / "adapter_model.safetensors").exists()


def test_workflow_owned_settings_cannot_be_overridden(tmp_path, tiny_model_dir, train_file):
    spec = make_spec(tmp_path, tiny_model_dir, train_file, "sft")
    spec["args"]["output_dir"] = "elsewhere"
    with pytest.raises(ValueError, match="output_dir"):
        run(tmp_path, spec)
    assert "seed" in RESERVED_ARGS


def test_resume_only_from_an_identical_interrupted_run(tmp_path):
    partial = tmp_path / "adapter.partial"
    spec = {"variant": "sft", "args": {"learning_rate": 1e-4}}
    assert resumable_checkpoint(partial, spec) is None  # fresh start
    complete = partial / "checkpoints" / "checkpoint-5"
    complete.mkdir(parents=True)
    (complete / "trainer_state.json").write_text("{}")
    # Killed while saving: the Trainer writes trainer_state.json last.
    (partial / "checkpoints" / "checkpoint-10").mkdir()
    assert resumable_checkpoint(partial, spec) == complete  # same spec: the last complete one
    assert not (partial / "checkpoints" / "checkpoint-10").exists()
    changed = {"variant": "sft", "args": {"learning_rate": 2e-4}}
    assert resumable_checkpoint(partial, changed) is None  # stale checkpoint discarded
    assert not (partial / "checkpoints").exists()


def test_a_resumed_log_counts_tokens_on_from_the_checkpoint():
    before = [
        {"step": 1, "loss": 2.0, "num_tokens": 100.0},
        {"step": 2, "loss": 1.9, "num_tokens": 210.0},
    ]
    after_resume = [
        *before,
        {"step": 3, "loss": 1.8, "num_tokens": 95.0},
        {"step": 4, "loss": 1.7, "num_tokens": 190.0},
        {"step": 4, "train_loss": 1.75, "train_runtime": 1.0},
    ]
    history = continue_history(after_resume, 2, before)
    assert [e.get("num_tokens") for e in history] == [100.0, 210.0, 305.0, 400.0, None]
    assert history[-1]["resumed_from_step"] == 2 and "resumed_from_step" not in history[0]


def test_two_ranks_under_accelerate_launch_train_one_adapter(tmp_path, tiny_model_dir, train_file):
    """The multi-GPU path, on CPU: accelerate starts two gloo ranks."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    spec = make_spec(tmp_path, tiny_model_dir, train_file, "sft")
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = ["accelerate", "launch", "--multi_gpu", "--num_processes", "2"]
    command += ["--main_process_port", "0", "--module", "alignbench.train", str(spec_path)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Rank 0 of 2 processes" in result.stderr and "Rank 1 of 2 processes" in result.stderr
    assert (tmp_path / "sft" / "adapter" / "adapter_model.safetensors").exists()
    history = json.loads((tmp_path / "sft" / "log_history.json").read_text())
    assert history[-1]["step"] == 2
    assert not (tmp_path / "sft" / "adapter.partial").exists()


def test_changed_training_data_changes_the_fingerprint(tmp_path, tiny_model_dir, train_file):
    from alignbench.train.run import run_fingerprint

    data = tmp_path / "train.jsonl"
    data.write_bytes(train_file.read_bytes())
    spec = make_spec(tmp_path, tiny_model_dir, data, "sft")
    before = run_fingerprint(spec)
    assert str(data) in before["inputs"]
    data.write_text(data.read_text() + "\n")
    assert run_fingerprint(spec) != before and run_fingerprint(spec)["spec"] == before["spec"]

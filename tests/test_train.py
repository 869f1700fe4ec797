"""Training on a tiny random model: real TRL trainers, a few steps, on CPU."""

import json

import pytest

from alignbench.io import write_jsonl
from alignbench.train.run import (
    RESERVED_ARGS,
    continue_history,
    resumable_checkpoint,
    run_fingerprint,
)
from tests.factories import make_paths, make_spec, run_training, training_arguments, write_spec


@pytest.fixture(scope="module")
def train_file(tmp_path_factory):
    from alignbench.data.demo import generate_demo_rows

    path = tmp_path_factory.mktemp("data") / "train.jsonl"
    write_jsonl(path, generate_demo_rows(8, seed=1))
    return path


@pytest.mark.parametrize("method", ["sft", "orpo"])
def test_training_writes_an_adapter_and_its_log(tmp_path, tiny_model_dir, train_file, method):
    paths = make_paths(tmp_path, tiny_model_dir, train_file, method)
    adapter = run_training(tmp_path, make_spec(method), paths)
    assert (adapter / "adapter_model.safetensors").exists()
    adapter_config = json.loads((adapter / "adapter_config.json").read_text())
    assert adapter_config["r"] == 4
    assert adapter_config["target_modules"] == ["q_proj", "v_proj"]  # sorted: same every run
    # The base model's path as the command line gave it: the adapter names what it adapts.
    assert adapter_config["base_model_name_or_path"] == str(tiny_model_dir)
    history = json.loads((tmp_path / method / "log_history.json").read_text())
    assert history[-1]["step"] == 2 and "train_loss" in history[-1]
    assert history == json.loads((adapter / "log_history.json").read_text())
    # The spec's method chose the trainer: only ORPO logs its odds-ratio term.
    odds_ratio_logged = any("log_odds_ratio" in e and "nll_loss" in e for e in history)
    assert odds_ratio_logged == (method == "orpo")
    assert not (tmp_path / method / "adapter.partial").exists()


def test_dpo_starts_from_the_sft_adapter(tmp_path, tiny_model_dir, train_file):
    sft_paths = make_paths(tmp_path, tiny_model_dir, train_file, "sft")
    sft_adapter = run_training(tmp_path, make_spec("sft"), sft_paths)
    dpo_paths = make_paths(tmp_path, tiny_model_dir, train_file, "dpo", parents=[sft_adapter])
    run_training(tmp_path, make_spec("dpo"), dpo_paths)
    assert (tmp_path / "dpo" / "adapter" / "adapter_model.safetensors").exists()


def test_workflow_owned_settings_cannot_be_overridden(tmp_path, tiny_model_dir, train_file):
    spec = make_spec("sft")
    spec["args"]["output_dir"] = "elsewhere"
    with pytest.raises(ValueError, match="output_dir"):
        run_training(tmp_path, spec, make_paths(tmp_path, tiny_model_dir, train_file, "sft"))
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

    spec_path = write_spec(tmp_path, make_spec("sft"))
    paths = make_paths(tmp_path, tiny_model_dir, train_file, "sft")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = ["accelerate", "launch", "--multi_gpu", "--num_processes", "2"]
    command += ["--main_process_port", "0", "--module", "alignbench.train"]
    command += training_arguments(spec_path, paths)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Rank 0 of 2 processes" in result.stderr and "Rank 1 of 2 processes" in result.stderr
    assert (tmp_path / "sft" / "adapter" / "adapter_model.safetensors").exists()
    history = json.loads((tmp_path / "sft" / "log_history.json").read_text())
    assert history[-1]["step"] == 2
    assert not (tmp_path / "sft" / "adapter.partial").exists()


def test_changed_training_data_changes_the_fingerprint(tmp_path, tiny_model_dir, train_file):
    data = tmp_path / "train.jsonl"
    data.write_bytes(train_file.read_bytes())
    spec = make_spec("sft")
    paths = make_paths(tmp_path, tiny_model_dir, data, "sft")
    before = run_fingerprint(spec, paths)
    assert "train_data" in before["inputs"]
    data.write_text(data.read_text() + "\n")
    assert run_fingerprint(spec, paths) != before
    assert run_fingerprint(spec, paths)["spec"] == before["spec"]


def fake_adapter(folder, weights: bytes):
    """An adapter folder as the fingerprint sees it: only its weights file is read."""
    folder.mkdir(parents=True)
    (folder / "adapter_model.safetensors").write_bytes(weights)
    return folder


def test_the_fingerprint_follows_contents_not_locations(tmp_path, tiny_model_dir, train_file):
    """Moved inputs with the same bytes may resume a checkpoint; reordered parents may not."""
    import shutil

    spec = make_spec("dpo")
    first, second = fake_adapter(tmp_path / "a", b"one"), fake_adapter(tmp_path / "b", b"two")
    paths = make_paths(tmp_path, tiny_model_dir, train_file, "dpo", parents=[first, second])
    moved_base = shutil.copytree(tiny_model_dir, tmp_path / "moved-base")
    moved_data = shutil.copy(train_file, tmp_path / "moved.jsonl")
    moved = make_paths(tmp_path, moved_base, moved_data, "dpo", parents=[first, second])
    assert run_fingerprint(spec, moved) == run_fingerprint(spec, paths)
    reordered = make_paths(tmp_path, tiny_model_dir, train_file, "dpo", parents=[second, first])
    assert run_fingerprint(spec, reordered) != run_fingerprint(spec, paths)
    no_parents = make_paths(tmp_path, tiny_model_dir, train_file, "dpo")
    assert run_fingerprint(spec, no_parents) != run_fingerprint(spec, paths)


@pytest.mark.workflow
def test_the_train_rule_passes_its_files_on_the_command_line(tmp_path, tiny_model_dir):
    from tests.workflow_runs import dry_run, make_workdir, tiny_config

    workdir = make_workdir(tmp_path, tiny_config(tiny_model_dir, seeds=[1]))
    result, plan = dry_run(workdir, "results/models/dpo/seed1/adapter")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    commands = {
        j["wildcards"]["trained"]: j["shellcmd"] for j in plan["jobs"] if j["rule"] == "train"
    }
    assert set(commands) == {"sft", "dpo"}  # dpo starts from sft's adapter
    expected = (
        "alignbench.train results/models/dpo/seed1/train_spec.json"
        " --base-model results/models/base --train-data results/data/train.jsonl"
        " --adapter results/models/dpo/seed1/adapter"
        " --history results/models/dpo/seed1/log_history.json"
        " --parents results/models/sft/seed1/adapter >"
    )
    assert expected in commands["dpo"]
    assert "--parents  >" in commands["sft"]  # trained from the base: no parents

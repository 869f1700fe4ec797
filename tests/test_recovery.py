"""Interrupted runs: killed during training, rerun with the README's command, the results are
byte-identical to those of a run nobody interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alignbench.io import read_json
from tests.workflow_runs import make_workdir, snakemake, tiny_config

pytestmark = pytest.mark.workflow

TARGETS = (
    "results/sft/seed1/generations.jsonl",
    "results/sft/seed1/rouge.json",
    "results/sft/seed1/preferences.json",
)
ADAPTER = "results/models/sft/seed1/adapter"
CHECKPOINT = "results/models/sft/seed1/adapter.partial/checkpoints/checkpoint-2"
COMPARED = (*TARGETS, f"{ADAPTER}/adapter_model.safetensors")


def recovery_config(model_dir: Path) -> dict:
    """Base and SFT, one seed; SFT trains 6 steps and keeps a checkpoint every 2."""
    config = tiny_config(model_dir, seeds=[1])
    for name in ("orpo", "dpo"):
        config["variants"][name]["enabled"] = False
    config["variants"]["sft"]["args"].update(max_steps=6, save_steps=2)
    return config


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_model_dir):
    workdir = make_workdir(
        tmp_path_factory.mktemp("uninterrupted"), recovery_config(tiny_model_dir)
    )
    result = snakemake(workdir, *TARGETS)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


def training_processes(group: int) -> list[int]:
    """Processes of the process group ``group`` that run the training command."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        process_group = int(stat.rsplit(")", 1)[1].split()[2])
        if process_group == group and b"alignbench.train" in command and b"python" in command:
            found.append(int(entry.name))
    return found


def start_and_kill_after_checkpoint(workdir: Path, whole_run: bool) -> None:
    """Start the targets, wait for the first complete training checkpoint, then SIGKILL either
    the whole run (Snakemake and its job) or only the training process (as the kernel's
    out-of-memory killer or a preempting scheduler would)."""
    command = [sys.executable, "-m", "snakemake", *TARGETS, "--cores", "2"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    with open(workdir / "interrupted.log", "w") as log:
        process = subprocess.Popen(
            [*command, "--configfile", "tiny.yaml"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 600
        while not (workdir / CHECKPOINT / "trainer_state.json").exists():
            assert process.poll() is None, (workdir / "interrupted.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint within 10 minutes"
            time.sleep(0.2)
        if whole_run:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            for pid in training_processes(process.pid):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=120)
    assert process.returncode != 0
    assert not (workdir / ADAPTER).exists()


def assert_same_results(workdir: Path, reference: Path) -> None:
    for path in COMPARED:
        assert (workdir / path).read_bytes() == (reference / path).read_bytes(), path


def test_a_killed_training_job_resumes_with_the_readme_command(
    tmp_path, tiny_model_dir, uninterrupted
):
    workdir = make_workdir(tmp_path, recovery_config(tiny_model_dir))
    start_and_kill_after_checkpoint(workdir, whole_run=False)

    rerun = snakemake(workdir, *TARGETS)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    log = (workdir / "results/logs/train/sft-seed1.log").read_text()
    assert "Resuming from" in log and "checkpoint-" in log
    assert_same_results(workdir, uninterrupted)
    assert not (workdir / f"{ADAPTER}.partial").exists()

    history = read_json(workdir / "results/models/sft/seed1/log_history.json")
    reference = read_json(uninterrupted / "results/models/sft/seed1/log_history.json")
    steps = [(e["step"], e.get("loss"), e.get("num_tokens")) for e in history if "loss" in e]
    assert steps == [(e["step"], e["loss"], e.get("num_tokens")) for e in reference if "loss" in e]
    resumed_at = history[-1]["resumed_from_step"]
    assert resumed_at >= 2 and "resumed_from_step" not in reference[-1]


def test_a_killed_run_resumes_after_the_documented_unlock(tmp_path, tiny_model_dir, uninterrupted):
    """Snakemake itself killed: its lock and incomplete-output marks stay behind. The README says
    to unlock once; the run command then reruns the incomplete job without further flags (the
    workflow's default profile sets rerun-incomplete)."""
    workdir = make_workdir(tmp_path, recovery_config(tiny_model_dir))
    start_and_kill_after_checkpoint(workdir, whole_run=True)

    locked = snakemake(workdir, *TARGETS)
    assert locked.returncode != 0
    assert "--unlock" in locked.stdout + locked.stderr
    unlock = subprocess.run(
        [sys.executable, "-m", "snakemake", "--unlock"], cwd=workdir, capture_output=True
    )
    assert unlock.returncode == 0, unlock.stderr[-3000:]

    rerun = snakemake(workdir, *TARGETS)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert "Resuming from" in (workdir / "results/logs/train/sft-seed1.log").read_text()
    assert_same_results(workdir, uninterrupted)

"""The GPU benchmark's code, run on CPU at the toy shape (no timings are asserted)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_llama_3_2_1b_matmul_weights():
    """N of the MFU formula: every projection plus the (tied) head; the model's 1,235,814,400
    parameters less its 67,584 norm weights (alignbench.cost states the total)."""
    from transformers import LlamaConfig

    from alignbench.models.random_init import LLAMA_3_2_1B_SHAPE
    from benchmarks.gpu_flops import shape_numbers, training_flops_per_token

    numbers = shape_numbers(LlamaConfig(vocab_size=128_256, **LLAMA_3_2_1B_SHAPE))
    assert numbers["body_weights"] + numbers["head_weights"] == 1_235_814_400 - 67_584
    frozen = numbers["body_weights"] + numbers["head_weights"]
    assert training_flops_per_token(numbers, 2048, 0) == 4 * frozen + 12 * 16 * 2048 * 2048
    # DPO's reference model runs forward too: 2N and a third of the attention term more.
    assert training_flops_per_token(numbers, 2048, 0, reference_forward=True) == (
        6 * frozen + 16 * 16 * 2048 * 2048
    )


def test_datasheet_peak_names():
    from benchmarks.gpu_flops import datasheet_peak

    assert datasheet_peak("NVIDIA H100 80GB HBM3")["tflops"] == 989.5
    assert datasheet_peak("NVIDIA H100 PCIe")["tflops"] == 756.0
    assert datasheet_peak("NVIDIA H200")["tflops"] == 989.5
    assert datasheet_peak("Some CPU") is None


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu-benchmark") / "gpu.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}
    command = [sys.executable, "-m", "benchmarks.gpu", "--shape", "toy", "--device", "cpu"]
    command += ["--steps", "1", "--warmup-steps", "1", "--out", str(out)]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout, json.loads(out.read_text())


def test_toy_run_rows(toy_run):
    stdout, result = toy_run
    rows = {row["name"]: row for row in result["rows"]}
    assert result["ran_on_gpu"] is False
    assert result["model"]["shape"] == "toy"
    assert result["model"]["vocab_size"] > 0
    peak = result["peak"]["flops_per_s"]
    assert peak > 0
    for name in ("sft lora sdpa", "orpo lora sdpa", "dpo lora sdpa"):
        row = rows[name]
        assert row["status"] == "ok", row
        assert row["steps_per_s"] > 0 and row["tokens_per_s"] > 0
        assert row["timed_steps"] == 1
        assert row["achieved_flops_per_s"] == pytest.approx(
            row["tokens_per_s"] * row["flops_per_token"]
        )
        assert row["mfu"] == pytest.approx(row["achieved_flops_per_s"] / peak)
        assert row["peak_memory_gib"] is None  # CPU: no per-row figure
        assert row["sequence_tokens"] <= 64  # the toy max_length
    # ORPO and DPO run the chosen and the rejected sequence of each row.
    sft = rows["sft lora sdpa"]
    for name in ("orpo lora sdpa", "dpo lora sdpa"):
        pairs = rows[name]
        assert pairs["tokens_per_step"] == pytest.approx(
            2 * pairs["rows_per_step"] * pairs["sequence_tokens"], rel=0.05
        )
    # DPO's reference forward pass is counted; SFT and ORPO have none.
    assert rows["dpo lora sdpa"]["reference_forward"] is True
    assert not rows["orpo lora sdpa"]["reference_forward"]
    assert rows["dpo lora sdpa"]["flops_per_token"] > rows["orpo lora sdpa"]["flops_per_token"]
    assert sft["tokens_per_step"] == pytest.approx(sft["rows_per_step"] * sft["sequence_tokens"])
    generation = rows["generate sdpa"]
    assert generation["status"] == "ok", generation
    assert generation["tokens_per_s"] > 0
    assert generation["new_tokens"] == generation["max_new_tokens"] * generation["batch_size"]
    assert generation["mfu"] == pytest.approx(generation["achieved_flops_per_s"] / peak)

    for method in ("sft", "orpo", "dpo"):
        qlora = rows[f"{method} qlora sdpa"]
        assert qlora["status"] == "skipped"
        assert "QLoRA" in qlora["reason"] and "CUDA" in qlora["reason"]
    flash_installed = importlib.util.find_spec("flash_attn") is not None
    for row in rows.values():
        if row["attention"] == "flash_attention_2":
            assert row["status"] == "skipped"
            if not flash_installed:
                assert row["reason"] == "flash-attn not installed"
    assert "sft lora sdpa" in stdout and "flash-attn not installed" in stdout


def test_toy_run_states_its_assumptions(toy_run):
    _, result = toy_run
    assert "4*N + 6*N_lora" in result["flops"]["training_per_token"]
    assert result["settings"]["args"]["sft"]["max_length"] == 64
    # Everything else comes from the paper preset.
    assert result["settings"]["args"]["orpo"]["optim"] == "paged_adamw_8bit"
    # The preset has no DPO arm: DPO borrows the ORPO arm's settings.
    assert result["settings"]["args"]["dpo"] == result["settings"]["args"]["orpo"]
    assert result["settings"]["quantization"]["quant_type"] == "nf4"
    assert result["rows_in_own_process"] is False  # the CPU default: one process


def test_a_row_runs_in_its_own_process(tmp_path):
    """--own-process (the default on a GPU): the row's figures come back from a fresh process."""
    out = tmp_path / "gpu.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}
    command = [sys.executable, "-m", "benchmarks.gpu", "--shape", "toy", "--device", "cpu"]
    command += ["--steps", "1", "--warmup-steps", "1", "--only", "sft lora sdpa"]
    command += ["--own-process", "--out", str(out), "--work-dir", str(tmp_path / "work")]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    record = json.loads(out.read_text())
    assert record["rows_in_own_process"] is True
    rows = {row["name"]: row for row in record["rows"]}
    row = rows["sft lora sdpa"]
    assert row["status"] == "ok", row
    assert row["tokens_per_s"] > 0 and row["timed_steps"] == 1
    assert rows["orpo lora sdpa"]["status"] == "skipped"
    # The training rows' data file was written whole, once, in the work folder.
    [data] = (tmp_path / "work").glob("train-*.jsonl")
    assert not list((tmp_path / "work").glob("*.partial"))
    assert len(data.read_text().splitlines()) == 2 * 2  # (1 warm-up + 1 timed step) x 2 rows

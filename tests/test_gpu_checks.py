"""tools/gpu-checks.sh, the GPU checks in one go, run on CPU with short time limits: what it runs
and where it writes, not how fast (that needs a GPU)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fake_nvidia_smi(folder: Path) -> Path:
    """An nvidia-smi that reports two GPUs once a second, as the sampler's query asks."""
    folder.mkdir()
    script = folder / "nvidia-smi"
    script.write_text(
        '#!/bin/sh\nwhile true; do echo "0, 1234, 7"; echo "1, 5, 0"; sleep 1; done\n'
    )
    script.chmod(0o755)
    return folder


def test_gpu_checks_write_their_outputs_and_leave_results_alone(tmp_path, demo_tokenizer):
    demo_tokenizer.save_pretrained(tmp_path / "tokenizer")
    before = sorted((REPO / "results").rglob("*")) if (REPO / "results").exists() else None
    out = tmp_path / "checks"
    env = {
        **os.environ,
        "PATH": f"{fake_nvidia_smi(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}",
        "TOKENIZER": str(tmp_path / "tokenizer"),
        # The benchmark's generation row at the toy shape; the workflow runs are cut short.
        "BENCH_ARGS": "--shape toy --device cpu --only generate --generation-batches 1",
        "DEMO_SECONDS": "5",
        "QLORA_SECONDS": "5",
    }
    result = subprocess.run(
        ["bash", str(REPO / "tools" / "gpu-checks.sh"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    record = json.loads((out / "gpu.json").read_text())
    rows = {row["name"]: row for row in record["rows"]}
    assert rows["generate sdpa"]["status"] == "ok"
    assert "benchmark exit 0" in result.stdout
    # The stand-in model has the demo model's shape and the given tokenizer's vocabulary.
    config = json.loads((out / "stand-in-model" / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"]) == (30, 576)
    assert config["vocab_size"] == len(demo_tokenizer)
    assert f"path: {out / 'stand-in-model'}" in (out / "stand-in-model.yaml").read_text()
    # Each workflow run started in its own scratch copy, stopped at its time limit (exit 124).
    for name in ("demo", "qlora"):
        assert (out / f"{name}-run" / "Snakefile").is_file()
        assert (out / f"{name}.log").is_file()
        assert f"{name} exit 124" in result.stdout
        # GPU memory and utilisation were sampled during the run, and the sampler stopped.
        assert (out / f"{name}-gpu.csv").read_text().startswith("0, 1234, 7\n1, 5, 0\n")
    assert result.stdout.count("GPU 0: at most 1,234 MiB in use, 7% mean utilisation") == 2
    assert "load_in_4bit: true" in (out / "qlora.yaml").read_text()
    after = sorted((REPO / "results").rglob("*")) if (REPO / "results").exists() else None
    assert after == before


def test_steps_picks_the_steps_and_names_a_wrong_one(tmp_path, demo_tokenizer):
    demo_tokenizer.save_pretrained(tmp_path / "tokenizer")
    script = str(REPO / "tools" / "gpu-checks.sh")
    env = {**os.environ, "TOKENIZER": str(tmp_path / "tokenizer"), "STEPS": "benchmark demos"}
    wrong = subprocess.run(
        ["bash", script, str(tmp_path / "wrong")],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert wrong.returncode == 2
    assert "unknown step 'demos'" in wrong.stderr and "benchmark demo qlora" in wrong.stderr

    env["STEPS"] = "benchmark"
    env["BENCH_ARGS"] = "--shape toy --device cpu --only generate --generation-batches 1"
    out = tmp_path / "checks"
    result = subprocess.run(
        ["bash", script, str(out)], env=env, text=True, capture_output=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "benchmark exit 0" in result.stdout
    assert (out / "gpu.json").is_file()
    # Neither workflow run started.
    assert not (out / "demo-run").exists() and not (out / "qlora-run").exists()
    assert "demo under profiles/gpu" not in result.stdout
    assert "QLoRA through the workflow" not in result.stdout


def test_gpu_samples_summary_per_gpu(tmp_path):
    from benchmarks.gpu_samples import describe, summarise

    samples = tmp_path / "samples.csv"
    samples.write_text("0, 100, 10\n1, 50, 0\n0, 300, 20\nFailed to query\n0, [N/A], 5\n0, 2")
    summary = summarise(samples)
    assert summary == {
        0: {"samples": 2, "max_memory_mib": 300.0, "mean_utilisation_percent": 15.0},
        1: {"samples": 1, "max_memory_mib": 50.0, "mean_utilisation_percent": 0.0},
    }
    assert describe(summary).startswith("GPU 0: at most 300 MiB in use, 15% mean utilisation")
    assert describe({}) == "no GPU samples"

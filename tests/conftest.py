"""Shared fixtures. Everything runs offline: the Hub is never contacted."""

from __future__ import annotations

import os

import pytest

# Set before transformers is imported anywhere: a missing model then fails at once instead of
# after ~48 s of network time-outs.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"


@pytest.fixture(scope="session")
def demo_tokenizer():
    """The embedded SmolLM2 tokenizer (ChatML template, real vocabulary)."""
    from alignbench.models.base import embedded_tokenizer

    return embedded_tokenizer()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, demo_tokenizer):
    """A randomly initialised two-layer Llama with the demo tokenizer, saved as a folder."""
    from alignbench.models.random_init import TINY_SHAPE, save_random_llama

    return save_random_llama(tmp_path_factory.mktemp("tiny-llama"), demo_tokenizer, TINY_SHAPE)


@pytest.fixture(scope="session")
def tiny_reward_model_dir(tmp_path_factory, demo_tokenizer):
    """A random one-output sequence classifier with the demo tokenizer: a reward model stand-in."""
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    from alignbench.models.random_init import TINY_SHAPE

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(demo_tokenizer),
        num_labels=1,
        pad_token_id=demo_tokenizer.pad_token_id,
        **TINY_SHAPE,
    )
    out_dir = tmp_path_factory.mktemp("tiny-reward")
    LlamaForSequenceClassification(config).save_pretrained(out_dir)
    demo_tokenizer.save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="session")
def snakemake_only_python(tmp_path_factory):
    """The interpreter of a fresh virtual environment holding Snakemake and nothing else: the
    environment users run the workflow from (`pip install snakemake`, or a conda env of it)."""
    import importlib.metadata
    import subprocess
    import sys

    venv = tmp_path_factory.mktemp("snakemake-only")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    version = importlib.metadata.version("snakemake")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", f"snakemake=={version}"],
        check=True,
        capture_output=True,
    )
    return python


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory, tiny_model_dir, tiny_reward_model_dir):
    """The workdir of one whole workflow run on the tiny configuration, report included, shared
    by the workflow tests and the browser test. Its held-out rows carry hostile text."""
    from tests.workflow_runs import make_workdir, snakemake, tiny_config, with_hostile_rows

    config = tiny_config(tiny_model_dir, tiny_reward_model_dir)
    config = with_hostile_rows(config, tmp_path_factory.mktemp("data") / "rows.jsonl")
    workdir = make_workdir(tmp_path_factory.mktemp("run"), config)
    result = snakemake(workdir, "report")
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir

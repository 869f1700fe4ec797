"""The DAG is built from an environment that holds Snakemake and nothing else, as users run it.

`snakemake_only_python` is a fresh virtual environment with only `pip install snakemake`: no
torch, no transformers, not this package. Every job's software comes from envs/ (--use-conda)
or from the environment jobs run in; building the DAG must not need any of it.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.workflow_runs import REPO, make_workdir, planned_jobs, snakemake

pytestmark = pytest.mark.workflow


def test_the_host_environment_really_holds_only_snakemake(tmp_path, snakemake_only_python):
    for module in ("torch", "transformers", "trl", "numpy", "alignbench"):
        probe = subprocess.run(
            [snakemake_only_python, "-c", f"import {module}"],
            cwd=tmp_path,  # not the repository, whose folder would make the package importable
            capture_output=True,
            text=True,
        )
        assert probe.returncode != 0, f"{module} is importable in the Snakemake-only host"


@pytest.mark.parametrize("preset", ["config.yaml", "paper.yaml"])
def test_snakemake_alone_builds_the_whole_dag(tmp_path, snakemake_only_python, preset):
    config = yaml.safe_load((REPO / "config" / preset).read_text())
    workdir = make_workdir(tmp_path, config)
    jobs = planned_jobs(workdir, "report", python=str(snakemake_only_python))
    trained = [name for name, block in config["variants"].items() if block["method"] != "none"]
    trained = [name for name in trained if config["variants"][name].get("enabled", True)]
    assert jobs["train"] == len(trained) * len(config["training"]["seeds"])
    assert jobs["report"] == 1 and jobs["prepare_base_model"] == 1


def test_snakemake_alone_still_rejects_a_bad_config_before_any_job(tmp_path, snakemake_only_python):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["variants"]["orpo"]["from"] = "ppo"
    workdir = make_workdir(tmp_path, config)
    result = snakemake(workdir, "report", "--dry-run", python=str(snakemake_only_python))
    assert result.returncode != 0
    assert "unknown variant 'ppo'" in result.stdout + result.stderr


def test_a_real_run_without_the_model_stack_says_what_to_install(tmp_path, snakemake_only_python):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    workdir = make_workdir(tmp_path, config)
    result = snakemake(workdir, "results/data/raw.jsonl", python=str(snakemake_only_python))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "--use-conda" in output and "make install" in output
    assert not (workdir / "results").exists()

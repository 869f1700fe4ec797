"""The tiny workflow on a real one-node SLURM cluster, through profiles/slurm.

Needs root, Debian's SLURM and munge (.ci/install-slurm.sh) and snakemake-executor-plugin-slurm;
skipped otherwise. The cluster has no accounting database, so the executor checks job states
with squeue; the checks read SLURM's own records: every job Snakemake sent finished there, and
asked for GPUs exactly when the config gives its model jobs some.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.slurm_cluster import GRES_CONF, SLURM_CONF, missing_requirements, running_cluster
from tests.workflow_runs import make_workdir, planned_jobs, tiny_config

MISSING = missing_requirements()
pytestmark = [
    pytest.mark.slurm,
    pytest.mark.workflow,
    pytest.mark.skipif(MISSING is not None, reason=f"no SLURM cluster: {MISSING}"),
]

# What a user adds to profiles/slurm on this cluster: squeue for job states (no sacct), quick
# first status checks, and at most two CPUs per job (the test machines have two).
MAX_THREADS = min(2, os.cpu_count() or 1)
CLUSTER_ARGS = (
    "--workflow-profile",
    "profiles/slurm",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--max-threads",
    str(MAX_THREADS),
)
TIMEOUT_S = 1500
# check_setup asks too: it checks precision and attention on the kind of node training gets.
MODEL_RULES = {"check_setup", "train", "generate", "score_preferences", "score_reward"}
GPU_FIELDS = ("TRES", "TresPerJob", "TresPerNode", "TresPerSocket", "TresPerTask", "JOB_GRES")


@pytest.fixture
def cpu_cluster():
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def gpu_cluster():
    """The same node with one stand-in GPU."""
    with running_cluster(gpus=1) as cluster:
        yield cluster


def run_on_cluster(workdir: Path, *targets: str) -> tuple[str, float]:
    """`python -m snakemake TARGETS` through the SLURM profile, with this interpreter first on
    PATH (sbatch exports the environment, so jobs find the same Python): the log, the time."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = [sys.executable, "-m", "snakemake", *targets, "--configfile", "tiny.yaml"]
    command += [*CLUSTER_ARGS, "--verbose"]  # --verbose logs each sbatch call
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:] + job_logs(workdir)
    return log, seconds


def job_logs(workdir: Path) -> str:
    """The SLURM logs the executor keeps for failed jobs, and the rules' own logs."""
    logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    logs += sorted((workdir / "results" / "logs").rglob("*.log"))
    return "".join(f"\n--- {path}\n{path.read_text()[-2000:]}" for path in logs[-6:])


def check_jobs_went_through_slurm(log: str, planned: dict[str, int], cluster) -> dict:
    """Every planned job ran here (a local rule) or as one SLURM job that completed.
    Returns SLURM job id -> (rule, sbatch call, scontrol record)."""
    remote = re.findall(r"^rule (\w+):$", log, flags=re.M)
    local = re.findall(r"^localrule (\w+):$", log, flags=re.M)
    assert sorted(remote + local) == sorted(n for n, k in planned.items() for _ in range(k))
    # Submissions run in parallel: match each to its sbatch call by its log folder,
    # slurm_logs/rule_RULE/WILDCARDS.
    submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+)/\d+\.log\)", log)
    calls = re.findall(r"^sbatch call: (.* --output '?(\S+?)/%j\.log'? .*)$", log, flags=re.M)
    calls = {folder: call for call, folder in calls}
    assert len(calls) == len(submitted)
    rules = [re.search(r"/slurm_logs/rule_(\w+)", folder)[1] for _, folder in submitted]
    assert sorted(rules) == sorted(remote)
    finished, details = cluster.finished_jobs(), cluster.job_details()
    jobs = {}
    for (job_id, folder), rule in zip(submitted, rules, strict=True):
        assert f"--comment rule_{rule}" in calls[folder], calls[folder]
        assert job_id in finished, f"SLURM has no record of job {job_id} ({rule})"
        assert finished[job_id]["JobState"] == "COMPLETED", finished[job_id]
        assert finished[job_id]["ExitCode"] == "0:0", finished[job_id]
        assert int(finished[job_id]["ProcCnt"]) <= MAX_THREADS, finished[job_id]
        jobs[job_id] = (rule, calls[folder], details[job_id])
    return jobs


def gpus_asked(call: str, record: dict[str, str]) -> list[str]:
    """GPU requests in an sbatch call and in what SLURM recorded for the job."""
    found = re.findall(r"--(?:gpus|gres)\S*", call)
    return found + [f"{key}={record[key]}" for key in GPU_FIELDS if "gpu" in record.get(key, "")]


def test_demo_runs_on_a_cpu_cluster_without_asking_for_gpus(tmp_path, tiny_model_dir, cpu_cluster):
    workdir = make_workdir(tmp_path / "run", tiny_config(tiny_model_dir, seeds=[1]))
    planned = planned_jobs(workdir, "report")

    log, seconds = run_on_cluster(workdir, "report")
    print(f"\ntiny workflow through SLURM: {sum(planned.values())} jobs in {seconds:.0f} s")

    assert (workdir / "results" / "report" / "index.html").exists()
    jobs = check_jobs_went_through_slurm(log, planned, cpu_cluster)
    assert {"train", "generate", "report"} <= {rule for rule, _, _ in jobs.values()}
    for rule, call, record in jobs.values():
        assert not gpus_asked(call, record), (rule, call, record)
        assert "--cpus-per-task=" in call and "--mem " in call, call


def test_model_jobs_ask_a_gpu_cluster_for_the_configured_gpus(
    tmp_path, tiny_model_dir, gpu_cluster
):
    config = tiny_config(tiny_model_dir, seeds=[1])
    config["compute"]["gpus"] = 1  # as in config/paper.yaml
    workdir = make_workdir(tmp_path / "run", config)
    targets = (
        "results/models/sft/seed1/log_history.json",
        "results/base/untrained/generations.jsonl",
        "results/base/untrained/preferences.json",
    )
    planned = planned_jobs(workdir, *targets)

    log, seconds = run_on_cluster(workdir, *targets)
    print(f"\nGPU requests through SLURM: {sum(planned.values())} jobs in {seconds:.0f} s")

    jobs = check_jobs_went_through_slurm(log, planned, gpu_cluster)
    rules = {rule for rule, _, _ in jobs.values()}
    assert {"train", "generate", "score_preferences", "prepare_base_model"} <= rules
    for rule, call, record in jobs.values():
        if rule in MODEL_RULES:
            assert " --gpus=1" in call and "--gres" not in call, call
            assert record["TresPerJob"] == "gres:gpu:1", record
        else:
            assert not gpus_asked(call, record), (rule, call, record)
    # One GPU: training runs as a single process, not under `accelerate launch`.
    assert f"OMP_NUM_THREADS={MAX_THREADS} python -m alignbench.train" in log


def test_a_stopped_cluster_leaves_no_configuration_behind():
    """Left in /etc/slurm, the configuration of a stopped cluster makes every SLURM client call
    wait 9 s for its controller, each `snakemake` command included (the executor plugin asks
    `scontrol` for the cluster's settings when it is imported)."""
    with running_cluster():
        assert SLURM_CONF.exists() and GRES_CONF.exists()
    assert not SLURM_CONF.exists() and not GRES_CONF.exists()
    scontrol = subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=60)
    assert scontrol.returncode != 0  # no configuration: it fails at once, contacting nothing

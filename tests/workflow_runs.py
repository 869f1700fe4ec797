"""Running the workflow from tests: a tiny configuration in a copy of the repository.

A workdir holds what a user's clone holds (Snakefile, workflow/, the package, configs, envs,
profiles), so jobs import the package from the workflow's own folder, as they do for users.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# Holds the logger plugin that records what a dry run plans (see dry_run).
SNAKEMAKE_PLUGINS = Path(__file__).resolve().parent / "snakemake_plugins"
WORKFLOW_FILES = ("Snakefile", "workflow", "report", "config", "envs", "profiles", "alignbench")
IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info")

SEEDS = [1, 2]
TRAINED = ("sft", "orpo", "dpo")
RUNS = {"base": ["untrained"], **{v: [f"seed{seed}" for seed in SEEDS] for v in TRAINED}}


def tiny_config(model_dir: Path, reward_model: Path | None = None, seeds=SEEDS) -> dict:
    """The demo configuration shrunk to seconds per job: a local tiny model, a few dozen rows."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["data"]["demo"]["rows"] = 60
    config["data"]["split"]["validation_fraction"] = 0.1
    config["model"]["source"] = "local"
    config["model"]["local"]["path"] = str(model_dir)
    config["lora"]["r"] = 4
    config["lora"]["target_modules"] = ["q_proj", "v_proj"]
    config["training"]["seeds"] = list(seeds)
    for name in TRAINED:
        config["variants"][name]["args"].update(
            max_steps=2, per_device_train_batch_size=2, logging_steps=1, warmup_steps=0
        )
    config["generation"].update(prompts=4, max_new_tokens=8, batch_size=4)
    config["evaluation"].update(preference_pairs=4, batch_size=4)
    config["evaluation"]["reward_model"] = str(reward_model) if reward_model else None
    config["report"]["samples"] = 2
    return config


# Text a report must show as text, never run: markup with a script and an event handler, Jinja
# syntax (rendered, it would read 49), and a word far wider than the page.
PWNED = "__alignbench_pwned"
HOSTILE_MARKUP = (
    f"<script>window.{PWNED} = 1</script> "
    f'<img src=x onerror="window.{PWNED} = 2"> '
    "{{ 7*7 }} {% if true %}template ran{% endif %}"
)
LONG_WORD = ("antidisestablishmentarianism" * 54)[:1500]


def with_hostile_rows(config: dict, path: Path) -> dict:
    """``config`` reading its data from ``path``, where this writes the demo rows the config
    would generate with hostile text in every validation row (the prompts that generation
    answers and the report shows): in the last user turn and in the chosen answer."""
    from alignbench.data.demo import generate_demo_rows
    from alignbench.data.split import split_indices

    data = config["data"]
    rows = generate_demo_rows(data["demo"]["rows"], data["demo"]["seed"])
    split = data["split"]
    _, validation = split_indices(
        len(rows), split["subset_size"], split["validation_fraction"], split["seed"]
    )
    for index in validation:
        chosen, rejected = rows[index]["chosen"], rows[index]["rejected"]
        question = {"role": "user", "content": f"{chosen[-2]['content']}\n{HOSTILE_MARKUP}"}
        chosen[-2], rejected[-2] = question, dict(question)  # the turns both sides share
        answer = f"{chosen[-1]['content']} {HOSTILE_MARKUP} {LONG_WORD}"
        chosen[-1] = {"role": "assistant", "content": answer}
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    data.update(source="local", local={"path": str(path)})
    # The long word alone is ~270 tokens: the demo's caps would drop these rows.
    data.update(max_prompt_tokens=1024, max_total_tokens=2048)
    return config


def make_workdir(path: Path, config: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=IGNORED)
        else:
            shutil.copy(source, path / name)
    (path / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def edit_config(workdir: Path, edit) -> None:
    config = yaml.safe_load((workdir / "tiny.yaml").read_text())
    edit(config)
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(
    workdir: Path, *args: str, python: str = sys.executable, env: dict | None = None
) -> subprocess.CompletedProcess:
    """``python -m snakemake ARGS --cores 2 --configfile tiny.yaml`` in ``workdir``."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    # Without --use-conda, training runs as `python -m alignbench.train` from PATH: the
    # interpreter running Snakemake must come first.
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env['PATH']}"
    command = [python, "-m", "snakemake", *args, "--cores", "2", "--configfile", "tiny.yaml"]
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)


def dry_run(
    workdir: Path, *args: str, python: str = sys.executable, env: dict | None = None
) -> tuple[subprocess.CompletedProcess, dict | None]:
    """``snakemake(workdir, *args, "--dry-run")`` and Snakemake's own record of what it plans.

    The plan comes from the structured events Snakemake logs, through the logger plugin in
    tests/snakemake_plugins: ``{"counts": rule -> jobs (and "total"), "jobs": [{"rule",
    "wildcards", "resources", "shellcmd"}, ...]}``, empty when the run stops before building
    the DAG or has nothing to do. None if the plugin never ran (Snakemake failed to start).
    """
    env = dict(env or {})
    env["PYTHONPATH"] = _with_plugins(env.get("PYTHONPATH", os.environ.get("PYTHONPATH")))
    with tempfile.TemporaryDirectory() as folder:
        plan_file = Path(folder) / "plan.json"
        plugin = ("--logger", "planned-jobs", "--logger-planned-jobs-path", str(plan_file))
        result = snakemake(workdir, *args, "--dry-run", *plugin, python=python, env=env)
        plan = json.loads(plan_file.read_text()) if plan_file.exists() else None
    return result, plan


def _with_plugins(pythonpath: str | None) -> str:
    """PYTHONPATH with the test plugins' folder first: Snakemake looks for plugins there."""
    return os.pathsep.join([str(SNAKEMAKE_PLUGINS), *([pythonpath] if pythonpath else [])])


def planned_jobs(workdir: Path, *targets: str, **kwargs) -> dict[str, int]:
    """Rule name -> number of jobs a dry run of ``targets`` plans; {} when nothing is to do."""
    result, plan = dry_run(workdir, *targets, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = dict(plan["counts"])
    total = counts.pop("total", 0)
    # Two records of the same plan from Snakemake: the per-rule counts and one event per job.
    assert sum(counts.values()) == total == len(plan["jobs"]), plan
    return counts

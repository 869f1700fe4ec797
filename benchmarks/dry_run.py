"""The workflow's bookkeeping cost: ``snakemake -n report`` when a finished run is up to date."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks.inputs import REPO

FINISHED = Path("results/report/index.html")


def noop_dry_run(repo: Path = REPO, cores: int = 2, repeats: int = 3) -> dict:
    """Time the dry run ``repeats`` times (the best is the figure, as for the matmul peak:
    other work on the machine only slows a try down), or say why it was skipped. Never starts
    a run: with no finished one there is nothing for a no-op to measure."""
    if not (repo / FINISHED).is_file():
        return {"skipped": f"no finished run ({FINISHED} missing); run `make demo` first"}
    command = [sys.executable, "-m", "snakemake", "-n", "report", "--cores", str(cores)]
    tries = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=repo, capture_output=True, text=True)
        tries.append(time.perf_counter() - start)
        output = result.stdout + result.stderr
        if result.returncode:
            break
    return {
        "seconds": min(tries),
        "tries": tries,
        "returncode": result.returncode,
        "noop": result.returncode == 0 and "Nothing to be done" in output,
        "tail": output[-2000:] if result.returncode else "",
    }

"""Wall time and peak memory of a command together with every process it starts.

    python -m benchmarks.process_tree -- snakemake --cores 2 report

`/usr/bin/time -v` reports the largest single process. When Snakemake runs model jobs side by
side (config `compute.parallel_model_jobs`), the machine holds their sum: this samples the
resident memory of the whole process tree (psutil) every `interval` seconds and reports both.
A sample can miss a peak shorter than the interval.
"""

import argparse
import contextlib
import json
import subprocess
import sys
import time

# Snakemake's own dependency (its benchmark directive uses it), so installed wherever it runs.
import psutil


def resident_bytes(processes: list[psutil.Process]) -> list[int]:
    """Resident memory of each process still alive."""
    sizes = []
    for process in processes:
        with contextlib.suppress(psutil.Error):  # exited while we looked
            sizes.append(process.memory_info().rss)
    return sizes


def measure(command: list[str], interval: float = 0.2) -> dict:
    """Run ``command``; its exit status, wall seconds and peak resident memory (summed over its
    process tree, and of its largest process), in GB."""
    start = time.perf_counter()
    process = subprocess.Popen(command)
    root = psutil.Process(process.pid)
    peak_total = peak_single = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:  # the command ended between poll() and now
            break
        sizes = resident_bytes(tree)
        peak_total = max(peak_total, sum(sizes))
        peak_single = max(peak_single, max(sizes, default=0))
        time.sleep(interval)
    process.wait()
    return {
        "command": " ".join(command),
        "exit_status": process.returncode,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "peak_total_rss_gb": round(peak_total / 1e9, 2),
        "peak_single_process_rss_gb": round(peak_single / 1e9, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    result = measure(command, args.interval)
    print(json.dumps(result, indent=1))
    return result["exit_status"]


if __name__ == "__main__":
    sys.exit(main())

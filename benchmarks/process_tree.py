"""Wall time and peak memory of a command together with every process it starts.

    python -m benchmarks.process_tree -- snakemake --cores 2 report

`/usr/bin/time -v` reports the largest single process. When Snakemake runs model jobs side by
side (config `compute.parallel_model_jobs`), the machine holds their sum: this samples the
memory of the whole process tree (psutil) every `interval` seconds and reports both.
A sample can miss a peak shorter than the interval.

Two sums are reported. Resident sizes (RSS) count a page shared by several processes once in
each: every model job maps the same PyTorch libraries, ~0.7 GB of them resident, so the RSS sum
overstates what the jobs hold together. The proportional set size (PSS, from the kernel's
/proc/PID/smaps_rollup) splits each shared page between the processes mapping it, so its sum is
the memory the tree holds (Linux's Documentation/filesystems/proc.rst). Where PSS cannot be
read (another OS, another user's process), it is left out of the sum.

Reading PSS makes the kernel walk a process's page tables: 40-65 ms for one of the demo's model
jobs (measured 2026-12-03), against 0.04 ms for RSS. Read every 0.2 s it took a fifth of a core
from the command measured, so PSS is read at most every `pss_interval` seconds, and only when
the RSS sum exceeds the PSS peak so far (the PSS sum never exceeds the RSS sum, so no other
sample can raise the peak). The CPU time the sampler itself used is reported.
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


def proportional_bytes(processes: list[psutil.Process]) -> list[int]:
    """Proportional set size of each process still alive whose PSS the system reports."""
    sizes = []
    for process in processes:
        # Exited while we looked, or no PSS here (AttributeError: not Linux).
        with contextlib.suppress(psutil.Error, AttributeError):
            sizes.append(process.memory_full_info().pss)
    return sizes


def measure(command: list[str], interval: float = 0.2, pss_interval: float = 2.0) -> dict:
    """Run ``command``; its exit status, wall seconds and peak memory in GB: resident and
    proportional sizes summed over its process tree, and the largest process's resident size."""
    start = time.perf_counter()
    process = subprocess.Popen(command)
    root = psutil.Process(process.pid)
    peak_total = peak_single = peak_proportional = 0
    last_proportional = -pss_interval
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:  # the command ended between poll() and now
            break
        sizes = resident_bytes(tree)
        peak_total = max(peak_total, sum(sizes))
        peak_single = max(peak_single, max(sizes, default=0))
        now = time.perf_counter()
        if sum(sizes) > peak_proportional and now - last_proportional >= pss_interval:
            peak_proportional = max(peak_proportional, sum(proportional_bytes(tree)))
            last_proportional = now
        time.sleep(interval)
    process.wait()
    return {
        "command": " ".join(command),
        "exit_status": process.returncode,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "peak_total_rss_gb": round(peak_total / 1e9, 2),
        "peak_total_pss_gb": round(peak_proportional / 1e9, 2),
        "peak_single_process_rss_gb": round(peak_single / 1e9, 2),
        "sampler_cpu_seconds": round(time.process_time(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    parser.add_argument(
        "--pss-interval", type=float, default=2.0, help="least seconds between PSS readings"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    result = measure(command, args.interval, args.pss_interval)
    print(json.dumps(result, indent=1))
    return result["exit_status"]


if __name__ == "__main__":
    sys.exit(main())

"""Wall time and peak memory of a command together with every process it starts (Linux).

    python -m benchmarks.process_tree -- snakemake --cores 2 report

`/usr/bin/time -v` reports the largest single process. When Snakemake runs model jobs side by
side (config `compute.parallel_model_jobs`), the machine holds their sum: this samples the
resident memory of the whole process tree from /proc every `interval` seconds and reports both.
A sample can miss a peak shorter than the interval.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def children_by_parent() -> dict[int, list[int]]:
    """Every live process's children, from /proc/PID/stat (field 4 is the parent's PID)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited while we looked
            continue
        # The command name (field 2) is in parentheses and may hold spaces.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children = children_by_parent()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def resident_bytes(pid: int) -> int:
    """Resident memory of one process (0 once it has exited)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError):
        return 0


def measure(command: list[str], interval: float = 0.2) -> dict:
    """Run ``command``; its exit status, wall seconds and peak resident memory (summed over its
    process tree, and of its largest process), in GB."""
    start = time.perf_counter()
    process = subprocess.Popen(command)
    peak_total = peak_single = 0
    while process.poll() is None:
        sizes = [resident_bytes(pid) for pid in tree(process.pid)]
        peak_total = max(peak_total, sum(sizes))
        peak_single = max(peak_single, max(sizes, default=0))
        time.sleep(interval)
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

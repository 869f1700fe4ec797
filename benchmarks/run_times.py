"""Where a finished run's time went, from the start and end of every job as Snakemake recorded
them.

    python -m benchmarks.run_times                      # in the run's folder
    python -m benchmarks.run_times --workdir DIR --cores 2 --out times.json

Snakemake keeps one metadata record per output file (`.snakemake/metadata/`, its file
persistence: snakemake/persistence/file.py) with the rule, the input files and the job's start
and end. The records are those of the job that last wrote each file, so a run from an empty
`results/` is described whole; after a partial rebuild the jobs of both runs are mixed, and
the wall time spans them.

Printed: the wall time and the job time summed over all jobs (the work, in seconds of the
threads each job had), the work per rule, and the chain of jobs that set the end: from the job
that finished last, back through the input each job waited for longest (the dependency that
finished last), to a job that waited for none. A chain whose own time is close to the wall
time cannot get shorter by more cores, only by less work along it; the work over the cores
bounds the wall time too.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.table import markdown_table


@dataclass(frozen=True)
class Job:
    rule: str
    outputs: tuple[str, ...]
    inputs: tuple[str, ...]
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def record_key(path: Path, metadata: Path) -> str:
    """The output file a record describes: its path under `metadata`, base64 (URL-safe) with
    long names split into folders whose names start with '@'."""
    parts = path.relative_to(metadata).parts
    return base64.urlsafe_b64decode("".join(p.removeprefix("@") for p in parts)).decode()


def read_jobs(workdir: Path) -> list[Job]:
    """One Job per job Snakemake recorded, its outputs gathered from the per-file records."""
    metadata = workdir / ".snakemake" / "metadata"
    if not metadata.is_dir():
        raise SystemExit(
            f"No Snakemake metadata in {metadata}: run the workflow there first (snakemake "
            "keeps it unless --drop-metadata is given), or pass --workdir with the run's folder."
        )
    records: dict[tuple, list[tuple[str, dict]]] = {}
    for path in sorted(p for p in metadata.rglob("*") if p.is_file()):
        record = json.loads(path.read_text())
        if record.get("incomplete") or None in (record.get("starttime"), record.get("endtime")):
            continue  # a job that never finished leaves no time to count
        # One job's outputs share its rule and hash; each file's start is taken on its own.
        job = (record["rule"], record["job_hash"])
        records.setdefault(job, []).append((record_key(path, metadata), record))
    jobs = [
        Job(
            rule,
            tuple(sorted(output for output, _ in files)),
            tuple(sorted({path for _, record in files for path in record["input"]})),
            min(record["starttime"] for _, record in files),
            max(record["endtime"] for _, record in files),
        )
        for (rule, _), files in records.items()
    ]
    if not jobs:
        raise SystemExit(f"{metadata} records no finished job.")
    return sorted(jobs, key=lambda job: (job.start, job.end, job.rule, job.outputs))


def dependencies(jobs: list[Job]) -> list[list[int]]:
    """For each job, the jobs that wrote one of its inputs (or the folder holding it)."""
    writer = {output: index for index, job in enumerate(jobs) for output in job.outputs}

    def producer(path: str) -> int | None:
        parent = path
        while parent:  # a file inside an output folder was written by that folder's job
            if parent in writer:
                return writer[parent]
            parent = parent.rpartition("/")[0]
        return None

    found = []
    for job in jobs:
        producers = {producer(path) for path in job.inputs} - {None}
        found.append(sorted(producers))
    return found


def chain_to_end(jobs: list[Job], needs: list[list[int]]) -> list[Job]:
    """The jobs that set the end, first to last: from the job that ended last, back through
    the dependency each job waited for longest."""
    current = max(range(len(jobs)), key=lambda index: jobs[index].end)
    chain = [current]
    while needs[current]:
        current = max(needs[current], key=lambda index: jobs[index].end)
        if current in chain:  # records of runs of another version of the workflow
            break
        chain.append(current)
    return [jobs[index] for index in reversed(chain)]


def summarize(jobs: list[Job], cores: int | None = None) -> dict:
    start = min(job.start for job in jobs)
    wall = max(job.end for job in jobs) - start
    work = sum(job.seconds for job in jobs)
    rules: dict[str, dict] = {}
    for job in jobs:
        entry = rules.setdefault(job.rule, {"jobs": 0, "seconds": 0.0})
        entry["jobs"] += 1
        entry["seconds"] += job.seconds
    chain = chain_to_end(jobs, dependencies(jobs))
    summary = {
        "jobs": len(jobs),
        "wall_seconds": wall,
        "work_seconds": work,
        "rules": dict(sorted(rules.items(), key=lambda item: -item[1]["seconds"])),
        "chain": [
            {**asdict(job), "start": job.start - start, "end": job.end - start} for job in chain
        ],
        "chain_seconds": sum(job.seconds for job in chain),
    }
    if cores:
        summary["cores"] = cores
        summary["busy_share"] = work / (wall * cores) if wall else 0.0
    return summary


def report(summary: dict) -> str:
    wall, work = summary["wall_seconds"], summary["work_seconds"]
    head = f"{summary['jobs']} jobs, wall {wall:.0f} s, job time summed {work:.0f} s"
    if "cores" in summary:
        head += f": {summary['busy_share']:.0%} of {summary['cores']} cores busy on average"
    rules = markdown_table(
        [
            (rule, entry["jobs"], f"{entry['seconds']:.0f}", f"{entry['seconds'] / work:.0%}")
            for rule, entry in summary["rules"].items()
        ],
        ("rule", "jobs", "seconds", "share of the work"),
    )
    chain = markdown_table(
        [
            (f"{job['start']:.0f}", f"{job['end'] - job['start']:.0f}", job["rule"], written(job))
            for job in summary["chain"]
        ],
        ("starts at s", "seconds", "rule", "writes"),
    )
    waited = wall - summary["chain_seconds"]
    return (
        f"{head}\n\n{rules}\n\nThe chain that set the end: {summary['chain_seconds']:.0f} s of"
        f" its own, {waited:.0f} s waiting for a free core or for Snakemake\n\n{chain}"
    )


def written(job: dict) -> str:
    """A job's first output, and whether it wrote more."""
    return job["outputs"][0] + (" ..." if len(job["outputs"]) > 1 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("."), help="the run's folder")
    parser.add_argument("--cores", type=int, help="the run's --cores, for the busy share")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    summary = summarize(read_jobs(args.workdir), args.cores)
    print(report(summary))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

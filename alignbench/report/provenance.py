"""Provenance and job costs as the report's last section shows them."""

from __future__ import annotations

from alignbench.evaluation.metrics import MISSING


def provenance_view(provenance: dict) -> dict:
    dirty = provenance["git_dirty"]
    return {
        **provenance,
        "packages": [{"name": name, "version": v} for name, v in provenance["packages"].items()],
        "git_dirty": "unknown" if dirty is None else ("yes" if dirty else "no"),
    }


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

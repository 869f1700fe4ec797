"""The config as the Snakefile sees it while building the DAG.

This module, like everything the Snakefile imports, uses the standard library only: users run
Snakemake from an environment that holds Snakemake and nothing else, and the jobs' own packages
live in per-step environments (envs/).
"""

from __future__ import annotations


def canonical(value):
    """``value`` with every mapping's keys sorted, recursively; lists keep their order.

    Snakemake compares a job's ``params`` with those it ran with, dict key order included, so a
    config re-saved with its keys in another order would rerun every job. Sorted keys make equal
    values compare equal.
    """
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def replace_contents(target: dict, source: dict) -> None:
    """Make ``target`` equal to ``source`` in place (Snakemake's ``config`` object must stay the
    same object: rules and the report read it)."""
    target.clear()
    target.update(source)

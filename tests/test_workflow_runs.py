"""The dry-run helpers of tests/workflow_runs.py on a three-rule workflow whose plan is known.

The workflow tests trust ``planned_jobs`` both ways: for the jobs a change reruns and for an
empty plan ("nothing left to do"). If Snakemake stopped sending the events the helper reads,
every plan would come back empty and the second kind of test would pass without checking
anything; these tests would fail instead.
"""

from __future__ import annotations

import pytest

from tests.workflow_runs import dry_run, planned_jobs, snakemake

SNAKEFILE = """\
rule all:
    input:
        expand("part{i}.txt", i=range(3)),
        "pair_a.txt",


rule part:
    output:
        "part{i}.txt",
    resources:
        gpu=2,
    shell:
        "touch {output}"


rule pair:
    output:
        "pair_a.txt",
        "pair_b.txt",
    shell:
        "touch {output}"
"""


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    (tmp_path / "tiny.yaml").write_text("{}\n")  # the helpers always pass --configfile tiny.yaml
    return tmp_path


def test_planned_jobs_counts_jobs_per_rule_not_files(workdir):
    # pair writes two files in one job; all has no output at all.
    assert planned_jobs(workdir) == {"part": 3, "pair": 1, "all": 1}


def test_dry_run_records_each_job_with_its_wildcards_resources_and_command(workdir):
    result, plan = dry_run(workdir, "part0.txt", "part2.txt", "pair_a.txt")
    assert result.returncode == 0, result.stderr
    jobs = sorted(plan["jobs"], key=lambda job: (job["rule"], job["wildcards"].get("i", "")))
    assert [(job["rule"], job["wildcards"]) for job in jobs] == [
        ("pair", {}),
        ("part", {"i": "0"}),
        ("part", {"i": "2"}),
    ]
    assert [job["resources"].get("gpu") for job in jobs] == [None, 2, 2]
    assert [job["shellcmd"] for job in jobs] == [
        "touch pair_a.txt pair_b.txt",
        "touch part0.txt",
        "touch part2.txt",
    ]


def test_a_finished_workflow_plans_nothing(workdir):
    assert snakemake(workdir).returncode == 0
    assert planned_jobs(workdir) == {}
    (workdir / "part1.txt").unlink()
    assert planned_jobs(workdir) == {"part": 1, "all": 1}


def test_a_workflow_that_fails_to_load_plans_nothing(workdir):
    (workdir / "Snakefile").write_text('raise ValueError("bad config")\n' + SNAKEFILE)
    result, plan = dry_run(workdir)
    assert result.returncode != 0 and "bad config" in result.stdout + result.stderr
    assert plan == {"counts": {}, "jobs": []}  # the plugin ran, and saw no plan

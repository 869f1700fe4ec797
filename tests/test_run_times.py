"""benchmarks.run_times on a real run's Snakemake metadata and on records written the way
Snakemake writes them."""

import csv
import json
from collections import Counter
from types import SimpleNamespace

import pytest
from snakemake.persistence.file import FilePersistence

from benchmarks import run_times


def test_a_finished_run_is_read_job_by_job_with_snakemakes_own_times(finished_run):
    jobs = run_times.read_jobs(finished_run)
    rules = Counter(job.rule for job in jobs)
    # Three trained variants x two seeds; generation for those and the base model.
    assert rules["train"] == 6 and rules["generate"] == 7 and rules["report"] == 1
    for job in jobs:
        assert all((finished_run / output).exists() for output in job.outputs), job
        assert job.seconds >= 0
    # The train rule's benchmark files time the same jobs (Snakemake's benchmark directive).
    for job in (job for job in jobs if job.rule == "train"):
        _, variant, seed, _ = job.outputs[0].rsplit("/", 3)
        tsv = finished_run / "results" / "benchmarks" / "train" / f"{variant}-{seed}.tsv"
        with tsv.open() as rows:
            timed = float(next(csv.DictReader(rows, delimiter="\t"))["s"])
        assert job.seconds == pytest.approx(timed, abs=1.0), job

    needs = run_times.dependencies(jobs)
    prepare = next(i for i, job in enumerate(jobs) if job.rule == "prepare_base_model")
    for index, job in enumerate(jobs):
        if job.rule == "train":  # reads files inside the base model's output folder
            assert prepare in needs[index], job

    summary = run_times.summarize(jobs, cores=2)
    chain = summary["chain"]
    assert chain[-1]["rule"] == "report" and chain[0]["start"] == pytest.approx(0, abs=1.0)
    assert any(job["rule"] == "train" for job in chain)
    for before, after in zip(chain, chain[1:], strict=False):
        assert after["start"] >= before["end"] - 0.01  # each waited for the one before
    assert summary["chain_seconds"] <= summary["wall_seconds"] + 0.01
    assert summary["work_seconds"] == pytest.approx(sum(job.seconds for job in jobs))


def write_record(metadata, output, rule, inputs, start, end, incomplete=False):
    """A record as Snakemake's file persistence writes it, long names split into folders
    (the name limit set to 16 characters here so that every name is split)."""
    persistence = SimpleNamespace(_fetch_max_len=lambda subject: 16)
    path = FilePersistence._record_path(persistence, str(metadata), output)
    record = {"rule": rule, "job_hash": hash((rule, tuple(inputs))), "input": inputs,
              "starttime": start, "endtime": end, "incomplete": incomplete}  # fmt: skip
    metadata.joinpath(path).parent.mkdir(parents=True, exist_ok=True)
    metadata.joinpath(path).write_text(json.dumps(record))


@pytest.fixture
def recorded_run(tmp_path):
    metadata = tmp_path / ".snakemake" / "metadata"
    write_record(metadata, "models/base", "prepare", [], 0.0, 10.0)
    write_record(metadata, "data/train.jsonl", "split", [], 0.0, 4.0)
    # One job, two outputs: each file's record carries its own start.
    for output, start in (("models/sft/adapter", 10.0), ("models/sft/log.json", 10.002)):
        write_record(metadata, output, "train", ["models/base/config.json", "data/train.jsonl"],
                     start, 50.0)  # fmt: skip
    write_record(metadata, "results/an-evaluation-with-a-long-name.json", "evaluate",
                 ["models/sft/adapter"], 55.0, 70.0)  # fmt: skip
    write_record(metadata, "results/stats.json", "describe", ["data/train.jsonl"], 4.0, 60.0)
    write_record(metadata, "results/killed.json", "evaluate_more", ["models/sft/adapter"],
                 56.0, None, incomplete=True)  # fmt: skip
    write_record(metadata, "results/report.html", "report",
                 ["results/an-evaluation-with-a-long-name.json", "results/stats.json"],
                 70.0, 71.0)  # fmt: skip
    return tmp_path


def test_the_chain_follows_the_input_each_job_waited_for_longest(recorded_run):
    jobs = run_times.read_jobs(recorded_run)
    # In the order they started (then ended); the killed job left no time.
    assert [job.rule for job in jobs] == ["split", "prepare", "describe", "train", "evaluate",
                                          "report"]  # fmt: skip
    train = jobs[3]
    assert train.outputs == ("models/sft/adapter", "models/sft/log.json")
    assert (train.start, train.end) == (10.0, 50.0)
    assert jobs[4].outputs == ("results/an-evaluation-with-a-long-name.json",)

    summary = run_times.summarize(jobs, cores=2)
    assert [job["rule"] for job in summary["chain"]] == ["prepare", "train", "evaluate", "report"]
    assert summary["wall_seconds"] == 71.0
    assert summary["work_seconds"] == pytest.approx(10 + 4 + 56 + 40 + 15 + 1)
    assert summary["chain_seconds"] == pytest.approx(10 + 40 + 15 + 1)
    assert summary["busy_share"] == pytest.approx(126 / 142)
    assert summary["rules"]["train"] == {"jobs": 1, "seconds": 40.0}


def test_the_command_prints_the_figures_and_writes_them(recorded_run, capsys):
    out = recorded_run / "times.json"
    assert run_times.main(["--workdir", str(recorded_run), "--cores", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "6 jobs, wall 71 s, job time summed 126 s: 89% of 2 cores busy" in printed
    assert "The chain that set the end: 66 s of its own, 5 s waiting" in printed
    assert json.loads(out.read_text())["chain_seconds"] == pytest.approx(66)


def test_a_folder_without_a_run_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="No Snakemake metadata .* run the workflow there"):
        run_times.main(["--workdir", str(tmp_path)])

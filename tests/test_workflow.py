"""The whole workflow on a tiny configuration: a two-layer random Llama, a few dozen demo rows.

The workflow runs in a copy of the repository's workflow files, as a user's clone would, and the
assertions read the files it produced. Rebuild behaviour is checked through the jobs a dry run
plans, as Snakemake itself records them (tests/workflow_runs.py, dry_run).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from alignbench.io import read_jsonl
from tests.workflow_runs import (
    RUNS,
    dry_run,
    edit_config,
    make_workdir,
    planned_jobs,
    snakemake,
    tiny_config,
)

pytestmark = pytest.mark.workflow


def test_report_and_every_stage_output_exist(finished_run):
    results = finished_run / "results"
    html = (results / "report" / "index.html").read_text()
    for variant, runs in RUNS.items():
        assert variant in html
        for run in runs:
            records = read_jsonl(results / variant / run / "generations.jsonl")
            assert len(records) == 4
            assert all(0 <= r["new_tokens"] <= 8 for r in records)
            rouge = json.loads((results / variant / run / "rouge.json").read_text())
            assert rouge["n"] == 4 and len(rouge["per_example"]) == 4
            for metric, value in rouge["mean"].items():
                per_example = [example[metric] for example in rouge["per_example"]]
                assert value == pytest.approx(sum(per_example) / 4)
            for kind in ("preferences", "answers", "reward"):
                assert (results / variant / run / f"{kind}.json").exists()
    table = (results / "scores.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in table] == ["variant", *RUNS]
    for plot in (
        "rouge",
        "rouge_intervals",
        "paired_differences",
        "preference_accuracy",
        "training_curves",
        "answer_lengths",
    ):
        assert (results / "plots" / f"{plot}.png").read_bytes()[:4] == b"\x89PNG"
    assert "data:image/png;base64," in html and 'src="http' not in html
    orpo_log = json.loads((results / "models" / "orpo" / "seed1" / "log_history.json").read_text())
    assert any("log_odds_ratio" in entry for entry in orpo_log)


def test_summaries_cover_every_seed_and_stay_consistent(finished_run):
    results = finished_run / "results"
    for variant, runs in RUNS.items():
        summary = json.loads((results / variant / "summary.json").read_text())
        assert summary["runs"] == runs
        for metric, values in summary["metrics"].items():
            assert values["across_seeds"]["n_seeds"] == len(runs)
            if "pooled" not in values:
                continue
            pooled = values["pooled"]
            if pooled["interval"]:
                low, high = pooled["interval"]
                assert low - 1e-12 <= pooled["mean"] <= high + 1e-12, metric
            if metric in ("preference_accuracy", "task_accuracy", "stopped_on_eos"):
                assert 0 <= pooled["mean"] <= 1
        assert {"rouge1", "preference_accuracy", "task_accuracy", "reward"} <= set(
            summary["metrics"]
        )
    comparisons = json.loads((results / "comparisons.json").read_text())
    pairs = {(row["variant"], row["reference"]) for row in comparisons}
    assert ("dpo", "sft") in pairs and ("orpo", "base") in pairs
    for row in comparisons:
        assert 0 < row["p_value"] <= 1
        if row["interval"]:
            assert row["interval"][0] - 1e-12 <= row["mean"] <= row["interval"][1] + 1e-12


def test_data_report_accounts_for_every_row(finished_run):
    report = json.loads((finished_run / "results" / "data" / "data_report.json").read_text())
    assert report["raw_rows"] == 60
    dropped = sum(report["invalid_rows"].values())
    assert report["split"]["train"] + report["split"]["validation"] + dropped == 60
    removed = report["length_filter"]["removed"]
    assert report["final"]["train"] == report["split"]["train"] - sum(removed["train"].values())


def test_a_finished_run_has_nothing_left_to_do(finished_run):
    assert planned_jobs(finished_run, "report") == {}


def test_generation_change_reruns_generation_onwards_but_no_training(finished_run):
    edit_config(finished_run, lambda c: c["generation"].update(max_new_tokens=6))
    try:
        jobs = planned_jobs(finished_run, "report")
    finally:
        edit_config(finished_run, lambda c: c["generation"].update(max_new_tokens=8))
    runs = sum(len(r) for r in RUNS.values())
    assert jobs["generate"] == runs and jobs["score_rouge"] == runs
    assert {"collect_scores", "plot_rouge", "plot_answer_lengths", "report"} <= set(jobs)
    assert "train" not in jobs and "prepare_base_model" not in jobs
    assert "score_preferences" not in jobs  # held-out pairs do not depend on decoding


def test_a_setting_the_setup_check_reads_still_reruns_the_jobs_that_use_it(finished_run):
    """generation.precision is read by the setup check and by every generation and preference
    job: rerunning the check must not hide their own reason to rerun (with the check as an
    ancient() input of the model jobs, Snakemake planned the check alone)."""
    original = {}

    def change(config):
        original["precision"] = config["generation"]["precision"]
        other = "bf16" if original["precision"] != "bf16" else "fp32"
        config["generation"].update(precision=other)

    edit_config(finished_run, change)
    try:
        jobs = planned_jobs(finished_run, "report")
    finally:
        # Back to the finished run's own value: the later tests plan against it.
        edit_config(finished_run, lambda c: c["generation"].update(**original))
    runs = sum(len(r) for r in RUNS.values())
    assert jobs["check_setup"] == 1 and jobs["report"] == 1
    assert jobs["generate"] == runs and jobs["score_preferences"] == runs
    assert "train" not in jobs


def test_orpo_change_retrains_orpo_only(finished_run):
    edit_config(finished_run, lambda c: c["variants"]["orpo"]["args"].update(beta=0.2))
    try:
        jobs = planned_jobs(finished_run, "report")
    finally:
        edit_config(finished_run, lambda c: c["variants"]["orpo"]["args"].update(beta=0.1))
    # one job per seed, for ORPO alone
    assert jobs["write_train_spec"] == 2 and jobs["train"] == 2 and jobs["generate"] == 2
    assert jobs["summarize_variant"] == 1
    assert "filter_data" not in jobs


def test_sft_change_retrains_the_dpo_built_on_it(finished_run):
    edit_config(finished_run, lambda c: c["variants"]["sft"]["args"].update(learning_rate=1e-4))
    try:
        jobs = planned_jobs(finished_run, "report")
    finally:
        edit_config(finished_run, lambda c: c["variants"]["sft"]["args"].update(learning_rate=2e-4))
    assert jobs["train"] == 4  # sft and dpo, two seeds each; not orpo


def test_single_target_builds_only_what_it_needs(tmp_path, tiny_model_dir):
    workdir = make_workdir(tmp_path, tiny_config(tiny_model_dir))
    jobs = planned_jobs(workdir, "results/orpo/seed1/rouge.json")
    assert jobs["train"] == 1 and jobs["generate"] == 1 and jobs["score_rouge"] == 1
    assert "report" not in jobs and "score_preferences" not in jobs
    both_seeds = planned_jobs(workdir, "results/orpo/rouge.json")
    assert both_seeds["train"] == 2 and both_seeds["summarize_variant"] == 1
    assert "collect_scores" not in both_seeds


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["generation"].update(max_new_token=8), "max_new_token"),
        (lambda c: c["variants"]["orpo"].update({"from": "ppo"}), "unknown variant 'ppo'"),
        (lambda c: c["data"].update(source="ftp"), "ftp"),
        (lambda c: c["variants"]["sft"].update(enabled=False), "'sft' is switched off"),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path, tiny_model_dir, edit, message):
    config = tiny_config(tiny_model_dir)
    edit(config)
    workdir = make_workdir(tmp_path, config)
    result = snakemake(workdir, "report", "--dry-run")
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (workdir / "results").exists()


def test_broken_local_rows_are_counted_not_fatal(tmp_path, tiny_model_dir):
    from alignbench.data.demo import generate_demo_rows

    rows = generate_demo_rows(30, seed=3)
    rows[0]["chosen"] = "not a conversation"
    rows[1]["rejected"][-1]["content"] = rows[1]["chosen"][-1]["content"]
    del rows[2]["prompt"]
    lines = [json.dumps(row) for row in rows] + ["{this is not json"]
    config = tiny_config(tiny_model_dir)
    config["data"]["source"] = "local"
    config["data"]["local"]["path"] = str(tmp_path / "rows.jsonl")
    workdir = make_workdir(tmp_path / "run", config)
    (tmp_path / "rows.jsonl").write_text("\n".join(lines) + "\n")
    result = snakemake(workdir, "results/data/data_report.json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((workdir / "results" / "data" / "data_report.json").read_text())
    assert report["source"]["unreadable_lines"] == 1
    assert report["invalid_rows"] == {
        "chosen_empty_or_not_a_list": 1,
        "chosen_equals_rejected": 1,
        "missing_prompt": 1,
    }
    assert report["split"]["train"] + report["split"]["validation"] == 27


def training_command(workdir: Path, *args: str) -> str:
    """The shell command a dry run plans for training the first seed's SFT adapter."""
    target = "results/models/sft/seed1/log_history.json"
    result, plan = dry_run(workdir, target, *args)
    assert result.returncode == 0, result.stderr[-2000:]
    [train] = [job for job in plan["jobs"] if job["rule"] == "train"]
    return train["shellcmd"]


def test_several_gpus_launch_training_with_one_rank_each(tmp_path, tiny_model_dir):
    config = tiny_config(tiny_model_dir)
    config["compute"]["parallel_model_jobs"] = 1
    workdir = make_workdir(tmp_path, config)

    assert "OMP_NUM_THREADS=2 python -m alignbench.train" in training_command(workdir)
    several = training_command(workdir, "--set-resources", "train:gpu=2")
    assert "OMP_NUM_THREADS=1 accelerate launch --multi_gpu --num_processes 2" in several


def test_training_keeps_the_environments_pythonpath(tmp_path, tiny_model_dir):
    """The workflow's folder goes first on a PYTHONPATH the environment sets (a cluster module,
    a pip --target install), and replaces none of it."""
    workdir = make_workdir(tmp_path, tiny_config(tiny_model_dir))
    launch = training_command(workdir).split(" python -m ")[0]
    show = "python -c 'import os; print(os.environ[\"PYTHONPATH\"])'"
    for outer in ("/opt/site", ""):
        env = {**os.environ, "PYTHONPATH": outer}
        printed = subprocess.run(
            ["bash", "-c", f"{launch} {show}"], env=env, capture_output=True, text=True, check=True
        )
        package, *rest = printed.stdout.strip().split(os.pathsep)
        assert (Path(package) / "alignbench" / "train").is_dir()
        assert rest == ([outer] if outer else [])


def test_parallel_model_jobs_share_the_cores(tmp_path, tiny_model_dir):
    config = tiny_config(tiny_model_dir)
    workdir = make_workdir(tmp_path, config)
    for jobs, threads in ((1, 2), (2, 1), (3, 1)):  # --cores 2; never fewer than one thread
        edit_config(workdir, lambda c, jobs=jobs: c["compute"].update(parallel_model_jobs=jobs))
        command = training_command(workdir)
        assert f"OMP_NUM_THREADS={threads} python -m alignbench.train" in command, jobs


@pytest.mark.parametrize(
    ("profile", "spawns"),
    [
        ((), False),
        (("--workflow-profile", "profiles/gpu"), False),
        (("--workflow-profile", "none"), True),
    ],
)
def test_local_profiles_write_train_specs_without_starting_another_snakemake(
    tmp_path, tiny_model_dir, profile, spawns
):
    """A `run:` job spawned as a new Snakemake reads the whole workflow again, seconds each:
    the local profiles keep it in Snakemake's own process (profiles/default, force-use-threads).
    Without a profile it does spawn, which shows that the log line checked for is the one
    Snakemake writes when it spawns."""
    workdir = make_workdir(tmp_path, tiny_config(tiny_model_dir))
    target = "results/models/orpo/seed1/train_spec.json"
    result = snakemake(workdir, target, "--verbose", *profile)
    assert result.returncode == 0, result.stderr[-2000:]
    assert ("spawned job:" in result.stderr) is spawns
    assert json.loads((workdir / target).read_text())["variant"] == "orpo"


def test_sampling_knobs_are_ignored_while_decoding_is_greedy(finished_run):
    edit_config(finished_run, lambda c: c["generation"].update(temperature=0.3))
    try:
        # Only the report, which prints the whole config, is redone.
        assert planned_jobs(finished_run, "report") == {"report": 1}
    finally:
        edit_config(finished_run, lambda c: c["generation"].update(temperature=0.7))


def test_a_config_with_its_keys_in_another_order_reruns_nothing(finished_run):
    original = (finished_run / "tiny.yaml").read_text()
    config = yaml.safe_load(original)
    assert list(config) != sorted(config)  # the run used the demo's own key order
    (finished_run / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=True))
    try:
        assert planned_jobs(finished_run, "report") == {}
    finally:
        (finished_run / "tiny.yaml").write_text(original)


def test_model_jobs_ask_for_gpus_only_when_the_config_does(tmp_path, tiny_model_dir):
    workdir = make_workdir(tmp_path, tiny_config(tiny_model_dir))
    model_rules = ("train", "generate", "score_preferences")

    def gpu_requests() -> set[int]:
        result, plan = dry_run(workdir, "report")
        assert result.returncode == 0, result.stderr[-2000:]
        return {job["resources"]["gpu"] for job in plan["jobs"] if job["rule"] in model_rules}

    assert gpu_requests() == {0}
    edit_config(workdir, lambda c: c.update(compute={"gpus": 1}))
    assert gpu_requests() == {1}

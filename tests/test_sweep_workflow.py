"""A sweep through the whole workflow on the tiny configuration: every grid point is a variant
with its own targets, adding a value trains only the new points, and the report has a sweep
section. Bad grids stop the run before any job."""

from __future__ import annotations

import json

import pytest

from tests.workflow_runs import edit_config, make_workdir, planned_jobs, snakemake, tiny_config

pytestmark = pytest.mark.workflow

GRID = {"learning_rate": [1.0e-4, 2.0e-4], "beta": [0.1, 0.2]}
# The default point (orpo: 2e-4, beta 0.1) is one of the four combinations: three new points.
POINTS = [
    "orpo@learning_rate=0.0001@beta=0.1",
    "orpo@learning_rate=0.0001@beta=0.2",
    "orpo@learning_rate=0.0002@beta=0.2",
]


def sweep_config(model_dir) -> dict:
    config = tiny_config(model_dir, seeds=[1])
    config["variants"]["dpo"]["enabled"] = False
    config["variants"]["orpo"]["args"].update(learning_rate=2.0e-4, beta=0.1)
    config["variants"]["orpo"]["grid"] = {key: list(values) for key, values in GRID.items()}
    return config


@pytest.fixture(scope="module")
def swept_run(tmp_path_factory, tiny_model_dir):
    workdir = make_workdir(tmp_path_factory.mktemp("sweep"), sweep_config(tiny_model_dir))
    result = snakemake(workdir, "report")
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


def test_every_point_is_a_variant_with_its_own_files(swept_run):
    results = swept_run / "results"
    for point in POINTS:
        spec = json.loads((results / "models" / point / "seed1" / "train_spec.json").read_text())
        settings = dict(part.split("=") for part in point.split("@")[1:])
        assert spec["args"]["learning_rate"] == float(settings["learning_rate"])
        assert spec["args"]["beta"] == float(settings["beta"])
        assert json.loads((results / point / "rouge.json").read_text())["variant"] == point
    rows = (results / "scores.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in rows[1:]] == ["base", "sft", "orpo", *POINTS]


def test_sweep_comparisons_plots_and_report(swept_run):
    results = swept_run / "results"
    comparisons = json.loads((results / "comparisons.json").read_text())
    sweep_rows = [row for row in comparisons if row["family"] == "sweep orpo: rougeL"]
    assert sorted(row["variant"] for row in sweep_rows) == POINTS
    assert {row["reference"] for row in sweep_rows} == {"orpo"}
    assert all(
        row["family_size"] == 3 and row["p_adjusted"] >= row["p_value"] for row in sweep_rows
    )
    # Grid points are compared with their default only, never with the other arms.
    assert not [
        row for row in comparisons if row["variant"] in POINTS and row["reference"] != "orpo"
    ]
    for setting in GRID:
        assert (results / "plots" / "sweeps" / "orpo" / f"{setting}.png").read_bytes()[
            :4
        ] == b"\x89PNG"
    html = (results / "report" / "index.html").read_text()
    assert "3.8 Sweeps" in html and "Sweep of orpo (orpo)" in html
    assert "ROUGE-L against learning_rate, orpo sweep" in html


def test_adding_a_grid_value_trains_only_the_new_points(swept_run):
    assert planned_jobs(swept_run, "report") == {}
    edit_config(swept_run, lambda c: c["variants"]["orpo"]["grid"]["learning_rate"].append(5.0e-4))
    try:
        jobs = planned_jobs(swept_run, "report")
    finally:
        edit_config(swept_run, lambda c: c["variants"]["orpo"]["grid"]["learning_rate"].pop())
    # 5e-4 with beta 0.1 and with beta 0.2, one seed: two trainings, nothing else retrained.
    assert jobs["train"] == 2 and jobs["write_train_spec"] == 2 and jobs["generate"] == 2
    assert jobs["summarize_variant"] == 2
    assert planned_jobs(swept_run, "report") == {}


def test_one_point_is_one_target(tmp_path, tiny_model_dir):
    workdir = make_workdir(tmp_path, sweep_config(tiny_model_dir))
    jobs = planned_jobs(workdir, f"results/{POINTS[1]}/rouge.json")
    assert jobs["train"] == 1 and jobs["generate"] == 1 and jobs["summarize_variant"] == 1
    assert "report" not in jobs and "compare_variants" not in jobs


@pytest.mark.parametrize(
    ("grid_of", "grid", "message"),
    [
        ("sft", {"beta": [0.1, 0.2]}, "variants.sft.grid.beta: sft training takes no beta"),
        ("orpo", {}, "variants.orpo.grid is empty"),
        ("orpo", {"learning_rate": []}, "variants.orpo.grid.learning_rate: give a non-empty"),
        ("orpo", {"seed": [1, 2]}, "variants.orpo.grid.seed: seed is set by the workflow"),
        ("orpo", {"lora.rank": [8]}, "variants.orpo.grid.lora.rank: not a LoRA setting"),
    ],
)
def test_a_bad_grid_fails_before_any_job(tmp_path, tiny_model_dir, grid_of, grid, message):
    config = sweep_config(tiny_model_dir)
    del config["variants"]["orpo"]["grid"]
    config["variants"][grid_of]["grid"] = grid
    workdir = make_workdir(tmp_path, config)
    result = snakemake(workdir, "report", "--dry-run")
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (workdir / "results").exists()

"""The benchmark suite (benchmarks/) on toy sizes: real code, no timed assertions."""

import pytest

from alignbench.data.demo import generate_demo_rows
from benchmarks import dry_run, generation, output_layer, peak, scaling, scoring, table, training
from tests.factories import make_spec


@pytest.fixture(scope="module")
def demo_rows():
    # With ids, as the data stage's split gives them.
    return [{"id": f"row-{i}", **row} for i, row in enumerate(generate_demo_rows(12, seed=3))]


@pytest.fixture(scope="module")
def tiny_model(tiny_model_dir):
    from alignbench.models.loading import load_tokenizer, load_variant

    return load_variant(tiny_model_dir, [], "fp32"), load_tokenizer(tiny_model_dir)


@pytest.fixture(scope="module")
def training_jobs(tmp_path_factory, tiny_model_dir, demo_rows):
    """SFT, ORPO and DPO (after SFT) through the workflow's train, two steps each."""
    work = tmp_path_factory.mktemp("bench-train")
    jobs = {}
    for method in ("sft", "orpo", "dpo"):
        parents = (jobs["sft"]["adapter"],) if method == "dpo" else ()
        jobs[method] = training.run_job(
            make_spec(method), tiny_model_dir, demo_rows[:4], work, parents
        )
    return jobs


def test_training_counts_tokens_and_times_the_loop(training_jobs):
    for method, job in training_jobs.items():
        assert job["optimizer_steps"] == 2, method
        assert 0 < job["computed_real_tokens"] <= job["padded_tokens"]
        assert job["computed_real_tokens"] == job["real_tokens"] - job["shared_tokens"]
        assert 0 <= job["padding_share"] <= 1
        assert job["real_tokens_per_second"] > 0 and job["flops_per_second"] > 0
        assert 0 < job["loop_seconds"] < job["job_seconds"]
        assert job["setup_seconds"] > 0 and job["save_seconds"] > 0
        assert job["parameters"] > 0
    # Every product in the layers has one row per position of the pass: the positions counted
    # pass by pass add up to those computed, and the shapes are the tiny Llama's projections
    # (query, key, value, output; gate, up, down), whichever of them LoRA adapts.
    from alignbench.models.random_init import TINY_SHAPE

    hidden, inner = TINY_SHAPE["hidden_size"], TINY_SHAPE["intermediate_size"]
    key_value = hidden // TINY_SHAPE["num_attention_heads"] * TINY_SHAPE["num_key_value_heads"]
    projections = [(hidden, hidden), (hidden, key_value), (hidden, key_value), (hidden, hidden),
                   (hidden, inner), (hidden, inner), (inner, hidden)]  # fmt: skip
    for method, job in training_jobs.items():
        assert job["layer_shapes"] == projections, method
        # Two steps of one micro-batch each (make_spec: no accumulation).
        assert job["forward_passes"] == 2, method
        assert job["positions_per_pass"] * job["forward_passes"] == job["padded_tokens"]
    # Only DPO runs reference forward passes (no gradients): they count at 2N, not 4N.
    assert training_jobs["sft"]["reference_real_tokens"] == 0
    assert training_jobs["orpo"]["reference_real_tokens"] == 0
    dpo = training_jobs["dpo"]
    assert dpo["reference_real_tokens"] > 0
    assert dpo["flops"] == dpo["parameters"] * (
        4 * dpo["computed_real_tokens"] + 2 * dpo["reference_computed_real_tokens"]
    )
    # ORPO and DPO compute each pair's prompt once (the spec's shared_prompt), SFT has no pairs.
    assert training_jobs["sft"]["shared_tokens"] == 0
    assert training_jobs["orpo"]["shared_tokens"] > 0 and dpo["shared_tokens"] > 0
    assert dpo["reference_computed_real_tokens"] < dpo["reference_real_tokens"]


def test_the_probe_leaves_the_workflow_trainer_as_it_was(training_jobs):
    from alignbench.train.methods import METHODS

    trainer_cls, _ = METHODS["sft"].trainer_and_config()
    assert trainer_cls.__name__ == "SFTTrainer"


def test_padding_share():
    assert training.padding_share(75, 100) == pytest.approx(0.25)
    assert training.padding_share(0, 0) == 0.0


def test_train_spec_is_the_workflows(tmp_path):
    from benchmarks.inputs import load_config

    config = load_config()
    spec = training.train_spec(config, "orpo")
    assert spec["args"] == config["variants"]["orpo"]["args"]
    assert spec["method"] == "orpo" and spec["lora"] == config["lora"]
    assert training.rows_per_step(spec) == 8  # 4 per device x 2 accumulation in the demo


def test_batched_and_single_generation_agree(tiny_model, demo_rows):
    model, tokenizer = tiny_model
    decoding = {"max_new_tokens": 5, "batch_size": 4, "do_sample": False}
    comparison = generation.batched_vs_single(model, tokenizer, demo_rows[:6], decoding)
    assert comparison["identical"] and comparison["mismatched_ids"] == []
    for run in ("batched", "single"):
        assert comparison[run]["new_tokens_per_second"] > 0
        assert comparison[run]["prompts"] == 6
    assert comparison["single"]["batch_size"] == 1


def test_generation_is_timed_at_half_and_twice_the_configured_batch_size(tiny_model, demo_rows):
    from benchmarks.__main__ import batch_size_runs

    model, tokenizer = tiny_model
    decoding = {"max_new_tokens": 3, "batch_size": 2, "do_sample": False}
    configured = generation.without_records(
        generation.timed_generation(model, tokenizer, demo_rows[:4], decoding)
    )
    runs = batch_size_runs(model, tokenizer, demo_rows[:4], decoding, configured)
    assert [run["batch_size"] for run in runs] == [1, 2, 4]
    assert runs[1] is configured
    assert all(run["prompts"] == 4 and run["seconds"] > 0 for run in runs)


def test_differing_generations_fail_the_check():
    first = [{"id": "a", "generation": "5.", "new_tokens": 2}]
    second = [{"id": "a", "generation": "6.", "new_tokens": 2}]
    assert generation.mismatched_ids(first, second) == ["a"]
    with pytest.raises(AssertionError, match="1 of 1"):
        generation.assert_identical(first, second)
    generation.assert_identical(first, first)
    with pytest.raises(ValueError, match="different prompts"):
        generation.mismatched_ids(first, [{**second[0], "id": "b"}])


def test_preference_scoring_rate(tiny_model, demo_rows):
    model, tokenizer = tiny_model
    scores = scoring.score_pairs(model, tokenizer, demo_rows[:4], batch_size=2)
    assert scores["pairs"] == 4 and scores["pairs_per_second"] > 0
    assert scores["shared_prompt"] and scores["apart_pairs_per_second"] > 0
    # Each pair's prompt once instead of twice; the same scores either way.
    assert scores["positions"] < scores["apart_positions"]
    assert scores["max_difference"] < 1e-4


def test_output_layer_ways_are_timed_and_checked_against_fp64():
    import torch

    torch.manual_seed(0)
    weight = torch.randn(500, 16).to(torch.bfloat16)
    hidden, targets = torch.randn(30, 16), torch.randint(0, 500, (30,))
    rows = output_layer.measure(hidden, targets, weight, repeats=2)

    assert [row[0] for row in rows] == list(output_layer.implementations())
    errors = {}
    for name, best, median, logp_error, grad_error in rows:
        assert float(best) <= float(median), name
        errors[name] = float(logp_error), float(grad_error.rstrip("%")) / 100
    # bf16 logits everywhere: every way is as far from fp64 as the full log-softmax, give or take.
    full_logp_error, full_grad_error = errors["full log-softmax"]
    assert 0 < full_grad_error < 0.05
    for name, (logp_error, grad_error) in errors.items():
        assert logp_error <= 2 * full_logp_error + 1e-4, name
        assert grad_error <= 2 * full_grad_error, name


def test_matmul_peak_is_positive():
    assert peak.matmul_flops_per_second("fp32", size=64, seconds=0.05) > 0


def test_layer_products_rate_is_positive_for_each_precision():
    shapes = [(32, 16), (64, 32)]
    for dtype in ("fp32", "bf16"):
        assert peak.layer_products_flops_per_second(shapes, 10, dtype, seconds=0.05) > 0


def test_linear_growth_is_fitted_exactly():
    fit = scaling.fit_line([1, 2, 4], [3.0, 5.0, 9.0])
    assert fit["slope"] == pytest.approx(2.0) and fit["intercept"] == pytest.approx(1.0)
    assert fit["r2"] == pytest.approx(1.0) and fit["marginal_ratio"] == pytest.approx(1.0)
    assert fit["linear"] and fit["max_deviation"] == pytest.approx(0.0, abs=1e-12)


def test_superlinear_growth_is_flagged():
    fit = scaling.fit_line([1, 2, 4], [1.0, 2.0, 16.0])
    assert not fit["linear"]
    assert fit["marginal_ratio"] == pytest.approx(7.0)  # (16 - 2) / 2 against (2 - 1) / 1
    with pytest.raises(ValueError):
        scaling.fit_line([1], [1.0])


def test_a_failing_dry_run_is_reported_after_one_try(tmp_path):
    finished = tmp_path / dry_run.FINISHED
    finished.parent.mkdir(parents=True)
    finished.write_text("<html></html>")
    result = dry_run.noop_dry_run(repo=tmp_path)  # no Snakefile here: snakemake fails
    assert result["returncode"] != 0 and not result["noop"]
    assert len(result["tries"]) == 1 and result["tail"]
    row = table.dry_run_rows({"dry_run": result})[0]
    assert "NOT a no-op" in row[3] and "best of 1" in row[3]


def test_dry_run_is_skipped_without_a_finished_run(tmp_path):
    result = dry_run.noop_dry_run(repo=tmp_path)
    assert "no finished run" in result["skipped"]


def test_table_has_the_columns_and_a_row_per_figure(training_jobs):
    for job in training_jobs.values():
        job.update(import_seconds=1.0, outside_seconds=2.0, precision="fp32")
    # The loop's own products alone: the row gives the loop's share of their rate.
    orpo = training_jobs["orpo"]
    orpo["layer_products_flops_per_second"] = orpo["flops_per_second"] * 4
    fit = scaling.fit_line([1, 2, 4], [3.0, 5.0, 9.0])
    run = {"prompts": 4, "batch_size": 4, "new_tokens_per_second": 10.0}
    results = {
        "machine": {"threads": 2},
        "peak": {"bf16": 4e11, "fp32": 2e11},
        "training": {"per_method": training_jobs, "scaling": {"sft": fit}},
        "generation": {
            "runs": [{**run, "precision": "bf16"}],
            "comparison": {
                "batched": run,
                "single": {**run, "batch_size": 1},
                "speedup": 1.0,
                "identical": True,
                "precision": "fp32",
            },
            "precision_gain": {
                "precision": "bf16",
                "prompts": 4,
                "speedup": 2.5,
                "answers_differing_from_fp32": 1,
            },
            "scaling": {"batched": fit},
            "batch_sizes": [
                {"prompts": 4, "batch_size": 2, "seconds": 3.0},
                {"prompts": 4, "batch_size": 4, "seconds": 2.0},
                {"prompts": 4, "batch_size": 8, "seconds": 2.5},
            ],
        },
        "scoring": {
            "pairs": 4,
            "batch_size": 2,
            "shared_prompt": True,
            "pairs_per_second": 3.0,
            "apart_pairs_per_second": 2.0,
            "positions": 300,
            "apart_positions": 500,
            "max_difference": 1e-6,
        },
        "dry_run": {"skipped": "no finished run"},
    }
    text = table.markdown_table(table.result_rows(results))
    lines = text.splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == list(table.COLUMNS)
    assert all(line.count("|") == len(table.COLUMNS) + 1 for line in lines)
    for measure in ("matmul bf16", "sft padding share", "dpo achieved FLOP/s", "pairs/s", "1.50x"):
        assert measure in text
    assert "identical" in text and "skipped" in text
    products = [line for line in lines if "layer products alone" in line]
    assert len(products) == 1 and "orpo" in products[0] and "reaches 25.0% of it" in products[0]
    assert f"{round(orpo['positions_per_pass'])} positions per pass" in products[0]
    assert "bf16 over fp32, batched" in text and "2.50x" in text
    assert "1 greedy answers differ" in text
    # On a CPU without bf16 the configured precision is fp32: no row sets fp32 against itself.
    results["generation"]["precision_gain"]["precision"] = "fp32"
    assert "over fp32" not in table.markdown_table(table.result_rows(results))
    assert "best 4" in text and "4 (configured): 2.0 s" in text
    with pytest.raises(ValueError):
        table.markdown_table([("too", "few")])


@pytest.mark.parametrize(
    ("cores", "compute", "threads"),
    [(2, {"parallel_model_jobs": 2}, 1), (8, {"parallel_model_jobs": 3}, 2), (2, {}, 2)],
)
def test_threads_default_to_what_a_local_run_gives_each_model_job(cores, compute, threads):
    from alignbench.job_settings import local_model_job_threads
    from benchmarks.__main__ import parse_arguments

    assert parse_arguments(["--cores", str(cores)]).threads is None  # decided from the config
    assert local_model_job_threads({"compute": compute}, cores) == threads


def test_the_demo_config_benchmarks_on_the_threads_its_jobs_get():
    from alignbench.job_settings import local_model_job_threads
    from benchmarks import inputs

    # Two model jobs at once on the README's two cores: one thread each.
    assert local_model_job_threads(inputs.load_config(), 2) == 1

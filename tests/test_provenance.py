"""Provenance (versions, git) and Snakemake benchmark files, as the report shows them."""

from __future__ import annotations

import pytest

from alignbench.benchmark_files import benchmark_name, read_benchmark
from alignbench.provenance import collect_provenance
from alignbench.report.provenance import benchmark_rows, total_wall_time

BENCHMARK_TSV = (
    "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    "12.3456\t0:00:12\t1534.21\tNA\t-\tNA\t0.01\t2.5\t95.0\t11.7\n"
)


def test_read_benchmark_parses_numbers_and_na(tmp_path):
    path = tmp_path / "bench.tsv"
    path.write_text(BENCHMARK_TSV)
    bench = read_benchmark(path)
    assert bench["s"] == pytest.approx(12.3456)
    assert bench["max_rss"] == pytest.approx(1534.21)
    assert bench["h:m:s"] == "0:00:12"
    assert bench["max_vms"] is None and bench["max_uss"] is None


def test_benchmark_name_follows_the_path_below_benchmarks():
    assert benchmark_name("results/benchmarks/train/sft.tsv") == "train/sft"
    assert benchmark_name("results/benchmarks/prepare_base_model.tsv") == "prepare_base_model"


def test_unmeasured_fields_show_as_missing_and_are_left_out_of_the_total():
    benchmarks = {
        "a": {"s": 10.04, "h:m:s": "0:00:10", "max_rss": 1234.5},
        "b": {"s": None, "h:m:s": None, "max_rss": None},
    }
    assert benchmark_rows(benchmarks) == [
        {"name": "a", "seconds": "10.0", "hms": "0:00:10", "max_rss_mb": "1,234"},
        {"name": "b", "seconds": "—", "hms": "—", "max_rss_mb": "—"},
    ]
    assert total_wall_time(benchmarks) == "10.0"
    assert total_wall_time({}) == "—"


def test_collect_provenance_has_versions_and_git(tmp_path):
    collected = collect_provenance(tmp_path)  # not a git repository
    assert collected["git_commit"] == "unknown"
    assert set(collected["packages"]) >= {"torch", "transformers", "trl", "rouge_score"}
    assert collected["timestamp"].endswith("+00:00")


def test_provenance_takes_the_model_stack_from_the_model_jobs_environment(tmp_path):
    # Under --use-conda the report job runs in the light env, which has no torch.
    recorded = {"python": "3.11.0", "packages": {"torch": "2.13.0", "trl": "1.16.0"}}
    collected = collect_provenance(tmp_path, recorded)
    assert collected["python"] == "3.11.0"
    assert collected["packages"]["torch"] == "2.13.0" and collected["packages"]["trl"] == "1.16.0"
    assert collected["packages"]["rouge_score"] != "not installed"  # read where it renders

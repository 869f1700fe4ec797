"""Tests for alignbench.report with the real template, the real config passed through the real
schema validation (as the workflow sees it), and tiny synthetic results in our rules' formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from alignbench.evaluation.rouge import ROUGE_TYPES
from alignbench.report import provenance, run_setup
from alignbench.report.context import build_context
from alignbench.report.render import render_report, write_report

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "report" / "paper.html.j2"
CONFIG = REPO / "config" / "config.yaml"
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
MALICIOUS = "<script>alert(1)</script>"
SCORES = {
    "base": (0.2951, 0.1012, 0.2013),
    "sft": (0.3322, 0.1234, 0.2245),
    "orpo": (0.3017, 0.1056, 0.2087),
}
VARIANTS = tuple(SCORES)
FIGURE_NAMES = ("rouge", "training_curves", "answer_lengths")
PROMPTS = 12  # more than report.samples, so the cut-off is visible
SPREAD = [(i - (PROMPTS - 1) / 2) / 100 for i in range(PROMPTS)]  # sums to 0: means stay put
BENCHMARK_TSV = (
    "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    "12.3456\t0:00:12\t1534.21\tNA\t-\tNA\t0.01\t2.5\t95.0\t11.7\n"
)
DATA_REPORT = {
    "source": {"source": "demo", "rows": 120},
    "raw_rows": 120,
    "selected_rows": 120,
    "invalid_rows": {"missing_chosen": 3, "empty_prompt": 1},
    "split": {"train": 100, "validation": 16},
    "length_filter": {
        "max_prompt_tokens": 256,
        "max_total_tokens": 384,
        "removed": {"train": {"prompt": 4}, "validation": {}},
    },
    "validation_duplicates_removed": {},
    "final": {"train": 96, "validation": 16},
}


def make_config(model_source: str = "gguf_embedded", drop: tuple[str, ...] = ()) -> dict:
    """config/config.yaml with the given model source and blocks removed, then validated:
    validate() fills every default, exactly as the workflow's common.smk does."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["model"]["source"] = model_source
    for block in drop:
        del config[block]
    validate(config, str(SCHEMA))
    return config


def make_generations() -> dict[str, list[dict]]:
    generations = {}
    for variant in VARIANTS:
        generations[variant] = [
            {
                "id": f"p{i}",
                "messages": [{"role": "user", "content": f"Question {i}?"}],
                "reference": f"Reference {i}",
                "generation": MALICIOUS if (variant, i) == ("orpo", 0) else f"{variant} answer {i}",
                "new_tokens": 10 + i,
                "stopped_on_eos": i % 2 == 0,
                "task": "arithmetic",
                "answer": str(i),
            }
            for i in range(PROMPTS)
        ]
    # A prompt only one variant answered must be neither sampled nor paired.
    generations["sft"].insert(0, {**generations["sft"][0], "id": "only-sft"})
    return generations


def make_rouge() -> dict[str, dict]:
    rouge = {}
    for variant, means in SCORES.items():
        # Spread symmetric around each mean, the same for every variant: each paired
        # difference is then a constant, so its interval has zero width.
        per_example = [
            {"id": f"p{i}", **{m: mean + d for m, mean in zip(ROUGE_TYPES, means, strict=True)}}
            for i, d in enumerate(SPREAD)
        ]
        rouge[variant] = {
            "variant": variant,
            "n": PROMPTS,
            "use_stemmer": True,
            "mean": dict(zip(ROUGE_TYPES, means, strict=True)),
            "per_example": per_example,
        }
    return rouge


def make_scores(variants=VARIANTS) -> list[dict]:
    """Rows as plots.read_scores_tsv returns them from results/scores.tsv."""
    return [
        {"variant": v, "n": PROMPTS, **dict(zip(ROUGE_TYPES, SCORES[v], strict=True))}
        for v in variants
    ]


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict[str, str]:
    """Stand-in PNG files: the report only embeds their bytes (test_plots draws real ones)."""
    directory = tmp_path_factory.mktemp("figures")
    paths = {name: directory / f"{name}.png" for name in FIGURE_NAMES}
    for path in paths.values():
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture(scope="module")
def benchmarks(tmp_path_factory) -> dict[str, dict]:
    bench = tmp_path_factory.mktemp("results") / "benchmarks" / "train" / "sft.tsv"
    bench.parent.mkdir(parents=True)
    bench.write_text(BENCHMARK_TSV)
    return provenance.read_benchmarks([bench])


def make_context(figures, benchmarks=None, config=None) -> dict:
    config = config or make_config()
    variants = list(config["variants"])
    rouge, generations = make_rouge(), make_generations()
    return build_context(
        config=config,
        scores=make_scores(variants),
        rouge={v: rouge[v] for v in variants},
        generations={v: generations[v] for v in variants},
        data_report=DATA_REPORT,
        figures=figures,
        benchmarks=benchmarks or {},
        provenance=provenance.collect_provenance(REPO),
    )


@pytest.fixture(scope="module")
def context(figures, benchmarks) -> dict:
    return make_context(figures, benchmarks)


@pytest.fixture(scope="module")
def html(context) -> str:
    return render_report(context, TEMPLATE)


def test_html_lists_each_variant_with_its_rouge(html):
    for variant, numbers in SCORES.items():
        assert variant in html
        for value in numbers:
            assert f"{value:.4f}" in html


def test_paired_difference_of_a_constant_shift(context):
    sft = next(row for row in context["paired"]["rows"] if row["variant"] == "sft")
    shift = f"{SCORES['sft'][0] - SCORES['base'][0]:.4f}"  # 0.3322 - 0.2951 = 0.0371
    assert context["paired"]["reference"] == "base"
    assert (sft["n"], sft["rouge1"], sft["rouge1_ci"]) == (PROMPTS, shift, f"[{shift}, {shift}]")


def test_html_shows_published_and_corrected_numbers(html):
    for value in ("0.1479", "0.0574", "0.0956", "0.1664", "0.0688", "0.1019", "0.1505"):
        assert value in html
    assert f"{0.1479 * 2000 / 1001:.4f}" in html  # halving-corrected base ROUGE-1


def test_html_loads_nothing_from_the_network(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html
    assert "url(" not in html


def test_model_text_is_escaped(html):
    assert MALICIOUS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


def test_figures_are_embedded(html):
    assert html.count('src="data:image/png;base64,') == len(FIGURE_NAMES)


def test_samples_use_the_configured_number_of_common_prompts(html):
    samples = make_config()["report"]["samples"]
    assert 0 < samples < PROMPTS
    assert "only-sft" not in html
    assert "Question 0?" in html and f"Question {samples - 1}?" in html
    assert f"Question {samples}?" not in html


def test_data_report_shows_invalid_reasons(html):
    assert "missing_chosen" in html and "empty_prompt" in html
    assert "max_prompt_tokens" in html


def test_flaws_are_listed(html):
    assert "prompt" in html and "2,000" in html and "reference model" in html
    assert "precision (fp32)" in html


def test_stand_in_warning_only_for_embedded_model(html, figures):
    # config.yaml's title names the stand-in; the schema's default title does not.
    hub_config = make_config("hub", drop=("title",))
    hub = render_report(make_context(figures, config=hub_config), TEMPLATE)
    assert "SmolLM2-135M-Instruct stand-in, not Llama-3.2-1B" in html
    assert "Stand-in model" in html
    assert "stand-in" not in hub.lower()
    assert "meta-llama/Llama-3.2-1B" in hub


def test_report_renders_from_schema_defaults(figures):
    config = make_config(drop=("report", "scoring", "quantization"))
    html = render_report(make_context(figures, config=config), TEMPLATE)
    assert "quantization.load_in_4bit" in html  # filled in by validate()


def test_a_base_only_config_has_no_paired_table(figures):
    config = make_config()
    config["variants"] = {"base": config["variants"]["base"]}
    context = make_context(figures, config=config)
    assert context["paired"]["rows"] == []
    assert "Table 3" not in render_report(context, TEMPLATE)


def test_read_benchmark_parses_numbers_and_na(tmp_path):
    path = tmp_path / "bench.tsv"
    path.write_text(BENCHMARK_TSV)
    bench = provenance.read_benchmark(path)
    assert bench["s"] == pytest.approx(12.3456)
    assert bench["max_rss"] == pytest.approx(1534.21)
    assert bench["h:m:s"] == "0:00:12"
    assert bench["max_vms"] is None and bench["max_uss"] is None


def test_benchmark_appears_in_html(html):
    assert "train/sft" in html and "12.3" in html and "1,534" in html


def test_benchmark_name_follows_the_path_below_benchmarks():
    assert provenance.benchmark_name("results/benchmarks/train/sft.tsv") == "train/sft"
    name = provenance.benchmark_name("results/benchmarks/prepare_base_model.tsv")
    assert name == "prepare_base_model"


def test_hyperparameters_come_from_variant_args(html):
    config = make_config()
    table = run_setup.hyperparameter_table(config)
    assert table["columns"] == list(VARIANTS)
    learning_rate = next(r for r in table["rows"] if r["key"] == "learning_rate")
    trained = [f"{config['variants'][v]['args']['learning_rate']:g}" for v in ("sft", "orpo")]
    assert learning_rate["values"] == ["—", *trained]  # base has no args
    assert "lora.r" in html  # shared training settings are shown too


def test_setup_describes_only_the_active_source():
    config = make_config("hub")
    hub = run_setup.model_setup(config)
    assert (hub["id"], hub["revision"], hub["stand_in"]) == (
        config["model"]["hub"]["id"],
        config["model"]["hub"]["revision"],
        False,
    )
    embedded = run_setup.model_setup(make_config("gguf_embedded"))
    assert embedded["stand_in"] and "meta-llama" not in str(embedded["rows"])
    local = run_setup.model_setup(make_config("local"))
    assert (local["id"], local["revision"]) == (config["model"]["local"]["path"], "—")
    assert run_setup.data_label(config).startswith("synthetic demo data")


def test_collect_provenance_has_versions_and_git(tmp_path):
    collected = provenance.collect_provenance(tmp_path)  # not a git repository
    assert collected["git_commit"] == "unknown"
    assert set(collected["packages"]) >= {"torch", "transformers", "trl", "rouge_score"}
    assert collected["timestamp"].endswith("+00:00")


def test_write_report_is_atomic_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "report" / "paper.html"
    write_report("<p>first</p>", out)
    write_report("<p>second</p>", out)
    assert out.read_text() == "<p>second</p>"
    assert [p.name for p in out.parent.iterdir()] == ["paper.html"]


def test_write_report_cleans_up_on_failure(tmp_path):
    out = tmp_path / "paper.html"
    with pytest.raises(TypeError):
        write_report(None, out)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []

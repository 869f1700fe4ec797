"""Tests for alignbench.report with the real template, the real config passed through the real
schema validation (as the workflow sees it), and summaries made by the real
aggregate.summarize_variant / compare_variants from small synthetic per-run files in the formats
our scoring rules write."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml
from markupsafe import escape
from snakemake.utils import validate

from alignbench.evaluation import answers, preferences, reward
from alignbench.evaluation.aggregate import compare_variants, scores_table, summarize_variant
from alignbench.evaluation.plots import read_scores_tsv
from alignbench.evaluation.rouge import ROUGE_TYPES, mean_scores
from alignbench.report import comparisons as compare
from alignbench.report import provenance, run_setup
from alignbench.report.context import FIGURE_TEXT, build_context
from alignbench.report.formatting import metric_label
from alignbench.report.render import render_report, write_report
from alignbench.variants import enabled_variants

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "report" / "paper.html.j2"
CONFIG = REPO / "config" / "config.yaml"
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
MALICIOUS = "<script>alert(1)</script>"
SEEDS = (42, 43)
PROMPTS = 16  # more than report.samples, so the cut-off is visible
MAX_NEW_TOKENS = 48
REWARD_MODEL = "judges/tiny-reward"
# Per variant: pooled ROUGE means, preference margin, answer length, which prompts it gets right.
# sft and orpo give equally long answers on every prompt: an identical-arms comparison.
ARMS = {
    "base": {"rouge": (0.2951, 0.1012, 0.2013), "margin": 0.0, "tokens": 40, "right": {0}},
    "sft": {"rouge": (0.3322, 0.1234, 0.2245), "margin": 0.3, "tokens": 24, "right": {0, 2}},
    "orpo": {"rouge": (0.3017, 0.1056, 0.2087), "margin": 0.6, "tokens": 24, "right": {0, 1, 2}},
    "dpo": {"rouge": (0.3100, 0.1100, 0.2150), "margin": 0.5, "tokens": 30, "right": {0, 1, 2}},
}
# Zero-sum spread: rolled differently per variant, it keeps every pooled mean exact while
# paired differences vary from prompt to prompt (so intervals have a width).
SPREAD = [(i - (PROMPTS - 1) / 2) / 1000 for i in range(PROMPTS)]
SEED_SHIFT = {"seed42": 0.002, "seed43": -0.002, "untrained": 0.0}
TASKS = ("arithmetic", "sorting")
FIGURE_NAMES = tuple(FIGURE_TEXT)
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


def make_config(
    model_source: str = "gguf_embedded",
    drop: tuple[str, ...] = (),
    disabled: tuple[str, ...] = (),
    reward_model: str | None = None,
) -> dict:
    """config/config.yaml with two training seeds and the given changes, then validated:
    validate() fills every default, exactly as the workflow's common.smk does."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["model"]["source"] = model_source
    config["training"]["seeds"] = list(SEEDS)
    config["evaluation"]["reward_model"] = reward_model
    for name in disabled:
        config["variants"][name]["enabled"] = False
    for block in drop:
        del config[block]
    validate(config, str(SCHEMA))
    return config


# --- synthetic per-run files, in the formats of our scoring rules ---------------------------


def runs_of(block: dict) -> list[str]:
    return ["untrained"] if block["method"] == "none" else [f"seed{s}" for s in SEEDS]


def noise(variant: str, i: int) -> float:
    return SPREAD[(i + 5 * list(ARMS).index(variant)) % PROMPTS]


def make_records(variant: str, run: str, tasks: bool) -> list[dict]:
    """Generation records as generate.make_record writes them."""
    arm, records = ARMS[variant], []
    for i in range(PROMPTS):
        task = TASKS[i % 2]
        answer = str(10 + i) if task == "arithmetic" else f"{i}, {i + 1}"  # sorting: a list
        right = i % 4 in arm["right"]
        text = f"{variant} thinks the answer is {answer}." if right else "I am not sure, sorry."
        if (variant, run, i) == ("orpo", "seed42", 0):
            text = f"{MALICIOUS} {text}"
        records.append(
            {
                "id": f"p{i}",
                "messages": [{"role": "user", "content": f"Question {i}?"}],
                "reference": f"Reference {i}",
                "generation": text,
                "new_tokens": arm["tokens"] + i % 5,
                "stopped_on_eos": i % 3 != 0,
                "task": task if tasks else None,
                "answer": answer if tasks else None,
            }
        )
    return records


def make_rouge(variant: str, run: str) -> dict:
    """What rouge.rouge_summary returns, with chosen scores instead of real ROUGE."""
    shift = SEED_SHIFT[run]  # the two seeds differ by a constant: a spread across seeds
    per_example = [
        {
            "id": f"p{i}",
            **{
                m: mean + noise(variant, i) + shift
                for m, mean in zip(ROUGE_TYPES, ARMS[variant]["rouge"], strict=True)
            },
        }
        for i in range(PROMPTS)
    ]
    mean = mean_scores(per_example)
    return {
        "variant": variant,
        "n": PROMPTS,
        "use_stemmer": True,
        "mean": mean,
        "per_example": per_example,
    }


def make_preferences(variant: str, run: str) -> dict:
    """summarize_preferences plus per_example, as the preference rule writes them."""
    per_example = []
    for i in range(PROMPTS):
        margin = ARMS[variant]["margin"] + (i - (PROMPTS - 1) / 2) / 20 + SEED_SHIFT[run]
        per_example.append(
            preferences.pair_scores(f"pair{i}", -1.2 + margin / 2, -1.2 - margin / 2)
        )
    return {**preferences.summarize_preferences(per_example), "per_example": per_example}


def make_reward(variant: str) -> dict:
    """summarize_rewards plus per_example, as the reward rule writes them (reference reward 0)."""
    per_example = []
    for i in range(PROMPTS):
        generation = ARMS[variant]["margin"] + 20 * noise(variant, i)
        per_example.append(
            {
                "id": f"p{i}",
                "reward_generation": generation,
                "reward_reference": 0.0,
                "win": generation > 0,
                "tie": generation == 0,
            }
        )
    return {**reward.summarize_rewards(per_example), "per_example": per_example}


def make_run_files(variant: str, run: str, tasks: bool, with_reward: bool) -> dict:
    records = make_records(variant, run, tasks)
    files = {
        "rouge": make_rouge(variant, run),
        "preferences": make_preferences(variant, run),
        "answers": {
            "statistics": answers.answer_statistics(records, MAX_NEW_TOKENS),
            "tasks": answers.task_accuracy(records),
        },
    }
    if with_reward:
        files["reward"] = make_reward(variant)
    return files


@functools.cache
def make_results(variants: tuple[str, ...], tasks: bool = True, with_reward: bool = False):
    """Summaries, comparisons and first-run generations, as the workflow's rules write them."""
    config = make_config()
    summaries, generations = {}, {}
    for variant in variants:
        block = config["variants"][variant]
        runs = runs_of(block)
        run_files = {run: make_run_files(variant, run, tasks, with_reward) for run in runs}
        summaries[variant] = summarize_variant(variant, block, run_files)
        generations[variant] = make_records(variant, runs[0], tasks)
    if "sft" in generations:
        # A prompt only one variant answered must not be sampled.
        generations["sft"].insert(0, {**generations["sft"][0], "id": "only-sft"})
    return summaries, compare_variants(summaries), generations


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


def make_context(figures, benchmarks=None, config=None, tasks=True, with_reward=False) -> dict:
    config = config or make_config()
    variants = list(enabled_variants(config["variants"]))
    summaries, comparisons, generations = make_results(tuple(variants), tasks, with_reward)
    return build_context(
        config=config,
        variants=variants,
        summaries=summaries,
        comparisons=comparisons,
        generations=generations,
        data_report=DATA_REPORT,
        figures=figures,
        benchmarks=benchmarks or {},
        provenance=provenance.collect_provenance(REPO),
    )


def body(html: str) -> str:
    """The page without the configuration dump (which lists every variant, disabled ones too)."""
    return html.split("<h3>Configuration</h3>")[0]


def shown(text: str, html: str) -> bool:
    return str(escape(text)) in html


@pytest.fixture(scope="module")
def context(figures, benchmarks) -> dict:
    return make_context(figures, benchmarks)


@pytest.fixture(scope="module")
def html(context) -> str:
    return render_report(context, TEMPLATE)


@pytest.fixture(scope="module")
def comparisons() -> list[dict]:
    return make_results(tuple(ARMS))[1]


def comparison(rows, variant, reference, metric) -> dict:
    return next(
        r
        for r in rows
        if (r["variant"], r["reference"], r["metric"]) == (variant, reference, metric)
    )


def signed(value: float, digits: int) -> str:
    return f"{value:+.{digits}f}".replace("-", "−")


# --- results ----------------------------------------------------------------------------------


def test_every_enabled_variant_with_pooled_rouge_interval_and_seed_spread(html):
    summaries = make_results(tuple(ARMS))[0]
    for variant, arm in ARMS.items():
        assert f"<td>{variant}</td>" in html
        for metric, mean in zip(ROUGE_TYPES, arm["rouge"], strict=True):
            assert f"{mean:.4f}" in html
            low, high = summaries[variant]["metrics"][metric]["pooled"]["interval"]
            assert f"[{low:.4f}, {high:.4f}]" in html
    # Two seeds shifted by ±0.002: sample standard deviation 0.002 * sqrt(2).
    assert "± 0.0028 across 2 seeds" in html
    assert "<td>seed43</td>" in html and "<td>untrained</td>" in html


def test_a_disabled_variant_does_not_appear(figures):
    context = make_context(figures, config=make_config(disabled=("dpo",)))
    page = body(render_report(context, TEMPLATE))
    assert context["variants"] == ["base", "sft", "orpo"]
    assert context["hyperparameters"]["columns"] == ["base", "sft", "orpo"]
    # "orpo-dpo-mix-40k" names the published data set, not the variant.
    assert not re.search(r"(?<![-\w])dpo(?![-\w])", page)
    assert "enabled" not in str(context["hyperparameters"]["rows"])


def test_distinguishable_difference_is_stated_as_such(html, comparisons):
    row = comparison(comparisons, "sft", "base", "rougeL")
    assert row["distinguishable"] and row["p_value"] < 0.001
    low, high = row["interval"]
    sentence = (
        f"sft − base ROUGE-L: {signed(row['mean'], 4)} [{low:.4f}, {high:.4f}], p < 0.001: "
        "distinguishable."
    )
    assert row["mean"] == pytest.approx(0.2245 - 0.2013)
    assert shown(sentence, html)


def test_identical_arms_are_not_distinguishable(html, comparisons):
    row = comparison(comparisons, "orpo", "sft", "answer_tokens")
    assert row["mean"] == 0 and not row["distinguishable"]
    listed = re.search(
        r"Not distinguishable from zero \(intervals in Table \d+\):(.*?)</p>", html, re.S
    )
    answer_tokens = re.search(r"answer tokens: ([^;.]*)", listed.group(1)).group(1)
    assert escape("orpo − sft") in answer_tokens


def test_every_shown_comparison_has_its_verdict(html, comparisons):
    for row in comparisons:
        if row["metric"] in compare.COMPARED_METRICS:
            # Differences that hold are stated in full; the others are listed by label.
            if row["distinguishable"]:
                assert shown(compare.comparison_sentence(row), html)
            verdict = compare.verdict(row)
            assert f"<td>{escape(compare.difference_label(row))}</td>" in html
            assert verdict in html


def test_comparison_groups_follow_the_metric_order(html):
    groups = re.findall(r'<th colspan="6" scope="rowgroup">(.*?)</th>', html)
    assert groups == [
        "ROUGE-L",
        "preference accuracy",
        "task accuracy",
        "answer tokens",
    ]


def test_abstract_states_only_distinguishable_differences(context, comparisons):
    headline = context["results"]["headline"]
    assert headline
    assert all("answer tokens" not in phrase for phrase in headline)
    wanted = {
        (r["variant"], r["reference"], r["metric"])
        for r in comparisons
        if r["distinguishable"] and r["metric"] in compare.HEADLINE_METRICS
    }
    assert len(headline) == len(wanted)
    assert not any(phrase.startswith("orpo − sft answer") for phrase in headline)


def test_conciseness_claim_is_tested(html):
    # orpo answers are shorter than base's on every prompt and as long as sft's.
    assert shown("The post claims that ORPO answers are more concise.", html)
    assert shown(
        "The data support the claim only for orpo − base; for orpo − sft the difference is "
        "not distinguishable from zero.",
        html,
    )


def test_conciseness_reads_a_comparison_stored_the_other_way():
    """With sft after orpo in config order the row is sft − orpo; the claim needs orpo − sft."""
    summaries = {"base": {"method": "none"}, "orpo": {"method": "orpo"}, "sft": {"method": "sft"}}
    rows = [
        {"variant": "orpo", "reference": "base", "metric": "answer_tokens", "n": 40,
         "mean": 1.0, "interval": [-0.5, 2.5], "p_value": 0.2, "distinguishable": False},
        {"variant": "sft", "reference": "orpo", "metric": "answer_tokens", "n": 40,
         "mean": -3.0, "interval": [-4.0, -2.0], "p_value": 0.0001, "distinguishable": True},
    ]  # fmt: skip
    text = compare.conciseness(list(summaries), summaries, rows, MAX_NEW_TOKENS)
    assert "orpo − sft +3.0 [2.0, 4.0], p < 0.001" in text
    assert "The data contradict the claim: ORPO answers are longer for orpo − sft." in text


def test_weak_evidence_is_flagged(html, comparisons):
    """An interval that excludes zero while the permutation test does not reject is flagged."""
    weak = [
        r
        for r in comparisons
        if r["metric"] in compare.COMPARED_METRICS
        and r["distinguishable"]
        and r["p_value"] >= compare.TEST_LEVEL
    ]
    assert weak  # task accuracy: 0/1 outcomes that differ on only 4 of 16 prompts
    for row in weak:
        label = f"{compare.difference_label(row)} {metric_label(row['metric'])}"
        assert shown(label, html)
    assert "weak evidence" in html


def test_preference_accuracy_against_chance(html):
    assert "Held-out preference accuracy" in html
    assert "not distinguishable from chance for base" in html
    assert "above chance (0.5; the whole 95% interval lies above it) for sft, orpo, dpo" in html


def test_task_family_table_with_demo_like_data(html):
    assert "Task accuracy per task family" in html
    assert "<td>arithmetic</td>" in html and "<td>sorting</td>" in html
    assert "no checkable answers" not in html


def test_no_checkable_answers_without_tasks(figures):
    context = make_context(figures, tasks=False)
    page = render_report(context, TEMPLATE)
    assert context["results"]["tasks"] is None
    assert "carry no checkable answers" in page
    assert "per task family" not in page


def test_reward_section_only_with_reward_metrics(html, figures):
    assert "Reward-model scoring was off" in html
    assert "Mean reward of the generations" not in html
    config = make_config(reward_model=REWARD_MODEL)
    page = render_report(make_context(figures, config=config, with_reward=True), TEMPLATE)
    assert "Mean reward of the generations" in page and REWARD_MODEL in page
    assert "The win rate against the reference answer is" in page
    assert "Reward-model scoring was off" not in page


def test_answer_statistics_are_shown(context, html):
    base = next(row for row in context["results"]["answers"]["rows"] if row["variant"] == "base")
    tokens, _, stopped, *_ = base["cells"]
    # 40 + i % 5 tokens over 16 prompts: 40 + 30 / 16; EOS on prompts with i % 3 != 0: 10 of 16.
    assert (tokens["mean"], stopped["mean"]) == ("41.9", "0.625")
    assert tokens["interval"].startswith("[") and "distinct-2" in html


# --- the rest of the paper --------------------------------------------------------------------


def test_html_shows_published_and_corrected_numbers(html):
    for value in ("0.1479", "0.0574", "0.0956", "0.1664", "0.0688", "0.1019", "0.1505"):
        assert value in html
    assert f"{0.1479 * 2000 / 1001:.4f}" in html  # halving-corrected base ROUGE-1


def test_published_comparison_uses_pooled_means(context):
    sft = next(row for row in context["published"]["rows"] if row["arm"] == "SFT")
    assert (sft["variant"], sft["ours"]) == ("sft", ["0.3322", "0.1234", "0.2245"])


def test_html_loads_nothing_from_the_network(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html
    assert "url(" not in html


def test_model_text_is_escaped(html):
    assert MALICIOUS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


def test_figures_are_embedded_and_numbered(html):
    assert html.count('src="data:image/png;base64,') == len(FIGURE_NAMES)
    for number in range(1, len(FIGURE_NAMES) + 1):
        assert f"Figure {number}." in html


def test_samples_use_the_configured_number_of_common_prompts(html):
    samples = make_config()["report"]["samples"]
    assert 0 < samples < PROMPTS
    assert "only-sft" not in html
    assert "Question 0?" in html and f"Question {samples - 1}?" in html
    assert f"Question {samples}?" not in html
    assert "sft: seed42" in html  # the samples come from each variant's first run


def test_data_report_shows_invalid_reasons(html):
    assert "missing_chosen" in html and "empty_prompt" in html
    assert "max_prompt_tokens" in html


def test_flaws_are_listed_with_the_seeds_fix(html):
    assert "prompt" in html and "2,000" in html and "reference model" in html
    assert "precision (fp32)" in html
    assert "2 training seeds (42, 43)" in html
    assert "sign-flip permutation tests" in html
    assert "Still one training run" not in html


def test_stand_in_warning_only_for_embedded_model(html, figures):
    # config.yaml's title names the stand-in; the schema's default title does not.
    hub_config = make_config("hub", drop=("title",))
    hub = render_report(make_context(figures, config=hub_config), TEMPLATE)
    assert "SmolLM2-135M-Instruct stand-in, not Llama-3.2-1B" in html
    assert "Stand-in model" in html
    assert "stand-in" not in hub.lower()
    assert "meta-llama/Llama-3.2-1B" in hub


def test_report_renders_from_schema_defaults(figures):
    config = make_config(drop=("report", "scoring", "quantization", "evaluation"))
    html = render_report(make_context(figures, config=config), TEMPLATE)
    assert "quantization.load_in_4bit" in html  # filled in by validate()
    assert "preference_pairs" in html


def test_a_base_only_config_has_no_comparisons(figures):
    config = make_config()
    config["variants"] = {"base": config["variants"]["base"]}
    context = make_context(figures, config=config)
    html = render_report(context, TEMPLATE)
    assert context["results"]["comparisons"] == []
    assert "nothing to compare" in html
    assert "No ORPO-trained variant is enabled" in html


def test_tables_are_numbered_in_order(html):
    numbers = [int(n) for n in re.findall(r"<caption>Table (\d+)\.", html)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_read_scores_tsv_reads_what_scores_table_writes(tmp_path):
    """Counts come back as ints, pooled means as floats, an absent metric's empty cell as None."""
    summaries = make_results(tuple(ARMS), tasks=False)[0]
    path = tmp_path / "scores.tsv"
    path.write_text(scores_table(list(summaries.values())))
    rows = read_scores_tsv(path)
    assert [row["variant"] for row in rows] == list(ARMS)
    sft = rows[1]
    assert (sft["n_seeds"], sft["n"], sft["rougeL"]) == (len(SEEDS), PROMPTS, 0.2245)
    assert sft["task_accuracy"] is None and isinstance(sft["answer_tokens"], float)
    assert rows[0]["n_seeds"] == 1  # the untrained base is one run


# --- provenance and setup ---------------------------------------------------------------------


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
    table = run_setup.hyperparameter_table(config, list(ARMS))
    assert table["columns"] == list(ARMS)
    learning_rate = next(r for r in table["rows"] if r["key"] == "learning_rate")
    trained = [
        f"{config['variants'][v]['args']['learning_rate']:g}" for v in ("sft", "orpo", "dpo")
    ]
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


def test_provenance_takes_the_model_stack_from_the_model_jobs_environment(tmp_path):
    # Under --use-conda the report job runs in the light env, which has no torch.
    recorded = {"python": "3.11.0", "packages": {"torch": "2.13.0", "trl": "1.16.0"}}
    collected = provenance.collect_provenance(tmp_path, recorded)
    assert collected["python"] == "3.11.0"
    assert collected["packages"]["torch"] == "2.13.0" and collected["packages"]["trl"] == "1.16.0"
    assert collected["packages"]["rouge_score"] != "not installed"  # read where it renders


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

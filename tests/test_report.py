"""Tests for alignbench.report with the real template, the real config passed through the real
schema validation (as the workflow sees it), and summaries made by the real
aggregate.summarize_variant / compare_variants from small synthetic per-run files in the formats
our scoring rules write (tests/factories.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml

from alignbench.benchmark_files import read_benchmarks
from alignbench.evaluation import metrics
from alignbench.evaluation.aggregate import scores_table
from alignbench.evaluation.plots import read_scores_tsv
from alignbench.evaluation.rouge import ROUGE_TYPES
from alignbench.report import config_view, findings
from alignbench.report.render import render_report, write_report
from tests.factories import (
    ARMS,
    BENCHMARK_TSV,
    FIGURE_NAMES,
    FIGURE_TITLES,
    MALICIOUS,
    PROMPTS,
    REPO,
    REWARD_MODEL,
    SEEDS,
    TASKS,
    TEMPLATE,
    make_config,
    make_context,
    make_results,
)


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
    return read_benchmarks([bench])


def body(html: str) -> str:
    """The page without the configuration dump (which lists every variant, disabled ones too)."""
    return html.split("<h3>Configuration</h3>")[0]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag, attrs) -> None:
        self.parts.append(" ")


def text(html: str) -> str:
    """What a reader sees: the page's text, entities decoded, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


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
    assert context["config_tables"]["hyperparameters"]["columns"] == ["base", "sft", "orpo"]
    # "orpo-dpo-mix-40k" names the published data set, not the variant.
    assert not re.search(r"(?<![-\w])dpo(?![-\w])", page)
    assert "enabled" not in str(context["config_tables"]["hyperparameters"]["rows"])


def test_distinguishable_difference_is_stated_as_such(html, comparisons):
    row = comparison(comparisons, "sft", "base", "rougeL")
    assert row["distinguishable"] and row["p_value"] < 0.001
    low, high = row["interval"]
    assert row["p_value"] < row["p_adjusted"] < metrics.TEST_LEVEL
    sentence = (
        f"sft − base ROUGE-L: {signed(row['mean'], 4)} [{low:.4f}, {high:.4f}], p < 0.001, "
        f"Holm {metrics.format_p_value(row['p_adjusted'])}"
    )
    assert row["mean"] == pytest.approx(0.2245 - 0.2013)
    assert sentence in text(html)


def test_identical_arms_are_not_distinguishable(html, comparisons):
    row = comparison(comparisons, "orpo", "sft", "answer_tokens")
    assert row["mean"] == 0 and not row["distinguishable"]
    listed = re.search(r"Not distinguishable from zero \(Table \d+\):(.*)", text(html))
    answer_tokens = re.search(r"answer tokens: ([^;.]*)", listed.group(1)).group(1)
    assert "orpo − sft" in answer_tokens


def table_rows(html: str) -> list[list[str]]:
    """Every table row of the page as the texts of its cells."""
    return [
        [text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
    ]


def test_every_shown_comparison_has_its_verdict(html, comparisons):
    """One table row per comparison, grouped by metric in the report's order, with its verdict."""
    table = re.search(r"Table \d+\. Paired differences.*?</table>", html, re.S).group(0)
    rows = [cells for cells in table_rows(table) if len(cells) == 7][1:]  # after the header
    expected = [
        r for metric in findings.COMPARED_METRICS for r in comparisons if r["metric"] == metric
    ]
    assert len(rows) == len(expected) > 0
    for cells, row in zip(rows, expected, strict=True):
        places = metrics.digits(row["metric"])
        verdict = "distinguishable from zero" if row["distinguishable"] else "not distinguishable"
        if not row["distinguishable"] and row["interval_excludes_zero"]:
            verdict = "not distinguishable after adjustment"
        if not row["seed_consistent"]:
            verdict = "not distinguishable (seeds disagree in sign)"
        assert cells == [
            f"{row['variant']} − {row['reference']}",
            str(row["n"]),
            signed(row["mean"], places),
            metrics.format_interval(row["interval"], places),
            metrics.format_p_value(row["p_value"]),
            metrics.format_p_value(row["p_adjusted"]),
            verdict,
        ]


def test_a_seed_that_disagrees_is_named_in_the_verdict(figures):
    context = make_context(figures)
    context["comparisons"] = [{**context["comparisons"][0], "seed_consistent": False}]
    page = render_report(context, TEMPLATE)
    assert "not distinguishable (seeds disagree in sign)" in page


def test_comparison_groups_follow_the_metric_order(html):
    groups = re.findall(r'<th colspan="7" scope="rowgroup">(.*?)</th>', html)
    assert groups == [
        "ROUGE-L",
        "preference accuracy",
        "log-probability margin",
        "log odds ratio",
        "task accuracy",
        "answer tokens",
    ]


def test_abstract_states_only_distinguishable_differences(html, comparisons):
    abstract = text(re.search(r'<section class="abstract">(.*?)</section>', html, re.S).group(1))
    stated = re.search(r"Section 3\.2: (.*?)\. Every other", abstract).group(1).split("; ")
    wanted = [
        f"{r['variant']} − {r['reference']} {metrics.label(r['metric'])}"
        for metric in findings.HEADLINE_METRICS
        for r in comparisons
        if r["metric"] == metric and r["distinguishable"]
    ]
    assert [phrase.split(" +")[0].split(" −0")[0] for phrase in stated] == wanted
    assert "answer tokens" not in abstract


def test_conciseness_claim_is_tested(html):
    # orpo answers are shorter than base's on every prompt and as long as sft's.
    page = text(html)
    assert "The post claims that ORPO answers are more concise." in page
    assert (
        "The data support the claim only for orpo − base; for orpo − sft the difference is "
        "not distinguishable from zero." in page
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
    claim = findings.conciseness(list(summaries), summaries, rows)
    (longer,) = claim["longer"]
    assert (longer["variant"], longer["reference"], longer["mean"]) == ("orpo", "sft", 3.0)
    assert longer["interval"] == [2.0, 4.0]
    assert [row["reference"] for row in claim["level"]] == ["base"] and not claim["shorter"]


def test_weak_evidence_is_flagged(html, comparisons):
    """An interval that excludes zero while the adjusted p-value does not reject is flagged."""
    weak = [
        r
        for metric in findings.COMPARED_METRICS
        for r in comparisons
        if r["metric"] == metric and r["interval_excludes_zero"] and not r["distinguishable"]
    ]
    # ROUGE-L's dpo − orpo (p = 0.008) among 36 comparisons; task accuracy: 0/1 outcomes that
    # differ on only 4 of 16 prompts.
    assert weak
    assert all(r["p_adjusted"] >= metrics.TEST_LEVEL for r in weak)
    flagged = text(re.search(r"<p>For (.*?)\s+the\s+interval excludes zero, but", html, re.S)[1])
    assert flagged.split("; ") == [
        f"{r['variant']} − {r['reference']} {metrics.label(r['metric'])} "
        f"({metrics.format_p_value(r['p_value'])}, Holm {metrics.format_p_value(r['p_adjusted'])})"
        for r in weak
    ]


def test_preference_accuracy_against_chance(html):
    assert (
        "Preference accuracy is above chance (0.5; the whole 95% interval lies above it) for "
        "sft, orpo, dpo; not distinguishable from chance for base." in text(html)
    )


def test_task_family_table_with_demo_like_data(html):
    families = {cells[0]: cells[1:] for cells in table_rows(html) if cells[0] in TASKS}
    # Even prompts are arithmetic, odd ones sorting; a variant gets right the prompts whose
    # i % 4 is in its ARMS["right"].
    assert families["arithmetic"] == ["8", "0.500", "1.000", "1.000", "1.000"]
    assert families["sorting"] == ["8", "0.000", "0.000", "0.500", "0.500"]
    assert "no checkable answers" not in html


def test_no_checkable_answers_without_tasks(figures):
    context = make_context(figures, tasks=False)
    page = render_report(context, TEMPLATE)
    assert context["with_metric"]["task_accuracy"] == []
    assert "carry no checkable answers" in page
    assert "per task family" not in page


def test_reward_section_only_with_reward_metrics(html, figures):
    assert "Reward-model scoring was off" in html
    assert "Mean reward of the generations" not in html
    config = make_config(reward_model=REWARD_MODEL)
    page = render_report(make_context(figures, config=config, with_reward=True), TEMPLATE)
    assert "Mean reward of the generations" in page and REWARD_MODEL in page
    assert "The win rate against the reference answer is" in text(page)
    assert "Reward-model scoring was off" not in page
    configured = render_report(make_context(figures, config=config), TEMPLATE)
    assert f"A reward model ({REWARD_MODEL}) is configured, but no summary" in text(configured)


def test_answer_statistics_are_shown(html):
    base = next(cells for cells in table_rows(html) if cells[0] == "base" and len(cells) == 7)
    tokens, _, stopped, *_ = base[1:]
    # 40 + i % 5 tokens over 16 prompts: 40 + 30 / 16; EOS on prompts with i % 3 != 0: 10 of 16.
    assert tokens.startswith("41.9 [") and stopped.startswith("0.625 [")
    assert "distinct-2" in html


# --- the rest of the paper --------------------------------------------------------------------


def test_html_shows_published_and_corrected_numbers(html):
    published = yaml.safe_load((TEMPLATE.parent / "published.yaml").read_text())
    factor = published["divisor"] / published["evaluated"]
    rows = {cells[0]: cells[1:] for cells in table_rows(html)}
    for arm in published["arms"]:
        cells = rows[arm["arm"]]
        assert cells[:3] == [f"{v:.4f}" for v in arm["scores"]]
        assert cells[3:6] == [f"{v * factor:.4f}" for v in arm["scores"]]


def test_published_comparison_uses_pooled_means(html):
    sft = {cells[0]: cells[1:] for cells in table_rows(html)}["SFT"]
    assert sft[6:] == ["sft", "0.3322", "0.1234", "0.2245"]


def test_html_loads_nothing_from_the_network(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html
    assert "url(" not in html


def test_model_text_is_escaped(html):
    assert MALICIOUS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


def test_figures_are_embedded_numbered_and_captioned_from_one_file(html):
    assert html.count('src="data:image/png;base64,') == len(FIGURE_NAMES)
    for number, name in enumerate(FIGURE_NAMES, start=1):
        caption = (TEMPLATE.parent / "captions" / f"{name}.rst").read_text().strip()
        assert f"Figure {number}. {FIGURE_TITLES[name]}. {caption}" in text(html)


def test_snakemake_report_uses_the_same_caption_files():
    """Each figure's caption exists once: the rule that draws it points at the file the paper
    report reads."""
    rules = (REPO / "workflow" / "rules" / "plot.smk").read_text()
    used = set(re.findall(r'caption="\.\./\.\./report/captions/(\w+)\.rst"', rules))
    # The sweep plots (one per sweep and setting) share one caption, read by the sweep section.
    assert used == {*FIGURE_NAMES, "sweep"}


def test_samples_use_the_configured_number_of_common_prompts(html):
    samples = make_config()["report"]["samples"]
    assert 0 < samples < PROMPTS
    assert "only-sft" not in html
    assert "Question 0?" in html and f"Question {samples - 1}?" in html
    assert f"Question {samples}?" not in html
    assert "sft: seed42" in html  # the samples come from each variant's first run


def test_data_report_shows_invalid_reasons(html):
    rows = {cells[0]: cells[1:] for cells in table_rows(html)}
    assert rows["missing_chosen"] == ["3"] and rows["empty_prompt"] == ["1"]
    assert "max_prompt_tokens" in html


def test_flaws_are_listed_with_the_seeds_fix(html):
    flaws = re.findall(r"<li><strong>Flaw:</strong>(.*?)</li>", html, re.S)
    assert len(flaws) == 8
    page = text(html)
    assert "summed over the 1,001 evaluated examples and divided by 2,000" in page
    assert "the same settings and precision (fp32)" in page
    assert "Each trained variant is trained with 2 training seeds (42, 43);" in page
    # EOS on prompts with i % 3 != 0: 10 of 16 for every variant.
    assert "share that stopped: base 62%; sft 62%; orpo 62%; dpo 62%." in page
    assert "With one seed" not in page


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
    assert "quantization.load_in_4bit" in html  # one of the schema's defaults
    assert "preference_pairs" in html


def test_a_base_only_config_has_no_comparisons(figures):
    config = make_config()
    config["variants"] = {"base": config["variants"]["base"]}
    context = make_context(figures, config=config)
    html = render_report(context, TEMPLATE)
    assert context["comparisons"] == []
    assert "nothing to compare" in html
    assert "No ORPO-trained variant is enabled" in html
    assert "Training </th><td>" not in html and "see Table 1" in text(html)


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


def test_benchmark_appears_in_html(html):
    row = next(cells for cells in table_rows(html) if cells[0] == "train/sft")
    assert row == ["train/sft", "12.3", "0:00:12", "1,534"]


def test_hyperparameters_come_from_variant_args(context, html):
    config = make_config()
    table = context["config_tables"]["hyperparameters"]
    assert table["columns"] == list(ARMS)
    learning_rate = next(r for r in table["rows"] if r["key"] == "learning_rate")
    trained = [
        f"{config['variants'][v]['args']['learning_rate']:g}" for v in ("sft", "orpo", "dpo")
    ]
    assert learning_rate["values"] == ["—", *trained]  # base has no args
    assert "lora.r" in html  # shared training settings are shown too
    differs = {cells[0]: cells for cells in table_rows(html)}["Training"]
    assert differs[2].startswith(f"sft: sft, lr {trained[0]}; orpo: orpo, lr {trained[1]};")


def test_setup_describes_only_the_active_source():
    config = make_config("hub")
    hub = config_view.model_view(config["model"])
    assert (hub["name"], hub["revision"], hub["stand_in"]) == (
        config["model"]["hub"]["id"],
        config["model"]["hub"]["revision"],
        False,
    )
    embedded = config_view.model_view(make_config("gguf_embedded")["model"])
    assert embedded["stand_in"] and "meta-llama" not in str(embedded["rows"])
    local = config_view.model_view(make_config("local")["model"])
    assert (local["name"], local["revision"]) == (config["model"]["local"]["path"], "—")


def test_data_and_decoding_are_described_from_the_config(figures):
    config = make_config("hub")
    config["data"]["source"] = "hub"
    config["generation"]["do_sample"] = True
    page = text(render_report(make_context(figures, config=config), TEMPLATE))
    hub = config["data"]["hub"]
    assert f"Data: {hub['id']} at revision {hub['revision']}." in page
    assert f"same settings: seeded sampling (seed {config['generation']['seed']})." in page
    assert "reproduces the same text" not in page


def data_settings(context: dict) -> dict[str, str]:
    return {row["key"]: row["value"] for row in context["config_tables"]["data"]}


def test_the_layout_the_rows_were_read_in_is_named_with_its_settings(figures):
    config = make_config()
    config["data"].update(source="local", format="auto")
    context = make_context(figures, config=config)
    layout = {
        "name": "openai",
        "format": "auto",
        "description": "hosted preference fine-tuning",
        "checked_rows": 100,
        "fitting_rows": 97,
        "rows_name_their_source": False,
        "default_source": "rows.jsonl",
    }
    context["data_report"] = {**context["data_report"], "source": {"layout": layout}}
    page = text(render_report(context, TEMPLATE))
    assert (
        "the rows were read as openai (hosted preference fine-tuning), detected from the first "
        "100 rows, of which 97 fit it" in page
    )
    assert "each is counted under rows.jsonl" in page
    settings = data_settings(context)
    assert settings["format"] == "auto" and settings["columns.prompt"] == "question"

    named = make_context(figures, config={**config, "data": {**config["data"], "format": "hh"}})
    named["data_report"] = {
        **named["data_report"],
        "source": {"layout": {**layout, "format": "hh", "rows_name_their_source": True}},
    }
    page = text(render_report(named, TEMPLATE))
    assert "as data.format names it (97 of the first 100 rows fit it)" in page
    assert "counted under" not in page
    # Columns only name a flat table's fields; with a named layout they are not read.
    assert "format" in data_settings(named) and "columns.prompt" not in data_settings(named)


def test_the_demo_shows_no_layout_settings(html, context):
    # The demo is generated in the workflow's own layout: data.format is never read.
    assert not {"format", "columns.prompt"} & set(data_settings(context))
    assert "the rows were read as" not in text(html)


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


def test_a_sweep_gets_a_section_with_its_best_point_and_figure(figures, tmp_path):
    """The sweep section renders the view of alignbench.report.sweeps: a row per point, the
    best point's adjusted difference against the default, and one figure per swept setting."""
    from alignbench.report.sweeps import sweep_figures

    context = make_context(figures)
    point = {"learning_rate": 5e-5}
    comparison = {
        **context["comparisons"][0],
        "variant": "orpo@learning_rate=5e-05",
        "reference": "orpo",
        "metric": "rougeL",
        "mean": 0.05,
        "interval": [0.02, 0.08],
        "p_value": 0.004,
        "p_adjusted": 0.008,
        "distinguishable": True,
        "interval_excludes_zero": True,
        "seed_consistent": True,
    }
    rows = [
        {"variant": "orpo", "point": {"learning_rate": 2e-4}, "default": True, "n": 16,
         "mean": 0.20, "interval": [0.18, 0.22], "comparison": None},
        {"variant": "orpo@learning_rate=5e-05", "point": point, "default": False, "n": 16,
         "mean": 0.25, "interval": [0.22, 0.28], "comparison": comparison},
    ]  # fmt: skip
    context["sweeps"] = [
        {"name": "orpo", "method": "orpo", "metric": "rougeL", "settings": ["learning_rate"],
         "rows": rows, "best": rows[1], "family_size": 2}
    ]  # fmt: skip
    png = tmp_path / "sweeps" / "orpo" / "learning_rate.png"
    png.parent.mkdir(parents=True)
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    context["sweep_figures"] = sweep_figures([png], 7)
    page = text(render_report(context, TEMPLATE))
    assert "3.8 Sweeps" in page
    assert "Sweep of orpo (orpo)" in page and "2 comparisons" in page
    assert (
        "The best point of the orpo sweep on ROUGE-L is orpo@learning_rate=5e-05: 0.2500 "
        "[0.2200, 0.2800], +0.0500 [0.0200, 0.0800], p = 0.004 against the default, Holm "
        "p = 0.008: better than the default even after adjusting for the 2 points tried." in page
    )
    assert "Figure 7. ROUGE-L against learning_rate, orpo sweep." in page
    assert "highest mean ROUGE-L, +0.0500 [0.0200, 0.0800] against the default" in page

    assert "3.8 Sweeps" not in text(render_report(make_context(figures), TEMPLATE))

# The paper-style report: one self-contained HTML page built from every result above.

import glob

REPORT_TEXT = sorted(
    [
        *glob.glob("report/partials/*.html.j2"),
        "report/figures.yaml",
        "report/published.yaml",
        *glob.glob("report/captions/*.rst"),
    ]
)


rule report:
    input:
        template="report/paper.html.j2",
        # Its partials, the published numbers and the figure captions: editing any of them
        # renders the report again.
        text=REPORT_TEXT,
        table=rules.collect_scores.output.table,
        summaries=expand("results/{variant}/summary.json", variant=VARIANTS),
        comparisons=rules.compare_variants.output.comparisons,
        # The samples show each arm's first run.
        generations=[
            f"results/{variant}/{runs(variant)[0]}/generations.jsonl"
            for variant in ARMS
        ],
        data_report=rules.filter_data.output.report,
        checked=SETUP_CHECKED,
        # origin.json: the model jobs' software, for the provenance table
        base_model=rules.prepare_base_model.output.model,
        rouge_png=rules.plot_rouge.output.png,
        rouge_intervals_png=rules.plot_summaries.output.rouge_intervals,
        differences_png=rules.plot_summaries.output.differences,
        preferences_png=rules.plot_summaries.output.preferences,
        curves_png=rules.plot_training_curves.output.png,
        lengths_png=rules.plot_answer_lengths.output.png,
        sweep_pngs=sweep_plot_files(),
        benchmarks=[
            "results/benchmarks/prepare_base_model.tsv",
            *[
                f"results/benchmarks/train/{variant}-seed{seed}.tsv"
                for variant in TRAINED
                for seed in SEEDS
            ],
            *all_run_files("results/benchmarks/generate/{variant}-{run}.tsv"),
            *all_run_files("results/benchmarks/score_preferences/{variant}-{run}.tsv"),
        ],
    output:
        html=report(
            "results/report/index.html",
            caption="../../report/captions/report.rst",
            category="Report",
        ),
    log:
        "results/logs/report.log",
    conda:
        ANALYSIS_ENV
    params:
        config=config,
        variants=VARIANTS,
        arms=ARMS,
        sweeps=SWEEPS,
    script:
        "../scripts/render_report.py"

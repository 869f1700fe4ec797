# The paper-style report: one self-contained HTML page built from every result above.


rule report:
    input:
        template="report/paper.html.j2",
        table=rules.collect_scores.output.table,
        scores=expand("results/{variant}/rouge.json", variant=VARIANTS),
        generations=expand("results/{variant}/generations.jsonl", variant=VARIANTS),
        histories=expand("results/models/{trained}/log_history.json", trained=TRAINED),
        data_report=rules.filter_data.output.report,
        rouge_png=rules.plot_rouge.output.png,
        curves_png=rules.plot_training_curves.output.png,
        lengths_png=rules.plot_answer_lengths.output.png,
        benchmarks=[
            "results/benchmarks/prepare_base_model.tsv",
            *expand("results/benchmarks/train/{trained}.tsv", trained=TRAINED),
            *expand("results/benchmarks/generate/{variant}.tsv", variant=VARIANTS),
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
        CONDA_ENV
    params:
        config=config,
        variants=VARIANTS,
        trained=TRAINED,
    script:
        "../scripts/render_report.py"

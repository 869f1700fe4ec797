# Plots: ROUGE by variant (bars, and with intervals and seeds), paired differences, preference
# accuracy, training curves, answer lengths; for each sweep, the metric against each setting.
# The figures of every variant are drawn for the arms (grid points have their own plots).


rule plot_rouge:
    input:
        table=rules.collect_scores.output.table,
    output:
        png=report(
            "results/plots/rouge.png",
            caption="../../report/captions/rouge.rst",
            category="Figures",
        ),
    log:
        "results/logs/plot_rouge.log",
    conda:
        ANALYSIS_ENV
    script:
        "../scripts/plot_rouge.py"


rule plot_summaries:
    input:
        summaries=expand("results/{variant}/summary.json", variant=ARMS),
        comparisons=rules.compare_variants.output.comparisons,
    output:
        rouge_intervals=report(
            "results/plots/rouge_intervals.png",
            caption="../../report/captions/rouge_intervals.rst",
            category="Figures",
        ),
        differences=report(
            "results/plots/paired_differences.png",
            caption="../../report/captions/paired_differences.rst",
            category="Figures",
        ),
        preferences=report(
            "results/plots/preference_accuracy.png",
            caption="../../report/captions/preference_accuracy.rst",
            category="Figures",
        ),
    log:
        "results/logs/plot_summaries.log",
    conda:
        ANALYSIS_ENV
    params:
        variants=ARMS,
    script:
        "../scripts/plot_summaries.py"


rule plot_training_curves:
    input:
        histories=[
            f"results/models/{variant}/seed{seed}/log_history.json"
            for variant in TRAINED
            if variant in ARMS
            for seed in SEEDS
        ],
    output:
        png=report(
            "results/plots/training_curves.png",
            caption="../../report/captions/training_curves.rst",
            category="Figures",
        ),
    log:
        "results/logs/plot_training_curves.log",
    conda:
        ANALYSIS_ENV
    params:
        labels=[
            f"{variant} (seed {seed})"
            for variant in TRAINED
            if variant in ARMS
            for seed in SEEDS
        ],
        methods=[
            VARIANT_CONFIG[variant]["method"]
            for variant in TRAINED
            if variant in ARMS
            for seed in SEEDS
        ],
    script:
        "../scripts/plot_training_curves.py"


rule plot_answer_lengths:
    input:
        generations=[
            path
            for variant in ARMS
            for path in run_files("results/{variant}/{run}/generations.jsonl", variant)
        ],
    output:
        png=report(
            "results/plots/answer_lengths.png",
            caption="../../report/captions/answer_lengths.rst",
            category="Figures",
        ),
    log:
        "results/logs/plot_answer_lengths.log",
    conda:
        ANALYSIS_ENV
    params:
        variants=[variant for variant in ARMS for run in runs(variant)],
        max_new_tokens=config["generation"]["max_new_tokens"],
    script:
        "../scripts/plot_answer_lengths.py"


rule plot_sweep:
    input:
        summaries=lambda w: expand(
            "results/{variant}/summary.json", variant=SWEEPS[w.sweep]
        ),
    output:
        png=report(
            "results/plots/sweeps/{sweep}/{setting}.png",
            caption="../../report/captions/sweep.rst",
            category="Figures",
            subcategory="Sweeps",
        ),
    log:
        "results/logs/plot_sweep/{sweep}-{setting}.log",
    conda:
        ANALYSIS_ENV
    params:
        members=lambda w: SWEEPS[w.sweep],
        blocks=lambda w: {name: VARIANT_CONFIG[name] for name in SWEEPS[w.sweep]},
        metric=config["report"]["sweep_metric"],
    script:
        "../scripts/plot_sweep.py"

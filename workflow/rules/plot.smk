# Plots: ROUGE by variant, training curves, answer lengths.


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
        CONDA_ENV
    script:
        "../scripts/plot_rouge.py"


rule plot_training_curves:
    input:
        histories=expand("results/models/{trained}/log_history.json", trained=TRAINED),
    output:
        png=report(
            "results/plots/training_curves.png",
            caption="../../report/captions/training_curves.rst",
            category="Figures",
        ),
    log:
        "results/logs/plot_training_curves.log",
    conda:
        CONDA_ENV
    params:
        variants=TRAINED,
        methods=[config["variants"][name]["method"] for name in TRAINED],
    script:
        "../scripts/plot_training_curves.py"


rule plot_answer_lengths:
    input:
        generations=expand("results/{variant}/generations.jsonl", variant=VARIANTS),
    output:
        png=report(
            "results/plots/answer_lengths.png",
            caption="../../report/captions/answer_lengths.rst",
            category="Figures",
        ),
    log:
        "results/logs/plot_answer_lengths.log",
    conda:
        CONDA_ENV
    params:
        variants=VARIANTS,
        max_new_tokens=config["generation"]["max_new_tokens"],
    script:
        "../scripts/plot_answer_lengths.py"

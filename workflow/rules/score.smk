# Scoring: ROUGE per example and its mean over exactly the examples scored.


rule score_rouge:
    input:
        generations=rules.generate.output.generations,
    output:
        scores="results/{variant}/rouge.json",
    log:
        "results/logs/score_rouge/{variant}.log",
    conda:
        CONDA_ENV
    params:
        rouge_types=config["scoring"]["rouge_types"],
        use_stemmer=config["scoring"]["use_stemmer"],
    script:
        "../scripts/score_rouge.py"


rule collect_scores:
    input:
        scores=expand("results/{variant}/rouge.json", variant=VARIANTS),
    output:
        table=report(
            "results/scores.tsv",
            caption="../../report/captions/scores.rst",
            category="Results",
        ),
    log:
        "results/logs/collect_scores.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/collect_scores.py"

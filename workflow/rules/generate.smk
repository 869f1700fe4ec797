# Generation: every variant, base included, answers the same held-out prompts at one precision.


rule generate:
    input:
        base_model=rules.prepare_base_model.output.model,
        adapters=lambda w: adapter_dirs(w.variant),
        validation=rules.filter_data.output.validation,
    output:
        generations="results/{variant}/generations.jsonl",
    log:
        "results/logs/generate/{variant}.log",
    benchmark:
        "results/benchmarks/generate/{variant}.tsv"
    conda:
        CONDA_ENV
    threads: workflow.cores
    resources:
        mem_mb=8000,
    params:
        generation=config["generation"],
        attn_implementation=config["model"]["attn_implementation"],
    script:
        "../scripts/generate.py"

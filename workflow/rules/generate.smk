# Generation: every run of every variant, base included, answers the same held-out prompts at
# one precision.


rule generate:
    input:
        base_model=rules.prepare_base_model.output.model,
        adapters=run_adapters,
        validation=rules.filter_data.output.validation,
    output:
        generations="results/{variant}/{run}/generations.jsonl",
    log:
        "results/logs/generate/{variant}-{run}.log",
    benchmark:
        "results/benchmarks/generate/{variant}-{run}.tsv"
    conda:
        MODELS_ENV
    threads: model_job_threads
    resources:
        mem_mb=8000,
        gpu=GPUS,
        model_job_slots=1,
        runtime=240,
    params:
        generation=generation_settings(),
        attn_implementation=config["model"]["attn_implementation"],
    script:
        "../scripts/generate.py"

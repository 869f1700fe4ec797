# Scoring, per run: ROUGE of the answers, preference accuracy on held-out pairs, answer
# statistics and task accuracy, and (optionally) a reward model's verdict.


rule score_rouge:
    input:
        generations=rules.generate.output.generations,
    output:
        scores="results/{variant}/{run}/rouge.json",
    log:
        "results/logs/score_rouge/{variant}-{run}.log",
    conda:
        ANALYSIS_ENV
    params:
        use_stemmer=config["scoring"]["use_stemmer"],
    script:
        "../scripts/score_rouge.py"


rule score_preferences:
    input:
        base_model=rules.prepare_base_model.output.model,
        adapters=run_adapters,
        validation=rules.filter_data.output.validation,
    output:
        scores="results/{variant}/{run}/preferences.json",
    log:
        "results/logs/score_preferences/{variant}-{run}.log",
    benchmark:
        "results/benchmarks/score_preferences/{variant}-{run}.tsv"
    conda:
        MODELS_ENV
    threads: model_job_threads
    resources:
        mem_mb=8000,
        gpu=GPUS,
        model_job_slots=1,
        runtime=120,
    params:
        pairs=config["evaluation"]["preference_pairs"],
        batch_size=config["evaluation"]["batch_size"],
        precision=config["generation"]["precision"],
        attn_implementation=config["model"]["attn_implementation"],
    script:
        "../scripts/score_preferences.py"


rule describe_answers:
    input:
        generations=rules.generate.output.generations,
    output:
        stats="results/{variant}/{run}/answers.json",
    log:
        "results/logs/describe_answers/{variant}-{run}.log",
    conda:
        ANALYSIS_ENV
    params:
        max_new_tokens=config["generation"]["max_new_tokens"],
    script:
        "../scripts/describe_answers.py"


rule score_reward:
    input:
        generations=rules.generate.output.generations,
    output:
        scores="results/{variant}/{run}/reward.json",
    log:
        "results/logs/score_reward/{variant}-{run}.log",
    conda:
        MODELS_ENV
    threads: model_job_threads
    resources:
        mem_mb=8000,
        gpu=GPUS,
        model_job_slots=1,
        runtime=120,
    params:
        reward_model=REWARD_MODEL,
        batch_size=config["evaluation"]["batch_size"],
        precision=config["generation"]["precision"],
    script:
        "../scripts/score_reward.py"

# Training: one LoRA adapter per trained variant and seed, started as a command so that it can
# also run under `accelerate launch` on several GPUs. The spec file holds the settings; the
# files the job reads and writes are this rule's inputs and outputs, passed as options.


rule write_train_spec:
    output:
        spec="results/models/{trained}/seed{seed}/train_spec.json",
    log:
        "results/logs/write_train_spec/{trained}-seed{seed}.log",
    localrule: True
    params:
        spec=train_spec,
    run:
        from alignbench.io import write_json

        write_json(output.spec, params.spec)


rule train:
    input:
        spec=rules.write_train_spec.output.spec,
        base_model=rules.prepare_base_model.output.model,
        train=rules.filter_data.output.train,
        parents=parent_adapters,
    output:
        adapter=directory("results/models/{trained}/seed{seed}/adapter"),
        history="results/models/{trained}/seed{seed}/log_history.json",
    log:
        "results/logs/train/{trained}-seed{seed}.log",
    benchmark:
        "results/benchmarks/train/{trained}-seed{seed}.tsv"
    # Before evaluation jobs that are ready at the same time: training chains (SFT, then DPO)
    # are a run's longest path, so starting them first shortens runs with parallel model jobs.
    priority: 10
    conda:
        MODELS_ENV
    threads: model_job_threads
    resources:
        mem_mb=12000,
        gpu=GPUS,
        model_job_slots=1,
        runtime=720,
    params:
        launch=training_launcher,
    shell:
        "TRL_EXPERIMENTAL_SILENCE=1 {params.launch} alignbench.train {input.spec}"
        " --base-model {input.base_model} --train-data {input.train}"
        " --adapter {output.adapter} --history {output.history}"
        " --parents {input.parents} > {log} 2>&1"

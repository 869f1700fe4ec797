# The base model as a folder that every later stage loads.


rule prepare_base_model:
    input:
        unpack(base_model_files),
    output:
        model=directory("results/models/base"),
    log:
        "results/logs/prepare_base_model.log",
    benchmark:
        "results/benchmarks/prepare_base_model.tsv"
    retries: network_retries(config["model"]["source"])
    conda:
        MODELS_ENV
    resources:
        mem_mb=8000,
        runtime=60,  # minutes; a Hub download of the paper's model included
    params:
        model=model_source_settings(),
    script:
        "../scripts/prepare_base_model.py"

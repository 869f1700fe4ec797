# Data: raw rows -> cached split (schema-checked) -> length-capped, de-duplicated train/validation.


rule download_data:
    input:
        unpack(local_data_file),
    output:
        raw="results/data/raw.jsonl",
        info="results/data/raw_info.json",
    log:
        "results/logs/download_data.log",
    retries: network_retries(config["data"]["source"])
    conda:
        MODELS_ENV
    params:
        data=data_source_settings(),
    script:
        "../scripts/download_data.py"


rule split_data:
    input:
        raw=rules.download_data.output.raw,
        raw_info=rules.download_data.output.info,
    output:
        train="results/data/split/train.jsonl",
        validation="results/data/split/validation.jsonl",
        report="results/data/split/split_report.json",
    log:
        "results/logs/split_data.log",
    conda:
        MODELS_ENV
    params:
        split=config["data"]["split"],
        exclude_sources=config["data"]["exclude_sources"],
    script:
        "../scripts/split_data.py"


rule filter_data:
    input:
        train=rules.split_data.output.train,
        validation=rules.split_data.output.validation,
        split_report=rules.split_data.output.report,
        raw_info=rules.download_data.output.info,
        base_model="results/models/base",
    output:
        train="results/data/train.jsonl",
        validation="results/data/validation.jsonl",
        report=report(
            "results/data/data_report.json",
            caption="../../report/captions/data_report.rst",
            category="Data",
        ),
    log:
        "results/logs/filter_data.log",
    conda:
        MODELS_ENV
    params:
        max_prompt_tokens=config["data"]["max_prompt_tokens"],
        max_total_tokens=config["data"]["max_total_tokens"],
    script:
        "../scripts/filter_data.py"

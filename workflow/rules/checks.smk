# The checks that need the model stack (TRL, torch, the base model's modules), as the first model
# job: a few seconds, on the same kind of machine and in the same environment as training. Its
# priority makes it the first job Snakemake starts once the base model is ready, and it holds
# every model job slot (common.smk), so that no model job starts beside it (with
# compute.parallel_model_jobs above 1 a training job did, and failed on the setting the check had
# just reported); when it fails Snakemake starts nothing else. On a cluster, jobs that became
# ready with it may be submitted together.


rule check_setup:
    input:
        base_model=rules.prepare_base_model.output.model,
    output:
        report="results/checks/setup.json",
    log:
        "results/logs/check_setup.log",
    priority: 100
    conda:
        MODELS_ENV
    resources:
        gpu=GPUS,
        runtime=10,
        model_job_slots=MODEL_JOB_SLOTS,
    params:
        settings=setup_settings(),
    script:
        "../scripts/check_setup.py"

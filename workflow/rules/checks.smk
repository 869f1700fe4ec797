# The checks that need the model stack (TRL, torch, the base model's modules), as the first model
# job: a few seconds, on the same kind of machine and in the same environment as training.
# Model jobs take its output as an ancient() input: they wait for it, but a rerun of the check
# (any change to the settings it reads) does not by itself rerun them.


rule check_setup:
    input:
        base_model=rules.prepare_base_model.output.model,
    output:
        report="results/checks/setup.json",
    log:
        "results/logs/check_setup.log",
    conda:
        MODELS_ENV
    resources:
        gpu=GPUS,
        runtime=10,
    params:
        settings=setup_settings(),
    script:
        "../scripts/check_setup.py"

# Config validation, helpers and wildcard constraints shared by every stage. No rules here.
#
# Everything imported here uses the standard library only: users run Snakemake from an
# environment holding Snakemake alone (with --use-conda), so torch, transformers and TRL are
# imported inside jobs, never while the DAG is built.

import importlib.util
import re
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.settings.types import DeploymentMethod

import yaml

from alignbench import job_settings
from alignbench.config_paths import path_errors
from alignbench.data.layouts import layout_settings
from alignbench.sweeps import (
    comparison_pairs,
    expand_sweeps,
    sweep_groups,
    swept_settings,
)
from alignbench.variants import (
    VariantError,
    enabled_variants,
    lineage,
    ordered_variants,
    trained_variants,
    validate_variants,
)
from alignbench.workflow_config import (
    canonical,
    coerce_overrides,
    fill_defaults,
    replace_contents,
    schema_errors,
)

SCHEMA_FILE = workflow.source_path("../schemas/config.schema.yaml")


def check_config():
    """Every check that needs nothing but the config, before the DAG is built: all problems at
    once, one line each, naming the key and the fix."""
    with open(SCHEMA_FILE) as handle:
        schema = yaml.safe_load(handle)
    coerce_overrides(config, workflow.config_settings.overwrite_config, schema)
    errors = schema_errors(config, schema)
    if not errors:
        fill_defaults(config, schema)
        errors = path_errors(config)
        try:
            # Each grid point becomes a variant of its own (alignbench.sweeps), checked as one.
            config["variants"] = expand_sweeps(config["variants"], config["lora"])
            validate_variants(config["variants"])
        except VariantError as error:
            errors.append(str(error))
    if errors:
        raise WorkflowError(
            "The config has problems (config/README.md explains every setting):\n  "
            + "\n  ".join(errors)
        )
    # Sorted keys: a config saved in another key order has equal params and reruns nothing.
    replace_contents(config, canonical(config))


check_config()

# Per-step software environments, used with --use-conda (without it, jobs run in the current
# environment). MODELS_ENV: data, base model, training, generation, model-based scoring (torch,
# transformers, TRL, PEFT, bitsandbytes, datasets). ANALYSIS_ENV: everything computed from our
# own text files (ROUGE, statistics, plots, report). Paths are relative to the rule files.
# The envs hold third-party packages only: jobs import this package from the workflow's own
# folder (workflow/scripts/_alignbench_path.py; training gets PYTHONPATH in its command).
# Installing it into the envs cannot work: Snakemake builds an env from a copy of its file
# under .snakemake/conda/, where a relative `pip: -e ..` points at .snakemake/, and it shares
# an env between all checkouts with the same env file.
MODELS_ENV = "../../envs/models.yaml"
ANALYSIS_ENV = "../../envs/analysis.yaml"

USE_CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method


onstart:
    check_job_environment()


def check_job_environment():
    """Before the first job of a real run: where jobs run in this very Python environment (the
    local executor without --use-conda), it must hold the model stack, and an impossible
    attention request is caught here. Elsewhere (conda envs, cluster nodes) the model jobs make
    the same check on the machine and in the environment they run in.

    An onstart handler, because the executor and dry-run settings are unknown while this file
    is parsed, and a dry run needs nothing but Snakemake."""
    if USE_CONDA or not workflow.local_exec:
        return
    if importlib.util.find_spec("torch") is None:
        raise WorkflowError(
            "Jobs would run in this Python environment, which lacks the workflow's packages "
            "(torch, transformers, TRL). Either add --use-conda (one environment per step, "
            "built on first use), or install them here: `make install` (see README.md)."
        )
    from alignbench.models.hardware import resolve_attention

    resolve_attention(config["model"]["attn_implementation"])


# Variants switched off with `enabled: false` are left out everywhere.
VARIANT_CONFIG = enabled_variants(config["variants"])
VARIANTS = ordered_variants(VARIANT_CONFIG)
TRAINED = trained_variants({name: VARIANT_CONFIG[name] for name in VARIANTS})
# Sweep name -> [its default point, the other grid points]. The arms are every variant but those
# other points: the report's main tables compare the arms; each sweep gets a section of its own.
SWEEPS = sweep_groups({name: VARIANT_CONFIG[name] for name in VARIANTS})
GRID_POINTS = {point for group in SWEEPS.values() for point in group[1:]}
ARMS = [name for name in VARIANTS if name not in GRID_POINTS]
SEEDS = config["training"]["seeds"]
REWARD_MODEL = config["evaluation"]["reward_model"]

# What each model job asks for. Threads: a local run's cores (--cores) shared by
# compute.parallel_model_jobs jobs at once; a scheduler has no such total, so there a model job
# asks for MODEL_JOB_THREADS_REMOTE CPUs (profiles/slurm can change it per rule with
# set-threads). A function, because the executor is only known once jobs are being scheduled.
MODEL_JOB_THREADS_REMOTE = 4


def model_job_threads(wildcards):
    if not workflow.local_exec:
        return MODEL_JOB_THREADS_REMOTE
    return job_settings.local_model_job_threads(config, workflow.cores)


GPUS = config["compute"]["gpus"]

# A lock between the setup check and the model jobs: each model job takes one of these slots
# and the check takes them all, so no model job runs beside it, while model jobs run beside each
# other (as many as their threads allow) and data jobs beside the check. The workflow profiles
# (profiles/default, profiles/gpu) set the total; without one it is unlimited, and only the
# check's priority orders it first.
MODEL_JOB_SLOTS = 64


# Escaped: grid point names hold ".", "+" and "=" (orpo@learning_rate=5e-05@beta=0.25).
wildcard_constraints:
    variant="|".join(map(re.escape, VARIANTS)),
    trained="|".join(map(re.escape, TRAINED)) if TRAINED else "(?!)",
    seed=r"\d+",
    run=r"untrained|seed\d+",
    sweep="|".join(map(re.escape, SWEEPS)) if SWEEPS else "(?!)",
    setting=r"[^/]+",


def sweep_plot_files():
    """One plot per sweep and swept setting: the metric against that setting."""
    return [
        f"results/plots/sweeps/{sweep}/{setting}.png"
        for sweep, members in SWEEPS.items()
        for setting in swept_settings(VARIANT_CONFIG[members[0]])
    ]


def runs(variant):
    """A trained variant has one run per training seed; an untrained one has a single run."""
    if variant in TRAINED:
        return [f"seed{seed}" for seed in SEEDS]
    return ["untrained"]


def run_files(pattern, variant):
    """``pattern`` (with {variant} and {run}) for every run of ``variant``."""
    return [pattern.format(variant=variant, run=run) for run in runs(variant)]


def all_run_files(pattern):
    return [path for variant in VARIANTS for path in run_files(pattern, variant)]


def adapter_dirs(variant, seed):
    """Adapter folders along a variant's chain for one seed, base side first."""
    return [
        f"results/models/{name}/seed{seed}/adapter"
        for name in lineage(VARIANT_CONFIG, variant)
    ]


def run_adapters(wildcards):
    """The adapters of one run: none for the untrained base, the seed's chain otherwise."""
    variant, run = wildcards.variant, wildcards.run
    if run not in runs(variant):
        raise ValueError(f"{variant} has the runs {runs(variant)}, not {run}.")
    return [] if run == "untrained" else adapter_dirs(variant, run.removeprefix("seed"))


def variant_run_files(wildcards):
    """Every per-run evaluation file of one variant, by kind (reward only when configured)."""
    files = {
        "rouge": run_files("results/{variant}/{run}/rouge.json", wildcards.variant),
        "preferences": run_files(
            "results/{variant}/{run}/preferences.json", wildcards.variant
        ),
        "answers": run_files("results/{variant}/{run}/answers.json", wildcards.variant),
    }
    if REWARD_MODEL:
        files["reward"] = run_files(
            "results/{variant}/{run}/reward.json", wildcards.variant
        )
    return files


def parent_adapters(wildcards):
    return adapter_dirs(wildcards.trained, wildcards.seed)[:-1]


def training_launcher(wildcards, threads, resources):
    """Plain Python for one device; `accelerate launch` with one rank per GPU for several.

    The number of GPUs is the job's `gpu` resource (config `compute.gpus`; a profile can raise
    training's alone, e.g. `set-resources: train: gpu: 4`). Each rank gets an equal share of the
    CPU threads.
    """
    ranks = max(1, int(resources.get("gpu", 0)))
    # The package comes from this workflow's folder, in whatever environment the job runs; a
    # PYTHONPATH the environment already sets (a cluster's module, packages installed with pip
    # --target) stays behind it (under --use-conda, Snakemake clears it).
    package = (
        f'PYTHONPATH={shlex.quote(workflow.basedir)}"${{PYTHONPATH:+:$PYTHONPATH}}"'
    )
    omp = f"{package} OMP_NUM_THREADS={max(1, threads // ranks)}"
    if ranks == 1:
        return f"{omp} python -m"
    return (
        f"{omp} accelerate launch --multi_gpu --num_processes {ranks} "
        "--main_process_port 0 --module"
    )


def train_spec(wildcards):
    """The spec of one training run (alignbench.job_settings.train_spec)."""
    return job_settings.train_spec(config, wildcards.trained, int(wildcards.seed))


def model_source_settings():
    """What decides the base checkpoint (alignbench.job_settings.model_source_settings)."""
    return job_settings.model_source_settings(config)


def generation_settings():
    """The generation block, without the sampling knobs when decoding is greedy (they would
    change nothing but still rerun every generation job)."""
    settings = dict(config["generation"])
    if not settings["do_sample"]:
        for key in ("temperature", "top_p", "seed"):
            settings.pop(key)
    return settings


def data_source_settings():
    """Only the settings of the chosen source, so editing another source's block reruns nothing.

    A file or Hub data set adds its layout settings (alignbench.data.layouts.layout_settings).
    """
    source = config["data"]["source"]
    return {
        "source": source,
        source: config["data"][source],
        **layout_settings(config["data"]),
    }


def base_model_files(wildcards):
    """Local files that decide the base checkpoint, as inputs: editing one rebuilds it."""
    model = config["model"]
    files = {}
    if model["source"] == "local":
        files["local_config"] = f"{model['local']['path']}/config.json"
    template = model["chat_template"]
    if template and "{{" not in template and "{%" not in template:
        files["chat_template"] = template
    return files


def local_data_file(wildcards):
    """The local data file as an input, so that editing it reruns the data stage."""
    if config["data"]["source"] == "local":
        return {"local": config["data"]["local"]["path"]}
    return {}


def setup_settings():
    """What check_setup reads from the config (a change reruns the check, not the models)."""
    return {
        "variants": {
            name: {
                "method": VARIANT_CONFIG[name]["method"],
                "args": VARIANT_CONFIG[name].get("args", {}),
            }
            for name in TRAINED
        },
        "training_precision": config["training"]["precision"],
        "generation_precision": config["generation"]["precision"],
        "attn_implementation": config["model"]["attn_implementation"],
        "lora_target_modules": config["lora"]["target_modules"],
        "reward_model": REWARD_MODEL,
    }


# The setup check's report. Only the report takes it as an input: a rerun of the check (any
# change to the settings it reads) then reruns the report, never a model job. Model jobs do not
# wait for it through an input, not even an ancient() one: Snakemake 9.27 skips the jobs
# downstream of a job it reruns when an ancient() input is their only link to it, so a changed
# generation.precision or a new variant behind the check would silently not run. The check's
# priority runs it before them instead (workflow/rules/checks.smk).
SETUP_CHECKED = "results/checks/setup.json"


def network_retries(source):
    """Jobs that download from the Hub get two more tries: a dropped connection can pass. Any
    other failure (a bad file, a wrong setting) would only fail the same way again."""
    return 2 if source == "hub" else 0

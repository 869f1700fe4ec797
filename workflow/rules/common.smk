# Config validation, helpers and wildcard constraints shared by every stage. No rules here.

from snakemake.utils import validate

from alignbench.models.base import embedded_gguf_path
from alignbench.models.hardware import resolve_attention
from alignbench.variants import (
    enabled_variants,
    lineage,
    trained_variants,
    validate_variants,
)

validate(config, "../schemas/config.schema.yaml")
resolve_attention(config["model"]["attn_implementation"])

# One environment for every rule, used only with --use-conda (without it, rules run in the
# current environment). Paths in rules are relative to the rule files.
CONDA_ENV = "../../envs/alignbench.yaml"

# Variants switched off with `enabled: false` are left out everywhere.
VARIANT_CONFIG = enabled_variants(config["variants"])
validate_variants(VARIANT_CONFIG)
VARIANTS = list(VARIANT_CONFIG)
TRAINED = trained_variants(VARIANT_CONFIG)
SEEDS = config["training"]["seeds"]
REWARD_MODEL = config["evaluation"]["reward_model"]


wildcard_constraints:
    variant="|".join(VARIANTS),
    trained="|".join(TRAINED) if TRAINED else "(?!)",
    seed=r"\d+",
    run=r"untrained|seed\d+",


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

    The number of GPUs is the job's `gpu` resource (1 in the rule; a profile can raise it, e.g.
    `set-resources: train: gpu: 4`). Each rank gets an equal share of the CPU threads.
    """
    ranks = max(1, int(resources.get("gpu", 1)))
    omp = f"OMP_NUM_THREADS={max(1, threads // ranks)}"
    if ranks == 1:
        return f"{omp} python -m"
    return (
        f"{omp} accelerate launch --multi_gpu --num_processes {ranks} "
        "--main_process_port 0 --module"
    )


def train_spec(wildcards):
    """Everything the training command needs, from the config, as one JSON-able dict."""
    variant, seed = wildcards.trained, int(wildcards.seed)
    block = VARIANT_CONFIG[variant]
    out = f"results/models/{variant}/seed{seed}"
    return {
        "variant": variant,
        "method": block["method"],
        "seed": seed,
        "precision": config["training"]["precision"],
        "args": block.get("args", {}),
        "lora": config["lora"],
        "quantization": config["quantization"],
        "attn_implementation": config["model"]["attn_implementation"],
        "base_model": "results/models/base",
        "parent_adapters": parent_adapters(wildcards),
        "train_data": "results/data/train.jsonl",
        "output_dir": f"{out}/adapter",
        "history": f"{out}/log_history.json",
    }


def model_source_settings():
    """What decides the base checkpoint: its source's settings and the chat template.

    The attention implementation is left out: it changes how the model runs, not the files.
    """
    source = config["model"]["source"]
    return {
        "source": source,
        source: config["model"].get(source),
        "chat_template": config["model"]["chat_template"],
    }


def generation_settings():
    """The generation block, without the sampling knobs when decoding is greedy (they would
    change nothing but still rerun every generation job)."""
    settings = dict(config["generation"])
    if not settings["do_sample"]:
        for key in ("temperature", "top_p", "seed"):
            settings.pop(key)
    return settings


def data_source_settings():
    """Only the settings of the chosen source, so editing another source's block reruns nothing."""
    source = config["data"]["source"]
    return {"source": source, source: config["data"][source]}


def base_model_files(wildcards):
    """Local files that decide the base checkpoint, as inputs: editing one rebuilds it."""
    model = config["model"]
    files = {}
    if model["source"] == "gguf_embedded":
        files["gguf"] = str(embedded_gguf_path())
    elif model["source"] == "local":
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
